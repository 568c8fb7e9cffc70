"""log-assets: Forcepoint ONE SSE and Palo Alto Data Security logs as Dagster assets."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("log-assets")  # one source: pyproject.toml
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
