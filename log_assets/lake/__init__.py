"""The lake: Apache Iceberg tables (iceberg.py), the day merge both vendors write through (daymerge.py),
schemas from the catalog (schema.py) and durable local writes (writer.py)."""
