"""The module name of earlier versions, kept for code that imports from it (README showed
`from log_assets.lake.iceberg import Lake`): the same objects, from the lake package's modules.
Import from `log_assets.lake.lake`, `.catalog` and `.errors` instead; this module goes in a later
version."""

from __future__ import annotations

import warnings

from log_assets.lake.catalog import database_url_from_env, open_catalog
from log_assets.lake.errors import DaysChanged, HistoryExpired, LakeError, TableMetadataMissing
from log_assets.lake.lake import Lake

__all__ = [
    "DaysChanged",
    "HistoryExpired",
    "Lake",
    "LakeError",
    "TableMetadataMissing",
    "database_url_from_env",
    "open_catalog",
]

warnings.warn(
    "log_assets.lake.iceberg is the name of earlier versions: import Lake from log_assets.lake.lake "
    "(open_catalog from log_assets.lake.catalog, the errors from log_assets.lake.errors)",
    DeprecationWarning,
    stacklevel=2,
)
