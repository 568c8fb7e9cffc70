"""Faults the state tests inject into a Database's driver calls."""

from __future__ import annotations

from log_assets.state import Database


def lose_commit_answers(monkeypatch, db: Database, times: int = 1, after: bool = True) -> list[int]:
    """The next `times` commits fail as if the connection broke: after the commit reached the
    database (`after`: it is durable, only its answer is lost) or before. Returns a one-item list
    counting the commits that failed."""
    dialect = db.engine.dialect
    real = dialect.do_commit
    dbapi = dialect.loaded_dbapi
    failed = [0]

    def broken() -> Exception:
        if db.backend == "sqlite":  # what SQLAlchemy takes for a lost SQLite connection
            return dbapi.ProgrammingError("Cannot operate on a closed database.")
        return dbapi.OperationalError("server closed the connection unexpectedly")

    def do_commit(dbapi_connection) -> None:
        if failed[0] < times:
            failed[0] += 1
            if after:
                real(dbapi_connection)
            else:
                dbapi_connection.rollback()
            raise broken()
        real(dbapi_connection)

    monkeypatch.setattr(dialect, "do_commit", do_commit)
    return failed
