"""The ``send``, ``thread``, ``watch`` and ``outbox`` commands: the sending path without a
window."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from flowdock_desktop.api.validation import STATUS_COLORS

if TYPE_CHECKING:
    from flowdock_desktop.connect import ConnectResult
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.sending import DeliveryOutcome
    from flowdock_desktop.store.integrations import Integration
    from flowdock_desktop.store.outbox import OutboxItem


_WHICH = "the integration: its id, the start of it, or its source name"


def register(subparsers: argparse._SubParsersAction, parser: argparse.ArgumentParser) -> None:
    from flowdock_desktop.auth.commands import add_sign_in_options

    send = subparsers.add_parser(
        "send",
        help="post an activity or discussion message as an integration",
        description="Post a thread message as one of your integrations. The message is kept "
        "in the outbox first, so a failed send is retried later (outbox --flush).",
    )
    send.add_argument("--integration", required=True, metavar="ID", help=_WHICH)
    send.add_argument(
        "--json", metavar="FILE", type=Path, help="the whole message as Flowdock JSON"
    )
    send.add_argument("--event", choices=("activity", "discussion"), default="activity")
    send.add_argument(
        "--title",
        help="what happened, e.g. 'deployed version 1.2' (default: 'posted an update', "
        "or 'commented' for a discussion)",
    )
    send.add_argument("--thread-title", help="the thread's title")
    send.add_argument(
        "--external-thread-id",
        help="your key for the thread (default: made from the thread title)",
    )
    send.add_argument(
        "--status",
        metavar="VALUE:COLOUR",
        help=f"thread status, colour one of {', '.join(STATUS_COLORS)}",
    )
    send.add_argument(
        "--field", action="append", default=[], metavar="LABEL=VALUE", help="repeatable"
    )
    send.add_argument("--body-markdown", metavar="FILE", type=Path, help="thread body in Markdown")
    send.add_argument(
        "--message-markdown",
        metavar="FILE",
        type=Path,
        help="the message's own text in Markdown (required for a discussion)",
    )
    send.add_argument("--external-url", help="link to the thing in your system")
    send.add_argument("--author", metavar="NAME", help="author (default: the signed-in person)")
    send.add_argument("--avatar", metavar="URL", help="author avatar URL")
    send.add_argument("--tag", action="append", default=[], help="repeatable")
    send.set_defaults(handler=_send)

    thread = subparsers.add_parser(
        "thread",
        help="show a thread's current status and fields",
        description="Show the current state of a thread this integration posted to.",
    )
    thread.add_argument("--integration", required=True, metavar="ID", help=_WHICH)
    thread.add_argument("--external-thread-id", required=True, metavar="X")
    thread.set_defaults(handler=_thread)

    watch = subparsers.add_parser(
        "watch",
        help="print the flow's thread messages as they arrive, until Ctrl+C",
        description="Follow the integration's flow live (Flowdock's Streaming API, with your "
        "sign-in) and print each thread message as it arrives: one line each, or JSON lines "
        "with --json. Reconnects by itself and resumes where it left off; Ctrl+C stops.",
    )
    watch.add_argument("--integration", required=True, metavar="ID", help=_WHICH)
    watch.add_argument(
        "--json", action="store_true", help="one JSON object per line, as the API shows it"
    )
    watch.set_defaults(handler=_watch)

    outbox = subparsers.add_parser(
        "outbox",
        help="show messages waiting to be sent, or send them now",
        description="List the outbox. With --flush, send every waiting message now, "
        "without waiting for the retry delay (with --integration, only that integration's).",
    )
    outbox.add_argument(
        "--flush", action="store_true", help="send waiting messages now and report each"
    )
    outbox.add_argument(
        "--integration", metavar="ID", help="only this integration's messages (listed or sent)"
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

    reconnect = subparsers.add_parser(
        "reconnect",
        help="give an integration whose flow token was lost a new one, as the app's Reconnect",
        description="Reconnect an integration that has no flow token on this computer (after "
        "a run without a keyring, on a new computer, a keyring emptied): a new source of the "
        "same name is made in its flow, its flow token goes into the keyring and the old "
        "source is removed. Signs in first (as login) only when the saved sign-in cannot be "
        "used. The messages that waited for it are then due; --flush sends them at once "
        "(only them: outbox --flush sends every integration's).",
    )
    reconnect.add_argument("--integration", required=True, metavar="ID", help=_WHICH)
    reconnect.add_argument(
        "--flush",
        action="store_true",
        help="then send what waits in the outbox for it now, as outbox --integration ID "
        "--flush (and its statuses)",
    )
    add_sign_in_options(reconnect)
    reconnect.set_defaults(handler=_reconnect)


def _context() -> AppContext:
    from flowdock_desktop.auth.credentials import CredentialStore
    from flowdock_desktop.context import AppContext

    # No in-memory stand-in for a missing keyring: it would end with the command.
    return AppContext(credentials=CredentialStore(fallback=False))


def _fail(message: str, code: int = 1) -> Exception:
    from flowdock_desktop.cli import CommandError

    return CommandError(message, code)


def _read(path: Path, what: str) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _fail(f"Could not read the {what} file {path}: {exc.strerror or exc}.") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _fail(
            f"The {what} file {path} is not UTF-8 text: byte 0x{data[exc.start]:02x} on line "
            f"{line} is not valid UTF-8. Save the file as UTF-8 and try again."
        ) from None


#: A Flowdock message nests a handful of levels (thread > fields > field); far deeper JSON is a
#: mistake, and refusing it early keeps the parser and validator from recursing without end.
MAX_JSON_DEPTH = 32


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text[:20]} is too large")
    return value


def _json_depth(text: str) -> int:
    """How deeply ``text`` nests arrays and objects, counted without parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def load_message_json(text: str, where: str) -> dict[str, Any]:
    """One message object from JSON text, refusing what Flowdock could not take, in plain words."""
    depth = _json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise _fail(
            f"{where} nests arrays and objects {depth} levels deep; a Flowdock message needs "
            f"only a few (at most {MAX_JSON_DEPTH} are accepted). Check the file."
        )
    try:
        data = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except ValueError as exc:
        raise _fail(f"{where} is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise _fail(f"{where} must hold one message object ({{…}}), not a list or a value.")
    return data


def build_payload(args: argparse.Namespace, default_author: str | None) -> dict[str, Any]:
    """The message payload from the command's options (not yet validated)."""
    from flowdock_desktop.compose import FormState

    if args.json:
        return load_message_json(_read(args.json, "JSON"), f"The JSON file {args.json}")
    # The same form model as the composer: the id follows the thread title unless given,
    # the title defaults per event, bodies are Markdown.
    state = FormState(
        author_name=args.author or default_author or "",
        author_avatar=args.avatar or "",
        external_url=args.external_url or "",
        tags=list(args.tag),
    )
    state.set_event(args.event)
    if args.title is not None:
        state.title = args.title
    state.set_thread_title(args.thread_title or "")
    if args.external_thread_id is not None:
        state.set_external_thread_id(args.external_thread_id)
    if args.body_markdown:
        state.body = _read(args.body_markdown, "body")
    if args.message_markdown:
        state.message = _read(args.message_markdown, "message")
    if args.status:
        value, sep, colour = args.status.rpartition(":")
        if not sep:
            raise _fail("Give the status as VALUE:COLOUR, for example deployed:green.")
        state.status_value, state.status_color = value, colour
    for item in args.field:
        label, sep, value = item.partition("=")
        if not sep:
            raise _fail(f"Give each field as LABEL=VALUE (got {item!r}).")
        state.fields.append((label, value))
    return state.raw_payload()


def _default_author(context: AppContext) -> str | None:
    """The signed-in person's name as the profile records it, as the composer has it: no
    keyring look-up (a locked one asks, a forgetful one has lost the tokens) for a name."""
    from flowdock_desktop.auth.recorded import recorded_name

    return recorded_name(context.settings) or None


def _integration(context: AppContext, given: str):
    """The integration ``--integration`` names: its id, the start of its id (as long as only
    one id starts so), or its source name (any case, when only one has it)."""
    from flowdock_desktop.store.integrations import UnknownIntegrationError

    try:
        return context.integrations.get(given)
    except UnknownIntegrationError:
        pass
    text = given.strip().casefold()
    every = context.integrations.list()
    found = [i for i in every if text and i.id.casefold().startswith(text)]
    if not found:
        found = [i for i in every if text and i.source_name.strip().casefold() == text]
    if len(found) == 1:
        return found[0]
    if found:
        which = "; ".join(f"{i.id} ({i.flow_path}, “{i.source_name}”)" for i in found)
        raise _fail(
            f"“{given}” could be any of {len(found)} integrations: {which}. Give more of the id."
        )
    raise _fail(
        f"There is no integration with the id or source name “{given}”. "
        "List them with: flowdock-desktop integrations"
    )


def _send(args: argparse.Namespace) -> int:
    """Exit 0 when sent, EXIT_QUEUED whenever the message is in the outbox (it will be sent),
    and any other status only when nothing was queued."""
    from flowdock_desktop.store.errors import StoreError
    from flowdock_desktop.store.health import StoreDamaged

    try:
        return _send_now(args)
    except StoreDamaged:
        raise  # the command line says the command did not run
    except StoreError as exc:
        # ``SendService.send`` reports anything that fails once the message is queued as
        # queued; a store error reaching here means it never got into the outbox.
        from flowdock_desktop.problems import explain

        problem = explain(exc)
        raise _fail(
            f"{problem.text} The message was not queued, so it will not be sent.",
            problem.exit_status,
        ) from None


def _send_now(args: argparse.Namespace) -> int:
    from flowdock_desktop.api.errors import FlowdockError, ValidationError
    from flowdock_desktop.sending import SendService

    with _context() as context, SendService(context) as service:
        integration = _integration(context, args.integration)
        payload = build_payload(args, _default_author(context) if not args.author else None)
        try:
            result = service.send(integration.id, payload)
        except ValidationError as exc:
            lines = [f"  {key}: {'; '.join(msgs)}" for key, msgs in exc.field_errors.items()]
            raise _fail("The message is not complete:\n" + "\n".join(lines)) from None
        except FlowdockError as exc:
            raise _fail(exc.user_message) from None
        where = f"{integration.organization_name} / {integration.flow_name}"
        if result.state == "sent":
            thread_id = (result.response or {}).get("thread_id")
            extra = f" (thread {thread_id})" if thread_id else ""
            print(f"Sent to {where} as “{integration.source_name}”{extra}. uuid {result.uuid}")
            return 0
        if result.needs_reconnect:
            from flowdock_desktop.problems import EXIT_NEEDS_RECONNECT

            raise _fail(
                f"Not sent yet: {result.error} From the command line: "
                f"{_reconnect_command(integration.id)}. Do not send the message again: it is "
                f"kept (uuid {result.uuid}).",
                EXIT_NEEDS_RECONNECT,
            )
        if result.state == "queued" or result.state == "sending":
            from flowdock_desktop.problems import EXIT_QUEUED

            raise _fail(
                f"Not sent yet: {result.error} The message is kept in the outbox (uuid "
                f"{result.uuid}) and will be sent later; send it now with: "
                "flowdock-desktop outbox --flush",
                EXIT_QUEUED,
            )
        raise _fail(result.error or f"The message was not sent ({result.state}).")


def _thread(args: argparse.Namespace) -> int:
    from flowdock_desktop.api.html import html_to_text
    from flowdock_desktop.compose.presenters import count
    from flowdock_desktop.sending import SendService

    with _context() as context:
        integration = _integration(context, args.integration)
        with SendService(context) as service:
            listing = service.threads(integration.id)
        view = next(
            (t for t in listing.threads if t.external_thread_id == args.external_thread_id), None
        )
        if view is None:
            raise _fail(
                f"This integration has not posted to a thread with external id "
                f"{args.external_thread_id}."
            )
        out = sys.stdout
        print(f"Thread: {view.title or '(no title)'}", file=out)
        status = f"{view.status_value} ({view.status_color})" if view.status_value else "none"
        print(f"Status: {status}", file=out)
        if view.thread_id:
            print(f"Thread id: {view.thread_id}", file=out)
        if view.remote is not None:
            for item in view.remote.fields:
                print(f"{html_to_text(item.label)}: {html_to_text(item.value)}", file=out)
            print(f"Activity: {count(view.activity_count, 'message')}", file=out)
            if view.updated_at is not None:
                print(f"Updated: {view.updated_at.isoformat()}", file=out)
        else:
            print(f"Messages sent from here: {view.message_count}", file=out)
        if listing.note:
            print(f"Note: {listing.note}", file=sys.stderr)
        return 0


def _watch(args: argparse.Namespace) -> int:
    from flowdock_desktop.api.errors import FlowdockError
    from flowdock_desktop.api.stream import StreamStatus
    from flowdock_desktop.cancel import CancelToken
    from flowdock_desktop.following import describe, thread_message
    from flowdock_desktop.sending import SendService

    def note(status: StreamStatus) -> None:
        if status.state == "live":
            _note(f"Watching {integration.flow_path} live; Ctrl+C stops.")
        elif status.state == "waiting" and status.error is not None:
            _note(
                f"{status.error.user_message.rstrip('.')}. Trying again in "
                f"{status.delay:.0f} s; nothing will be missed."
            )

    out = sys.stdout
    with _context() as context, SendService(context) as service:
        integration = _integration(context, args.integration)
        stream = service.flow_stream(integration.id)
        try:
            people = {} if args.json else service.flow_people(integration.id)
        except FlowdockError:
            people = {}  # names are a nicety; the lines say "user N" instead
        # Ctrl+C raises KeyboardInterrupt here, which the command line turns into status 130.
        for item in stream.follow(CancelToken(), note):
            message = thread_message(item.message)
            if message is None:
                continue
            if args.json:
                print(json.dumps(dict(item.message), ensure_ascii=False), file=out, flush=True)
            else:
                print(describe(message, people), file=out, flush=True)
    return 0


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- outbox ----------------------------------------------------------------------------------


def _when(timestamp: float | None) -> str:
    import time

    if timestamp is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def _outbox(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    with _context() as context:
        outbox = context.outbox
        if args.discard is not None:
            if not outbox.discard(args.discard):
                raise _fail(f"There is no outbox message {args.discard}.")
            print(f"Discarded message {args.discard}.", file=out)
            return 0
        if args.retry is not None:
            try:
                item = outbox.requeue(args.retry)
            except KeyError:
                raise _fail(f"There is no outbox message {args.retry}.") from None
            except ValueError as exc:
                raise _fail(str(exc)) from None
            print(f"Message {item.id} is queued again.", file=out)
            if not args.flush:
                return 0
        chosen = _integration(context, args.integration) if args.integration else None
        if args.flush:
            return _flush(context, out, chosen)
        states = None if args.all else ("queued", "sending", "failed", "gone")
        _print_items(context, outbox.list(chosen.id if chosen else None, states), out)
        return 0


def _print_items(context: AppContext, items: list[OutboxItem], out: TextIO) -> None:
    from flowdock_desktop.compose.presenters import (
        outbox_names,
        outbox_title,
        outbox_waits_for,
        sent_by,
        summarize_outbox,
    )
    from flowdock_desktop.store.commands import print_table

    if not items:
        print("The outbox is empty.", file=out)
        return
    names = outbox_names(context.integrations.list())
    # A queued message that time alone will not send has a state of its own (README).
    holds = outbox_waits_for(items)
    rows = [("ITEM", "INTEGRATION", "STATE", "TRIES", "NEXT TRY", "TITLE", "LAST ERROR")]
    for item in items:
        if item.id in holds:  # not a time: what sends it
            next_try = sent_by(holds[item.id])
        else:
            next_try = _when(item.next_attempt_at) if item.state == "queued" else "-"
        title = outbox_title(item)
        rows.append(
            (
                str(item.id),
                names.get(item.integration_id, item.integration_id),
                f"waiting-for-{holds[item.id]}" if item.id in holds else item.state,
                str(item.attempts),
                next_try,
                title[:40],
                item.last_error or "",
            )
        )
    print_table(rows, out)
    for line in summarize_outbox([i for i in items if i.state != "sent"]).lines():
        print(line, file=out)  # the same summary as the composer's footer


def _flush(context: AppContext, out: TextIO, only: Integration | None = None) -> int:
    """Send what waits (``only`` that integration's, when given), through the same service
    as the composer (410 clean-up included)."""
    from flowdock_desktop.sending import SendService

    outbox = context.outbox
    chosen = only.id if only is not None else None
    if outbox.count_pending(chosen) == 0:
        nothing = f"Nothing of “{only.source_name}” waits in the outbox." if only else ""
        print(nothing or "Nothing to send.", file=out)
        return 0
    with SendService(context) as service:
        outcomes = service.flush(integration_id=chosen)
    for outcome in outcomes:
        print(_describe(context, outcome), file=out)
    left = outbox.count_pending(chosen)
    if left:
        print(f"{left} message(s) still waiting.", file=out)
    others = outbox.count_pending() - left if only is not None else 0
    if others:
        print(
            f"Only “{only.source_name}”'s messages were sent now; {others} message(s) of other "
            "integrations wait for their next try (flowdock-desktop outbox --flush sends them "
            "now).",
            file=out,
        )
    if outcomes and all(o.result == "sent" for o in outcomes) and not left:
        return 0
    waiting = [o for o in outcomes if o.needs_reconnect]
    if waiting:
        names = {o.item.integration_id: _source_name(context, o.item) for o in waiting}
        held = sum(outbox.count_pending(integration_id) for integration_id in names)
        print(_reconnect_how(held, names), file=out)
        # A status of its own only when Reconnect is all that holds anything back.
        if all(o.result == "sent" or o.needs_reconnect for o in outcomes):
            from flowdock_desktop.problems import EXIT_NEEDS_RECONNECT

            return EXIT_NEEDS_RECONNECT
    return 1


def _source_name(context: AppContext, item: OutboxItem) -> str:
    from flowdock_desktop.store.integrations import UnknownIntegrationError

    try:
        return context.integrations.get(item.integration_id).source_name
    except UnknownIntegrationError:
        return item.integration_id


def _reconnect_how(waiting: int, names: dict[str, str]) -> str:
    """What sends messages that wait for Reconnect (``names``: integration id to source
    name): the command for each, or the app's Reconnect."""
    which = ", ".join(f"“{name}”" for name in names.values())
    one = len(names) == 1
    commands = "; ".join(_reconnect_command(integration_id) for integration_id in names)
    return (
        f"{waiting} message(s) wait for Reconnect of {which}. Reconnect "
        f"{'it' if one else 'each'} from the command line: {commands}. Or start Flowdock "
        f"Desktop (flowdock-desktop), choose {which} and press Reconnect"
        f"{'' if one else ' for each'}. They are sent then; nothing needs to be sent again."
    )


def _reconnect_command(integration_id: str) -> str:
    """The command that reconnects an integration and sends what waited for it (by id: a
    source name may be shared, and quoting it would depend on the shell)."""
    return f"flowdock-desktop reconnect --integration {integration_id} --flush"


def _flush_command(integration_id: str) -> str:
    """The command that sends one integration's waiting messages now, and no other's."""
    return f"flowdock-desktop outbox --integration {integration_id} --flush"


def _describe(context: AppContext, outcome: DeliveryOutcome) -> str:
    from flowdock_desktop.compose.presenters import outbox_title

    item = context.outbox.get(outcome.item.id) or outcome.item
    what = outbox_title(item)
    if outcome.result == "sent":
        return f"Sent {item.id} ({what})."
    if outcome.needs_reconnect:
        return f"Waiting {item.id} ({what}): {outcome.error}"
    if outcome.result == "retry":
        return (
            f"Not sent {item.id} ({what}): {outcome.error} "
            f"Will try again after {_when(item.next_attempt_at)}."
        )
    return f"Not sent {item.id} ({what}): {outcome.error}"


# -- reconnect -------------------------------------------------------------------------------


def _reconnect(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Reconnect as the wizard's Reconnect does; 0 when done (or not needed), 1 when not,
    and with --flush the statuses of ``outbox --flush``."""
    from flowdock_desktop.connect import due_after_reconnect, without_flow_token

    out = out or sys.stdout
    with _context() as context:
        integration = _integration(context, args.integration)
        name, where = integration.source_name, integration.flow_path
        if not integration.is_active:
            raise _fail(
                f"“{name}” ({where}) was removed in Flowdock, so it cannot be reconnected: "
                "set it up again (in the app, or with flowdock-desktop connect) and its unsent "
                "messages can be sent through the new source from the app."
            )
        # Asks the keyring first: without one (or locked) this stops here, with its words.
        if not without_flow_token(context.credentials, [integration]):
            print(
                f"“{name}” ({where}) does not need reconnecting: its flow token is in the "
                "keyring. Nothing was changed.",
                file=out,
            )
            pending = context.outbox.count_pending(integration.id)
            if pending:
                print(
                    f"{pending} message(s) of it wait in the outbox for their next try; "
                    f"{_flush_command(integration.id)} sends them now.",
                    file=out,
                )
            return 0
        _reconnect_signed_in(args, context, integration)
        waiting = due_after_reconnect(context.outbox, integration)
        print(
            f"Reconnected “{name}” ({where}): a new source of that name was made and the old "
            "one removed; its flow token is in the keyring.",
            file=out,
            flush=True,
        )
        if args.flush:
            return _flush(context, out, integration)
        if waiting:
            print(
                f"{waiting} message(s) that waited for it are due now; send them with: "
                f"{_flush_command(integration.id)}",
                file=out,
            )
        return 0


def _reconnect_signed_in(
    args: argparse.Namespace, context: AppContext, integration: Integration
) -> ConnectResult:
    """``reconnect_integration`` with the saved sign-in when it is for the integration's
    server and the server takes it; otherwise after signing in (as ``login``)."""
    from flowdock_desktop.api.errors import AuthenticationError, PermissionDeniedError
    from flowdock_desktop.auth.commands import sign_in_to
    from flowdock_desktop.auth.errors import SignInRequired
    from flowdock_desktop.connect import probe_server

    api_url = integration.api_url.rstrip("/")
    session = context.session()
    if session is not None and session.account.api_url.rstrip("/") == api_url:
        try:
            return _reconnect_now(context, integration)
        except (AuthenticationError, SignInRequired, PermissionDeniedError) as exc:
            if isinstance(exc, PermissionDeniedError) and not exc.missing_scope:
                raise  # another sign-in of the same person would not change it
            _note(f"The saved sign-in for {api_url} cannot be used any more: signing in again.")
        if args.client_id is None:
            args.client_id = session.account.client_id
    else:
        _note(f"Reconnecting needs a sign-in to {api_url}: signing in first.")
    probe_server(api_url)  # an unreachable server is said before any browser opens
    sign_in_to(args, context, api_url)
    return _reconnect_now(context, integration)


def _reconnect_now(context: AppContext, integration: Integration) -> ConnectResult:
    """One try of ``reconnect_integration`` with the saved sign-in. Its errors go on to the
    command line's handler, which says each in plain words (``problems.explain``); a flow
    that is not found gets words of its own."""
    from flowdock_desktop.api.errors import NotFoundError
    from flowdock_desktop.connect import reconnect_integration

    try:
        with context.user_client() as client:
            return reconnect_integration(
                client,
                integration,
                credentials=context.credentials,
                integrations=context.integrations,
            )
    except NotFoundError:
        raise _fail(
            f"The flow {integration.flow_path} was not found on {integration.api_url}, or the "
            f"signed-in person is not a member of it, so “{integration.source_name}” was not "
            "reconnected. Sign in as a member of the flow (flowdock-desktop login), or set "
            "the integration up again."
        ) from None
