"""Operations: the ingest audit (one row per vendor request, `audit.py`) and source health
(`health.py`: newest event age, requests left today, gap days, Aperture drain lag). No Dagster here."""
