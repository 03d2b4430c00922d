"""The sentences the composer and the command line show about the outbox, integrations and
sends: worked out once, here, without Qt, so both faces say the same thing."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flowdock_desktop.store.integrations import Integration
    from flowdock_desktop.store.outbox import OutboxItem, WaitsFor

__all__ = [
    "IntegrationGroups",
    "OutboxSummary",
    "count",
    "group_integrations",
    "integration_label",
    "message_title",
    "outbox_heading",
    "outbox_names",
    "outbox_title",
    "outbox_waits_for",
    "replacement_for",
    "sent_by",
    "sent_text",
    "summarize_outbox",
    "unsent_after_setup_text",
]

_PLURALS = {"activity": "activities", "message": "messages", "thread": "threads"}


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 activity``, ``2 activities``, ``0 messages``."""
    return f"{n} {noun if n == 1 else (plural or _PLURALS.get(noun, noun + 's'))}"


def message_title(payload: dict) -> str:
    """What an outbox row is called: its title, else its event."""
    return str(payload.get("title") or payload.get("event") or "message")


def outbox_title(item: OutboxItem) -> str:
    """What an outbox listing calls an item: its message's title, or that it is damaged."""
    return "(damaged message)" if item.damaged else message_title(item.payload)


def outbox_heading(item: OutboxItem) -> str:
    """What the composer's Outbox tab calls an item: its thread's title, then its own
    (``Office closed Friday: posted an announcement``). Every announcement's own title is
    "posted an announcement": the thread's title, which the person typed, tells them apart.
    (The command line keeps ``outbox_title``: a table, read by scripts too.)"""
    thread = item.payload.get("thread") if not item.damaged else None
    thread_title = str(thread.get("title") or "").strip() if isinstance(thread, dict) else ""
    title = outbox_title(item)
    return f"{thread_title}: {title}" if thread_title else title


def outbox_waits_for(items: Iterable[OutboxItem]) -> dict[int, WaitsFor]:
    """Item id -> what each queued message waits for when time alone will not send it.

    An integration's messages go in order, so what one of them was found to wait for (its
    integration's flow token, the keyring) holds back the others queued with it too, though
    they were never tried. The Outbox tab, the footer and the ``outbox`` listing read this."""
    queued = sorted((i for i in items if i.state == "queued" and not i.damaged), key=lambda i: i.id)
    reasons: dict[str, WaitsFor] = {}
    for item in queued:
        if item.waits_for is not None:
            reasons.setdefault(item.integration_id, item.waits_for)
    return {i.id: reasons[i.integration_id] for i in queued if i.integration_id in reasons}


#: What sends a message that time alone will not send, by what it waits for: shown where a
#: time would be ("Next try" in the Outbox tab, NEXT TRY in ``outbox``). Its tries meanwhile
#: only read the keyring again, so the time of the next one would promise what it cannot keep.
_SENT_BY: dict[str, str] = {
    "reconnect": "on Reconnect",
    "keyring": "when the keyring opens",
}


def sent_by(waits_for: WaitsFor) -> str:
    """``on Reconnect``: what sends a message held back by ``waits_for`` (``outbox_waits_for``)."""
    return _SENT_BY[waits_for]


def integration_label(integration: Integration) -> str:
    """``Deploy bot`` posting to ``Acme / Main``, in one line."""
    return f"{integration.source_name} → {integration.organization_name} / {integration.flow_name}"


def outbox_names(integrations: Iterable[Integration]) -> dict[str, str]:
    """Integration id -> how outbox listings name it (``acme/main / Deploy bot``)."""
    return {i.id: f"{i.flow_path} / {i.source_name}" for i in integrations}


def sent_text(integration: Integration | None, when: float, response: dict | None = None) -> str:
    """The banner after a send, with the time and Flowdock's message number, so a repeated
    send reads differently from the one before."""
    at = datetime.fromtimestamp(when).strftime("%H:%M:%S")
    where = f" to {integration.organization_name} / {integration.flow_name}" if integration else ""
    number = (response or {}).get("id")
    which = f" as message {number}" if isinstance(number, int) else ""
    return f"Sent{where} at {at}{which}."


@dataclass(frozen=True)
class OutboxSummary:
    """How many messages wait, were refused, or lost their integration, and what is next.

    ``waiting`` are queued or being sent (the app sends them by itself); ``refused``,
    ``orphaned`` (their integration was removed in Flowdock) and ``damaged`` (their stored
    text cannot be read, so they can never be sent) wait for the person. Of the waiting,
    ``for_reconnect`` and ``for_keyring`` go only once their integration is reconnected or
    the keyring unlocked (``outbox_waits_for``); ``next_try_in`` (seconds) counts down to the
    next try of the others only.
    """

    waiting: int = 0
    refused: int = 0
    orphaned: int = 0
    next_try_in: int | None = None
    last_problem: str | None = None
    last_refusal: str | None = None
    damaged: int = 0
    for_reconnect: int = 0
    for_keyring: int = 0

    @property
    def pending(self) -> int:
        return self.waiting

    def _held(self) -> str:
        """`` (1 for Reconnect)``: how many of the waiting will not go by themselves."""
        held = [
            f"{n} for {what}"
            for n, what in ((self.for_reconnect, "Reconnect"), (self.for_keyring, "the keyring"))
            if n
        ]
        return f" ({', '.join(held)})" if held else ""

    def footer(self) -> str:
        """The composer's one-line status: what needs you first, then what is still to be
        sent. The line is cut to the window's width: each part starts with its count and
        where to look, and the reasons come last.

        Messages of removed integrations are left to the Outbox tab and the integration
        list: they wait for a decision, not for the network.
        """
        parts = []
        if self.refused:
            text = f"{self.refused} refused: see the Outbox tab"
            if self.last_refusal:
                text += f" · {self.last_refusal}"
            parts.append(text)
        if self.damaged:
            parts.append(f"{self.damaged} damaged: discard in the Outbox tab")
        if self.waiting:
            text = f"{self.waiting} waiting to be sent{self._held()}"
            if self.next_try_in:
                text += f" · next try in {self.next_try_in} s"
            if self.last_problem:
                text += f" · last problem: {self.last_problem}"
            parts.append(text)
        if parts:
            return " — ".join(parts)
        # Messages of removed integrations are not counted, but not called sent either.
        return "Nothing waiting to be sent." if self.orphaned else "Outbox empty: all sent."

    def lines(self) -> list[str]:
        """The same, as the command line prints it under the outbox listing."""
        lines = []
        if self.waiting:
            when = f", next try in {self.next_try_in} s" if self.next_try_in else ""
            lines.append(
                f"{count(self.waiting, 'message')} waiting to be sent{self._held()}{when}."
            )
        if self.refused:
            lines.append(
                f"{count(self.refused, 'message')} refused by the server: fix and retry "
                "(outbox --retry ITEM) or discard (outbox --discard ITEM)."
            )
        if self.orphaned:
            lines.append(
                f"{count(self.orphaned, 'message')} not sent because the integration was "
                "removed in Flowdock: set it up again to resend them, or discard them."
            )
        if self.damaged:
            lines.append(
                f"{count(self.damaged, 'message')} damaged (the stored text cannot be read) "
                "and cannot be sent: discard (outbox --discard ITEM)."
            )
        return lines or ["Nothing waits to be sent."]


def summarize_outbox(
    items: Sequence[OutboxItem], *, now: float | None = None, ignore: Iterable[str] = ()
) -> OutboxSummary:
    """Count unfinished outbox items by what they wait for (``ignore``: integration ids whose
    items are dealt with elsewhere)."""
    now = time.time() if now is None else now
    skipped = set(ignore)
    items = [i for i in items if i.integration_id not in skipped]
    # A damaged item never goes, whatever its state says: counted apart, not as waiting.
    damaged = sum(1 for i in items if i.damaged and i.state != "sent")
    items = [i for i in items if not i.damaged]
    waiting = [i for i in items if i.state in ("queued", "sending")]
    refused = [i for i in items if i.state == "failed"]
    holds = outbox_waits_for(waiting)
    # Only what time sends has a next try worth a countdown: the rest goes on Reconnect or
    # when the keyring opens, which the count of them (``_held``) says instead.
    queued = [i.next_attempt_at for i in waiting if i.state == "queued" and i.id not in holds]
    wait = max(0, round(min(queued) - now)) if queued else None
    held = list(holds.values())
    return OutboxSummary(
        waiting=len(waiting),
        refused=len(refused),
        orphaned=sum(1 for i in items if i.state == "gone"),
        next_try_in=wait or None,
        last_problem=next((i.last_error for i in waiting if i.last_error), None),
        last_refusal=refused[-1].last_error if refused else None,
        damaged=damaged,
        for_reconnect=held.count("reconnect"),
        for_keyring=held.count("keyring"),
    )


def unsent_after_setup_text(removed: Integration, replacement: Integration, unsent: int) -> str:
    """The offer to send a removed integration's messages through the one set up again."""
    one = unsent == 1
    return (
        f"{count(unsent, 'message')} written for the removed “{removed.source_name}” "
        f"{'was' if one else 'were'} not sent. Send {'it' if one else 'them'} through "
        f"“{replacement.source_name}”, set up in its place? "
        f"{'It starts' if one else 'Each starts'} a new thread: a new source cannot continue "
        "the old source's threads."
    )


@dataclass(frozen=True)
class IntegrationGroups:
    """The integration list's two groups, and which removed ones were set up again.

    ``replaced`` holds (removed, replacement) pairs: those are listed as their replacement.
    """

    active: list[Integration]
    removed: list[Integration]
    replaced: list[tuple[Integration, Integration]]


def replacement_for(
    removed: Integration, integrations: Iterable[Integration]
) -> Integration | None:
    """The integration set up again after ``removed`` was removed in Flowdock: the newest
    active one posting to the same flow on the same server, created after the removal."""
    if removed.is_active:
        return None
    since = removed.removed_at or removed.created_at
    candidates = [
        i
        for i in integrations
        if i.is_active
        and i.api_url == removed.api_url
        and i.flow_id == removed.flow_id
        and i.created_at >= since
    ]
    return max(candidates, key=lambda i: i.created_at, default=None)


def group_integrations(integrations: Sequence[Integration]) -> IntegrationGroups:
    """Active integrations first; removed ones apart, minus those set up again."""
    active = [i for i in integrations if i.is_active]
    replaced: list[tuple[Integration, Integration]] = []
    removed = []
    for integration in integrations:
        if integration.is_active:
            continue
        successor = replacement_for(integration, active)
        if successor is not None:
            replaced.append((integration, successor))
        else:
            removed.append(integration)
    return IntegrationGroups(active, removed, replaced)
