"""Where everything lives under $LOG_ASSETS_HOME (see INTERFACE.md), and which homes a run may use.

Demo data is never real data: the demo (`make demo`, `LOG_ASSETS_DEMO=1`) has its own home,
`$LOG_ASSETS_DEMO_HOME` (default `./data-demo`), marked by a `.log-assets-demo` file; a real run
marks its home with `.log-assets-home` and refuses a home that holds the demo's marker, and the
demo refuses a home that real runs wrote to.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from log_assets.fsutil import atomic_write_bytes, ensure_dir
from log_assets.tenant import DEFAULT_TENANT, TENANTS_FOLDER, Tenant

DEFAULT_HOME = "./data"
DEFAULT_DEMO_HOME = "./data-demo"
DEMO_ENV = "LOG_ASSETS_DEMO"
DEMO_HOME_ENV = "LOG_ASSETS_DEMO_HOME"
# In the home's root: what made it. The demo's marker is how `make demo` knows it may wipe a folder.
DEMO_MARKER = ".log-assets-demo"
REAL_MARKER = ".log-assets-home"
# What a home may hold that is not data: the Dagster instance folder `make ui` makes.
NOT_DATA = frozenset({"dagster_home"})


def demo_mode() -> bool:
    """True in the demo's processes (`make demo`, `LOG_ASSETS_DEMO=1 make ui` and the runs they start)."""
    return os.environ.get(DEMO_ENV) == "1"


class HomeKindError(RuntimeError):
    """A run was pointed at a home of the other kind (demo data for a real run, or real data for the demo)."""


@dataclass(frozen=True)
class Home:
    root: Path
    # Whose home it is: its database, storage root, catalog and state keys (tenant.py).
    tenant: Tenant = field(default=DEFAULT_TENANT)

    @classmethod
    def from_env(cls, root: str | os.PathLike | None = None, tenant: Tenant | None = None) -> Home:
        """`root`, else the tenant's home ($LOG_ASSETS_HOME, else ./data; a named tenant's:
        `tenant.home`, else $LOG_ASSETS_HOME/tenants/<name>). In demo mode (LOG_ASSETS_DEMO=1): `root`,
        else $LOG_ASSETS_DEMO_HOME, else ./data-demo (a named tenant's: tenants/<name> in the demo's
        home; one whose definitions name a real home, storage root, database or API URL is refused):
        LOG_ASSETS_HOME is then ignored, it names real data."""
        tenant = tenant or DEFAULT_TENANT
        if root:
            return cls(Path(root).resolve(), tenant)
        if demo_mode() and tenant.is_default:
            return cls.demo()
        if demo_mode():  # a named tenant's demo data is the demo's too, never anything real of it
            real = [
                what
                for what, given in (
                    ("home", tenant.home),
                    ("storage_url", tenant.storage_url),
                    ("database_url_env", tenant.database_url_env),
                    ("forcepoint.api_url", tenant.forcepoint and tenant.forcepoint.api_url),
                    ("aperture.api_url", tenant.aperture and tenant.aperture.api_url),
                )
                if given
            ]
            if real:
                raise HomeKindError(
                    f"{DEMO_ENV}=1 (the demo) with {tenant.describe()}, whose definitions name its real "
                    f"{', '.join(real)}: the demo never reads or writes a tenant's real data or API. Run the "
                    f"demo without {DEMO_ENV}'s tenants, or this tenant without {DEMO_ENV}=1."
                )
            return cls(cls.demo().root / TENANTS_FOLDER / str(tenant.name), tenant)
        return cls(tenant.home_root(), tenant)

    @classmethod
    def demo(cls) -> Home:
        """The demo's own home: $LOG_ASSETS_DEMO_HOME, else ./data-demo."""
        return cls(Path(os.environ.get(DEMO_HOME_ENV) or DEFAULT_DEMO_HOME).resolve())

    @classmethod
    def for_run(cls, root: str | os.PathLike | None = None, tenant: Tenant | None = None) -> Home:
        """The home a run (an asset or job run) writes to, after checking it is of the run's kind.

        A real run refuses a home that holds the demo's marker and marks its own (`.log-assets-home`);
        a demo run refuses a home real runs wrote to, and marks a fresh one as the demo's."""
        home = cls.from_env(root, tenant)
        if demo_mode():
            home.claim_for_demo()
        else:
            home.claim_for_real()
        home.ensure_layout()
        return home

    def ensure_layout(self) -> None:
        """Make the top folders with their modes before anything writes below them: a private file
        written first (a kept answer under lake/.staging/) would otherwise make every folder it
        needs owner-only, the lake included. Folders that exist are left as they are, but for the
        private ones, which are made owner-only again."""
        for d in (self.root, self.lake, self.staging):
            ensure_dir(d)
        for d in (self.state, self.spool, self.quarantine):
            ensure_dir(d, private=True)

    # --------------------------------------------------------------------------------- kind

    @property
    def is_demo(self) -> bool:
        return (self.root / DEMO_MARKER).exists()

    @property
    def is_real(self) -> bool:
        return (self.root / REAL_MARKER).exists()

    def holds_data(self) -> bool:
        """Anything in the root but the markers and a Dagster instance folder."""
        if not self.root.is_dir():
            return False
        return any(p.name not in NOT_DATA | {DEMO_MARKER, REAL_MARKER} for p in self.root.iterdir())

    def claim_for_real(self) -> None:
        if self.is_demo:
            raise HomeKindError(
                f"{self.root} holds demo data (it has the marker {DEMO_MARKER}, written by `make demo` or "
                f"{DEMO_ENV}=1): a real run refuses it, so that demo days are never taken for complete real "
                "days nor the demo's request counts for the real quota. Point LOG_ASSETS_HOME at another "
                f"folder (the default is {DEFAULT_HOME}; the demo's own is {DEFAULT_DEMO_HOME}), or delete "
                "this folder if you no longer need the demo."
            )
        if not self.is_real:
            self._mark(REAL_MARKER, {"kind": "real", "marked_at": _now(), "by": "a run of log-assets"})

    def claim_for_demo(self) -> None:
        if self.is_real:
            raise HomeKindError(
                f"{self.root} holds data of real runs (it has the marker {REAL_MARKER}): the demo never "
                f"touches it. Set {DEMO_HOME_ENV} to another folder (default {DEFAULT_DEMO_HOME})."
            )
        if self.is_demo:
            return
        if self.holds_data():
            raise HomeKindError(
                f"{self.root} holds data the demo did not make (no {DEMO_MARKER} marker): the demo never "
                f"touches it. Set {DEMO_HOME_ENV} to another folder (default {DEFAULT_DEMO_HOME})."
            )
        self._mark(DEMO_MARKER, None)

    def _mark(self, name: str, doc: dict | None) -> None:
        text = (
            json.dumps(doc, indent=1) + "\n"
            if doc is not None
            else "made by the log-assets demo (`make demo`, LOG_ASSETS_DEMO=1): demo data, never real data; "
            "`make demo` starts this folder afresh\n"
        )
        atomic_write_bytes(self.root / name, text.encode())

    # -------------------------------------------------------------------------------- layout

    @property
    def lake(self) -> Path:
        return self.root / "lake"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def spool(self) -> Path:
        return self.root / "spool"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def staging(self) -> Path:
        # The Forcepoint walks' staged parts and kept answers when the storage root is the home
        # (LOG_ASSETS_STORAGE_URL unset; else `lake/.staging/` of that root): outside every table's
        # folder, so no reader of the lake sees them.
        return self.root / "lake" / ".staging"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
