"""Benchmarks of log-assets, run by `make bench` (`python -m benchmarks.run`, `--quick` for a smoke run).

Every figure is measured against its baseline in the same run, on the built-in simulator served by a
separate process over loopback HTTP. See RESULTS.md for recorded runs.
"""
