"""The input trials: what real tenants send and real operators do that is not a fault of the network
or the machine. A record from a device with a wrong clock, bad bytes in one value, field names that
collide once Parquet, Iceberg or DuckDB write them, a burst of new field names, and a state database
lost or swapped. Each drives real CLI runs against the simulator, whose pages are rewritten on the
way out (`ForcepointService.rewrite`), and checks that every good record lands once, no log type is
stuck (a clean run after it succeeds), nothing is fetched twice, and the warehouse still builds.

A rewrite is a function of the page's records alone, so a page asked again (after a kill, a retry)
is rewritten the same way, and the ground truth is the simulator's rewritten the same way.
"""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
import zlib
from collections import Counter
from collections.abc import Callable

import orjson

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.forcepoint.utcdays import day_of
from log_assets.lake.times import parse_time_us

from . import harness as h

# A bad value's text, where the page's bytes get the bad bytes in its place.
BAD_MARK = "BADBYTE-"
_SLOT = "@@slot@@"
SKEWED_TIME = "31 Dec 2199 23:59:59"  # inside the accepted 1970..2199 range
SKEWED_DAY = "2199-12-31"


def _picked(rec: dict, every: int) -> bool:
    return zlib.crc32(h.canon(rec).encode()) % every == 0


class Rewrite:
    """Changes records of the pages as they are served; `records` is applied to the ground truth too."""

    def __init__(self, log_type: str, every: int):
        self.lt = FORCEPOINT_TYPES[log_type]
        self.every = every
        self.targets = 0  # records changed in the pages served so far (counted again when re-served)

    def record(self, rec: dict) -> list[dict]:
        """What is served in place of one picked record."""
        raise NotImplementedError

    def records(self, recs: list[dict]) -> list[dict]:
        out: list[dict] = []
        for r in recs:
            out += self.record(dict(r)) if _picked(r, self.every) else [r]
        return out

    def finish(self, body: bytes, fmt: str) -> bytes:
        return body

    def __call__(self, log_type: str, fmt: str, body: bytes) -> bytes:
        if log_type != self.lt.name:
            return body
        doc = orjson.loads(body)
        data = doc["response"]["data"]
        self.targets += sum(_picked(r, self.every) for r in data) if fmt == "json" else 0
        if fmt == "json":
            doc["response"]["data"] = self.records(data)
        else:
            rows = list(csv.DictReader(io.StringIO(data)))
            if not rows:
                return body
            self.targets += sum(_picked(r, self.every) for r in rows)
            rows = self.records(rows)
            header = list(dict.fromkeys(k for r in rows for k in r))
            out = io.StringIO()
            w = csv.writer(out, lineterminator="\n")
            w.writerow(header)
            w.writerows([[r.get(k, "") for k in header] for r in rows])
            doc["response"]["data"] = out.getvalue()
        return self.finish(orjson.dumps(doc), fmt)


class FutureDated(Rewrite):
    """After each picked record, a copy of it from a device whose clock says 2199."""

    def record(self, rec: dict) -> list[dict]:
        skewed = dict(rec)
        skewed[self.lt.time_field] = SKEWED_TIME
        for k in self.lt.key_fields:
            skewed[k] = f"{skewed.get(k, '')}-skewed"
        return [rec, skewed]


class BadBytes(Rewrite):
    """One value of each picked record gets bytes that are not UTF-8 (or, in JSON, a lone surrogate
    escape): the record may be quarantined or landed with `raw` kept, never its page."""

    def __init__(self, log_type: str, every: int, bad: bytes):
        super().__init__(log_type, every)
        self.bad = bad

    def record(self, rec: dict) -> list[dict]:
        names = [k for k in rec if k != self.lt.time_field and k not in self.lt.key_fields]
        field = names[zlib.crc32(h.canon(rec).encode()) % len(names)] if names else "note"
        rec[field] = BAD_MARK + _SLOT
        return [rec]

    def finish(self, body: bytes, fmt: str) -> bytes:
        return body.replace(_SLOT.encode(), self.bad)


class Names(Rewrite):
    """Picked records carry new fields whose names collide as Parquet, Iceberg or DuckDB write them,
    or that no column can hold."""

    def __init__(self, log_type: str, every: int, names: list[str]):
        super().__init__(log_type, every)
        self.names = names

    def record(self, rec: dict) -> list[dict]:
        seed = zlib.crc32(h.canon(rec).encode())
        for i, name in enumerate(self.names):
            if (seed >> (i % 24)) & 1 or i == 0:
                rec[name] = f"v{i}-{seed % 97}"
        return [rec]


class Burst(Rewrite):
    """Picked records carry many new fields each (a few thousand names in the window)."""

    def __init__(self, log_type: str, every: int, per_record: int):
        super().__init__(log_type, every)
        self.per_record = per_record

    def record(self, rec: dict) -> list[dict]:
        seed = zlib.crc32(h.canon(rec).encode())
        for i in range(self.per_record):
            rec[f"burst_{seed % 100_000:05d}_{i:04d}"] = str(i)
        return [rec]


COLLIDING = [
    ["a.b", "a_x2Eb"],
    ["sp ace", "sp_x20ace"],
    ["Email", "EMAIL"],
    ["Foo", "foo", "FOO"],
    ["EVENT_ID", "Raw", "date", "event_day"],
    ["", "x" * 200],
    ["emoji_\U0001f600", "tab\tname"],
]


def _strip_empty(rec: dict, names: set[str]) -> dict:
    """A CSV page gives every row every column of its header: a new column is '' where a row lacks it."""
    return {k: v for k, v in rec.items() if not (k in names and v == "")}


def check_days(fp, rewrite: Rewrite, days: list[str], skip: Callable[[dict], bool] | None = None) -> None:
    """Every event of each day once, by content (`raw`), as the rewritten pages served it, and nothing
    else; records `skip` picks are left to the caller (they may be quarantined)."""
    t = fp.trial
    # A page spans days: its CSV header holds the new names of every record on it, whatever its day.
    names = {k for r in rewrite.records(fp.sim.forcepoint.distinct_events(fp.lt, fmt=fp.fmt)) for k in r}
    for day in days:
        rows = h.lake_rows(fp.home, "forcepoint", fp.lt, day)
        where = f"forcepoint/{fp.lt} {day}"
        ids = Counter(r["event_id"] for r in rows)
        t.check(all(n == 1 for n in ids.values()), f"{where}: event_id duplicated in the lake")
        truth = rewrite.records(fp.sim.forcepoint.distinct_events(fp.lt, day=day, fmt=fp.fmt))
        time_field = FORCEPOINT_TYPES[fp.lt].time_field
        truth = [r for r in truth if day_of(parse_time_us(r[time_field]) or 0) == day]
        got_recs = [_strip_empty(json.loads(r["raw"]), names) for r in rows]
        if skip is not None:
            truth = [r for r in truth if not skip(r)]
            got_recs = [r for r in got_recs if not skip(r)]
        want = Counter(h.canon(_strip_empty(r, names)) for r in truth)
        got = Counter(h.canon(r) for r in got_recs)
        t.check(bool(want), f"{where}: the simulator has no events that day (the trial proves nothing)")
        missing, extra = want - got, got - want
        t.check(not missing, f"{where}: {sum(missing.values())} of {sum(want.values())} events missing")
        t.check(not extra, f"{where}: {sum(extra.values())} rows not (or not once) in the ground truth")


def _finish(fp, rewrite: Rewrite, start: int, baseline: int, allowance: int, skip=None) -> None:
    t = fp.trial
    t.note(f"{rewrite.targets} record(s) rewritten in the pages served")
    t.check(rewrite.targets > 0, "no record was rewritten (the trial proves nothing)")
    check_days(fp, rewrite, fp.finished, skip)
    spent = fp.tap.count("forcepoint", fp.lt) - start
    t.check(spent <= baseline + allowance, f"re-spent requests: {spent} sent, a clean walk costs {baseline}")
    for p in h.visible_lake_problems(fp.home):
        t.violation(p)


def _walk_until_clean(fp, name: str) -> bool:
    """A run, and a retry if it fails (as a scheduler would); True when one succeeded."""
    from .trials import _fp_config

    for i in range(2):
        r = fp.run(f"{name}{i}", _fp_config(4))
        r.wait()
        fp.after_run(r)
        if r.rc == 0:
            return True
        fp.trial.note(f"run {name}{i} failed: {r.tail(800)}")
    fp.trial.violation(f"the log type is stuck: no run succeeded after the input; {fp.trial.runs[-1].tail(1500)}")
    return False


def _build_warehouse(fp) -> None:
    from .trials import _reason, check_warehouse

    r = h.start(
        h.materialize_args("key:warehouse/*", config=dict(h.IN_PROCESS)),
        h.cli_env(fp.home, fp.sim.env(basic=fp.basic)),
        fp.trial.dir / "out" / f"{len(fp.trial.runs):02d}-warehouse.log",
    )
    fp.trial.runs.append(r)
    r.wait()
    fp.trial.check(r.rc == 0, f"warehouse build failed: {_reason(r)}")
    if r.rc == 0:
        check_warehouse(fp.trial, fp.home)


# ------------------------------------------------------------------------------------ the kinds


def in_future(trial: h.Trial, rng: random.Random) -> None:
    """Records dated 2199 among today's: today is fetched to its end, they land in their own day."""
    from .trials import FP

    with FP(trial, rng) as fp:
        fp.last = h.day_str(0)  # today is what a wrong clock ends
        trial.note(f"window {fp.first}..{fp.last}: to today")
        baseline = fp.baseline()
        rewrite = FutureDated(fp.lt, rng.choice([5, 9, 17]))
        fp.sim.forcepoint.rewrite = rewrite
        trial.fault("future_dated")
        start = fp.tap.count("forcepoint", fp.lt)
        _walk_until_clean(fp, "skewed")
        fresh = rng.randint(3, 12)
        fp.sim.forcepoint.append(fp.lt, fresh)  # later events of today
        trial.note(f"{fresh} events of today appended after the first run")
        _walk_until_clean(fp, "later")
        _finish(fp, rewrite, start, baseline, allowance=2)
        check_days(fp, rewrite, [fp.last])  # today: to its end, the appended events included
        skewed = h.lake_rows(fp.home, "forcepoint", fp.lt, SKEWED_DAY)
        ids = Counter(r["event_id"] for r in skewed)
        trial.check(bool(skewed), f"the records dated {SKEWED_DAY} are not in the lake")
        trial.check(all(n == 1 for n in ids.values()), f"{SKEWED_DAY}: event_id duplicated in the lake")


def bad_bytes(trial: h.Trial, rng: random.Random) -> None:
    """A value with bytes that are not UTF-8 (or a lone surrogate escape) in some records."""
    from .trials import FP

    with FP(trial, rng, allow_today=False) as fp:
        baseline = fp.baseline()
        escapes = [b"\\ud800", b"\\udfff x"] if fp.fmt == "json" else []  # lone surrogates, valid JSON
        bad = rng.choice([b"\xff\xfe", b"\xc3(", b"\xed\xa0\x80"] + escapes)
        rewrite = BadBytes(fp.lt, rng.choice([7, 13, 29]), bad)
        trial.note(f"bad bytes {bad!r}")
        fp.sim.forcepoint.rewrite = rewrite
        trial.fault("bad_bytes")
        start = fp.tap.count("forcepoint", fp.lt)
        ok = _walk_until_clean(fp, "bad")
        if ok:
            _walk_until_clean(fp, "clean")  # the next run too: nothing stuck
        _finish(fp, rewrite, start, baseline, allowance=1, skip=lambda r: BAD_MARK in h.canon(r))
        # each bad record landed (its raw kept) or was quarantined with its bytes: never gone
        landed = sum(
            BAD_MARK in r["raw"] for d in fp.finished for r in h.lake_rows(fp.home, "forcepoint", fp.lt, d)
        )
        q = fp.home / "quarantine" / "forcepoint" / fp.lt
        kept = sum(p.read_bytes().count(BAD_MARK.encode()) for p in q.glob("*")) if q.exists() else 0
        picked = sum(
            BAD_MARK in h.canon(r)
            for d in fp.finished
            for r in BadBytes(fp.lt, rewrite.every, bad).records(
                fp.sim.forcepoint.distinct_events(fp.lt, day=d, fmt=fp.fmt)
            )
        )
        trial.note(f"bad records: {picked}; landed {landed}, in quarantine {kept}")
        trial.check(landed + kept >= picked, f"{picked - landed - kept} bad record(s) neither landed nor kept")
        _build_warehouse(fp)


def names(trial: h.Trial, rng: random.Random) -> None:
    """New field names that collide when written, or that no column can hold."""
    from .trials import FP

    with FP(trial, rng, allow_today=False) as fp:
        baseline = fp.baseline()
        chosen = [n for group in rng.sample(COLLIDING, 3) for n in group]
        trial.note(f"new field names {chosen!r}")
        rewrite = Names(fp.lt, rng.choice([3, 7, 13]), chosen)
        fp.sim.forcepoint.rewrite = rewrite
        trial.fault("name_collision")
        start = fp.tap.count("forcepoint", fp.lt)
        if _walk_until_clean(fp, "names"):
            _walk_until_clean(fp, "clean")
        _finish(fp, rewrite, start, baseline, allowance=1)
        _build_warehouse(fp)


def burst(trial: h.Trial, rng: random.Random) -> None:
    """A few thousand new field names over the window's pages: the lake and the warehouse bound them."""
    from .trials import FP

    with FP(trial, rng, allow_today=False) as fp:
        baseline = fp.baseline()
        rewrite = Burst(fp.lt, rng.choice([17, 29]), rng.choice([100, 300]))  # some thousand names
        fp.sim.forcepoint.rewrite = rewrite
        trial.fault("column_burst")
        start = fp.tap.count("forcepoint", fp.lt)
        _walk_until_clean(fp, "burst")
        _finish(fp, rewrite, start, baseline, allowance=1)
        _build_warehouse(fp)


def database_lost(trial: h.Trial, rng: random.Random) -> None:
    """The state database lost, mistyped or another home's: a run refuses before any request, and
    loses no landed day; with the database back, nothing is fetched again."""
    from .trials import FP

    with FP(trial, rng, allow_today=False) as fp:
        baseline = fp.baseline()
        start = fp.tap.count("forcepoint", fp.lt)
        _walk_until_clean(fp, "first")
        first_done = fp.tap.count("forcepoint", fp.lt)
        db = fp.home / "log_assets.db"
        how = rng.choice(["lost", "mistyped", "other_home"])
        trial.note(f"database {how}")
        trial.fault(f"database_{how}")
        env: dict[str, str] = {}
        aside = fp.home.parent / "log_assets.db.backup"
        if how == "lost":
            shutil.move(db, aside)
        elif how == "mistyped":
            env["LOG_ASSETS_DATABASE_URL"] = f"sqlite:///{fp.home.parent}/nonexistent/dir/la.db"
        else:
            other = fp.home.parent / "other-home"
            r = h.start(
                h.materialize_args(f"forcepoint/{fp.lt}", fp.first, fp.first, dict(h.IN_PROCESS)),
                fp.env(other),
                trial.dir / "out" / f"{len(trial.runs):02d}-other.log",
            )
            trial.runs.append(r)
            r.wait()
            trial.check(r.rc == 0, f"the other home's run failed: {r.tail(800)}")
            env["LOG_ASSETS_DATABASE_URL"] = f"sqlite:///{other / 'log_assets.db'}"
        before = fp.tap.count("forcepoint", fp.lt)
        from .trials import _fp_config

        r = fp.run(f"db_{how}", _fp_config(4), **env)
        r.wait()
        sent = fp.tap.count("forcepoint", fp.lt) - before
        trial.check(r.rc != 0, f"a run with the database {how} succeeded: it must refuse")
        trial.check(sent == 0, f"a run with the database {how} sent {sent} request(s)")
        trial.check("database" in r.text().lower(), f"the refusal does not name the database: {r.tail(600)}")
        if how == "lost":
            shutil.move(aside, db)
        other_sent = before - first_done  # the other home's run: its own requests
        _walk_until_clean(fp, "restored")
        spent = fp.tap.count("forcepoint", fp.lt) - start - other_sent
        for day in fp.finished:
            h.check_forcepoint_day(trial, fp.sim, fp.home, fp.lt, day, fp.fmt)
        trial.check(spent <= baseline, f"re-spent requests: {spent} sent, a clean walk costs {baseline}")


INPUT_KINDS: dict[str, Callable[[h.Trial, random.Random], None]] = {
    "in_future": in_future,
    "in_bad_bytes": bad_bytes,
    "in_names": names,
    "in_burst": burst,
    "in_db_lost": database_lost,
}
