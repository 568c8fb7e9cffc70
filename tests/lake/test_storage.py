"""The storage root: a local folder or s3://bucket/prefix, objects by key, pyiceberg's properties."""

from __future__ import annotations

import stat

import pytest

from log_assets.lake.fileio import DurableLocalFileIO
from log_assets.storage import Storage


def test_local_objects(tmp_path):
    st = Storage.from_url(tmp_path / "root")
    assert st.url == (tmp_path / "root").resolve().as_uri() and st.is_local
    info = st.write_bytes("spool/aperture/a.body", b"abc", private=True)
    assert (info.key, info.size) == ("spool/aperture/a.body", 3)
    assert stat.S_IMODE((tmp_path / "root/spool/aperture/a.body").stat().st_mode) == 0o600
    st.write_bytes("spool/aperture/b.body", b"de")
    (tmp_path / "root/spool/aperture/.b.body.x.tmp").write_bytes(b"half")  # a write in progress
    assert [o.key for o in st.list("spool")] == ["spool/aperture/a.body", "spool/aperture/b.body"]
    assert st.read_bytes("spool/aperture/b.body") == b"de"
    assert st.delete("spool/aperture/a.body") and not st.delete("spool/aperture/a.body")
    assert st.stat("spool/aperture/a.body") is None
    with pytest.raises(FileNotFoundError):
        st.read_bytes("spool/aperture/a.body")
    assert st.delete_prefix("spool") == 1 and st.list("spool") == []
    with pytest.raises(ValueError):
        st.write_bytes("../escape", b"")
    with pytest.raises(ValueError):
        st.delete_prefix("")
    assert st.key_of(st.uri("lake/x.parquet")) == "lake/x.parquet" and st.key_of("/elsewhere") is None
    assert st.iceberg_properties() == {"py-io-impl": "log_assets.lake.fileio.DurableLocalFileIO"}


def test_default_root_is_the_home(tmp_path, monkeypatch):
    monkeypatch.delenv("LOG_ASSETS_STORAGE_URL", raising=False)
    monkeypatch.setenv("LOG_ASSETS_HOME", str(tmp_path / "home"))
    assert Storage.from_env().url == (tmp_path / "home").resolve().as_uri()
    monkeypatch.setenv("LOG_ASSETS_STORAGE_URL", "s3://bucket/some/prefix")
    st = Storage.from_env({"LOG_ASSETS_STORAGE_URL": "s3://bucket/some/prefix", "AWS_REGION": "eu-west-1"})
    assert (st.url, st.base, st.s3 and st.s3.region) == (
        "s3://bucket/some/prefix",
        "bucket/some/prefix",
        "eu-west-1",
    )
    with pytest.raises(ValueError, match="s3://bucket/prefix"):
        Storage.from_url("gs://elsewhere")


def test_s3_settings_never_show_secrets():
    env = {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9000/",
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG",
    }
    st = Storage.from_url("s3://bucket/p", env)
    shown = repr(st) + repr(st.s3) + st.describe()
    assert "AKIDEXAMPLE" not in shown and "wJalrXUtnFEMI" not in shown and "127.0.0.1:9000" in shown
    props = st.iceberg_properties()
    assert props["s3.endpoint"] == "http://127.0.0.1:9000" and props["s3.region"] == "us-east-1"
    assert props["s3.secret-access-key"] == "wJalrXUtnFEMI/K7MDENG"  # given to pyiceberg, nowhere else
    assert "wJalrXUtnFEMI" not in str(st.error("reading", "k", OSError("sig wJalrXUtnFEMI/K7MDENG bad")))


def test_durable_local_files(tmp_path):
    fio = DurableLocalFileIO()
    out = fio.new_output(f"file://{tmp_path}/a/b/c.bin")
    with out.create() as f:
        f.write(b"xyz")
    assert (tmp_path / "a/b/c.bin").read_bytes() == b"xyz"
    assert stat.S_IMODE((tmp_path / "a/b/c.bin").stat().st_mode) & 0o002 == 0
    with pytest.raises(FileExistsError):
        fio.new_output(f"file://{tmp_path}/a/b/c.bin").create()
    assert len(fio.new_input(f"file://{tmp_path}/a/b/c.bin")) == 3


def test_objects_on_s3(s3):
    bucket = s3.create_bucket()
    st = Storage.from_url(f"s3://{bucket}/pre", s3.env())
    st.write_bytes("quarantine/forcepoint/x.body", b"raw bytes")
    st.write_bytes("quarantine/forcepoint/y.body", b"")
    assert [(o.key, o.size) for o in st.list("quarantine")] == [
        ("quarantine/forcepoint/x.body", 9),
        ("quarantine/forcepoint/y.body", 0),
    ]
    assert st.read_bytes("quarantine/forcepoint/x.body") == b"raw bytes"
    assert st.list("quarantine")[0].mtime is not None
    assert st.delete_prefix("quarantine") == 2 and st.list() == []


def test_a_whole_object_is_one_put_on_s3(s3):
    """write_bytes sends the object in one PUT (not a multipart upload's three requests), and it is
    whole on the store when the call returns."""
    bucket = s3.create_bucket()
    st = Storage.from_url(f"s3://{bucket}/pre", s3.env())
    body = b"x" * 200_000
    with s3.recording() as sent:
        st.write_bytes("lake/.staging/forcepoint/access/w/date=2026-11-10/p0000001.arrow", body)
    assert [m for m, _ in sent] == ["PUT"], sent
    assert st.read_bytes("lake/.staging/forcepoint/access/w/date=2026-11-10/p0000001.arrow") == body
