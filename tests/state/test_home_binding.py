"""The database and the storage root know each other (state/binding.py): a home id in both, checked by
every run before anything is sent; on a SQLite file and a real PostgreSQL. Also: a mistyped SQLite
URL is refused, a damaged SQLite file is named with its backup, and no table is made over a table's
metadata the catalog does not know."""

from __future__ import annotations

import json
from datetime import date

import pytest

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.lake.errors import LakeError
from log_assets.lake.lake import Lake
from log_assets.lake.layout import lake_schema
from log_assets.paths import Home
from log_assets.state import Database, DatabaseConfigError, DatabaseFileCorrupt, HomeMismatch, StateStore
from log_assets.state.binding import HOME_KEY, bind_home
from log_assets.state.home import open_state
from log_assets.storage import Storage
from tests.lake.test_iceberg import rows

from .conftest import FAST_RETRY

DAY = "2026-11-20"


def _store(url: str) -> StateStore:
    return StateStore(Database(url, retry=FAST_RETRY))


def _lake_with_a_table(url: str, storage: Storage) -> None:
    """A lake table written through the catalog in `url`, as a run writes one."""
    with Lake.open(url, storage) as lake:
        lake.replace_days("forcepoint", "access", rows(date(2026, 11, 19), ["a", "b"]))


def _home_with_a_lake(tmp_path, monkeypatch) -> Home:
    """A home of the default layout (no variables set) whose lake holds a day of forcepoint.access."""
    for var in ("LOG_ASSETS_DATABASE_URL", "LOG_ASSETS_STORAGE_URL", "LOG_ASSETS_HOME"):
        monkeypatch.delenv(var, raising=False)
    home = Home(tmp_path / "home")
    home.ensure_layout()
    with Lake.for_home(home) as lake:
        lake.replace_days("forcepoint", "access", rows(date(2026, 11, 19), ["a"]))
    return home


def _metadata_files(storage: Storage) -> list[str]:
    return [o.key for o in storage.list("lake") if o.key.endswith(".metadata.json")]


def test_a_new_home_is_bound_once_then_recognised(db_url, tmp_path):
    storage = Storage.from_url(tmp_path / "root")
    with _store(db_url) as store:
        first = bind_home(store.db, storage)
        assert first.how == "new"
        assert json.loads(storage.read_bytes(HOME_KEY))["home_id"] == first.home_id
        again = bind_home(store.db, storage)
        assert (again.how, again.home_id) == ("same", first.home_id)


def test_a_database_of_another_home_is_refused_naming_both(db_url, tmp_path):
    mine, other = Storage.from_url(tmp_path / "mine"), Storage.from_url(tmp_path / "other")
    with _store(db_url) as store, _store(f"sqlite:///{tmp_path / 'other.db'}") as other_store:
        bind_home(store.db, mine)
        bind_home(other_store.db, other)
        with pytest.raises(HomeMismatch) as refused:
            bind_home(store.db, other)
        message = str(refused.value)
        assert store.db.url in message and other.url in message
        assert "backup" in message and "LOG_ASSETS_DATABASE_URL" in message and "log_assets.lake adopt" in message
        password = Database(db_url).secrets
        assert password.redact(message) == message, "no password in the message"


def test_a_new_database_beside_an_existing_lake_is_refused(db_url, tmp_path):
    storage = Storage.from_url(tmp_path / "root")
    lost = f"sqlite:///{tmp_path / 'lost.db'}"
    with _store(lost) as store:
        bind_home(store.db, storage)
    _lake_with_a_table(lost, storage)
    before = _metadata_files(storage)
    with _store(db_url) as fresh:
        with pytest.raises(HomeMismatch, match="has no home id") as refused:
            bind_home(fresh.db, storage)
        assert storage.url in str(refused.value) and fresh.db.url in str(refused.value)
        # Even without the storage root's id (a lake of before the ids), its table metadata refuses it.
        storage.delete(HOME_KEY)
        with pytest.raises(HomeMismatch, match=r"holds the lake's tables \(forcepoint.access\)"):
            bind_home(fresh.db, storage)
    assert _metadata_files(storage) == before
    assert not storage.exists(HOME_KEY), "nothing written on a refusal"


def test_a_home_of_an_earlier_version_is_adopted(db_url, tmp_path):
    storage = Storage.from_url(tmp_path / "root")
    _lake_with_a_table(db_url, storage)  # the catalog's rows, the table's files: no id anywhere
    with _store(db_url) as store:
        store.charge("forcepoint/access", DAY, limit=300)
        adopted = bind_home(store.db, storage)
        assert adopted.how == "adopted"
        assert bind_home(store.db, storage).how == "same"
        assert store.quota("forcepoint/access", DAY).spent == 1


def test_a_database_whose_tables_live_on_another_root_is_not_adopted(db_url, tmp_path):
    _lake_with_a_table(db_url, Storage.from_url(tmp_path / "theirs"))
    with _store(db_url) as store, pytest.raises(HomeMismatch, match="not on this run's storage root"):
        bind_home(store.db, Storage.from_url(tmp_path / "mine"))


def test_a_binding_cut_short_after_the_database_is_completed(db_url, tmp_path):
    storage = Storage.from_url(tmp_path / "root")
    with _store(db_url) as store:
        home_id = bind_home(store.db, storage).home_id
        storage.delete(HOME_KEY)  # as if the run stopped between the database's row and the object
        assert bind_home(store.db, storage).how == "completed"
        assert json.loads(storage.read_bytes(HOME_KEY))["home_id"] == home_id
        with pytest.raises(HomeMismatch, match="whose storage root is"):
            bind_home(store.db, Storage.from_url(tmp_path / "elsewhere"))


def test_the_lake_of_a_lost_database_is_refused_by_every_run_and_no_table_is_made_anew(tmp_path, monkeypatch):
    home = _home_with_a_lake(tmp_path, monkeypatch)
    for f in ("log_assets.db", "log_assets.db-wal", "log_assets.db-shm"):
        (home.root / f).unlink(missing_ok=True)
    with pytest.raises(HomeMismatch, match="storage root"):
        open_state(home)
    with pytest.raises(HomeMismatch, match="storage root"):
        Lake.for_home(home)


def test_no_table_is_created_over_metadata_the_catalog_does_not_know(tmp_path):
    storage = Storage.from_url(tmp_path / "root")
    _lake_with_a_table(f"sqlite:///{tmp_path / 'lost.db'}", storage)
    before = _metadata_files(storage)
    with Lake.open(f"sqlite:///{tmp_path / 'new.db'}", storage) as lake:
        with pytest.raises(LakeError) as refused:
            lake.replace_days("forcepoint", "access", rows(date(2026, 11, 19), ["z"]))
        message = str(refused.value)
        assert "forcepoint.access" in message and storage.uri("lake/forcepoint.db/access") in message
        assert "backup" in message and "log_assets.lake adopt" in message
        assert lake.tables() == []
    assert _metadata_files(storage) == before


def test_metadata_of_a_table_that_never_held_data_does_not_block_its_create(tmp_path):
    """A first create whose catalog row was never written (killed between pyiceberg's metadata file and
    its insert) leaves metadata with no snapshot: it hides nothing, and the table is made."""
    storage = Storage.from_url(tmp_path / "root")
    with Lake.open(f"sqlite:///{tmp_path / 'first.db'}", storage) as lake:
        lake.ensure_table("forcepoint", "access", lake_schema(FORCEPOINT_TYPES["access"]))
    assert _metadata_files(storage)
    with Lake.open(f"sqlite:///{tmp_path / 'again.db'}", storage) as lake:
        lake.replace_days("forcepoint", "access", rows(date(2026, 11, 19), ["z"]))
        assert lake.tables() == [("forcepoint", "access")]


def test_a_mistyped_sqlite_url_is_refused_naming_it(tmp_path):
    home = Home(tmp_path / "home")
    home.ensure_layout()
    url = f"sqlite:///{tmp_path / 'nonexistent' / 'dir' / 'la.db'}"
    with pytest.raises(DatabaseConfigError, match="does not exist") as refused:
        open_state(home, environ={"LOG_ASSETS_DATABASE_URL": url})
    assert url in str(refused.value)
    assert not (tmp_path / "nonexistent").exists()


@pytest.mark.parametrize("damage", ["overwritten", "truncated", "a page overwritten"])
def test_a_damaged_sqlite_file_is_named_with_its_backup(tmp_path, damage):
    home = Home(tmp_path / "home")
    home.ensure_layout()
    env: dict[str, str] = {}
    with open_state(home, environ=env) as store:
        for i in range(200):
            store.charge(f"forcepoint/t{i}", DAY, limit=300)
    db = home.root / "log_assets.db"
    data = db.read_bytes()
    if damage == "overwritten":
        db.write_bytes(b"not a database " * 400)
    elif damage == "truncated":
        db.write_bytes(data[:50])
    else:
        page = 4096
        db.write_bytes(data[: 2 * page] + b"\xff" * page + data[3 * page :])
    with pytest.raises(DatabaseFileCorrupt) as refused, open_state(home, environ=env) as store:
        store.quota("forcepoint/t7", DAY)
    message = str(refused.value)
    assert str(db) in message and "backup" in message and "run again when" not in message


def test_the_aperture_spool_refuses_a_new_database_beside_an_existing_lake(tmp_path, monkeypatch):
    from log_assets.aperture.spool import Spool

    home = _home_with_a_lake(tmp_path, monkeypatch)
    monkeypatch.setenv("LOG_ASSETS_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    with Spool(home) as spool, pytest.raises(HomeMismatch, match="has no home id"), spool.lock("sort"):
        pass


def test_a_table_dropped_on_purpose_may_be_made_again_at_its_place(tmp_path):
    storage = Storage.from_url(tmp_path / "root")
    with Lake.open(f"sqlite:///{tmp_path / 'la.db'}", storage) as lake:
        lake.replace_days("forcepoint", "access", rows(date(2026, 11, 19), ["a"]))
        lake.drop_table("forcepoint", "access")  # as the warehouse's publish does when a column changes type
        lake.replace_days("forcepoint", "access", rows(date(2026, 11, 19), ["b"]))
        assert lake.read_days("forcepoint", "access").column("event_id").to_pylist() == ["b"]


def test_on_s3_a_new_database_beside_an_existing_lake_is_refused(postgres, s3, tmp_path):
    env = s3.env()
    storage = Storage.from_url(f"s3://{s3.create_bucket()}/lake-root", env)
    url = postgres.create_database()
    with _store(url) as store:
        assert bind_home(store.db, storage).how == "new"
    assert json.loads(storage.read_bytes(HOME_KEY))["home_id"]
    with _store(f"sqlite:///{tmp_path / 'new.db'}") as fresh, pytest.raises(HomeMismatch) as refused:
        bind_home(fresh.db, storage)
    assert storage.url in str(refused.value) and "has no home id" in str(refused.value)
    with _store(url) as store:
        assert bind_home(store.db, storage).how == "same"
