"""One walk per log type across processes and machines; a killed holder's lock frees itself."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from log_assets.state import LockHeld
from log_assets.state.locks import lock_key
from tests.state.conftest import worker

NAME = "forcepoint/access"


def test_lock_keys_are_stable_signed_64_bit_numbers():
    assert lock_key(NAME) == lock_key(NAME) != lock_key("forcepoint/admin")
    assert lock_key(NAME) == -9127433742149318079  # the same on every machine and release
    assert all(-(2**63) <= lock_key(n) < 2**63 for n in ("", NAME, "x" * 1000, "ü/ß"))


def test_a_held_lock_refuses_a_second_holder_naming_it(store):
    with store.lock(NAME) as held:
        held.verify()
        with pytest.raises(LockHeld) as e, store.lock(NAME):
            pass
        assert str(e.value).startswith("another run holds the lock for forcepoint/access (log_assets ")
        assert f"pid {os.getpid()}" in str(e.value)
        assert e.value.name == NAME
        with store.lock("forcepoint/admin"):  # another log type is free
            pass
    with store.lock(NAME):  # released with the block
        pass


def test_a_lock_is_released_when_the_block_raises(store):
    with pytest.raises(RuntimeError), store.lock(NAME):
        raise RuntimeError("the walk failed")
    with store.lock(NAME):
        pass


def test_waiting_for_a_lock_gets_it_when_freed_or_gives_up(store):
    taken, release = threading.Event(), threading.Event()

    def holder() -> None:
        with store.lock(NAME):
            taken.set()
            release.wait(10)

    th = threading.Thread(target=holder)
    th.start()
    try:
        taken.wait(10)
        told: list = []
        with (
            pytest.raises(LockHeld, match=r"gave up after waiting 0\.\d s$"),
            store.lock(NAME, wait=0.3, poll=0.1, on_wait=told.append),
        ):
            pass
        assert len(told) == 1 and f"pid {os.getpid()}" in told[0]
        threading.Timer(0.3, release.set).start()
        started = time.monotonic()
        with store.lock(NAME, wait=10, poll=0.05):
            assert time.monotonic() - started < 5
    finally:
        release.set()
        th.join()


def test_a_killed_holders_lock_frees_itself(store, db_url):
    child = worker("hold", db_url, NAME)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held", child.stderr.read() if child.stderr else ""
        with pytest.raises(LockHeld) as e, store.lock(NAME):
            pass
        assert f"pid {child.pid}" in str(e.value)  # names the holder
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        # The kernel closes the child's file (SQLite) or socket (PostgreSQL ends the session).
        with store.lock(NAME, wait=10, poll=0.05) as held:
            held.verify()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
