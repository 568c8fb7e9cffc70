"""log-assets: Forcepoint ONE SSE and Palo Alto Data Security logs as Dagster assets."""

__version__ = "0.1.0"
