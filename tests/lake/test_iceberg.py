"""The Iceberg lake: whole-day commits, schema evolution, exact round trips, change lists, time travel,
maintenance, racing writers; on a local folder with SQLite, on S3 (moto) and with PostgreSQL."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from log_assets.catalog import CATALOG
from log_assets.lake import catalog as lake_catalog
from log_assets.lake import daywriter, layout, maintenance, snapshots
from log_assets.lake.errors import DaysChanged, HistoryExpired, LakeError
from log_assets.lake.lake import Lake
from log_assets.lake.layout import lake_schema
from log_assets.lake.results import DayStats
from log_assets.lake.schema import Coercer, build_table
from log_assets.state.db import RetryPolicy
from log_assets.storage import Storage, StorageError

LT = CATALOG[("forcepoint", "access")]
D1, D2, D3 = date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 21)


def _t(day: date, us: int) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(microseconds=us)


def rows(day: date, ids: list[str], extra: dict | None = None) -> pa.Table:
    """Lake rows of forcepoint/access on `day`, one per id, times a few microseconds apart."""
    records = []
    for i, eid in enumerate(ids):
        fields = {"user": f"u{i}@example.com", "action": ["Allow", "Log"] if i % 2 else None, **(extra or {})}
        records.append(
            {
                "event_id": eid,
                "event_time": _t(day, 3_600_000_000 + i * 7 + 1),
                "vendor": "forcepoint",
                "log_type": "access",
                "raw": f'{{"id": "{eid}"}}',
                "ingested_at": _t(day, 86_000_000_000 + i),
                "fields": fields,
            }
        )
    table = build_table(LT, records, Coercer())
    return table


def ids(table: pa.Table) -> list[str]:
    return sorted(table.column("event_id").to_pylist())


@pytest.fixture
def local_lake(tmp_path):
    lake = Lake.open(f"sqlite:///{tmp_path / 'log_assets.db'}", Storage.from_url(tmp_path / "root"))
    yield lake
    lake.close()


def test_replace_is_one_commit_and_a_reader_keeps_its_snapshot(local_lake):
    first = local_lake.replace_days(
        "forcepoint", "access", pa.concat_tables([rows(D1, ["a", "b", "c"]), rows(D2, ["x"])])
    )
    assert first.rows == {D1: 3, D2: 1}
    reader = local_lake.table("forcepoint", "access")
    assert reader is not None

    second = local_lake.replace_days("forcepoint", "access", rows(D1, ["a", "d"]))
    assert second.files_removed == 1 and second.day_files == {D1: 1}
    tbl = local_lake.table("forcepoint", "access")
    assert tbl is not None
    assert len(tbl.snapshots()) == 2  # one snapshot per commit
    assert str(tbl.current_snapshot().summary.operation) == "Operation.OVERWRITE"

    # The reader opened before the commit sees the old snapshot whole; a new one the new day only.
    assert ids(reader.scan().to_arrow()) == ["a", "b", "c", "x"]
    assert ids(local_lake.read_days("forcepoint", "access")) == ["a", "d", "x"]
    assert ids(local_lake.read_day("forcepoint", "access", D2)) == ["x"]


def test_rows_out_of_order_land_in_their_days_files_in_time_order(local_lake):
    # Days interleaved and times reversed within each: one file per day, each in event_time order.
    mixed = pa.concat_tables([rows(D2, ["x", "y"]), rows(D1, ["a", "b", "c"]), rows(D3, ["z"]), rows(D1, ["d"])])
    mixed = mixed.take(pa.array(list(reversed(range(mixed.num_rows)))))
    done = local_lake.replace_days("forcepoint", "access", mixed)
    assert done.rows == {D1: 4, D2: 2, D3: 1} and done.day_files == {D1: 1, D2: 1, D3: 1}
    for day, want in ((D1, ["a", "b", "c", "d"]), (D2, ["x", "y"]), (D3, ["z"])):
        got = local_lake.read_day("forcepoint", "access", day)
        assert ids(got) == want
        times = got.column("event_time").to_pylist()
        assert times == sorted(times)
    # Rows already in order are written as they are: the same days, no copy needed.
    again = local_lake.replace_days("forcepoint", "access", rows(D1, ["a", "e"]))
    assert again.rows == {D1: 2} and ids(local_lake.read_day("forcepoint", "access", D1)) == ["a", "e"]


def test_re_replacing_a_day_is_idempotent(local_lake):
    day = rows(D1, ["a", "b"])
    local_lake.replace_days("forcepoint", "access", day)
    again = local_lake.replace_days("forcepoint", "access", day)
    assert again.rows == {D1: 2}
    assert local_lake.days("forcepoint", "access") == {D1: DayStats(2, 1, again_bytes(local_lake))}
    assert ids(local_lake.read_day("forcepoint", "access", D1)) == ["a", "b"]


def again_bytes(lake: Lake) -> int:
    return next(iter(lake.days("forcepoint", "access").values())).bytes


def test_replacing_with_no_rows_empties_named_days(local_lake):
    local_lake.replace_days("forcepoint", "access", pa.concat_tables([rows(D1, ["a"]), rows(D2, ["b"])]))
    done = local_lake.replace_days("forcepoint", "access", rows(D1, [])[:0], days=[D1])
    assert done.files_removed == 1
    assert set(local_lake.days("forcepoint", "access")) == {D2}
    with pytest.raises(ValueError, match="outside the days"):
        local_lake.replace_days("forcepoint", "access", rows(D3, ["c"]), days=[D2])


def test_a_new_field_becomes_a_column(local_lake):
    local_lake.replace_days("forcepoint", "access", rows(D1, ["a"]))
    newer = rows(D2, ["b"])
    newer = newer.append_column(pa.field("brandnew", pa.string()), pa.array(["hello"]))
    local_lake.replace_days("forcepoint", "access", newer)
    tbl = local_lake.table("forcepoint", "access")
    assert tbl is not None
    field = tbl.schema().find_field("brandnew")
    assert not field.required
    got = local_lake.read_days("forcepoint", "access").sort_by("event_id")
    assert got.column("brandnew").to_pylist() == [None, "hello"]
    # A later write without the column still lands (NULL there).
    local_lake.append("forcepoint", "access", rows(D2, ["c"]))
    assert local_lake.read_day("forcepoint", "access", D2).sort_by("event_id").column("brandnew").to_pylist() == [
        "hello",
        None,
    ]


def test_lists_and_timestamps_round_trip_exactly(local_lake):
    table = rows(D1, ["a", "b", "c"], extra={"emailsenttime": "2026-11-19T01:02:03.456789Z"})
    local_lake.replace_days("forcepoint", "access", table)
    got = local_lake.read_day("forcepoint", "access", D1).sort_by("event_id")
    schema = lake_schema(LT)
    for name in ("event_time", "ingested_at", "emailsenttime", "action", "event_id", "raw"):
        assert got.schema.field(name).type == schema.field(name).type, name
        assert got.column(name).to_pylist() == table.sort_by("event_id").column(name).to_pylist(), name
    assert got.column("event_time").to_pylist()[1] == _t(D1, 3_600_000_008)  # microseconds kept
    assert got.column("action").to_pylist() == [None, ["Allow", "Log"], None]
    assert got.column("event_day").to_pylist() == [D1] * 3
    assert not got.schema.field("event_id").nullable


def test_changed_days_between_snapshots(local_lake, monkeypatch):
    s1 = local_lake.replace_days("forcepoint", "access", pa.concat_tables([rows(D1, ["a"]), rows(D2, ["b"])]))
    s2 = local_lake.replace_days("forcepoint", "access", rows(D2, ["b2"]))
    s3 = local_lake.append("forcepoint", "access", rows(D3, ["c"]))
    ch = local_lake.changed_days("forcepoint", "access", s1.snapshot_id)
    assert (ch.days, ch.everything, ch.snapshot_id) == ({D2, D3}, False, s3.snapshot_id)
    assert local_lake.changed_days("forcepoint", "access", s2.snapshot_id).days == {D3}
    assert local_lake.changed_days("forcepoint", "access", s3.snapshot_id).days == frozenset()
    first = local_lake.changed_days("forcepoint", "access", None)
    assert first.everything and first.days == {D1, D2, D3}
    unknown = local_lake.changed_days("forcepoint", "access", 12345)
    assert unknown.everything and "not in the table's history" in unknown.reason
    # Without per-day summaries (more days in one commit than the summary lists), from the manifests.
    monkeypatch.setattr(snapshots, "summary_days", lambda snap: None)
    assert local_lake.changed_days("forcepoint", "access", s1.snapshot_id).days == {D2, D3}


def test_time_travel_as_of(local_lake):
    local_lake.replace_days("forcepoint", "access", rows(D1, ["a", "b"]))
    time.sleep(0.01)
    between = datetime.now(UTC)
    time.sleep(0.01)
    local_lake.replace_days("forcepoint", "access", rows(D1, ["c"]))
    assert ids(local_lake.as_of("forcepoint", "access", between, days=[D1])) == ["a", "b"]
    assert ids(local_lake.as_of("forcepoint", "access", datetime.now(UTC))) == ["c"]
    with pytest.raises(HistoryExpired, match="oldest kept"):
        local_lake.as_of("forcepoint", "access", between - timedelta(hours=1))


def _files(root) -> set[str]:
    return {str(p) for p in root.rglob("*") if p.is_file()}


def test_maintenance_removes_what_no_kept_snapshot_needs(local_lake, tmp_path):
    old = local_lake.replace_days("forcepoint", "access", rows(D1, ["a"]))
    local_lake.replace_days("forcepoint", "access", rows(D1, ["b"]))
    local_lake.replace_days("forcepoint", "access", rows(D2, ["c"]))
    tbl = local_lake.table("forcepoint", "access")
    assert tbl is not None
    table_dir = tmp_path / "root" / "lake" / "forcepoint.db" / "access"
    data_dir = table_dir / "data"
    orphan = data_dir / "event_day=2026-11-19" / "00000-0-leftover-of-a-killed-write.parquet"
    orphan.write_bytes(b"not committed")
    before = _files(data_dir)

    # Within the retention nothing goes: every snapshot can still be read.
    (report,) = local_lake.maintain()
    assert (report.expired_snapshots, report.deleted_files) == (0, 0)
    assert _files(data_dir) == before

    # Eight days later: only the current snapshot is kept, with its files; the rest is gone.
    later = datetime.now(UTC) + timedelta(days=8)
    (report,) = local_lake.maintain(timedelta(days=7), now=later)
    assert report.expired_snapshots == 2 and report.kept_snapshots == 1
    tbl = local_lake.table("forcepoint", "access")
    assert tbl is not None
    needed = {f.file.file_path.removeprefix("file://") for f in tbl.scan().plan_files()}
    left = _files(data_dir)
    assert needed == left
    assert str(orphan) not in left
    assert report.deleted_files >= 2  # the replaced day's file and the orphan, plus old metadata
    assert all(os.path.exists(p.removeprefix("file://")) for p in maintenance.referenced_files(tbl))
    assert ids(local_lake.read_days("forcepoint", "access")) == ["b", "c"]
    # A loader that last saw an expired snapshot is told to reload everything.
    ch = local_lake.changed_days("forcepoint", "access", old.snapshot_id)
    assert ch.everything and ch.days == {D1, D2}


def test_maintenance_keeps_the_snapshot_current_at_the_retention_edge(local_lake):
    local_lake.replace_days("forcepoint", "access", rows(D1, ["a"]))
    local_lake.replace_days("forcepoint", "access", rows(D1, ["b"]))
    edge = datetime.now(UTC)
    time.sleep(0.01)
    local_lake.replace_days("forcepoint", "access", rows(D1, ["c"]))
    (report,) = local_lake.maintain(timedelta(seconds=0), now=edge + timedelta(milliseconds=1))
    assert report.expired_snapshots == 1  # the first; the one current at the edge stays readable
    assert ids(local_lake.as_of("forcepoint", "access", edge)) == ["b"]


def test_maintenance_compacts_days_of_many_files(local_lake):
    for i in range(5):
        local_lake.append("forcepoint", "access", rows(D1, [f"e{i}"]))
    assert local_lake.days("forcepoint", "access")[D1].files == 5
    (report,) = local_lake.maintain(compact_over=3)
    assert report.compacted_days == [D1]
    assert local_lake.days("forcepoint", "access")[D1].files == 1
    assert ids(local_lake.read_day("forcepoint", "access", D1)) == [f"e{i}" for i in range(5)]


def test_compaction_rewrites_the_small_files_only(local_lake):
    """A day written large and then appended to: the appends' small files become one; the large
    file is kept as it is (never read), so compacting a big day does not hold it in memory."""
    local_lake.replace_days("forcepoint", "access", rows(D1, [f"big{i:05d}" for i in range(20_000)]))
    (big,) = [f.file_path for f in snapshots.day_files(local_lake.table("forcepoint", "access"), [D1])]
    for i in range(4):
        local_lake.append("forcepoint", "access", rows(D1, [f"e{i}"]))
    sizes = sorted(
        f.file_size_in_bytes for f in snapshots.day_files(local_lake.table("forcepoint", "access"), [D1])
    )
    threshold = sizes[-1] // 2  # between the appends' files and the large one
    assert sizes[-2] < threshold
    assert (
        local_lake.compact_day("forcepoint", "access", D1, min_files=4, small_bytes=threshold) is None
    )  # 4 small
    commit = local_lake.compact_day("forcepoint", "access", D1, min_files=3, small_bytes=threshold)
    assert commit is not None and commit.day_files == {D1: 2}
    files = [f.file_path for f in snapshots.day_files(local_lake.table("forcepoint", "access"), [D1])]
    assert big in files and len(files) == 2
    got = ids(local_lake.read_day("forcepoint", "access", D1))
    assert sorted(got) == sorted([f"big{i:05d}" for i in range(20_000)] + [f"e{i}" for i in range(4)])


# Compaction on real-shaped records: a `raw` JSON text of many repeated strings, which zstd Parquet
# stores in a small fraction of its Arrow size (64 MiB of Arrow rows: some 5 MiB of Parquet).
FLUSH = 256 * 1024  # the walk's and compaction's flush, scaled down (64 MiB in production)


def logs(day: date, first: int, n: int) -> pa.Table:
    records = []
    for i in range(first, first + n):
        eid = f"ev{i:06d}"
        fields = {"user": f"user{i % 7}@example.com", "action": ["Allow", "Log"] if i % 3 else None}
        raw = {
            "id": eid,
            "user": fields["user"],
            "url": "https://www.example.com/some/long/path/to/a/resource?with=query&and=more",
            "agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120",
            "policy": "Default corporate web policy - allow business, block risky categories",
            "headers": ["Accept: text/html", "Accept-Language: en-US", "Connection: keep-alive"] * 6,
        }
        records.append(
            {
                "event_id": eid,
                "event_time": _t(day, 3_600_000_000 + i * 1000),
                "vendor": "forcepoint",
                "log_type": "access",
                "raw": json.dumps(raw),
                "ingested_at": _t(day, 86_000_000_000 + i),
                "fields": fields,
            }
        )
    return build_table(LT, records, Coercer())


def _write_large(lake: Lake, day: date, files: int) -> list[str]:
    """A day written by one large write cut at FLUSH: `files` full files (returned) and a partial
    last one."""
    with lake.writer("forcepoint", "access", [day], flush_bytes=FLUSH) as w:
        n = 0
        while w.files_written < files:
            w.add(logs(day, n, 25), only_days=True)
            n += 25
        full = w.written_paths
        w.add(logs(day, n, 10), only_days=True)
        w.commit("replace")
    assert len(_paths(lake, day)) == files + 1
    return full


def _paths(lake: Lake, day: date) -> set[str]:
    return {f.file_path for f in snapshots.day_files(lake.table("forcepoint", "access"), [day])}


def _content(lake: Lake, day: date) -> list[dict]:
    return sorted(lake.read_day("forcepoint", "access", day).to_pylist(), key=lambda r: r["event_id"])


def _head(lake: Lake) -> int:
    snap = lake.table("forcepoint", "access").current_snapshot()
    assert snap is not None
    return snap.snapshot_id


@pytest.fixture
def scaled_flush(monkeypatch):
    monkeypatch.setattr(maintenance, "COMPACT_FLUSH_BYTES", FLUSH)


def test_a_day_written_large_of_compressible_rows_is_not_compacted(local_lake, scaled_flush):
    """Files cut at the flush size are small in Parquet (the rows compress well), yet they are not
    the small files compaction is for: rewriting them would give as many files again, on every run."""
    _write_large(local_lake, D1, 20)
    files = _paths(local_lake, D1)
    day = local_lake.days("forcepoint", "access")[D1]
    assert day.files == 21 > layout.COMPACT_OVER_FILES and day.bytes < layout.SMALL_FILE_BYTES
    head = _head(local_lake)
    assert local_lake.compact_day("forcepoint", "access", D1) is None
    (report,) = local_lake.maintain()
    assert report.compacted_days == [] and _head(local_lake) == head
    assert _paths(local_lake, D1) == files


def test_compacting_a_day_twice_does_nothing_the_second_time(local_lake, scaled_flush):
    for k in range(24):
        local_lake.append("forcepoint", "access", logs(D1, k * 40, 40))
    before = _content(local_lake, D1)
    first = local_lake.compact_day("forcepoint", "access", D1)
    assert first is not None and 1 < first.day_files[D1] < 24  # cut at the flush size: several files
    head = _head(local_lake)
    assert local_lake.compact_day("forcepoint", "access", D1) is None
    (report,) = local_lake.maintain(compact_over=1)
    assert report.compacted_days == [] and _head(local_lake) == head
    assert _content(local_lake, D1) == before


def test_appends_to_a_day_written_large_are_compacted_and_its_large_files_kept(local_lake, scaled_flush):
    """20 appends (polls of the open day) gather after a large write: maintenance rewrites them (and
    the large write's partial last file) as few, keeps the files cut at the flush size, and the day
    holds exactly the same rows."""
    full = _write_large(local_lake, D1, 5)
    for k in range(20):
        local_lake.append("forcepoint", "access", logs(D1, 100_000 + k * 30, 30))
    before = _content(local_lake, D1)
    assert local_lake.days("forcepoint", "access")[D1].files == 26
    (report,) = local_lake.maintain()
    assert report.compacted_days == [D1]
    after = _paths(local_lake, D1)
    assert set(full) <= after  # the large write's full files stay as written (never read)
    assert len(after - set(full)) < 21 // 2  # its partial file and the 20 appends: a few files now
    assert _content(local_lake, D1) == before


def test_a_compaction_that_would_not_reduce_the_files_is_not_done(local_lake, monkeypatch, tmp_path):
    """Rows so wide that a flush holds as few as an append: rewriting the appends would give as many
    files. Nothing is committed, and the files the attempt wrote are removed."""
    for k in range(4):
        local_lake.append("forcepoint", "access", logs(D1, k * 10, 10))
    monkeypatch.setattr(maintenance, "COMPACT_FLUSH_BYTES", 1)  # a file for every row group read
    head, written = _head(local_lake), sorted((tmp_path / "root").rglob("*.parquet"))
    assert local_lake.compact_day("forcepoint", "access", D1, small_rows=10**9) is None
    assert _head(local_lake) == head and local_lake.days("forcepoint", "access")[D1].files == 4
    assert sorted((tmp_path / "root").rglob("*.parquet")) == written


def test_a_writer_fed_page_by_page_writes_few_record_batches_and_keeps_every_row(local_lake, monkeypatch):
    """pyiceberg projects each record batch onto the file's schema in Python: a writer joins the
    small tables it is fed (a walk's pages) into one chunk per CONSOLIDATE_BYTES, leaving a table of
    another schema (a new field) as it is, and the day's rows stay exactly those fed."""

    def page(p: int, extra: dict | None = None) -> pa.Table:  # a second later than the page before
        t = rows(D1, [f"e{p:02d}-{i}" for i in range(5)], extra)
        at = t.schema.get_field_index("event_time")
        return t.set_column(at, t.schema.field(at), pc.add(t.column(at), pa.scalar(timedelta(seconds=p))))

    pages = [page(p) for p in range(12)]
    pages[7] = page(7, extra={"newfield": "x"})  # a new field, mid-way
    # (raising=False: on a writer without consolidation the test fails on the batches, not here)
    monkeypatch.setattr(daywriter, "CONSOLIDATE_BYTES", 3 * pages[0].nbytes, raising=False)
    chunks: list[int] = []
    real = daywriter.write_day_files

    def spy(tbl, chunk, *a):
        chunks.append(chunk.column("event_id").num_chunks)
        return real(tbl, chunk, *a)

    monkeypatch.setattr(daywriter, "write_day_files", spy)
    with local_lake.writer("forcepoint", "access", [D1]) as w:
        for page in pages:
            w.add(page)
        w.commit()
    # 12 pages, joined about three at a time but never across the page of another schema (here 6
    # chunks; a writer that does not join them hands over 12)
    assert chunks and chunks[0] <= len(pages) // 2, chunks
    got = local_lake.read_day("forcepoint", "access", D1).to_pylist()
    assert sorted(r["event_id"] for r in got) == sorted(e for p in pages for e in p.column("event_id").to_pylist())
    assert {r["event_id"]: r["newfield"] for r in got if r["newfield"]} == {f"e07-{i}": "x" for i in range(5)}
    times = [r["event_time"] for r in got]
    assert times == sorted(times)  # the pages' order, which is their time order


def test_append_based_on_a_stale_snapshot_is_refused(local_lake):
    base = local_lake.replace_days("forcepoint", "access", rows(D1, ["a"]))
    local_lake.append("forcepoint", "access", rows(D1, ["b"]))
    with pytest.raises(DaysChanged, match="2026-11-19"):
        local_lake.append("forcepoint", "access", rows(D1, ["b"]), base_snapshot_id=base.snapshot_id)
    # Another day is not affected by that change.
    local_lake.append("forcepoint", "access", rows(D2, ["z"]), base_snapshot_id=base.snapshot_id)
    assert ids(local_lake.read_days("forcepoint", "access")) == ["a", "b", "z"]


class _RacingLake(Lake):
    """A lake where another writer commits right after the table load a commit starts from."""

    race = None

    def table(self, vendor, log_type):
        tbl = super().table(vendor, log_type)
        if self.race is not None and sys._getframe(1).f_code.co_name == "_commit":
            race, self.race = self.race, None
            race()
        return tbl


def _race_on_different_days(make_lake) -> None:
    a, b = make_lake(_RacingLake), make_lake(Lake)
    try:
        a.replace_days("forcepoint", "access", rows(D1, ["a0"]))
        a.race = lambda: b.replace_days("forcepoint", "access", rows(D2, ["b0"]))
        done = a.replace_days("forcepoint", "access", rows(D1, ["a1"]))
        assert done.attempts == 2  # lost the race once, committed on a fresh load
        assert ids(b.read_days("forcepoint", "access")) == ["a1", "b0"]

        # And truly at once, from threads, each on its own day.
        errors: list[BaseException] = []

        def write(lake: Lake, day: date, tag: str) -> None:
            try:
                for i in range(4):
                    lake.replace_days("forcepoint", "access", rows(day, [f"{tag}{i}", f"{tag}{i}x"]))
            except BaseException as e:  # noqa: BLE001 (reported below)
                errors.append(e)

        threads = [
            threading.Thread(target=write, args=(a, D2, "p")),
            threading.Thread(target=write, args=(b, D3, "q")),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        got = b.days("forcepoint", "access")
        assert {d: s.rows for d, s in got.items()} == {D1: 1, D2: 2, D3: 2}
        assert ids(a.read_day("forcepoint", "access", D2)) == ["p3", "p3x"]
    finally:
        a.close()
        b.close()


def test_two_writers_on_different_days_both_land(tmp_path):
    storage = Storage.from_url(tmp_path / "root")
    _race_on_different_days(
        lambda cls: cls(lake_catalog.open_catalog(f"sqlite:///{tmp_path / 'c.db'}", storage), storage)
    )


def test_catalog_on_postgresql(postgres, tmp_path):
    url = postgres.create_database()
    storage = Storage.from_url(tmp_path / "root")
    _race_on_different_days(lambda cls: cls(lake_catalog.open_catalog(url, storage), storage))
    with Lake.open(url, storage) as lake:
        assert lake.tables() == [("forcepoint", "access")]


def test_a_catalog_database_restart_is_ridden_through_and_a_long_outage_named(postgres, tmp_path, monkeypatch):
    url = postgres.create_database()
    storage = Storage.from_url(tmp_path / "root")
    with Lake.open(url, storage) as lake:
        lake.replace_days("forcepoint", "access", rows(D1, ["a"]))
        assert lake.table("forcepoint", "access") is not None  # the pool now holds a connection
        postgres.stop("immediate")  # its connections are cut; back 1.5 s later
        back = threading.Timer(1.5, postgres.start)
        back.start()
        try:
            tbl = lake.table("forcepoint", "access")
        finally:
            back.join()
        assert tbl is not None and ids(tbl.scan().to_arrow()) == ["a"]

        monkeypatch.setattr(lake_catalog, "CATALOG_RETRY", RetryPolicy(attempts=3, first_wait=0.1, deadline=2))
        postgres.stop("immediate")
        try:
            with pytest.raises(LakeError, match="catalog database postgresql.*did not answer.*run again"):
                lake.table("forcepoint", "access")
        finally:
            postgres.start()


def test_a_catalog_database_restart_while_a_table_is_created_is_ridden_through_and_a_long_outage_named(
    postgres, tmp_path, monkeypatch
):
    # The outage starts right after the lake found the table missing: the namespace and the table are
    # then made on a database that has just gone away.
    url = postgres.create_database()
    storage = Storage.from_url(tmp_path / "root")
    with Lake.open(url, storage) as lake:
        assert lake.tables() == []  # the pool now holds a connection
        found = lake.table
        restarts: list[threading.Timer] = []

        def outage_after_lookup(back_after: float | None) -> None:
            def table(vendor, log_type):
                got = found(vendor, log_type)
                if got is None:
                    monkeypatch.setattr(lake, "table", found)  # once
                    postgres.stop("immediate")
                    if back_after is not None:
                        restarts.append(threading.Timer(back_after, postgres.start))
                        restarts[-1].start()
                return got

            monkeypatch.setattr(lake, "table", table)

        outage_after_lookup(back_after=1.5)
        try:
            lake.replace_days("forcepoint", "access", rows(D1, ["a"]))
        finally:
            for t in restarts:
                t.join()
        assert restarts and ids(lake.read_day("forcepoint", "access", D1)) == ["a"]

        monkeypatch.setattr(lake_catalog, "CATALOG_RETRY", RetryPolicy(attempts=3, first_wait=0.1, deadline=2))
        outage_after_lookup(back_after=None)
        named = "creating the namespace aperture failed: the lake's catalog database postgresql.*did not answer"
        try:
            with pytest.raises(LakeError, match=named):
                lake.replace_days("aperture", "incident", rows(D1, ["b"]))
        finally:
            postgres.start()


def test_lake_on_s3(s3, tmp_path):
    bucket = s3.create_bucket()
    storage = Storage.from_url(f"s3://{bucket}/prod", s3.env())
    with Lake.open(f"sqlite:///{tmp_path / 'c.db'}", storage) as lake:
        lake.replace_days("forcepoint", "access", rows(D1, ["a", "b"]))
        lake.replace_days("forcepoint", "access", rows(D1, ["c"]))
        assert ids(lake.read_day("forcepoint", "access", D1)) == ["c"]
        tbl = lake.table("forcepoint", "access")
        assert tbl is not None and tbl.location() == f"s3://{bucket}/prod/lake/forcepoint.db/access"
        keys = [o.key for o in storage.list("lake/forcepoint.db/access/data")]
        assert len(keys) == 2 and all(k.endswith(".parquet") for k in keys)
        (report,) = lake.maintain(now=datetime.now(UTC) + timedelta(days=8))
        assert report.expired_snapshots == 1
        assert len(storage.list("lake/forcepoint.db/access/data")) == 1
        assert ids(lake.read_day("forcepoint", "access", D1)) == ["c"]


def test_s3_errors_are_clear_and_keep_secrets(s3, tmp_path):
    secrets = (s3.env()["AWS_SECRET_ACCESS_KEY"], s3.env()["AWS_ACCESS_KEY_ID"])
    missing = Storage.from_url(f"s3://no-such-bucket-{s3.create_bucket()}/x", s3.env(), retry_attempts=1)
    with pytest.raises(StorageError) as e:
        missing.write_bytes("spool/a.body", b"{}")
    assert "no-such-bucket" in str(e.value) and "spool/a.body" in str(e.value)
    assert not any(secret in str(e.value) for secret in secrets)

    with Lake.open(f"sqlite:///{tmp_path / 'c.db'}", missing) as lake, pytest.raises(StorageError) as e:
        lake.replace_days("forcepoint", "access", rows(D1, ["a"]))
    text = str(e.value)
    assert "forcepoint.access" in text and s3.endpoint in text and "AWS_SECRET_ACCESS_KEY" in text
    assert not any(secret in text for secret in secrets)
    assert not any(secret in repr(missing) + repr(missing.s3) for secret in secrets)

    # A store nobody answers at: the same kind of error, quickly.
    env = {**s3.env(), "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    gone = Storage.from_url("s3://bucket/x", env, connect_timeout=1, retry_attempts=1)
    with pytest.raises(StorageError, match="127.0.0.1:9"):
        gone.read_bytes("spool/a.body")


def test_a_store_that_stops_answering_is_an_error_not_a_hang(s3):
    bucket = s3.create_bucket()
    storage = Storage.from_url(
        f"s3://{bucket}/p", s3.env(), connect_timeout=1, request_timeout=2, retry_attempts=1
    )
    storage.write_bytes("spool/a.body", b"1")
    s3.pause()
    try:
        started = time.monotonic()
        with pytest.raises(StorageError, match="spool/b.body") as e:
            storage.write_bytes("spool/b.body", b"2")
        assert time.monotonic() - started < 60
        assert s3.env()["AWS_SECRET_ACCESS_KEY"] not in str(e.value)
    finally:
        s3.resume()
    assert storage.read_bytes("spool/a.body") == b"1"


@pytest.mark.parametrize(
    "dup_positions",
    [[0, 1, 2], [5, 6, 19], list(range(0, 20, 2))],  # a repeated start; two runs; scattered (copied, not sliced)
)
def test_a_merge_keeps_exactly_the_new_rows_wherever_the_duplicates_fall(local_lake, dup_positions):
    from log_assets.lake.daymerge import DayMerge

    names = [f"e{i:02d}" for i in range(20)]
    local_lake.replace_days("forcepoint", "access", rows(D1, [names[i] for i in dup_positions]))
    merge = DayMerge(local_lake, LT, D1)
    page = rows(D1, names)
    assert merge.add(page) == 20 - len(dup_positions)
    assert merge.add(page) == 0  # the same page again: all duplicates
    result = merge.commit()
    assert (result.added, result.duplicates) == (20 - len(dup_positions), 20 + len(dup_positions))
    got = local_lake.read_day("forcepoint", "access", D1)
    assert ids(got) == names
    # The new rows kept every column of theirs (the slices are of the right rows).
    by_id = {r["event_id"]: r for r in got.to_pylist()}
    want = {r["event_id"]: r for r in page.to_pylist()}
    for name in names:
        if int(name[1:]) not in dup_positions:
            assert (
                by_id[name]["user"] == want[name]["user"] and by_id[name]["event_time"] == want[name]["event_time"]
            )
