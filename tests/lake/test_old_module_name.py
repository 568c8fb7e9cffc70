"""Code written against earlier versions imports the lake from its old module name, with a warning."""

import importlib
import sys

import pytest


def test_the_old_module_name_gives_the_same_objects_and_says_where_they_are_now():
    sys.modules.pop("log_assets.lake.iceberg", None)
    with pytest.warns(DeprecationWarning, match="log_assets.lake.lake"):
        old = importlib.import_module("log_assets.lake.iceberg")
    from log_assets.lake.catalog import open_catalog
    from log_assets.lake.lake import Lake

    assert old.Lake is Lake and old.open_catalog is open_catalog
