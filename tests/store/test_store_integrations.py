"""Tests for IntegrationStore: add, get, list order, rename, removal, deletion, lookups."""

from __future__ import annotations

import pytest

from flowdock_desktop.store.drafts import Drafts
from flowdock_desktop.store.history import History
from flowdock_desktop.store.integrations import (
    IntegrationStore,
    UnknownIntegrationError,
)
from flowdock_desktop.store.outbox import Outbox


def test_add_assigns_id_and_normalises(integrations, integration, clock):
    assert len(integration.id) == 32
    int(integration.id, 16)
    assert integration.api_url == "http://127.0.0.1:8123"
    assert integration.account_user_id == "7"
    assert integration.created_at == clock.now
    assert integration.state == "active"
    assert integration.removed_at is None
    assert integration.flow_path == "acme/main"
    assert integrations.get(integration.id) == integration


def test_get_unknown_raises(integrations):
    with pytest.raises(UnknownIntegrationError, match="nope"):
        integrations.get("nope")


def test_list_orders_active_first_then_by_names(integrations, make_integration, clock):
    b = make_integration(organization_name="Beta", source_id=2)
    clock.advance(1)
    a2 = make_integration(organization_name="acme", flow_name="Zeta", source_id=3)
    clock.advance(1)
    a1 = make_integration(organization_name="Acme", flow_name="alpha", source_id=4)
    removed = make_integration(organization_name="AAA", source_id=5)
    integrations.mark_removed(removed.id)
    assert [i.id for i in integrations.list()] == [a1.id, a2.id, b.id, removed.id]
    assert removed.id not in [i.id for i in integrations.list(include_removed=False)]


def test_rename_changes_only_local_name(integrations, integration):
    renamed = integrations.rename(integration.id, "  Release notes  ")
    assert renamed.source_name == "Release notes"
    assert renamed.source_id == integration.source_id
    with pytest.raises(ValueError):
        integrations.rename(integration.id, "   ")
    with pytest.raises(UnknownIntegrationError):
        integrations.rename("missing", "x")


def test_mark_removed_keeps_first_removal_time(integrations, integration, clock):
    first = integrations.mark_removed(integration.id)
    assert first.state == "removed"
    assert first.removed_at == clock.now
    clock.advance(50)
    again = integrations.mark_removed(integration.id)
    assert again.removed_at == first.removed_at
    with pytest.raises(UnknownIntegrationError):
        integrations.mark_removed("missing")


def test_delete_cascades_to_outbox_history_and_drafts(db, integrations, make_integration):
    doomed = make_integration()
    kept = make_integration(source_id=2)
    outbox, history, drafts = Outbox(db), History(db), Drafts(db)
    for target in (doomed, kept):
        sent = outbox.enqueue(target.id, {"event": "activity"})
        outbox.claim(sent)
        outbox.mark_sent(sent, {"id": 1})
        outbox.enqueue(target.id, {"event": "activity"})
        drafts.save(target.id, {"title": "hi"})
    assert integrations.delete(doomed.id) is True
    assert integrations.delete(doomed.id) is False
    assert outbox.list(doomed.id) == []
    assert history.list(doomed.id) == []
    assert drafts.load(doomed.id) is None
    assert len(outbox.list(kept.id)) == 2
    assert len(history.list(kept.id)) == 1
    assert drafts.load(kept.id) == {"title": "hi"}


def test_find_by_source_prefers_active_then_newest(integrations, make_integration, clock):
    old = make_integration(source_id=9)
    integrations.mark_removed(old.id)
    clock.advance(1)
    new = make_integration(source_id=9)
    assert integrations.find_by_source("http://127.0.0.1:8123/", 9) == new
    integrations.mark_removed(new.id)
    assert integrations.find_by_source("http://127.0.0.1:8123", 9).id == new.id
    assert integrations.find_by_source("http://127.0.0.1:8123", 10) is None
    assert integrations.find_by_source("http://other:1", 9) is None


def test_find_by_flow_returns_every_source_of_the_flow(integrations, make_integration):
    a = make_integration(source_id=1, source_name="A")
    b = make_integration(source_id=2, source_name="B")
    make_integration(source_id=3, flow_id="other-flow")
    found = integrations.find_by_flow("http://127.0.0.1:8123", "flow-main")
    assert [i.id for i in found] == [a.id, b.id]
    assert integrations.find_by_flow("http://127.0.0.1:9999", "flow-main") == []


def test_integration_has_no_secret_fields(integration):
    assert "token" not in repr(integration).lower()


def test_data_survives_reopening(tmp_path, clock, add_sample_integration):
    from flowdock_desktop.store.db import Database

    path = tmp_path / "data.sqlite3"
    with Database(path) as first:
        added = add_sample_integration(IntegrationStore(first, clock=clock))
    with Database(path) as second:
        assert IntegrationStore(second).get(added.id) == added
