"""Every derived table, in refresh order: the warehouse's own (derive.py), then the OCSF tables
(ocsftables.py, their SQL in log_assets/ocsf), which read only the per-type tables."""

from __future__ import annotations

from log_assets.warehouse.derive import DERIVED as CORE
from log_assets.warehouse.derive import Derived
from log_assets.warehouse.ocsftables import OCSF_TABLES
from log_assets.warehouse.opstables import OpsTable

DERIVED: tuple[Derived | OpsTable, ...] = (*CORE, *OCSF_TABLES)
