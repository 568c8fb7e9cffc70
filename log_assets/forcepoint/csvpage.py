"""A CSV page of the Log Export API as records: its own module, so that the columnar parser
(`native.py`) and the record parser (`parse.py`) both use it without importing each other."""

from __future__ import annotations

import csv
import io

from log_assets import jsonsafe

csv.field_size_limit(64 * 1024 * 1024)  # DLP fields can be long; the default 128 KiB would reject them


def parse_csv(text: str) -> tuple[list[dict], list]:
    """CSV page data -> (records, bad rows). Quoted commas, quotes and newlines are handled by csv."""
    records: list[dict] = []
    bad: list = []
    if not text.strip():
        return records, bad
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except (csv.Error, StopIteration) as e:
        return records, [(jsonsafe.escape_surrogates(text), f"unreadable CSV header: {e}")]
    header = [h.strip().lstrip("\ufeff") for h in header]
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            # The rest of the page cannot be split into rows reliably: keep the whole page text.
            bad.append(
                (
                    jsonsafe.escape_surrogates(text),
                    f"CSV error at line {reader.line_num}: {e} (whole page text kept; {len(records)} rows before "
                    "it landed)",
                )
            )
            break
        if not row:
            continue
        if len(row) != len(header):
            out = io.StringIO()
            csv.writer(out).writerow(row)
            bad.append(
                (
                    jsonsafe.escape_surrogates(out.getvalue()),
                    f"CSV row has {len(row)} fields, header has {len(header)}",
                )
            )
            continue
        records.append(dict(zip(header, row, strict=True)))
    return records, bad
