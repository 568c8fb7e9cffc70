"""Durable file helpers: private folders are private all the way down."""

import stat

from log_assets.fsutil import atomic_write_json, ensure_dir, read_json


def mode(p):
    return stat.S_IMODE(p.stat().st_mode)


def test_private_dirs_created_with_their_parents_are_owner_only(tmp_path):
    (tmp_path / "home").mkdir(mode=0o755)
    atomic_write_json(tmp_path / "home" / "state" / "quota" / "forcepoint" / "access.json", {"spent": 1})
    for d in ("state", "state/quota", "state/quota/forcepoint"):
        assert mode(tmp_path / "home" / d) == 0o700, d
    assert mode(tmp_path / "home" / "state/quota/forcepoint/access.json") == 0o600
    assert mode(tmp_path / "home") == 0o755  # existing folders are not changed
    assert read_json(tmp_path / "home" / "state" / "quota" / "forcepoint" / "access.json") == {"spent": 1}


def test_public_dirs_keep_the_default_mode(tmp_path):
    import os

    umask = os.umask(0)
    os.umask(umask)
    ensure_dir(tmp_path / "lake" / "forcepoint")
    assert mode(tmp_path / "lake") == 0o777 & ~umask
