"""Forcepoint records -> lake rows: event_id, event_time, raw, typed columns.

A record that cannot become a row (not an object, no parseable time, no id) is returned as a
rejection with its raw text and reason; the caller quarantines it. The rest of the page lands.

A value that is not valid UTF-8 (raw invalid bytes in the page, or a lone surrogate escape like
`"\\ud800"`; the client reads both into a str holding lone surrogates) does not make its record a
rejection: the record LANDS, as Aperture's events do (log_assets/jsonsafe.py has the rule). Its typed
columns hold the value made valid (U+FFFD for each lone surrogate); `raw` holds the exact original, the
lone surrogates written as `\\uXXXX` escapes; its id keeps the difference (`jsonsafe.text_id`), so two
records differing only in an invalid byte stay two records. Landing rather than quarantining keeps the
record queryable by time, user, ... with nothing lost; the repaired values are counted with the
values that did not fit their column (`coercion_failures`, metadata `values_not_typed`) and logged.
A record rejected for another reason is quarantined with its text escaped the same way.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson
import pyarrow as pa

from log_assets import jsonsafe
from log_assets.catalog import FORCEPOINT, LogType, cv_tuple
from log_assets.forcepoint import native
from log_assets.forcepoint.pagetable import PageTable
from log_assets.jsonsafe import MAX_DEPTH, depth
from log_assets.lake.schema import UTC_TS, Coercer, arrow_schema, parse_distinct, typed_columns, with_new_fields
from log_assets.lake.times import MAX_US, MIN_US, parse_time_us

log = logging.getLogger(__name__)


# Fields every collector version receives: the identity of a hash-keyed record (cloudaudit,
# cloudsummary) is computed from these only, so that changing `cv` does not change event ids.
IDENTITY_CV = cv_tuple("1.0.1")


def _canon(v) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dict, list)):
        try:
            return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        except RecursionError:  # a hostile depth: the record is quarantined; its id only needs to exist
            return jsonsafe.dumps(v)
    return str(v)


class IdStrategy:
    """Computes the dedup key of a record of one log type."""

    def __init__(self, lt: LogType):
        self.lt = lt
        self.key_fields = lt.key_fields
        self.identity_fields = tuple(f.name for f in lt.fields if cv_tuple(f.since) <= IDENTITY_CV)
        self.prefix = lt.key_prefix_field

    def __call__(self, rec: dict) -> str | None:
        for k in self.key_fields:
            v = rec.get(k)
            if v not in (None, ""):
                return jsonsafe.text_id(v if isinstance(v, str) else _canon(v))
        if self.key_fields:
            return None
        # No natural key: a hash of the identifying fields. True re-deliveries are identical, so they
        # merge; two scans of one file differ in time (syslogheader has microseconds) or content.
        # Empty and missing values hash the same, and numbers as their text, so JSON and CSV agree.
        items = [(k, _canon(rec[k])) for k in self.identity_fields if rec.get(k) not in (None, "")]
        # (A lone surrogate, from an invalid byte, is hashed as itself: "surrogatepass" changes no valid text.)
        text = json.dumps(items, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        prefix = rec.get(self.prefix) if self.prefix else None
        return f"{jsonsafe.text_id(_canon(prefix))}:{digest}" if prefix not in (None, "") else digest


@dataclass
class ParsedPage:
    rows: list = field(default_factory=list)  # dicts: common columns + "fields" (the record)
    rejected: list = field(default_factory=list)  # (raw_text, reason)
    repaired: int = 0  # values that were not valid UTF-8, landed made valid (see the module's docstring)


def _not_object(rec) -> tuple[str, str]:
    text = jsonsafe.escape_surrogates(json.dumps(rec, ensure_ascii=False))
    return text, f"record is a {type(rec).__name__}, not an object"


def parse_records(lt: LogType, records: list, ingested_us: int, ids: IdStrategy | None = None) -> ParsedPage:
    ids = ids or IdStrategy(lt)
    out = ParsedPage()
    time_field = lt.time_field
    for rec in records:
        if not isinstance(rec, dict):
            out.rejected.append(_not_object(rec))
            continue
        try:
            raw_bytes, invalid = _raw_checked(rec)
        except TooDeep as e:
            out.rejected.append((e.text, str(e)))
            continue
        raw = raw_bytes.decode()
        original, repaired = rec, 0
        if invalid:
            rec, repaired = jsonsafe.valid(rec)
        t = parse_time_us(rec.get(time_field))
        if t is None:
            out.rejected.append((raw, f"missing or unreadable {time_field!r}: {str(rec.get(time_field))[:60]!r}"))
            continue
        if not MIN_US <= t < MAX_US:
            out.rejected.append((raw, f"{time_field!r} out of range: {str(rec.get(time_field))[:60]!r}"))
            continue
        eid = ids(original)
        if eid is None:
            out.rejected.append((raw, f"missing id field {' / '.join(lt.key_fields)}"))
            continue
        out.repaired += repaired
        out.rows.append(
            {
                "event_id": eid,
                "event_time": t,
                "vendor": FORCEPOINT,
                "log_type": lt.name,
                "raw": raw,
                "ingested_at": ingested_us,
                "fields": rec,
            }
        )
    return out


def _times(values: list) -> list:
    return parse_distinct(values, parse_time_us)


class TooDeep(ValueError):
    """A record nested deeper than any real one: quarantined, its text kept."""

    def __init__(self, text: str):
        super().__init__(f"record nested more than {MAX_DEPTH} levels deep")
        self.text = jsonsafe.escape_surrogates(text)


def _raw_checked(rec: dict) -> tuple[bytes, bool]:
    """The record's JSON text, and whether it holds a value that is not valid UTF-8 (written as
    `\\uXXXX` escapes in the text; the record's columns need `jsonsafe.valid`)."""
    try:
        return orjson.dumps(rec), False
    except TypeError:  # orjson cannot encode it: an integer beyond 64 bits, deep nesting, a lone surrogate
        pass
    if depth(rec) > MAX_DEPTH:
        raise TooDeep(jsonsafe.dumps(rec))
    text, invalid = jsonsafe.utf8_json(rec)
    return text.encode(), invalid


def parse_page(lt: LogType, records: Sequence, ingested_us: int, ids: IdStrategy, coercer: Coercer) -> PageTable:
    """A page's records -> one Arrow table in the lake schema: the walk's path.

    The same rows, values and rejections as `parse_records` + `build_table`. A page of the shape
    real tenants send is read by compiled code (`native`); any other page column by column here.
    """
    before = coercer.failures
    try:
        if isinstance(records, native.CsvRecords):
            got = native.parse_csv_records(lt, records, ingested_us, ids, coercer)
        else:
            got = native.parse_json_records(lt, records, ingested_us, ids, coercer)
    except (pa.ArrowException, ValueError, OverflowError) as e:
        log.warning("forcepoint/%s: page read the careful way (%s: %s)", lt.name, type(e).__name__, e)
        got = None
    if got is not None:
        return got
    coercer.failures = before
    return parse_page_columnar(lt, list(records), ingested_us, ids, coercer)


def parse_page_columnar(
    lt: LogType, records: list, ingested_us: int, ids: IdStrategy, coercer: Coercer
) -> PageTable:
    """A page's records (dicts) -> one Arrow table in the lake schema, column by column.

    The same rows, values and rejections as `parse_records` + `build_table`, without building a
    dict per row; any record, of any shape.
    """
    rejected: list = []
    recs = records
    if not all(type(r) is dict for r in records):
        recs = []
        for r in records:
            if isinstance(r, dict):
                recs.append(r)
            else:
                rejected.append(_not_object(r))
    raws: list = []
    invalid: list[int] = []  # records holding a value that is not valid UTF-8
    for i, r in enumerate(recs):
        try:
            raw, bad_text = _raw_checked(r)
        except TooDeep as too_deep:
            raws.append(too_deep)
            continue
        raws.append(raw)
        if bad_text:
            invalid.append(i)
    originals = recs  # ids from the values as received (jsonsafe.text_id keeps an invalid byte apart)
    repaired: dict[int, int] = {}
    if invalid:
        recs = list(recs)
        for i in invalid:
            recs[i], repaired[i] = jsonsafe.valid(recs[i])
    time_field = lt.time_field
    tvals = [r.get(time_field) for r in recs]
    times = _times(tvals)
    if len(lt.key_fields) == 1 and not invalid:
        key = lt.key_fields[0]
        eids = [r.get(key) for r in recs]
        if not all(type(e) is str and e for e in eids):
            eids = [ids(r) for r in recs]
    else:
        eids = [ids(r) for r in originals]
    kept: Sequence[int] = range(len(recs))
    out_of_range = [t is not None and not MIN_US <= t < MAX_US for t in times]
    if None in times or None in eids or True in out_of_range or any(type(r) is TooDeep for r in raws):
        keep = []
        for i, (t, e) in enumerate(zip(times, eids, strict=True)):
            if type(raws[i]) is TooDeep:
                rejected.append((raws[i].text, str(raws[i])))
            elif out_of_range[i]:
                rejected.append((raws[i].decode(), f"{time_field!r} out of range: {str(tvals[i])[:60]!r}"))
            elif t is None:
                rejected.append(
                    (raws[i].decode(), f"missing or unreadable {time_field!r}: {str(tvals[i])[:60]!r}")
                )
            elif e is None:
                rejected.append((raws[i].decode(), f"missing id field {' / '.join(lt.key_fields)}"))
            else:
                keep.append(i)
        recs = [recs[i] for i in keep]
        times = [times[i] for i in keep]
        eids = [eids[i] for i in keep]
        raws = [raws[i] for i in keep]
        kept = keep
    n = len(recs)
    fixed = sum(repaired.get(i, 0) for i in kept) if repaired else 0
    if fixed:
        log.warning(
            "forcepoint/%s: %d value(s) in %d record(s) of a page were not valid UTF-8 (an invalid byte or a "
            "lone surrogate escape): the records land with U+FFFD in those columns, `raw` keeps the exact text "
            "(as \\uXXXX escapes); counted in values_not_typed",
            lt.name,
            fixed,
            sum(1 for i in kept if i in repaired),
        )
    columns = {
        "event_id": pa.array(eids, pa.string()),
        "event_time": pa.array(times, pa.int64()).cast(UTC_TS),
        "vendor": pa.array([FORCEPOINT] * n, pa.string()),
        "log_type": pa.array([lt.name] * n, pa.string()),
        "raw": pa.array(raws, pa.string()),
        "ingested_at": pa.array([ingested_us] * n, pa.int64()).cast(UTC_TS),
    }
    before = coercer.failures
    coercer.failures += fixed
    columns.update(typed_columns(lt, recs, coercer))
    table = with_new_fields(pa.Table.from_pydict(columns, schema=arrow_schema(lt)), lt, recs, coercer)
    return PageTable(table, rejected, coercer.failures - before)
