"""Sending thread messages as an integration: outbox first, then delivery, 410 handling, threads.

Qt-free, so the composer window and the ``send`` command share exactly one sending path:
``SendService.send()`` stores the message in the outbox (fresh uuid) before the first attempt,
then ``deliver_due`` posts it with the integration's flow token. ``deliver_due`` is the one
delivery policy (which answers mean "try again later", "refused" or "source gone"). Temporary
failures leave a message queued for a later ``deliver_due`` (the window runs one on a timer;
the command line has ``outbox --flush``); a 410 means the source was removed in Flowdock, so
the integration is marked removed and its flow token and stored data are deleted, as
Flowdock's guide asks.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from flowdock_desktop.api.errors import (
    RETRYABLE_ERRORS,
    FlowdockError,
    GoneError,
    NotFoundError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from flowdock_desktop.api.validation import describe_errors
from flowdock_desktop.compose.payload import curl_command, payload_errors
from flowdock_desktop.store.errors import DatabaseClosed
from flowdock_desktop.store.integrations import Integration, UnknownIntegrationError

if TYPE_CHECKING:
    from flowdock_desktop.api.client import FlowdockClient
    from flowdock_desktop.api.models import Message, Thread
    from flowdock_desktop.api.retry import RetryPolicy
    from flowdock_desktop.api.stream import FlowStream
    from flowdock_desktop.auth.session import Session
    from flowdock_desktop.cancel import CancelToken
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.store.history import ThreadSummary
    from flowdock_desktop.store.outbox import Outbox, OutboxItem

__all__ = [
    "DeliveryOutcome",
    "IntegrationRemovedError",
    "MissingFlowTokenError",
    "SendResult",
    "SendService",
    "ThreadView",
    "curl_command",
    "deliver_claimed",
    "deliver_due",
    "forget_integration",
    "payload_errors",
    "reconnect_text",
]

log = logging.getLogger(__name__)

_T = TypeVar("_T")


def _quietly(read: Callable[[], _T]) -> _T | None:
    """A look at the outbox that may itself fail (the disk is gone): None then."""
    try:
        return read()
    except Exception:
        return None


_OTHER_SERVER = (
    "You are signed in to a different server than this integration's, "
    "so its threads cannot be read. Sign in to that server to see them."
)

#: How many of an integration's most recent threads are looked up on the server.
MAX_REMOTE_THREADS = 25


class IntegrationRemovedError(GoneError):
    """The integration is marked removed (its source was deleted in Flowdock)."""

    def __init__(self, integration: Integration) -> None:
        super().__init__(
            f"“{integration.source_name}” was removed in Flowdock, so it can no longer post. "
            "Set it up again to keep posting.",
            status=None,
        )
        self.integration_id = integration.id


class MissingFlowTokenError(FlowdockError):
    """The keyring has no flow token for the integration (kept in memory by a run without a
    keyring, deleted, or another keyring). The message is fine: the integration needs
    Reconnect, which gives it a flow token again, so delivery keeps the message waiting."""

    def __init__(self, integration: Integration) -> None:
        super().__init__(reconnect_text(integration), status=None)
        self.integration_id = integration.id


def reconnect_text(integration: Integration) -> str:
    """Why an integration's messages wait, and what sends them: in plain words for the
    Outbox tab, the composer's notice after Send and the command line alike."""
    return (
        f"“{integration.source_name}” has no flow token on this computer any more, so it "
        "cannot post until it is reconnected: choose it in Flowdock Desktop and press "
        "Reconnect. The message waits in the outbox and is sent then."
    )


DeliveryResult = Literal["sent", "retry", "failed", "gone"]


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    """What one delivery attempt did; ``error`` is in plain words. ``needs_reconnect``: the
    item waits (``retry``) because its integration has no flow token here; Reconnect is what
    sends it, not time."""

    item: OutboxItem
    result: DeliveryResult
    error: str | None = None
    response: dict[str, Any] | None = None
    needs_reconnect: bool = False


Sender = Callable[["OutboxItem"], "dict[str, Any] | None"]


def forget_integration(context: AppContext, integration_id: str) -> None:
    """Forget an integration on this computer, the one way every removal does it: its record
    with its outbox (sent or not), history and draft (the store's foreign keys cascade), and
    its flow token in the keyring. Its source in Flowdock is left alone.

    The keyring first: a locked one raises before anything here is deleted, so the person can
    try again with the integration still listed (the other way round its token would stay in
    the keyring with nothing left that names it)."""
    context.credentials.delete_flow_token(integration_id)
    context.integrations.delete(integration_id)


def deliver_due(
    outbox: Outbox,
    send: Sender,
    now: float | None = None,
    *,
    ignore_backoff: bool = False,
    max_items: int | None = None,
    after: Iterable[DeliveryOutcome] = (),
    cancel: CancelToken | None = None,
    integration_id: str | None = None,
) -> list[DeliveryOutcome]:
    """Attempt every due item once (only ``integration_id``'s, when given), in order per
    integration, and record each outcome.

    ``send(item)`` posts ``item.payload`` (adding the flow token) and returns the created
    message or None; it raises ``flowdock_desktop.api.errors`` exceptions. Network, server
    and rate-limit errors are retried later; 410 parks the integration's items as gone;
    other refusals fail the item for the user to fix. After a success the integration's
    next item is attempted in the same call. Each item is attempted at most once per call;
    ``after`` holds attempts made just before as part of the same round (not repeated, and a
    failed one holds back the rest of its integration). Once ``cancel`` is cancelled (the app
    is quitting) no further item is started; the one being posted is finished and recorded.
    """
    outcomes: list[DeliveryOutcome] = []
    attempted: set[int] = {o.item.id for o in after}
    # Integrations whose earlier item did not go through.
    blocked: set[str] = {
        o.item.integration_id for o in after if o.result != "sent" and not o.item.damaged
    }
    while (max_items is None or len(outcomes) < max_items) and not _cancelled(cancel):
        moment = outbox.now() if now is None else now
        batch = [
            item
            for item in outbox.due(moment, ignore_backoff=ignore_backoff)
            if item.id not in attempted
            and item.integration_id not in blocked
            and integration_id in (None, item.integration_id)
        ]
        if not batch:
            break
        for item in batch:
            if (max_items is not None and len(outcomes) >= max_items) or _cancelled(cancel):
                break
            attempted.add(item.id)
            outcome = _deliver_one(outbox, send, item, moment)
            if outcome is None:
                continue  # someone else claimed it first
            outcomes.append(outcome)
            # A damaged item holds nothing back: what it said is lost, and it never goes.
            if outcome.result != "sent" and not item.damaged:
                blocked.add(item.integration_id)
    return outcomes


def _cancelled(cancel: CancelToken | None) -> bool:
    return cancel is not None and cancel.cancelled


def _deliver_one(
    outbox: Outbox, send: Sender, item: OutboxItem, now: float
) -> DeliveryOutcome | None:
    claimed = outbox.claim(item, now=now)
    if claimed is None:
        return None
    return deliver_claimed(outbox, send, claimed, now)


def deliver_claimed(
    outbox: Outbox, send: Sender, claimed: OutboxItem, now: float
) -> DeliveryOutcome:
    """Post an item this process has claimed (``sending``) and record what the answer means:
    the one policy behind ``deliver_due``, also used for a message stored already claimed.
    A damaged item (its stored text unreadable) is never posted: it is marked failed."""
    from flowdock_desktop.auth.errors import KeyringUnavailable  # loaded with the first post

    if claimed.damaged:
        from flowdock_desktop.store.outbox import DAMAGED_TEXT

        updated = outbox.mark_failed(claimed, DAMAGED_TEXT, now=now)
        return DeliveryOutcome(updated or claimed, "failed", DAMAGED_TEXT)
    try:
        response = send(claimed)
    except GoneError as exc:
        outbox.mark_gone(claimed.integration_id, exc.user_message, now=now)
        return DeliveryOutcome(_current(outbox, claimed), "gone", exc.user_message)
    except RETRYABLE_ERRORS as exc:
        # A 503 may say when to come back, as a 429 does (RFC 9110, Retry-After).
        retry_after = exc.retry_after if isinstance(exc, RateLimitedError | ServerError) else None
        updated = outbox.mark_retry(claimed, exc.user_message, retry_after, now=now)
        return DeliveryOutcome(updated or claimed, "retry", exc.user_message)
    except KeyringUnavailable as exc:
        # A locked keyring is unlocked again later; the message waits for it.
        updated = outbox.mark_retry(claimed, str(exc), now=now, waits_for="keyring")
        return DeliveryOutcome(updated or claimed, "retry", str(exc))
    except MissingFlowTokenError as exc:
        # Not the message's fault: it waits (with backoff, reading the keyring again at each
        # attempt) until the integration is reconnected, which also delivers it at once.
        updated = outbox.mark_retry(claimed, exc.user_message, now=now, waits_for="reconnect")
        return DeliveryOutcome(updated or claimed, "retry", exc.user_message, needs_reconnect=True)
    except ValidationError as exc:
        if claimed.attempts > 1 and _only_uuid_rejected(exc):
            # An earlier attempt reached the server but its answer was lost; the server
            # now refuses the duplicate uuid. That is success, not a failure.
            updated = outbox.mark_sent(claimed, None, now=now)
            return DeliveryOutcome(updated or claimed, "sent")
        updated = outbox.mark_failed(claimed, exc.user_message, now=now)
        return DeliveryOutcome(updated or claimed, "failed", exc.user_message)
    except FlowdockError as exc:
        updated = outbox.mark_failed(claimed, exc.user_message, now=now)
        return DeliveryOutcome(updated or claimed, "failed", exc.user_message)
    except Exception as exc:
        # Not an API error: a bug or a missing credential. Its text may hold a URL or a
        # token, so neither log nor store it; keep the item visible for the user instead.
        log.error("Sending outbox item %s failed: %s", claimed.id, type(exc).__name__)
        text = f"The message could not be sent because of an internal error ({type(exc).__name__})."
        updated = outbox.mark_failed(claimed, text, now=now)
        return DeliveryOutcome(updated or claimed, "failed", text)
    sent = outbox.mark_sent(claimed, response, now=now)
    return DeliveryOutcome(sent or claimed, "sent", None, response)


def _only_uuid_rejected(exc: ValidationError) -> bool:
    return bool(exc.field_errors) and set(exc.field_errors) == {"uuid"}


def _current(outbox: Outbox, item: OutboxItem) -> OutboxItem:
    return outbox.get(item.id) or item


@dataclass(frozen=True)
class SendResult:
    """What happened to one message handed to :meth:`SendService.send`.

    ``state`` is the outbox state afterwards: ``sent``, ``queued`` (will be retried),
    ``failed`` (refused; fix and send again) or ``gone`` (integration removed).
    ``error`` is in plain words. ``needs_reconnect``: queued because the integration has no
    flow token here; it is sent once the integration is reconnected.
    """

    item: OutboxItem
    state: str
    error: str | None = None
    response: dict[str, Any] | None = None
    needs_reconnect: bool = False

    @property
    def uuid(self) -> str:
        return self.item.uuid


@dataclass(frozen=True)
class ThreadView:
    """A thread this integration posted to: local history merged with the server's state.

    ``summary`` is what the last message sent to it left locally; ``remote`` is the server's
    current thread, or None when it could not be fetched. The server's title and status win.
    """

    summary: ThreadSummary
    remote: Thread | None = None

    @property
    def key(self) -> str:
        """What identifies the thread for posting again (the external thread id when set)."""
        return self.summary.key

    @property
    def external_thread_id(self) -> str | None:
        return self.summary.external_thread_id

    @property
    def thread_id(self) -> str | None:
        return self.summary.thread_id

    @property
    def message_count(self) -> int:
        return self.summary.message_count

    @property
    def last_sent_at(self) -> float:
        return self.summary.last_sent_at

    @property
    def title(self) -> str | None:
        return (self.remote.title if self.remote is not None else None) or self.summary.title

    @property
    def status_value(self) -> str | None:
        status = self.remote.status if self.remote is not None else None
        return status.value if status else self.summary.status_value

    @property
    def status_color(self) -> str | None:
        status = self.remote.status if self.remote is not None else None
        return status.color if status else self.summary.status_color

    @property
    def activity_count(self) -> int:
        if self.remote is None:
            return self.message_count
        r = self.remote
        return r.activities + r.internal_comments + r.external_comments

    @property
    def updated_at(self) -> datetime | None:
        return self.remote.updated_at if self.remote is not None else None


@dataclass
class ThreadListing:
    """Threads plus a plain-words note when the server could not be asked (not signed in)."""

    threads: list[ThreadView] = field(default_factory=list)
    note: str | None = None


class SendService:
    """Queues, delivers and follows up thread messages for the person's integrations.

    Thread-safe: the window calls it from worker threads; the outbox's atomic claim keeps two
    deliveries (the window and ``outbox --flush``) from sending one item twice. ``retry`` is
    the in-request retry policy; by default none, because the outbox is the one place that
    retries (with backoff that survives a restart and is visible to the person).
    """

    def __init__(self, context: AppContext, *, retry: RetryPolicy | None = None) -> None:
        from flowdock_desktop.api.retry import NO_RETRY  # with the first service made

        self.context = context
        self.retry = retry or NO_RETRY
        self._lock = threading.Lock()
        # Flow tokens read from the keyring, by (integration id, source id), in memory only:
        # a keyring read is a D-Bus round trip (and may prompt), so it is made once per
        # integration and process, not once per message. A new source (reconnecting) has a
        # new source id and so is read afresh; removal and any failed post drop the entry.
        self._flow_tokens: dict[tuple[str, int], str] = {}
        # One API client per server for the service's life: connections are kept alive
        # between messages instead of being set up again for each one.
        self._clients: dict[str, FlowdockClient] = {}
        self._clients_lock = threading.Lock()
        # Posts under way, which ``close`` lets end rather than cut their connection.
        self._posting = 0
        self._posts_ended = threading.Condition(self._clients_lock)

    # -- queueing -----------------------------------------------------------------------------

    def enqueue(
        self,
        integration_id: str,
        payload: Mapping[str, Any],
        *,
        uuid: str | None = None,
        claim: bool = False,
    ) -> OutboxItem:
        """Check the payload and store it in the outbox with a fresh uuid (or ``uuid``);
        ``claim`` stores it claimed for sending when it can go at once (``Outbox.enqueue``).

        Raises ValidationError (with ``field_errors``) for an incomplete message and
        IntegrationRemovedError when the integration can no longer post.
        """
        integration = self.context.integrations.get(integration_id)
        return self._enqueue(integration, payload, uuid=uuid, claim=claim)

    def _enqueue(
        self,
        integration: Integration,
        payload: Mapping[str, Any],
        *,
        uuid: str | None,
        claim: bool,
    ) -> OutboxItem:
        if not integration.is_active:
            raise IntegrationRemovedError(integration)
        body = {k: v for k, v in payload.items() if k not in ("uuid", "flow_token")}
        errors = payload_errors(body)
        if errors:
            raise ValidationError(
                "The message is not complete: " + describe_errors(errors),
                field_errors=errors,
                status=None,
            )
        if uuid is not None:
            body["uuid"] = uuid
        return self.context.outbox.enqueue(integration.id, body, claim=claim)

    def send(
        self,
        integration_id: str,
        payload: Mapping[str, Any],
        *,
        cancel: CancelToken | None = None,
    ) -> SendResult:
        """Enqueue the message, then deliver what is due; report this message's fate.
        (``cancel``: as for ``deliver_due``; this message's own post is finished even so.)

        Once the message is in the outbox, nothing that goes wrong afterwards (a full disk
        while recording the answer, a locked keyring) loses it or reports it as failed: the
        result is ``queued`` with the reason, and a later delivery sends it with the same
        uuid. Only when it is not in the outbox does the error propagate.
        """
        import uuid as uuid_module  # here, not at start: it loads `platform`

        from flowdock_desktop.store.outbox import this_process

        outbox = self.context.outbox
        chosen = str(uuid_module.uuid4())
        integration = self.context.integrations.get(integration_id)
        try:
            # Stored already claimed when nothing of this integration waits before it: the
            # insert and the claim are one commit, and the post follows at once.
            item = self._enqueue(integration, payload, uuid=chosen, claim=True)
        except (FlowdockError, UnknownIntegrationError):
            raise
        except Exception:
            # The commit may have reached the disk although it reported an error.
            stored = _quietly(lambda: outbox.get_by_uuid(chosen))
            if stored is None:
                raise
            item = stored
        try:
            outcomes = []
            if item.state == "sending" and item.claimed_by == this_process():
                # The integration was read (and found active) a moment ago: not read again.
                outcomes.append(
                    deliver_claimed(
                        outbox, lambda it: self._post(integration, it), item, outbox.now()
                    )
                )
                self._after_delivery(outcomes)
            # Then whatever else is due (other integrations' retries), as before.
            outcomes += self.deliver_due(after=outcomes, cancel=cancel)
        except DatabaseClosed:
            # The app quit while the post was under way and did not wait for its answer: the
            # message stays claimed, and the next start sends it again under the same uuid.
            log.info("the outbox closed while a message was sent; it is checked at next start")
            return SendResult(item, "queued", None)
        except Exception as exc:
            from flowdock_desktop.problems import explain

            problem = explain(exc)
            log.warning("delivery after queueing failed: %s", problem.text)
            current = _quietly(lambda: outbox.get(item.id)) or item
            state = current.state if current.state in ("sent", "failed", "gone") else "queued"
            return SendResult(current, state, current.last_error or problem.text)
        return self._result_for(item, outcomes)

    def _result_for(self, item: OutboxItem, outcomes: list[DeliveryOutcome]) -> SendResult:
        # (``send`` has checked that ``item`` is in the outbox.)
        for outcome in outcomes:
            if outcome.item.id == item.id:
                state = "queued" if outcome.result == "retry" else outcome.result
                return SendResult(
                    outcome.item, state, outcome.error, outcome.response, outcome.needs_reconnect
                )
        # Not attempted: an earlier message of the same integration is still waiting.
        current = self.context.outbox.get(item.id) or item
        waiting = "An earlier message to this integration is waiting to be sent; this one follows."
        if current.state == "queued" and self._lacks_flow_token(current.integration_id):
            # What holds it back is the missing flow token: it waits for Reconnect, too.
            integration = self.context.integrations.get(current.integration_id)
            return SendResult(current, "queued", reconnect_text(integration), needs_reconnect=True)
        return SendResult(current, current.state, current.last_error or waiting)

    def _lacks_flow_token(self, integration_id: str) -> bool:
        """True only when the keyring answered that it has no flow token for it (a locked
        keyring or a store error is no such answer: the message is in the outbox either way)."""
        try:
            self._flow_token(self.context.integrations.get(integration_id))
        except MissingFlowTokenError:
            return True
        except Exception:
            return False
        return False

    # -- delivery -----------------------------------------------------------------------------

    def deliver_due(
        self,
        *,
        ignore_backoff: bool = False,
        max_items: int | None = None,
        after: Iterable[DeliveryOutcome] = (),
        cancel: CancelToken | None = None,
        integration_id: str | None = None,
    ) -> list[DeliveryOutcome]:
        """Attempt every due outbox item once; then clean up integrations that answered 410.
        (``after``, ``cancel`` and ``integration_id``: as for the module's ``deliver_due``.)"""
        outcomes = deliver_due(
            self.context.outbox,
            self._send_item,
            ignore_backoff=ignore_backoff,
            max_items=max_items,
            after=after,
            cancel=cancel,
            integration_id=integration_id,
        )
        self._after_delivery(outcomes)
        return outcomes

    def _send_item(self, item: OutboxItem) -> dict[str, Any] | None:
        """Post one outbox item with its integration's flow token (the ``Sender``)."""
        return self._post(self.context.integrations.get(item.integration_id), item)

    def _post(self, integration: Integration, item: OutboxItem) -> dict[str, Any] | None:
        if not integration.is_active:
            # Stop posting: never use a removed source's token again.
            raise IntegrationRemovedError(integration)
        token = self._flow_token(integration)
        client = self._flow_client(integration.api_url)
        try:
            return client.post_message(item.payload, flow_token=token, wait=True)
        finally:
            with self._clients_lock:
                self._posting -= 1
                self._posts_ended.notify_all()

    def _flow_token(self, integration: Integration) -> str:
        key = (integration.id, integration.source_id)
        with self._lock:
            token = self._flow_tokens.get(key)
        if token:
            return token
        credentials = self.context.credentials
        token = credentials.get_flow_token(integration.id)
        if not token:
            # Behind a locked keyring the message waits for it (delivery retries this); with
            # no token at all, it waits for Reconnect.
            raise credentials.unavailable() or MissingFlowTokenError(integration)
        with self._lock:
            self._flow_tokens[key] = token
        return token

    def forget_kept_flow_token(self, integration_id: str) -> None:
        """Drop the flow token this service keeps in memory for the integration (it is read
        from the keyring again when next needed)."""
        with self._lock:
            for key in [key for key in self._flow_tokens if key[0] == integration_id]:
                del self._flow_tokens[key]

    def _after_delivery(self, outcomes: list[DeliveryOutcome]) -> None:
        """Forget what an unsuccessful post may have shown to be stale: the kept flow token
        (read from the keyring again next time); after a 410, the integration's data."""
        for integration_id in {o.item.integration_id for o in outcomes if o.result != "sent"}:
            self.forget_kept_flow_token(integration_id)
        for integration_id in {o.item.integration_id for o in outcomes if o.result == "gone"}:
            self.forget_removed(integration_id)

    def _flow_client(self, api_url: str) -> FlowdockClient:
        """The server's client, counted as posting until ``_post`` says it is done."""
        with self._clients_lock:
            client = self._clients.get(api_url)
            if client is None:
                client = self.context.flow_client(api_url)
                client.retry = self.retry
                self._clients[api_url] = client
            self._posting += 1
            return client

    def close(self, *, wait: float = 0.0) -> None:
        """Close the kept-alive connections (the window or command is done).

        ``wait``: seconds a post under way may take to end first. Closing its connection
        would break it, and a message that may well have arrived would be recorded as not
        sent and posted again at the next start (once only, by its uuid, but needlessly)."""
        with self._clients_lock:
            self._posts_ended.wait_for(lambda: self._posting == 0, timeout=wait)
            clients, self._clients = self._clients, {}
        for client in clients.values():
            client.close()

    def __enter__(self) -> SendService:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def flush(self, *, rounds: int = 5, integration_id: str | None = None) -> list[DeliveryOutcome]:
        """Deliver everything pending now (only ``integration_id``'s, when given), ignoring
        backoff (``outbox --flush``, ``reconnect --flush``).

        Each round attempts each pending item at most once; stops when a round sends nothing.
        """
        done: list[DeliveryOutcome] = []
        for _ in range(rounds):
            outcomes = self.deliver_due(ignore_backoff=True, integration_id=integration_id)
            done.extend(outcomes)
            if not any(o.result == "sent" for o in outcomes):
                break
        return done

    def pending(self, integration_id: str | None = None) -> list[OutboxItem]:
        """Messages not delivered yet (queued or being sent), oldest first."""
        return self.context.outbox.list(integration_id, states=("queued", "sending"))

    def problems(self, integration_id: str | None = None) -> list[OutboxItem]:
        """Messages that will not be sent without the person: refused or integration gone."""
        return self.context.outbox.list(integration_id, states=("failed", "gone"))

    def unfinished(self, integration_id: str | None = None) -> list[OutboxItem]:
        """``pending()`` then ``problems()``, read in one query: a message whose send ends
        between two readings would be in both (still "sending", then refused), and shown
        twice."""
        items = self.context.outbox.list(
            integration_id, states=("queued", "sending", "failed", "gone")
        )
        return sorted(items, key=lambda item: item.state in ("failed", "gone"))

    def next_attempt_at(self) -> float | None:
        """When the earliest queued message is due, or None when nothing waits."""
        times = [i.next_attempt_at for i in self.pending() if i.state == "queued"]
        return min(times) if times else None

    # -- integrations -------------------------------------------------------------------------

    def forget_removed(self, integration_id: str) -> None:
        """After a 410: mark removed, delete the flow token and the data kept for it.

        Flowdock's guide asks integrations to stop posting and delete what they stored
        for a removed source. The integration row stays (state ``removed``) so the person
        sees what happened and can set it up again; unsent messages stay as ``gone`` so the
        text is not lost. Sent history and the draft are deleted. Idempotent.
        """
        integrations = self.context.integrations
        integrations.mark_removed(integration_id)
        self.forget_kept_flow_token(integration_id)
        self.context.credentials.delete_flow_token(integration_id)
        self.context.drafts.clear(integration_id)
        self.context.history.delete_for(integration_id)
        log.info("integration %s was removed in Flowdock; local data deleted", integration_id)

    def remove_integration(self, integration_id: str) -> None:
        """The person removes an integration here: ``forget_integration``, and the flow token
        this service kept for it.

        The source itself stays in Flowdock (the integration settings' "Remove integration…"
        deletes it there with the person's sign-in, then forgets it with the same function).
        """
        forget_integration(self.context, integration_id)
        self.forget_kept_flow_token(integration_id)

    # -- threads ------------------------------------------------------------------------------

    def threads(
        self, integration_id: str, *, fetch: bool = True, known: Collection[str] = ()
    ) -> ThreadListing:
        """Threads this integration posted to, newest first, with the server's current state.

        The server is asked with the person's sign-in (flow tokens cannot read threads); when
        nobody is signed in the local history alone is shown, with a note saying why. Threads
        whose id is in ``known`` are not asked for (a live stream keeps the caller's copy
        current): their ``remote`` is left None.
        """
        integration = self.context.integrations.get(integration_id)
        summaries = self.context.history.threads(integration_id)
        listing = ThreadListing()
        remote: dict[str, Thread] = {}
        wanted = [s.thread_id for s in summaries if s.thread_id and s.thread_id not in known]
        # Nothing known: asked even with no thread ids yet, so the note says when the person
        # is not signed in.
        if fetch and summaries and integration.is_active and (wanted or not known):
            try:
                remote = self._fetch_threads(integration, wanted)
            except FlowdockError as exc:
                listing.note = exc.user_message
            except Exception as exc:  # SignInRequired and the auth package's errors
                listing.note = getattr(exc, "user_message", None) or str(exc)
        listing.threads = [
            ThreadView(summary, remote.get(summary.thread_id or "")) for summary in summaries
        ]
        return listing

    def _fetch_threads(self, integration: Integration, thread_ids: list[str]) -> dict[str, Thread]:
        client = self._user_client_for(integration)
        found: dict[str, Thread] = {}
        try:
            for thread_id in thread_ids[:MAX_REMOTE_THREADS]:
                try:
                    found[thread_id] = client.get_thread(
                        integration.org_slug, integration.flow_slug, thread_id
                    )
                except NotFoundError:
                    continue
        finally:
            client.close()
        return found

    def thread(self, integration_id: str, thread_id: str) -> Thread:
        """The server's current state of one thread (person's sign-in)."""
        integration = self.context.integrations.get(integration_id)
        with self._user_client_for(integration) as client:
            return client.get_thread(integration.org_slug, integration.flow_slug, thread_id)

    def thread_messages(
        self, integration_id: str, thread_id: str, limit: int = 50
    ) -> list[Message]:
        """The thread's latest messages, oldest first: its timeline."""
        integration = self.context.integrations.get(integration_id)
        with self._user_client_for(integration) as client:
            return client.list_thread_messages(
                integration.org_slug, integration.flow_slug, thread_id, limit=limit
            )

    def find_thread(self, integration_id: str, external_thread_id: str) -> ThreadView | None:
        """The thread this integration keys by ``external_thread_id``, from history + server."""
        for view in self.threads(integration_id).threads:
            if view.external_thread_id == external_thread_id:
                return view
        return None

    def flow_stream(self, integration_id: str, *, last_event_id: str | None = None) -> FlowStream:
        """The integration's flow as a live stream, read with the person's sign-in (flow
        tokens cannot read); ``last_event_id`` resumes an earlier stream."""
        from flowdock_desktop.api.stream import FlowStream

        integration = self.context.integrations.get(integration_id)
        session = self._session_for(integration)
        return FlowStream(
            integration.api_url,
            [integration.flow_path],
            auth=session.auth(),
            last_event_id=last_event_id,
        )

    def flow_people(self, integration_id: str) -> dict[str, str]:
        """Names of the flow's people by user id (messages name people only by id)."""
        integration = self.context.integrations.get(integration_id)
        with self._user_client_for(integration) as client:
            flow = client.get_flow(integration.org_slug, integration.flow_slug)
        return {str(user.id): user.name or user.nick or f"user {user.id}" for user in flow.users}

    def _session_for(self, integration: Integration) -> Session:
        session = self.context.session()
        if session is None:
            raise self.context.sign_in_missing(
                "You are not signed in. Sign in to see threads live."
            )
        if session.account.api_url.rstrip("/") != integration.api_url.rstrip("/"):
            raise FlowdockError(_OTHER_SERVER)
        return session

    def _user_client_for(self, integration: Integration) -> FlowdockClient:
        client = self.context.user_client()
        if client.base_url.rstrip("/") != integration.api_url.rstrip("/"):
            client.close()
            raise FlowdockError(_OTHER_SERVER)
        return client
