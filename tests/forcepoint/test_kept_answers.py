"""Kept answers: an answer that moves the walk on is kept (compressed) by the request that got it,
read back as the same page by the next run, in one of two slots (each answer in the slot its
predecessor is not in), so the store holds the walk's two latest answers and nothing is deleted page
by page; one that cannot be read is asked for again, never taken for an empty page."""

from __future__ import annotations

import logging

import orjson
import pytest

from log_assets.catalog import FORCEPOINT_TYPES
from log_assets.forcepoint.client import Credentials, ForcepointClient, Page
from log_assets.forcepoint.keptanswers import KeptAnswers, pack, pack_slot, unpack, unpack_slot
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


def next_run(kept: KeptAnswers) -> KeptAnswers:
    return KeptAnswers(kept.storage, kept.prefix, LT, kept.client, logging.getLogger("test.kept"))


def test_an_answer_kept_by_one_run_is_the_next_runs_page_once(kept, client, caplog):
    assert kept.take("w1", "2026-11-10", None) is None  # nothing kept yet
    kept.keep("w1", "2026-11-10", None, answer(RECORDS, "t1"))
    later = next_run(kept)
    with caplog.at_level(logging.INFO, "test.kept"):
        page = later.take("w1", "2026-11-10", None)
    assert page is not None and page.records == RECORDS and page.next_token == "t1"
    assert "using the answer kept from an earlier run" in caplog.text
    assert later.take("w1", "2026-11-10", None) is None  # taken once by a run
    assert later.take("w1", "2026-11-10", "t1") is None  # another request of the walk
    assert next_run(kept).take("w2", "2026-11-10", None) is None  # another walk
    assert [o.key for o in kept.storage.list("staging")] == ["staging/w1/spool/slot0.body"]


def test_the_walks_two_latest_answers_are_kept_in_alternate_slots(kept):
    """Answer n goes where answer n-2 was (its page checkpointed before answer n was asked for): the
    store holds the page being landed and the one in flight, and the next run takes both."""
    tokens = [None, "t1", "t2", "t3"]
    for i, token in enumerate(tokens[:-1]):
        kept.keep("w1", "2026-11-10", token, answer(RECORDS[: i + 1], tokens[i + 1]))
    spool = kept.storage.list("staging/w1/spool")
    assert [o.key.rsplit("/", 1)[1] for o in spool] == ["slot0.body", "slot1.body"]
    later = next_run(kept)
    assert later.take("w1", "2026-11-10", None) is None  # answer 0: written over by answer 2
    second, third = later.take("w1", "2026-11-10", "t1"), later.take("w1", "2026-11-10", "t2")
    assert second is not None and len(second.records) == 2 and second.next_token == "t2"
    assert third is not None and len(third.records) == 3 and third.next_token == "t3"


def test_after_taking_an_answer_the_next_one_goes_to_the_other_slot(kept):
    """A run that resumes from a kept answer (its page not yet checkpointed) must not write the next
    answer over it: killed again, the run after it still finds both."""
    kept.keep("w1", "2026-11-10", None, answer(RECORDS[:1], "t1"))  # slot 0
    kept.keep("w1", "2026-11-10", "t1", answer(RECORDS[:2], "t2"))  # slot 1: the page being landed
    second = next_run(kept)
    assert second.take("w1", "2026-11-10", "t1") is not None  # from slot 1
    second.keep("w1", "2026-11-10", "t2", answer(RECORDS, "t3"))  # into slot 0; then killed
    third = next_run(kept)
    assert third.take("w1", "2026-11-10", "t1") is not None
    page = third.take("w1", "2026-11-10", "t2")
    assert page is not None and page.records == RECORDS and page.next_token == "t3"


def test_an_answer_kept_by_an_earlier_version_is_taken(kept):
    kept.storage.write_bytes(kept.key("w1", "2026-11-10", "t1"), pack(answer(RECORDS, "t2").raw_body))
    page = kept.take("w1", "2026-11-10", "t1")
    assert page is not None and page.records == RECORDS and page.next_token == "t2"


def test_a_slot_names_the_request_it_answers():
    request = "ab" * 16
    assert unpack_slot(pack_slot(request, b"body")) == (request, pack(b"body"))
    for garbage in (b"", b"LAS2", pack(b"body"), b"LAS2" + b"\xff" * 40):
        with pytest.raises(ValueError, match="not a kept answer"):
            unpack_slot(garbage)


def test_keeping_answers_on_s3_is_one_put_each(s3, client):
    """No request per page but the answer's PUT: no lookup of an answer that is not there, no delete
    once its page is checkpointed (on S3 that is a HEAD, a DELETE and a folder marker's PUT)."""
    storage = Storage.from_url(f"s3://{s3.create_bucket()}/p", s3.env())
    kept = KeptAnswers(storage, "staging", LT, client, logging.getLogger("test.kept"))
    tokens = [None, "t1", "t2", "t3", "t4", "t5"]
    with s3.recording() as sent:
        for i, token in enumerate(tokens[:-1]):
            assert kept.take("w1", "2026-11-10", token) is None
            kept.keep("w1", "2026-11-10", token, answer(RECORDS, tokens[i + 1]))
    methods = [m for m, _ in sent]
    assert methods == ["GET"] + ["PUT"] * 5, sent  # the one listing of the run's first take, the PUTs
    page = next_run(kept).take("w1", "2026-11-10", "t4")
    assert page is not None and page.next_token == "t5"


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


def test_the_request_name_holds_what_shapes_the_answer(tmp_path, client, kept):
    by_date = kept.request("2026-11-10", None)
    assert by_date != kept.request("2026-11-11", None)
    assert kept.request("2026-11-10", "t1") == kept.request("2026-11-11", "t1")  # a token is the request
    client.response_format = "csv"
    assert kept.request("2026-11-10", None) != by_date
    assert kept.key("w1", "2026-11-10", None) == f"staging/w1/spool/{kept.request('2026-11-10', None)}.body"
    assert kept.slot_key("w1", 1) == "staging/w1/spool/slot1.body"


def test_a_csv_answer_is_not_taken_for_a_json_request(client, kept):
    kept.keep("w1", "2026-11-10", "t1", answer(RECORDS, "t2"))
    client.response_format = "csv"
    assert next_run(kept).take("w1", "2026-11-10", "t1") is None


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
@pytest.mark.parametrize("where", ["slot", "an earlier version's file"])
def test_a_kept_answer_that_does_not_read_is_asked_for_again(kept, content, where, caplog):
    if where == "slot":
        key = kept.slot_key("w1", 1)  # names the request; what follows does not read
        kept.storage.write_bytes(key, b"LAS2" + kept.request("2026-11-10", "t1").encode() + content)
    else:
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
