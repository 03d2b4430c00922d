"""Command-line sign-in: ``login``, ``whoami`` and ``logout``."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import TYPE_CHECKING, Any

from flowdock_desktop.auth.constants import DEFAULT_REDIRECT_URI, DEFAULT_SCOPES
from flowdock_desktop.auth.errors import SignInError
from flowdock_desktop.auth.tokens import parse_scopes
from flowdock_desktop.cli import CommandError

# The keyring, httpx and Authlib are imported by the handlers: every start of the app builds
# this parser, the GUI's first window included.
if TYPE_CHECKING:
    from flowdock_desktop.auth.credentials import CredentialStore
    from flowdock_desktop.auth.oauth import OAuthApp, SignInFlow
    from flowdock_desktop.auth.session import Session
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.store.servers import KnownApplication


def register(subparsers: Any, parser: argparse.ArgumentParser) -> None:
    """Add the sign-in sub-commands to the main parser."""
    login = subparsers.add_parser(
        "login",
        help="sign in to a Flowdock server in your browser",
        description="Sign in with OAuth in the system browser. Against the sandbox the demo "
        "application is used unless --client-id is given.",
    )
    login.add_argument("--api-url", required=True, metavar="URL", help="the API base URL")
    add_sign_in_options(login)
    login.set_defaults(handler=_login)

    whoami = subparsers.add_parser("whoami", help="show who is signed in")
    whoami.set_defaults(handler=_whoami)

    logout = subparsers.add_parser("logout", help="sign out and forget the stored tokens")
    logout.set_defaults(handler=_logout)


def add_sign_in_options(parser: argparse.ArgumentParser) -> None:
    """The options of a browser sign-in, for ``login`` and for commands that may sign in
    first (``reconnect``): the application, the browser or a pasted address, the wait."""
    parser.add_argument("--client-id", metavar="ID", help="your OAuth application's client ID")
    parser.add_argument(
        "--client-secret-stdin",
        action="store_true",
        help="read the client secret from the first line of standard input",
    )
    parser.add_argument(
        "--redirect-uri",
        metavar="URI",
        help=f"the registered callback URI (default {DEFAULT_REDIRECT_URI})",
    )
    parser.add_argument(
        "--scope",
        action="append",
        metavar="S",
        help=f"scopes to ask for, repeatable or space separated (default: "
        f"{' '.join(DEFAULT_SCOPES)})",
    )
    parser.add_argument(
        "--no-browser",
        action="store_true",
        help="print the address instead of opening a browser, then read the final address "
        "(or the code) from standard input",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="how long to wait for the browser (default 300)",
    )


def _profile(args: argparse.Namespace) -> Any:
    from flowdock_desktop.store.profile import Profile

    return Profile.resolve(getattr(args, "profile", None))


def _store() -> CredentialStore:
    from flowdock_desktop.auth.credentials import CredentialStore

    # No in-memory stand-in: a sign-in kept only until this command ends would be a lie.
    # A missing or locked keyring is then reported (KeyringUnavailable) at first use.
    return CredentialStore(fallback=False)


def _server(text: str) -> str:
    """The server address by the same rule as the wizard: https, or http only on loopback."""
    from flowdock_desktop.connect import validate_server_url

    url, problem = validate_server_url(text)
    if url is None:
        raise CommandError(f"--api-url {text}: {problem}", 2)
    return url


def _read_secret() -> str:
    try:
        return sys.stdin.readline().strip()
    except UnicodeDecodeError:
        raise CommandError(
            "The client secret on standard input is not UTF-8 text. Pass it as it was shown "
            "when the application was registered."
        ) from None


def _resolve_app(
    args: argparse.Namespace,
    api_url: str,
    store: CredentialStore,
    known: list[KnownApplication],
) -> tuple[OAuthApp, bool]:
    """The application to sign in with, and whether the server is a sandbox.

    Given on the command line, else the sandbox's demo application, else the one last used on
    this server (``known``, as the wizard offers it first); a client id used before brings its
    callback and, from the keyring, its secret.
    """
    from flowdock_desktop.auth.discovery import discover_sandbox
    from flowdock_desktop.auth.oauth import OAuthApp

    scopes = parse_scopes(" ".join(args.scope)) if args.scope else DEFAULT_SCOPES
    secret = _read_secret() if args.client_secret_stdin else None
    if args.client_secret_stdin and not secret:
        raise CommandError("--client-secret-stdin was given but standard input was empty.")
    demo = discover_sandbox(api_url)
    client_id = args.client_id
    if client_id is None and demo is not None:
        client_id = demo.client_id
    if client_id is None and known:
        client_id = known[0].client_id
    if client_id is None:
        raise CommandError(
            f"{api_url} is not a Flowdock Desktop sandbox, so an application is needed: "
            "give --client-id and --client-secret-stdin for the OAuth application you "
            "registered."
        )
    is_demo = demo is not None and client_id == demo.client_id
    used_before = next((app for app in known if app.client_id == client_id), None)
    if secret is None:
        secret = store.get_client_secret(api_url, client_id)
    if secret is None and is_demo and demo is not None:
        secret = demo.client_secret
    if secret is None:
        raise CommandError(
            f"No client secret is stored for client ID {client_id}. Pass it on standard "
            "input with --client-secret-stdin."
        )
    redirect_uri = args.redirect_uri
    if redirect_uri is None and used_before is not None and used_before.redirect_uri:
        redirect_uri = used_before.redirect_uri
    if redirect_uri is None and is_demo and demo is not None:
        redirect_uri = demo.redirect_uri
    app = OAuthApp(
        api_url=api_url,
        client_id=client_id,
        client_secret=secret,
        redirect_uri=redirect_uri or DEFAULT_REDIRECT_URI,
        scopes=scopes,
        # The sandbox's demo app accepts any loopback port (RFC 8252); a port conflict on the
        # registered one then never blocks a demo sign-in.
        allow_any_port=bool(
            is_demo and demo and demo.loopback_any_port and redirect_uri == demo.redirect_uri
        ),
    )
    return app, demo is not None


def _read_pasted(flow: SignInFlow) -> None:
    """Feed pasted lines to the flow until one is usable; the browser may still win the race."""
    for line in iter(sys.stdin.readline, ""):
        if not line.strip():
            continue
        try:
            flow.submit_pasted(line)
        except SignInError as exc:
            # Unusable paste: say why and keep waiting for another one (or the browser).
            print(f"flowdock-desktop: {exc}", file=sys.stderr, flush=True)
            continue
        return


def _login(args: argparse.Namespace) -> int:
    from flowdock_desktop.context import AppContext

    api_url = _server(args.api_url)
    store = _store()
    # Ask the keyring before the browser: a locked one shows its unlock prompt now, and one
    # that stays locked stops the sign-in before the person goes through it for nothing.
    store.get(store.token_key("flowdock-desktop-check"))
    with AppContext(_profile(args), credentials=store) as context:
        session = sign_in_to(args, context, api_url)
    print(f"Signed in as {session.account.display_name}")
    return 0


def sign_in_to(args: argparse.Namespace, context: AppContext, api_url: str) -> Session:
    """Sign in to ``api_url`` as ``login`` does, with the options ``add_sign_in_options``
    gave ``args``: the application given, else the sandbox's demo one, else the one used
    last on this server. ``CommandError`` (plain words) when it cannot be done."""
    from flowdock_desktop.store.servers import KnownServers

    known = KnownServers(context.db)
    app, is_sandbox = _resolve_app(args, api_url, context.credentials, known.applications(api_url))
    session = _sign_in(args, context, app)
    # As the wizard does: this server and application come first next time, and the
    # app starts from this server.
    known.remember_sign_in(app, is_sandbox=is_sandbox)
    context.api_url = app.api_url
    return session


def _sign_in(args: argparse.Namespace, context: AppContext, app: OAuthApp) -> Session:
    """The browser sign-in (or a pasted address), recorded in the profile and the keyring."""
    from flowdock_desktop.auth.browser import open_browser
    from flowdock_desktop.auth.oauth import SignInFlow
    from flowdock_desktop.auth.session import start_session

    store = context.credentials
    flow = SignInFlow(app, timeout=args.timeout)
    try:
        url = flow.start()
        opened = False if args.no_browser else open_browser(url)
        if opened:
            print("Your browser was opened to sign in. If it did not appear, open this address:")
            print(url, flush=True)
        else:
            print("Open this address in a browser and sign in:")
            print(url)
            print(
                "Then paste the address your browser ended on (or the code it shows) here:",
                flush=True,
            )
            threading.Thread(target=_read_pasted, args=(flow,), daemon=True).start()
        tokens = flow.wait()
        session = start_session(context.profile, store, app, tokens, redirect_uri=flow.redirect_uri)
    except SignInError as exc:
        raise CommandError(str(exc)) from None
    except KeyboardInterrupt:
        flow.cancel()
        raise
    if store.get_token_set(session.account.key) is None:
        # Never claim a sign-in the next command cannot find.
        raise CommandError(
            "The keyring did not keep the sign-in, so you are not signed in. Check that your "
            "keyring is unlocked and working, then sign in again."
        )
    return session


def _signed_in(args: argparse.Namespace) -> Session | None:
    """The sign-in recorded in the profile, read through the profile's context (which first
    makes the keyring deletions an earlier run could not)."""
    from flowdock_desktop.auth.session import current_session
    from flowdock_desktop.context import AppContext

    with AppContext(_profile(args), credentials=_store()) as context:
        return current_session(context.profile, context.credentials)


def _whoami(args: argparse.Namespace) -> int:
    session = _signed_in(args)
    if session is None:
        raise CommandError("Not signed in. Run: flowdock-desktop login --api-url URL")
    try:
        user = session.fetch_user()
    except SignInError as exc:
        raise CommandError(str(exc)) from None
    name = user.get("name") or session.account.name
    email = user.get("email") or session.account.email
    print(f"Signed in as {name} ({email}) at {session.account.api_url}")
    return 0


def _logout(args: argparse.Namespace) -> int:
    session = _signed_in(args)
    if session is None:
        print("Not signed in.")
        return 0
    session.sign_out()
    print(f"Signed out of {session.account.api_url}.")
    return 0
