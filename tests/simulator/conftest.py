import pytest
import requests

from log_assets.simulator.testing import simulator


@pytest.fixture
def sim():
    with simulator() as s:
        yield s


@pytest.fixture
def http():
    with requests.Session() as s:
        yield s
