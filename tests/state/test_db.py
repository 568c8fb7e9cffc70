"""Where the database is, how it is opened, and its schema."""

from __future__ import annotations

import os
import stat

import pytest
import sqlalchemy as sa

from log_assets.state import (
    Database,
    DatabaseConfigError,
    SchemaMismatch,
    StateStore,
    database_url,
    redact_url,
)
from log_assets.state import tables as t

SECRET = "Sup3r-S3cret-pw"


def test_default_is_a_sqlite_file_in_the_home(tmp_path):
    assert database_url(tmp_path, environ={}) == f"sqlite:///{tmp_path.resolve()}/log_assets.db"
    env = {"LOG_ASSETS_DATABASE_URL": " postgresql://u@db.example/logs \n"}
    assert database_url(tmp_path, environ=env) == "postgresql://u@db.example/logs"
    store = StateStore.open(tmp_path, environ={})
    try:
        assert store.db.sqlite_path == tmp_path.resolve() / "log_assets.db"
    finally:
        store.close()


def test_urls_are_shown_without_their_secrets():
    shown = redact_url(f"postgresql+psycopg2://ingest:{SECRET}@db.example:5432/logs?sslpassword={SECRET}x")
    assert SECRET not in shown
    assert shown == "postgresql+psycopg2://ingest:***@db.example:5432/logs?sslpassword=***"
    assert redact_url("sqlite:////data/log_assets.db") == "sqlite:////data/log_assets.db"
    assert SECRET not in redact_url(f"postgresql://u:{SECRET}@[bad")
    db = Database(f"postgresql://u:{SECRET}@db.example/logs")
    try:
        assert SECRET not in repr(db) and SECRET not in db.url
    finally:
        db.dispose()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        (f"mysql://u:{SECRET}@h/db", "names a mysql database"),
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
        (f"not a url {SECRET}", "is not a SQLAlchemy URL"),
    ],
)
def test_unusable_urls_are_refused_clearly(url, says):
    with pytest.raises(DatabaseConfigError, match=says) as e:
        Database(url)
    assert SECRET not in str(e.value)
    assert "LOG_ASSETS_DATABASE_URL" in str(e.value)


def test_sqlite_file_is_private_wal_durable_and_waits_for_writers(tmp_path):
    db = Database(f"sqlite:///{tmp_path}/state/log_assets.db", busy_timeout=7)
    try:
        assert stat.S_IMODE(os.stat(db.sqlite_path).st_mode) == 0o600
        with db.transaction(write=False) as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 7000
    finally:
        db.dispose()


def test_postgres_sessions_have_timeouts_and_a_name(postgres):
    db = Database(postgres.create_database())
    try:
        with db.transaction(write=False) as conn:
            assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "1min"
            assert conn.exec_driver_sql("SHOW lock_timeout").scalar() == "30s"
            assert conn.exec_driver_sql("SHOW application_name").scalar() == "log_assets"
            # durable commits whatever the server's default (the test server's is off)
            assert conn.exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
    finally:
        db.dispose()


def test_the_urls_own_settings_win(postgres):
    db = Database(postgres.create_database() + "?application_name=mine&connect_timeout=3")
    try:
        with db.transaction(write=False) as conn:
            assert conn.exec_driver_sql("SHOW application_name").scalar() == "mine"
    finally:
        db.dispose()


def test_tables_are_created_once_with_a_schema_version(db_url):
    first = StateStore(Database(db_url))
    second = StateStore(Database(db_url))  # finds them: nothing to do
    try:
        names = set(sa.inspect(second.db.engine).get_table_names())
        ours = {table.name for table in t.metadata.sorted_tables}
        assert ours <= names
        assert all(name.startswith("log_assets_state_") for name in ours)
        assert not ours & {"iceberg_tables", "iceberg_namespace_properties"}
        with second.db.transaction(write=False) as conn:
            assert conn.execute(sa.select(t.meta.c.key, t.meta.c.value)).all() == [("schema_version", "1")]
    finally:
        first.close()
        second.close()


def test_tables_of_a_newer_version_are_refused(db_url):
    StateStore(Database(db_url)).close()
    db = Database(db_url)
    try:
        with db.transaction() as conn:
            conn.execute(sa.update(t.meta).values(value="99"))
        with pytest.raises(SchemaMismatch, match="schema version 99, made by a newer log-assets"):
            StateStore(db)
    finally:
        db.dispose()


def test_a_plain_postgresql_url_uses_the_installed_driver(postgres):
    url = postgres.create_database().replace("postgresql+psycopg2://", "postgresql://")
    store = StateStore(Database(url))
    try:
        assert store.charge("forcepoint/access", "2026-11-20", 3).spent == 1
    finally:
        store.close()


def test_sqlite_locks_are_private_files_beside_the_database(tmp_path):
    store = StateStore.open(tmp_path, environ={})
    try:
        with store.lock("forcepoint/access"):
            (lock,) = (tmp_path / "log_assets.db.locks").iterdir()
            assert lock.name.startswith("forcepoint_access-") and lock.suffix == ".lock"
            assert stat.S_IMODE(os.stat(lock).st_mode) == 0o600
            assert stat.S_IMODE(os.stat(lock.parent).st_mode) == 0o700
            assert f"pid {os.getpid()} since " in lock.read_text()
    finally:
        store.close()
