"""Headless commands over the local data: ``integrations`` and ``outbox [--flush]``."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from flowdock_desktop.store.db import Database
from flowdock_desktop.store.integrations import Integration, IntegrationStore
from flowdock_desktop.store.outbox import DeliveryOutcome, Outbox, OutboxItem, deliver_due

__all__ = ["register"]


def register(subparsers: Any, parser: argparse.ArgumentParser) -> None:
    """Add the ``integrations`` and ``outbox`` sub-commands to the main parser."""
    integrations = subparsers.add_parser(
        "integrations",
        help="list the integrations set up in this profile",
        description="List the integrations (sources) set up in this profile.",
    )
    integrations.add_argument(
        "--active", action="store_true", help="leave out integrations removed in Flowdock"
    )
    integrations.set_defaults(handler=_integrations)

    outbox = subparsers.add_parser(
        "outbox",
        help="show messages waiting to be sent, or send them now",
        description="List the outbox. With --flush, send every waiting message now, "
        "without waiting for the retry delay.",
    )
    outbox.add_argument(
        "--flush", action="store_true", help="send waiting messages now and report each"
    )
    outbox.add_argument(
        "--integration", metavar="ID", help="only this integration's messages (listing only)"
    )
    outbox.add_argument(
        "--all", action="store_true", help="list sent messages too, not only unfinished ones"
    )
    outbox.add_argument(
        "--retry", type=int, metavar="ITEM", help="put a failed message back in the queue"
    )
    outbox.add_argument(
        "--discard", type=int, metavar="ITEM", help="delete a message from the outbox for good"
    )
    outbox.set_defaults(handler=_outbox)


# -- helpers ---------------------------------------------------------------------------------


def _open_database(args: argparse.Namespace) -> Database:
    from flowdock_desktop.store.profile import Profile

    return Database(Profile.resolve(getattr(args, "profile", None)).db_path)


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def _table(rows: Sequence[Sequence[str]], out: TextIO) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        print("  ".join(cells).rstrip(), file=out)


# -- integrations ----------------------------------------------------------------------------


def _integrations(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    with _open_database(args) as db:
        found = IntegrationStore(db).list(include_removed=not args.active)
    if not found:
        print("No integrations yet. Set one up with the setup wizard.", file=out)
        return 0
    rows = [("ID", "FLOW", "ORGANIZATION", "SOURCE", "STATE", "SERVER")]
    rows += [
        (i.id, i.flow_path, i.organization_name, i.source_name, i.state, i.api_url) for i in found
    ]
    _table(rows, out)
    return 0


# -- outbox ----------------------------------------------------------------------------------


def _outbox(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from flowdock_desktop.cli import CommandError

    out = out or sys.stdout
    with _open_database(args) as db:
        outbox = Outbox(db)
        if args.discard is not None:
            if not outbox.discard(args.discard):
                raise CommandError(f"There is no outbox message {args.discard}.")
            print(f"Discarded message {args.discard}.", file=out)
            return 0
        if args.retry is not None:
            try:
                item = outbox.requeue(args.retry)
            except KeyError:
                raise CommandError(f"There is no outbox message {args.retry}.") from None
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            print(f"Message {item.id} is queued again.", file=out)
            if not args.flush:
                return 0
        if args.flush:
            return _flush(db, outbox, out)
        states = None if args.all else ("queued", "sending", "failed", "gone")
        items = outbox.list(args.integration, states)
        _print_items(items, IntegrationStore(db), out)
        return 0


def _print_items(items: list[OutboxItem], store: IntegrationStore, out: TextIO) -> None:
    if not items:
        print("The outbox is empty.", file=out)
        return
    names: dict[str, str] = {}
    for integration in store.list():
        names[integration.id] = f"{integration.flow_path} / {integration.source_name}"
    rows = [("ITEM", "INTEGRATION", "STATE", "TRIES", "NEXT TRY", "TITLE", "LAST ERROR")]
    for item in items:
        next_try = _when(item.next_attempt_at) if item.state == "queued" else "-"
        title = str(item.payload.get("title") or item.payload.get("event") or "")
        rows.append(
            (
                str(item.id),
                names.get(item.integration_id, item.integration_id),
                item.state,
                str(item.attempts),
                next_try,
                title[:40],
                item.last_error or "",
            )
        )
    _table(rows, out)


def _flush(db: Database, outbox: Outbox, out: TextIO) -> int:
    if outbox.count_pending() == 0:
        print("Nothing to send.", file=out)
        return 0
    with FlowTokenSender(IntegrationStore(db)) as send:
        outcomes = deliver_due(outbox, send, ignore_backoff=True)
    for outcome in outcomes:
        print(_describe(outcome), file=out)
    left = outbox.count_pending()
    if left:
        print(f"{left} message(s) still waiting.", file=out)
    return 0 if outcomes and all(o.result == "sent" for o in outcomes) and not left else 1


def _describe(outcome: DeliveryOutcome) -> str:
    item = outcome.item
    what = str(item.payload.get("title") or item.payload.get("event") or "message")
    if outcome.result == "sent":
        return f"Sent {item.id} ({what})."
    if outcome.result == "retry":
        return (
            f"Not sent {item.id} ({what}): {outcome.error} "
            f"Will try again after {_when(item.next_attempt_at)}."
        )
    return f"Not sent {item.id} ({what}): {outcome.error}"


class FlowTokenSender:
    """The ``send`` callable for :func:`deliver_due`: posts each item with its flow token.

    Keeps one API client per server for the whole flush, and looks flow tokens up in the
    keyring (``auth.credentials.CredentialStore``) as each integration comes up. Use as a
    context manager so the clients are closed.
    """

    def __init__(
        self,
        integrations: IntegrationStore,
        *,
        credentials: Any = None,
        client_factory: Callable[[str], Any] | None = None,
    ) -> None:
        self._integrations = integrations
        self._credentials = credentials
        self._client_factory = client_factory or _default_client
        self._clients: dict[str, Any] = {}
        self._cache: dict[str, Integration] = {}

    def __enter__(self) -> FlowTokenSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        clients, self._clients = self._clients, {}
        for client in clients.values():
            client.close()

    def __call__(self, item: OutboxItem) -> dict[str, Any] | None:
        from flowdock_desktop.api.errors import AuthenticationError

        integration = self._cache.get(item.integration_id)
        if integration is None:
            integration = self._integrations.get(item.integration_id)
            self._cache[item.integration_id] = integration
        if self._credentials is None:
            from flowdock_desktop.auth.credentials import CredentialStore

            self._credentials = CredentialStore()
        token = self._credentials.get_flow_token(integration.id)
        if not token:
            raise AuthenticationError(
                "The flow token of this integration is not in the keyring (it may have been "
                "set up on another computer). Set the integration up again to post with it."
            )
        client = self._clients.get(integration.api_url)
        if client is None:
            client = self._clients[integration.api_url] = self._client_factory(integration.api_url)
        return client.post_message(item.payload, flow_token=token, wait=True)


def _default_client(api_url: str) -> Any:
    from flowdock_desktop.api.client import FlowdockClient

    return FlowdockClient(api_url)
