"""A home's JSON state files come into the database once, and only where it knows nothing yet."""

from __future__ import annotations

import copy
import json

import pytest

from log_assets.legacy.statefiles import StateFileError, write_state_file
from log_assets.legacy.stateimport import import_state_files
from log_assets.state import QuotaCounter, WalkState
from tests.state.test_walks import FILE_DOC


def test_state_files_are_imported_once_and_set_aside(store, tmp_path):
    state = tmp_path / "state"
    write_state_file(state / "forcepoint" / "access.json", FILE_DOC)
    write_state_file(
        state / "quota" / "forcepoint" / "access.json", {"day": "2026-11-20", "spent": 17, "server_remaining": 280}
    )
    report = import_state_files(store, state)
    assert len(report.imported) == 2 and report.skipped == []
    walk = store.load_walk("forcepoint/access")
    assert walk.version == 1 and walk.to_file_doc() == FILE_DOC
    assert store.quota("forcepoint/access", "2026-11-20") == QuotaCounter(
        "forcepoint/access", "2026-11-20", 17, 280
    )
    assert (state / "forcepoint" / "access.json.imported").exists()
    assert not (state / "forcepoint" / "access.json").exists()
    assert import_state_files(store, state).imported == []  # nothing left to import


def test_what_the_database_already_knows_is_not_overwritten(store, tmp_path):
    state = tmp_path / "state"
    store.save_walk(
        WalkState.from_file_doc("forcepoint/access", {"version": 1, "days": {}, "walk": None, "tail": None})
    )
    store.charge("forcepoint/access", "2026-11-20", 300)
    write_state_file(state / "forcepoint" / "access.json", FILE_DOC)
    write_state_file(state / "quota" / "forcepoint" / "access.json", {"day": "2026-11-20", "spent": 17})
    report = import_state_files(store, state)
    assert report.imported == [] and len(report.skipped) == 2
    assert store.load_walk("forcepoint/access").walk is None
    assert store.quota("forcepoint/access", "2026-11-20").spent == 1
    assert (state / "forcepoint" / "access.json").exists()  # left for the user to judge


def test_a_broken_file_stops_the_import_naming_it(store, tmp_path):
    path = tmp_path / "state" / "forcepoint" / "admin.json"
    doc = copy.deepcopy(FILE_DOC)
    doc["walk"]["pages"] = "many"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(doc))
    with pytest.raises(StateFileError, match="admin.json is unusable"):
        import_state_files(store, tmp_path / "state")
    assert store.load_walk("forcepoint/admin").version == 0
