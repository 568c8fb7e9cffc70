"""Durable file helpers: private folders are private all the way down; shared ones get the mode of
LOG_ASSETS_FILE_MODE whatever the umask, and nothing is ever world-writable."""

import os
import stat
from contextlib import contextmanager

import pytest

from log_assets.fsutil import (
    FILE_MODE_ENV,
    atomic_write_bytes,
    ensure_dir,
    shared_modes,
    shared_umask,
)


def mode(p):
    return stat.S_IMODE(p.stat().st_mode)


@contextmanager
def umask(value: int):
    old = os.umask(value)
    try:
        yield
    finally:
        os.umask(old)


def test_private_dirs_created_with_their_parents_are_owner_only(tmp_path):
    (tmp_path / "home").mkdir(mode=0o755)
    os.chmod(tmp_path / "home", 0o755)
    note = tmp_path / "home" / "quarantine" / "aperture" / "incident" / "body.note.json"
    with umask(0):
        atomic_write_bytes(note, b'{"reason": "x"}', private=True)
    for d in ("quarantine", "quarantine/aperture", "quarantine/aperture/incident"):
        assert mode(tmp_path / "home" / d) == 0o700, d
    assert mode(note) == 0o600
    assert mode(tmp_path / "home") == 0o755  # existing folders are not changed
    assert note.read_bytes() == b'{"reason": "x"}'


@pytest.mark.parametrize(
    "setting,dirs,files",
    [(None, 0o750, 0o640), ("group", 0o750, 0o640), ("private", 0o700, 0o600), ("public", 0o755, 0o644)],
)
def test_shared_dirs_and_files_get_the_setting_whatever_the_umask(tmp_path, monkeypatch, setting, dirs, files):
    if setting is None:
        monkeypatch.delenv(FILE_MODE_ENV, raising=False)
    else:
        monkeypatch.setenv(FILE_MODE_ENV, setting)
    for i, mask in enumerate((0o000, 0o022, 0o077)):
        root = tmp_path / str(i)
        with umask(mask):
            ensure_dir(root / "lake" / "forcepoint")
            atomic_write_bytes(root / "lake" / "marker", b"x")
        assert mode(root) == mode(root / "lake") == mode(root / "lake" / "forcepoint") == dirs, oct(mask)
        assert mode(root / "lake" / "marker") == files, oct(mask)


def test_existing_shared_dirs_are_left_alone(tmp_path, monkeypatch):
    monkeypatch.delenv(FILE_MODE_ENV, raising=False)
    (tmp_path / "srv").mkdir()
    os.chmod(tmp_path / "srv", 0o711)
    ensure_dir(tmp_path / "srv" / "lake")
    assert mode(tmp_path / "srv") == 0o711
    assert mode(tmp_path / "srv" / "lake") == 0o750


def test_an_unknown_setting_is_refused_naming_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv(FILE_MODE_ENV, "world")
    with pytest.raises(ValueError, match=r"LOG_ASSETS_FILE_MODE='world'.*group, private, public"):
        shared_modes()
    with pytest.raises(ValueError, match="LOG_ASSETS_FILE_MODE"):
        ensure_dir(tmp_path / "lake")


def test_shared_umask_applies_the_setting_and_restores_the_umask(tmp_path, monkeypatch):
    monkeypatch.delenv(FILE_MODE_ENV, raising=False)
    with umask(0):
        with shared_umask():
            with shared_umask():  # nested (a rebuild inside a writer): restored only by the outer one
                (tmp_path / "a").mkdir()
            (tmp_path / "b").mkdir()
            (tmp_path / "b" / "f").write_bytes(b"x")
        (tmp_path / "c").mkdir()
        assert os.umask(0) == 0
    assert mode(tmp_path / "a") == mode(tmp_path / "b") == 0o750
    assert mode(tmp_path / "b" / "f") == 0o640
    assert mode(tmp_path / "c") == 0o777
