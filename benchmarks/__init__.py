"""Benchmarks of log-assets, run by `make bench` (`python -m benchmarks.run`, `--quick` for a smoke run).

Every figure is measured against its baseline in the same run, on the built-in simulator served by a
separate process over loopback HTTP. Figures 1, 4 and 5 also have cluster-mode rows (the state and
the catalog in PostgreSQL, the files on an S3 server, both started once for the run from tests/infra),
each beside the same figure in local mode. See RESULTS.md for recorded runs.
"""
