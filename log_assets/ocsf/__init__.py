"""OCSF 1.8.0: the warehouse's `ocsf.<class>` tables (tables.py, sql/), the vendored schemas of the
classes (schema/), and a validator of events against them (validate.py)."""
