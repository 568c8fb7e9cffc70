"""The Parquet lake: schemas from the catalog and durable, atomic writes."""
