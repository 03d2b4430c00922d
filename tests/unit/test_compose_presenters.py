"""The composer's and the command line's shared sentences: outbox summary, integration groups."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from flowdock_desktop.compose.presenters import (
    count,
    group_integrations,
    replacement_for,
    sent_text,
    summarize_outbox,
    unsent_after_setup_text,
)
from flowdock_desktop.store.integrations import Integration
from flowdock_desktop.store.outbox import OutboxItem

NOW = 1_700_000_000.0


def integration(id_: str, *, state="active", created=NOW - 100, removed=None, flow="f1"):
    return Integration(
        id=id_, api_url="http://127.0.0.1:8123", flow_id=flow, flow_name="Main",
        organization_name="Acme", org_slug="acme", flow_slug="main", source_id=1,
        source_name="Deploy bot", source_url="", application_name="", account_user_id=None,
        created_at=created, state=state, removed_at=removed,
    )  # fmt: skip


def item(state: str, *, due=NOW, error=None, integration_id="a") -> OutboxItem:
    return OutboxItem(
        id=1, integration_id=integration_id, uuid="u", payload={"title": "t"}, state=state,
        attempts=1, next_attempt_at=due, last_error=error, created_at=NOW, sent_at=None,
        response=None,
    )  # fmt: skip


def test_counts_read_as_english():
    assert count(1, "activity") == "1 activity"
    assert count(2, "activity") == "2 activities"
    assert count(0, "message") == "0 messages"


def test_the_footer_counts_what_is_still_to_be_sent():
    assert summarize_outbox([]).footer() == "Outbox empty: all sent."
    waiting = summarize_outbox(
        [
            item("queued", due=NOW + 12, error="The server had a problem."),
            item("failed", error="x"),
        ],
        now=NOW,
    )
    # What needs the person comes first: the line is cut to the window's width.
    assert waiting.footer() == (
        "1 refused: see the Outbox tab · x — "
        "1 waiting to be sent · next try in 12 s · last problem: The server had a problem."
    )
    orphaned = summarize_outbox([item("gone")], now=NOW)
    assert orphaned.footer() == "Nothing waiting to be sent."  # not counted, not called sent
    assert any("removed in Flowdock" in line for line in orphaned.lines())
    assert summarize_outbox([item("queued")], ignore=["a"]).footer() == "Outbox empty: all sent."


def test_a_damaged_message_is_counted_apart_and_named_as_such():
    from flowdock_desktop.compose.presenters import outbox_title
    from flowdock_desktop.store.outbox import DAMAGED_TEXT

    damaged = [
        dataclasses.replace(item(state), payload={}, damaged=True, last_error=DAMAGED_TEXT)
        for state in ("queued", "failed")
    ]
    summary = summarize_outbox([*damaged, item("failed", error="x")], now=NOW)
    assert (summary.waiting, summary.refused, summary.damaged) == (0, 1, 2)
    assert summary.footer() == (
        "1 refused: see the Outbox tab · x — 2 damaged: discard in the Outbox tab"
    )
    assert summary.lines()[-1] == (
        "2 messages damaged (the stored text cannot be read) and cannot be sent: "
        "discard (outbox --discard ITEM)."
    )
    assert [outbox_title(i) for i in (damaged[0], item("queued"))] == ["(damaged message)", "t"]


def test_a_removed_integration_set_up_again_is_replaced_by_the_new_one():
    old = integration("old", state="removed", removed=NOW - 50)
    new = integration("new", created=NOW - 10)
    elsewhere = integration("other", created=NOW - 5, flow="f2")
    earlier = integration("earlier", created=NOW - 90)  # set up before the removal: not it
    assert replacement_for(old, [elsewhere, earlier]) is None
    assert replacement_for(old, [new, elsewhere, earlier]) is new
    groups = group_integrations([new, elsewhere, old])
    assert groups.active == [new, elsewhere]
    assert groups.removed == [] and groups.replaced == [(old, new)]
    lonely = dataclasses.replace(old, id="lonely", flow_id="f3")
    assert group_integrations([new, lonely]).removed == [lonely]
    text = unsent_after_setup_text(old, new, 2)
    assert text.startswith("2 messages written for the removed “Deploy bot” were not sent")
    assert "new thread" in text


def test_after_a_send_the_words_say_when_and_which_message():
    when = datetime(2024, 5, 1, 9, 30, 15).timestamp()
    one = integration("a")
    assert sent_text(one, when, {"id": 42}) == "Sent to Acme / Main at 09:30:15 as message 42."
    assert sent_text(None, when) == "Sent at 09:30:15."


def test_the_outbox_tab_heads_an_item_with_its_threads_title_then_its_own():
    from flowdock_desktop.compose.presenters import outbox_heading, outbox_title

    announcement = dataclasses.replace(
        item("failed"),
        payload={"title": "posted an announcement", "thread": {"title": "Office closed Friday"}},
    )
    # Every announcement's own title is the same; the thread's title is what was typed.
    assert outbox_heading(announcement) == "Office closed Friday: posted an announcement"
    assert outbox_title(announcement) == "posted an announcement"  # the command line's column
    comment = dataclasses.replace(item("failed"), payload={"event": "discussion"})
    assert outbox_heading(comment) == "discussion"


def test_messages_that_wait_for_reconnect_or_the_keyring_are_told_apart_and_counted():
    """Those behind one found waiting for Reconnect wait for it too (an integration's messages
    go in order); other integrations' waiting messages go by themselves."""
    from flowdock_desktop.compose.presenters import outbox_waits_for

    def queued(id_: int, integration_id: str, waits_for=None, state="queued") -> OutboxItem:
        return dataclasses.replace(
            item(state, due=NOW + 30, integration_id=integration_id),
            id=id_,
            waits_for=waits_for,
        )

    items = [
        queued(1, "a", "reconnect"),
        queued(2, "a"),  # never tried: behind 1
        queued(3, "b"),  # goes by itself
        queued(4, "c", "keyring"),
        queued(5, "d", "reconnect", state="failed"),  # refused since: no longer waits
    ]
    assert outbox_waits_for(items) == {1: "reconnect", 2: "reconnect", 4: "keyring"}
    summary = summarize_outbox(items, now=NOW)
    assert (summary.waiting, summary.for_reconnect, summary.for_keyring) == (4, 2, 1)
    assert summary.footer().startswith(
        "1 refused: see the Outbox tab — 4 waiting to be sent (2 for Reconnect, 1 for the "
        "keyring) · next try in 30 s"
    )
    assert summary.lines()[0] == (
        "4 messages waiting to be sent (2 for Reconnect, 1 for the keyring), next try in 30 s."
    )
    # Nothing of the kind: the words are as before.
    plain = summarize_outbox([queued(3, "b")], now=NOW)
    assert plain.footer() == "1 waiting to be sent · next try in 30 s"


def test_what_waits_for_reconnect_or_the_keyring_has_no_next_try_time():
    """Its tries meanwhile only read the keyring again: what sends it is Reconnect, or the
    keyring opening, and that is what is said where a time would be. The countdown is the next
    try of what time does send."""
    from flowdock_desktop.compose.presenters import sent_by

    def queued(id_: int, integration_id: str, due: float, waits_for=None) -> OutboxItem:
        return dataclasses.replace(
            item("queued", due=due, integration_id=integration_id), id=id_, waits_for=waits_for
        )

    held = [queued(1, "a", NOW + 20, "reconnect"), queued(2, "c", NOW + 25, "keyring")]
    summary = summarize_outbox(held, now=NOW)
    assert summary.next_try_in is None
    assert summary.footer() == "2 waiting to be sent (1 for Reconnect, 1 for the keyring)"
    assert summary.lines() == [
        "2 messages waiting to be sent (1 for Reconnect, 1 for the keyring)."
    ]
    # Beside a message time sends, the countdown is that one's, not the sooner held one's.
    mixed = summarize_outbox([*held, queued(3, "b", NOW + 90)], now=NOW)
    assert mixed.footer() == (
        "3 waiting to be sent (1 for Reconnect, 1 for the keyring) · next try in 90 s"
    )
    assert (sent_by("reconnect"), sent_by("keyring")) == ("on Reconnect", "when the keyring opens")
