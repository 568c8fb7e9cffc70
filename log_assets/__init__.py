"""log-assets: Forcepoint ONE SSE and Palo Alto Data Security logs as Dagster assets.

`log_assets.build_defs(...)` builds one tenant's Dagster definitions; `log_assets.LogAssetsComponent`
is the same as a Dagster component (`type: log_assets.LogAssetsComponent` in a defs.yaml);
`log_assets.LogAssetsTranslator` changes their asset specs. They are imported on first use, so that
the Dagster-free core (`log_assets.forcepoint`, `log_assets.lake`, ...) does not load Dagster.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("log-assets")  # one source: pyproject.toml
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

_LAZY = {
    "build_defs": "log_assets.factory",
    "LogAssetsComponent": "log_assets.component",
    "LogAssetsTranslator": "log_assets.defs.translator",
    "LogAssetData": "log_assets.defs.translator",
    "Tenant": "log_assets.tenant",
}
__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'log_assets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
