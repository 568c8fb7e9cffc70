"""Whether a home still holds the Parquet lake of an earlier version that `python -m log_assets.migrate`
has not moved into the Iceberg tables: a run refuses such a home (`Lake.for_home`) rather than start an
empty lake beside it. Small on purpose (no pyarrow, no pyiceberg): the lake asks on every open, and the
migration (`log_assets.migrate`) marks its outcome with the files named here.
"""

from __future__ import annotations

import json
import shlex

from log_assets.paths import Home

# The vendors whose day folders the Parquet lake of earlier versions held.
VENDORS = ("forcepoint", "aperture")
MIGRATED_MARKER = ".migrated-to-iceberg"
# What the last refused migration named (JSON), so that a run refused meanwhile can say it too.
REFUSED_NOTE = ".migration-refused"


def unmigrated_lake(home: Home) -> str | None:
    """Why this home cannot be used before `python -m log_assets.migrate` (None when it can): it holds
    day folders of the Parquet lake of earlier versions and the migration has not been completed.
    After a migration that refused, the message says what it named."""
    if (home.lake / MIGRATED_MARKER).exists():
        return None
    for vendor in VENDORS:
        root = home.lake / vendor
        if root.is_dir() and next(root.glob("*/date=*/*.parquet"), None) is not None:
            options = home.tenant.command_options()
            command = f"python -m log_assets.migrate --home {shlex.quote(str(home.root))}" + (
                f" {options}" if options else ""
            )
            old = f"{home.lake} holds the Parquet lake of an earlier version (lake/{vendor}/<type>/date=*/)"
            refused = _last_refusal(home)
            if refused:
                return (
                    f"{old}, and {command} refused to move it: {refused}. Fix or move out of the lake what "
                    f"it names (each with what to do in {home.lake / REFUSED_NOTE}), then run {command} again"
                )
            return (
                f"{old}; move it into the Iceberg tables first, without fetching anything: {command} "
                "(its --dry-run says what would move)"
            )
    return None


def _last_refusal(home: Home, shown: int = 3) -> str | None:
    note = home.lake / REFUSED_NOTE
    try:
        doc = json.loads(note.read_text())
        problems = [f"{p['path']}: {p['what']}" for p in doc["problems"]]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return f"see {note}"
    more = f"; and {len(problems) - shown} more" if len(problems) > shown else ""
    return "; ".join(problems[:shown]) + more
