"""Quota budget and client configuration: no request is sent that should not be."""

from datetime import UTC, datetime

import pytest

from log_assets.forcepoint.client import ConfigError, Credentials, QuotaExhausted, check_url
from log_assets.forcepoint.quota import DatabaseQuotaBudget, utc_today
from log_assets.state import StateStore


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        return self.t


def test_budget_counts_per_day_and_stops_before_exceeding(tmp_path, state_store):
    clock = Clock(datetime(2026, 11, 20, 23, 0, tzinfo=UTC))
    b = DatabaseQuotaBudget(state_store, "access", limit=5, reserve=2, clock=clock)
    for _ in range(3):
        b.charge()
    assert b.spent_today == 3 and b.left == 0
    with pytest.raises(QuotaExhausted) as e:
        b.charge()
    assert "2026-11-21 00:00:00+00:00" in str(e.value) and e.value.resets_at == "2026-11-21 00:00:00+00:00"
    assert b.spent_today == 3  # the refused request was not counted
    # a second process sees the same count (it is in the database)
    with StateStore.open(tmp_path, environ={}) as other:
        assert DatabaseQuotaBudget(other, "access", limit=5, reserve=2, clock=clock).spent_today == 3
    clock.t = datetime(2026, 11, 21, 0, 0, 1, tzinfo=UTC)
    assert b.spent_today == 0 and b.left == 3
    b.charge()


def test_budget_believes_the_server(state_store):
    b = DatabaseQuotaBudget(state_store, "admin", limit=300)
    b.observe(2)
    b.charge()
    b.charge()
    with pytest.raises(QuotaExhausted):
        b.charge()


def test_the_servers_figure_is_written_only_when_it_differs_from_the_charges_own(state_store):
    """The answer to each request says how many are left: when that is what the charge already
    stored (the last figure minus this request), no transaction is run for it."""
    import sqlalchemy as sa

    b = DatabaseQuotaBudget(state_store, "access", limit=300)
    commits: list[int] = []
    sa.event.listen(state_store.db.engine, "commit", lambda conn: commits.append(1))
    b.charge()
    b.observe(100)  # the first figure: written
    assert state_store.quota(b.key, utc_today()).server_remaining == 100
    b.charge()  # stores 99, as the server will say
    before = len(commits)
    b.observe(99)
    assert len(commits) == before  # nothing to write: no transaction
    b.charge()  # stores 98; the server says 90 (another tool shares the quota): written
    b.observe(90)
    assert state_store.quota(b.key, utc_today()).server_remaining == 90
    b.observe(90)  # no charge since: the figure is handed to the store, which writes nothing new
    assert state_store.quota(b.key, utc_today()).server_remaining == 90
    assert b.spent_today == 3


def test_missing_credentials_name_the_variable():
    with pytest.raises(ConfigError, match="FORCEPOINT_API_TOKEN"):
        Credentials.from_env({})
    with pytest.raises(ConfigError, match="FORCEPOINT_PASSWORD"):
        Credentials.from_env({"FORCEPOINT_USERNAME": "admin"})
    c = Credentials.from_env({"FORCEPOINT_USERNAME": "admin", "FORCEPOINT_PASSWORD": "p:w"})
    assert c.password == "p:w" and "p:w" not in repr(c)
    assert "s3cret-tok" not in repr(Credentials.from_env({"FORCEPOINT_API_TOKEN": "s3cret-tok"}))


def test_plain_http_only_to_loopback():
    check_url("http://127.0.0.1:9/api/bitglassapi/logs/v1/")
    check_url("https://portal.bitglass.com/api/bitglassapi/logs/v1/")
    with pytest.raises(ConfigError, match="refusing plain http"):
        check_url("http://portal.bitglass.com/api/bitglassapi/logs/v1/")
    check_url("http://proxy.internal/logs/", allow_insecure_http=True)


def test_a_429_leaves_nothing_to_spend_until_the_reset(state_store):
    b = DatabaseQuotaBudget(state_store, "access", limit=300)
    b.charge()
    b.observe(0)  # what the client reports for a 429, with or without the header
    with pytest.raises(QuotaExhausted, match="server reports 0 left"):
        b.charge()


def test_the_client_reports_every_answers_remaining_and_a_429_as_none_left(tmp_path):
    """The client hands the budget the server's count with every answer (on the thread that
    charged the request, right after it), and a 429 without the header as 0 left."""
    from log_assets.catalog import FORCEPOINT_TYPES
    from log_assets.forcepoint.client import ForcepointClient
    from tests.infra.fake_http import FakeHandler, FakeServer

    answers = [(200, {"X-RateLimit-Remaining": "7"}), (429, {})]

    class H(FakeHandler):
        def do_GET(self):
            status, headers = answers.pop(0)
            body = b'{"response": {"data": []}, "nextpagetoken": ""}' if status == 200 else b'{"message": "limit"}'
            self.answer(status, body, headers)

    srv = FakeServer(H).start()
    seen = []
    try:
        c = ForcepointClient(
            srv.url("/logs/"),
            Credentials.from_env({"FORCEPOINT_API_TOKEN": "t"}),
            retries=0,
            observe=seen.append,
        )
        c.fetch(FORCEPOINT_TYPES["access"], startdate="2026-11-20T00:00:00Z")
        with pytest.raises(QuotaExhausted):
            c.fetch(FORCEPOINT_TYPES["access"], token="abc")
    finally:
        srv.stop()
    assert seen == [7, 0]


def test_a_wrong_api_path_is_named_with_the_path_expected(simulator):
    """A 404 (FORCEPOINT_API_URL without the API's path) names the URL asked and the path it should hold."""
    from log_assets.catalog import FORCEPOINT_TYPES
    from log_assets.forcepoint.client import ApiError, ForcepointClient
    from log_assets.simulator.testing import sim_config

    sim = simulator(sim_config())
    wrong = sim.forcepoint_url.split("/api/")[0] + "/"
    c = ForcepointClient(
        wrong, Credentials(token=sim.config.forcepoint_token), retries=0, allow_insecure_http=True
    )
    with pytest.raises(ApiError) as refused:
        c.fetch(FORCEPOINT_TYPES["access"], startdate="2026-11-20T00:00:00Z")
    message = str(refused.value)
    assert refused.value.status == 404 and wrong in message and "/api/bitglassapi/logs/v1/" in message
    assert sim.config.forcepoint_token not in message
