"""The notebook and documentation tests use `warehouse_home` from tests/conftest.py."""
