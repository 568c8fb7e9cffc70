"""Kept answers: an answer that moves the walk on is kept (compressed) by the request that got it,
read back as the same page by the next run, and forgotten once its page is checkpointed; one that
cannot be read is asked for again, never taken for an empty page."""

from __future__ import annotations

import logging

import orjson
import pytest

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.forcepoint.client import Credentials, ForcepointClient, Page
from log_assets.forcepoint.keptanswers import KeptAnswers, pack, unpack
from log_assets.storage import Storage

LT = FORCEPOINT_TYPES["access"]
RECORDS = [{"time": "10 Nov 2026 00:01:00", "transactionid": f"tx-{i}", "user": "u"} for i in range(3)]


def answer(records: list, token: str | None) -> Page:
    body = orjson.dumps({"response": {"data": records}, "nextpagetoken": token})
    return Page(records, token, 200, len(body), None, None, body, [])


@pytest.fixture
def client():
    with ForcepointClient("https://api.example.invalid", Credentials(token="secret")) as c:
        yield c


@pytest.fixture
def kept(tmp_path, client):
    return KeptAnswers(Storage.from_url(tmp_path), "staging", LT, client, logging.getLogger("test.kept"))


def test_pack_round_trips_and_refuses_what_it_did_not_write():
    body = orjson.dumps({"response": {"data": RECORDS}}) * 50
    packed = pack(body)
    assert unpack(packed) == body and len(packed) < len(body)
    for garbage in (b"", b"LAS1", b"{}" * 10):
        with pytest.raises(ValueError, match="not a kept answer"):
            unpack(garbage)


def test_an_answer_kept_by_one_run_is_the_next_runs_page_until_forgotten(kept, client, caplog):
    assert kept.take("w1", "2026-11-10", None) is None  # nothing kept yet
    kept.keep("w1", "2026-11-10", None, answer(RECORDS, "t1"))
    later = KeptAnswers(kept.storage, kept.prefix, LT, client, logging.getLogger("test.kept"))  # the next run
    with caplog.at_level(logging.INFO, "test.kept"):
        page = later.take("w1", "2026-11-10", None)
    assert page is not None and page.records == RECORDS and page.next_token == "t1"
    assert "using the answer kept from an earlier run" in caplog.text
    assert kept.take("w1", "2026-11-10", "t1") is None  # another request of the walk
    assert kept.take("w2", "2026-11-10", None) is None  # another walk
    later.forget("w1", "2026-11-10", None)
    assert kept.take("w1", "2026-11-10", None) is None
    assert not kept.storage.list("staging")


@pytest.mark.parametrize(
    "page",
    [
        answer([], "t2"),
        answer(RECORDS, None),
        answer(RECORDS, "t1"),
        Page(RECORDS, "t2", 200, 0, None, None, b"", []),
    ],
    ids=["no events", "no next token", "the same token", "no body"],
)
def test_only_an_answer_that_moves_the_walk_on_is_kept(kept, page):
    kept.keep("w1", "2026-11-10", "t1", page)
    assert not kept.storage.list("staging")


def test_the_key_holds_what_shapes_the_answer(tmp_path, client, kept):
    by_date = kept.key("w1", "2026-11-10", None)
    assert by_date != kept.key("w1", "2026-11-11", None)
    assert kept.key("w1", "2026-11-10", "t1") == kept.key("w1", "2026-11-11", "t1")  # a token is the request
    client.response_format = "csv"
    assert kept.key("w1", "2026-11-10", None) != by_date
    assert by_date.startswith("staging/w1/spool/") and by_date.endswith(".body")


def test_a_kept_answer_is_an_owner_only_file_under_the_walks_staging(tmp_path, kept):
    import stat

    kept.keep("w1", "2026-11-10", None, answer(RECORDS, "t1"))
    (path,) = (tmp_path / "staging" / "w1" / "spool").iterdir()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize(
    "content",
    [b"torn", pack(b"<html>not the envelope</html>"), pack(b"x")[:-3]],
    ids=["not packed", "not a page", "cut off"],
)
def test_a_kept_answer_that_does_not_read_is_asked_for_again(kept, content, caplog):
    key = kept.key("w1", "2026-11-10", "t1")
    kept.storage.write_bytes(key, content)
    with caplog.at_level(logging.WARNING, "test.kept"):
        assert kept.take("w1", "2026-11-10", "t1") is None
    assert f"kept answer {kept.storage.uri(key)} unreadable" in caplog.text and "asking again" in caplog.text


def test_a_kept_answer_without_events_is_not_used(kept):
    kept.storage.write_bytes(
        kept.key("w1", "2026-11-10", "t1"), pack(orjson.dumps({"response": {"data": []}, "nextpagetoken": "t2"}))
    )
    assert kept.take("w1", "2026-11-10", "t1") is None
