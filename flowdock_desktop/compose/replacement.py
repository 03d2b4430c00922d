"""Moving a removed integration's unsent messages to the integration set up in its place."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowdock_desktop.api.errors import ValidationError

if TYPE_CHECKING:
    from flowdock_desktop.sending import SendService
    from flowdock_desktop.store.outbox import OutboxItem

__all__ = ["UNSENT_STATES", "resend_unsent"]

#: What counts as not sent for a removed integration: all of it is stuck.
UNSENT_STATES = ("queued", "failed", "gone")


def resend_unsent(service: SendService, removed_id: str, replacement_id: str) -> list[OutboxItem]:
    """Queue ``removed_id``'s unsent messages again through ``replacement_id``, then forget
    the removed integration (it has nothing left). Returns the new outbox items.

    Each message gets a fresh uuid and goes to a new thread: Flowdock keys external thread
    ids per source, so a new source cannot continue the old source's threads. Each new item
    is queued before its old one is discarded, so a crash in between leaves a duplicate to
    discard, never a lost message. A message the validator refuses stays where it is.
    """
    outbox = service.context.outbox
    moved = []
    for item in outbox.list(removed_id, UNSENT_STATES):
        payload = {k: v for k, v in item.payload.items() if k != "uuid"}
        try:
            moved.append(service.enqueue(replacement_id, payload))
        except ValidationError:
            continue  # refused as written: it stays in the Outbox tab to fix or discard
        outbox.discard(item.id)
    if not outbox.list(removed_id, UNSENT_STATES):
        service.remove_integration(removed_id)
    return moved
