"""Tests for sent-message history (and thread summaries) and per-integration drafts."""

from __future__ import annotations

import pytest

from flowdock_desktop.store.drafts import Drafts
from flowdock_desktop.store.history import History


def thread_payload(uuid: str, thread: str, title: str | None, status: str | None = None):
    payload = {"uuid": uuid, "event": "activity", "title": "did", "external_thread_id": thread}
    state: dict = {}
    if title:
        state["title"] = title
    if status:
        state["status"] = {"value": status, "color": "green"}
    if state:
        payload["thread"] = state
    return payload


def test_record_reads_payload_and_response(db, integration):
    history = History(db)
    entry = history.record(
        integration.id,
        thread_payload("u1", "deploy:1", "Deploy 1", "done"),
        {"id": "17", "thread_id": "thr"},
        sent_at=10.0,
    )
    assert entry.uuid == "u1"
    assert entry.event == "activity"
    assert entry.title == "did"
    assert entry.external_thread_id == "deploy:1"
    assert entry.thread_title == "Deploy 1"
    assert (entry.status_value, entry.status_color) == ("done", "green")
    assert (entry.message_id, entry.thread_id, entry.sent_at) == (17, "thr", 10.0)
    assert history.get("u1") == entry
    assert history.get("nope") is None


def test_record_is_idempotent_per_uuid_and_fills_in_ids(db, integration):
    history = History(db)
    history.record(integration.id, thread_payload("u1", "t", "T"), None, sent_at=1.0)
    again = history.record(integration.id, thread_payload("u1", "t", "T"), {"id": 5}, sent_at=2.0)
    assert again.message_id == 5
    assert again.sent_at == 1.0
    assert len(history.list(integration.id)) == 1


def test_record_requires_uuid_and_tolerates_odd_shapes(db, integration):
    history = History(db)
    with pytest.raises(ValueError):
        history.record(integration.id, {"event": "activity"})
    odd = history.record(
        integration.id,
        {"uuid": "odd", "thread": "not a dict", "thread_id": "given"},
        {"id": True},
        sent_at=1.0,
    )
    assert (odd.event, odd.thread_title, odd.message_id, odd.thread_id) == (
        "message",
        None,
        None,
        "given",
    )
    # A reply whose id is text int() refuses ("¹" passes str.isdigit()): recorded, no id.
    superscript = history.record(integration.id, {"uuid": "sup"}, {"id": "¹"}, sent_at=2.0)
    assert superscript.message_id is None
    assert history.record(integration.id, {"uuid": "txt"}, {"id": "12"}).message_id == 12


def test_list_newest_first_with_limit(db, make_integration):
    a, b = make_integration(), make_integration(source_id=2)
    history = History(db)
    for n in range(3):
        history.record(a.id, thread_payload(f"a{n}", "t", "T"), sent_at=float(n))
    history.record(b.id, thread_payload("b0", "t", "T"), sent_at=5.0)
    assert [e.uuid for e in history.list(a.id)] == ["a2", "a1", "a0"]
    assert [e.uuid for e in history.list(a.id, limit=2)] == ["a2", "a1"]


def test_threads_summarise_latest_state(db, integration):
    history = History(db)
    history.record(
        integration.id,
        thread_payload("1", "deploy", "Deploy", "started"),
        {"thread_id": "F1"},
        sent_at=1.0,
    )
    history.record(integration.id, thread_payload("2", "build", "Build", "failing"), sent_at=2.0)
    # A later message without status keeps the earlier status; one with a new status wins.
    history.record(integration.id, thread_payload("3", "deploy", None), sent_at=3.0)
    history.record(integration.id, thread_payload("4", "deploy", "Deploy v2", "done"), sent_at=4.0)
    # Posted by Flowdock thread id only: joins the thread it belongs to.
    history.record(
        integration.id, {"uuid": "5", "event": "discussion", "thread_id": "F1"}, sent_at=5.0
    )
    # No thread at all: not listed.
    history.record(integration.id, {"uuid": "6", "event": "message"}, sent_at=6.0)
    threads = history.threads(integration.id)
    assert [t.key for t in threads] == ["deploy", "build"]
    deploy = threads[0]
    assert deploy.title == "Deploy v2"
    assert (deploy.status_value, deploy.status_color) == ("done", "green")
    assert deploy.thread_id == "F1"
    assert deploy.message_count == 4
    assert (deploy.last_event, deploy.last_sent_at) == ("discussion", 5.0)
    assert threads[1].message_count == 1 and threads[1].thread_id is None


def test_drafts_save_load_clear(db, make_integration, clock):
    drafts = Drafts(db, clock=clock)
    a, b = make_integration(), make_integration(source_id=2)
    assert drafts.load(a.id) is None
    assert drafts.updated_at(a.id) is None
    drafts.save(a.id, {"title": "first", "fields": [{"label": "x", "value": "1"}]})
    clock.advance(1)
    drafts.save(a.id, {"title": "second", "flow_token": "must-not-be-saved"})
    drafts.save(b.id, {"title": "other"})
    assert drafts.load(a.id) == {"title": "second"}
    assert drafts.load(b.id) == {"title": "other"}
    assert drafts.updated_at(a.id) == clock.now
    clock.advance(1)
    drafts.save(a.id, {"title": "second"})  # unchanged: time stays
    assert drafts.updated_at(a.id) == clock.now - 1
    assert drafts.clear(a.id) is True
    assert drafts.clear(a.id) is False
    assert drafts.load(a.id) is None
    assert drafts.load(b.id) == {"title": "other"}


def test_draft_needs_existing_integration(db):
    import sqlite3

    with pytest.raises(sqlite3.IntegrityError):
        Drafts(db).save("missing", {"title": "x"})


def test_delete_for_forgets_one_integration_only(db, integration, make_integration):
    other = make_integration(source_id=2)
    history = History(db)
    history.record(integration.id, thread_payload("u1", "t", "T"), None, sent_at=1.0)
    history.record(integration.id, thread_payload("u2", "t", "T"), None, sent_at=2.0)
    history.record(other.id, thread_payload("u3", "t", "T"), None, sent_at=3.0)
    assert history.delete_for(integration.id) == 2
    assert history.list(integration.id) == []
    assert [entry.uuid for entry in history.list(other.id)] == ["u3"]
