"""Dagster definitions, one folder per domain; the hard parts live in Dagster-free modules."""
