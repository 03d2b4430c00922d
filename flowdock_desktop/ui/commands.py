"""GUI entry points and their command-line twins: setup, configure, flows, connect."""

from __future__ import annotations

import argparse
import os
import sys

from flowdock_desktop.cli import CommandError


def register(subparsers: argparse._SubParsersAction, parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="run against the embedded sandbox, with every wizard field prefilled",
    )
    parser.add_argument("--self-test", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(sandbox=False, self_test=False)
    # cli.main falls back to this when no sub-command was given.
    parser.default_handler = _open_gui  # type: ignore[attr-defined]

    setup = subparsers.add_parser("setup", help="open the setup wizard")
    setup.add_argument(
        "setup_link", nargs="?", metavar="SETUP_LINK", help="the setup link Flowdock gave"
    )
    setup.set_defaults(handler=_setup)

    configure = subparsers.add_parser("configure", help="open an integration's settings")
    configure.add_argument("configuration_link", metavar="CONFIGURATION_LINK")
    configure.set_defaults(handler=_configure)

    status = subparsers.add_parser(
        "status",
        help="show the server, who is signed in, token expiry and where secrets are kept",
        description="Like Help > Account in the app. Exit status 0 when someone is signed "
        "in, 1 when no one is.",
    )
    status.set_defaults(handler=_status)

    flows = subparsers.add_parser("flows", help="list the signed-in person's flows")
    flows.set_defaults(handler=_flows)

    connect = subparsers.add_parser(
        "connect", help="create a source in a flow, like the wizard, and print its id"
    )
    which = connect.add_mutually_exclusive_group(required=True)
    which.add_argument("--flow", metavar="ORG/FLOW", help="the flow as organization/flow")
    which.add_argument("--flow-id", metavar="ID", help="the flow's id")
    which.add_argument("--setup-link", metavar="LINK", help="the setup link Flowdock gave")
    connect.add_argument("--name", required=True, help="the new source's name")
    connect.add_argument("--external-url", metavar="URL", help="link to what the source is about")
    connect.set_defaults(handler=_connect)


def _require_display() -> None:
    """Plain words instead of Qt's abort (signal 6) when no screen can show a window."""
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return
    if any(os.environ.get(name) for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")):
        return
    from flowdock_desktop.problems import EXIT_NO_DISPLAY

    raise CommandError(
        "There is no display to open a window on (no X11 or Wayland session). Start it from "
        "your desktop, or use a command that needs no window, such as 'send' or 'status'.",
        EXIT_NO_DISPLAY,
    )


def _open_gui(args: argparse.Namespace) -> int:
    if args.self_test:
        from flowdock_desktop.selftest import run_self_test

        return run_self_test()
    _require_display()
    from flowdock_desktop.ui.app import run_gui

    return run_gui(sandbox=args.sandbox)


def _checked_link(parse, text: str):
    """The parsed link, or a one-line plain-words ``CommandError`` with the usage status (2),
    before Qt starts or any server is asked: a bad link is a bad argument like any other."""
    from flowdock_desktop.problems import EXIT_USAGE
    from flowdock_desktop.setup_links import SetupLinkError

    try:
        return parse(text)
    except SetupLinkError as exc:
        raise CommandError(str(exc), EXIT_USAGE) from None


def _setup(args: argparse.Namespace) -> int:
    from flowdock_desktop.setup_links import parse_setup_link

    if args.setup_link is not None:
        _checked_link(parse_setup_link, args.setup_link)
    _require_display()
    from flowdock_desktop.ui.app import run_gui

    return run_gui(setup_link=args.setup_link, sandbox=args.sandbox)


def _configure(args: argparse.Namespace) -> int:
    from flowdock_desktop.connect import ConnectError, integration_for_link
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.setup_links import parse_configuration_link

    link = _checked_link(parse_configuration_link, args.configuration_link)
    # Which integration it names is known from local data alone: say so before any window.
    with AppContext() as context:
        try:
            integration_for_link(context.integrations, link, context.api_url)
        except ConnectError as exc:
            from flowdock_desktop.problems import EXIT_USAGE

            raise CommandError(str(exc), EXIT_USAGE) from None
    _require_display()
    from flowdock_desktop.ui.app import run_gui

    return run_gui(configuration_link=args.configuration_link)


def _cli_context():
    from flowdock_desktop.auth.credentials import CredentialStore
    from flowdock_desktop.context import AppContext

    # A secret kept in memory would end with the command: no stand-in for a missing keyring.
    return AppContext(credentials=CredentialStore(fallback=False))


def _status(args: argparse.Namespace) -> int:
    from flowdock_desktop.account_status import collect_status
    from flowdock_desktop.context import AppContext

    with AppContext() as context:
        status = collect_status(context)
    for line in status.lines():
        print(line)
    return 0 if status.signed_in else 1


def _signed_in_client(context):
    from flowdock_desktop.auth.errors import SignInRequired

    try:
        return context.user_client()
    except SignInRequired:
        raise CommandError(
            "You are not signed in. Sign in first: flowdock-desktop login --api-url URL"
        ) from None


def _flows(args: argparse.Namespace) -> int:
    from flowdock_desktop.api.errors import FlowdockError
    from flowdock_desktop.auth.errors import SignInError
    from flowdock_desktop.connect import group_flows

    with _cli_context() as context, _signed_in_client(context) as client:
        try:
            flows = client.list_flows()
        except FlowdockError as exc:
            raise CommandError(exc.user_message) from None
        except SignInError as exc:
            raise CommandError(str(exc)) from None
    if not flows:
        print("You are not a member of any flow.")
        return 0
    for org_name, items in group_flows(flows):
        print(org_name)
        width = max(len(flow.path) for flow in items)
        for flow in items:
            print(f"  {flow.path:<{width}}  {flow.name}  (id {flow.id})")
    return 0


def _connect(args: argparse.Namespace) -> int:
    from flowdock_desktop.api.errors import FlowdockError
    from flowdock_desktop.auth.errors import SignInError
    from flowdock_desktop.connect import (
        ConnectError,
        create_integration,
        find_flow,
        matching_sources,
    )
    from flowdock_desktop.setup_links import parse_setup_link

    # Checked before the keyring or the server: "" is an empty link, not "no link".
    link = None if args.setup_link is None else _checked_link(parse_setup_link, args.setup_link)
    with _cli_context() as context, _signed_in_client(context) as client:
        session = context.session()
        try:
            flow = find_flow(client, flow_id=args.flow_id, flow_path=args.flow, setup_link=link)
            existing = matching_sources(
                client.list_sources(flow.org_name, flow.parameterized_name or ""), args.name
            )
            if existing:
                print(
                    f"Note: {flow.path} already has a source named “{existing[0].name}”.",
                    file=sys.stderr,
                )
            result = create_integration(
                client,
                flow,
                args.name,
                credentials=context.credentials,
                integrations=context.integrations,
                account_user_id=session.account.user_id if session else None,
                external_url=args.external_url,
            )
        except ConnectError as exc:
            raise CommandError(str(exc)) from None
        except FlowdockError as exc:
            raise CommandError(exc.user_message) from None
        except SignInError as exc:
            raise CommandError(str(exc)) from None
    integration = result.integration
    # The store has no in-memory stand-in here: the token was saved, or nothing was created.
    print(
        f"Created the source “{integration.source_name}” in {flow.path}; its flow token is in "
        "the keyring.",
        file=sys.stderr,
    )
    print(integration.id)
    return 0
