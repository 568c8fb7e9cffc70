"""The loopback webhook receiver (tests/alerts/fixtures.py)."""

import pytest

from tests.alerts.fixtures import Receiver


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()
