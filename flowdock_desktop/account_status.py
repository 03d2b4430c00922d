"""Where this computer's sign-in and secrets stand (Qt-free): ``flowdock-desktop status`` and
Help > Account show the same rows.

Server, signed-in person, application, granted scopes, token expiry, which keyring holds the
secrets, and, for the embedded sandbox, its address and the team inbox of each integration.
Nothing secret is ever part of it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit, urlunsplit

if TYPE_CHECKING:
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.store.integrations import Integration

__all__ = ["AccountStatus", "collect_status", "describe_expiry", "team_inbox_url"]


def team_inbox_url(api_url: str, org_slug: str, flow_slug: str) -> str:
    """The web page of a flow's team inbox on the server ``api_url`` answers for.

    The sandbox serves it under its own address; Flowdock served its API on ``api.`` and the
    web app on ``www.`` of the same domain.
    """
    parts = urlsplit(api_url.rstrip("/"))
    host = parts.netloc
    if host.startswith("api."):
        host = "www." + host[len("api.") :]
    path = f"{parts.path}/app/{quote(org_slug, safe='')}/{quote(flow_slug, safe='')}"
    return urlunsplit((parts.scheme, host, path, "", ""))


def describe_expiry(expires_at: float | None, *, now: float | None = None) -> str:
    """ "in 58 minutes (at 14:05 UTC)" and friends, in plain words."""
    if expires_at is None:
        return "does not expire"
    current = time.time() if now is None else now
    left = expires_at - current
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expires_at))
    minutes = round(abs(left) / 60)
    span = f"{minutes} minute{'s' if minutes != 1 else ''}"
    if minutes >= 120:
        hours = round(abs(left) / 3600)
        span = f"{hours} hours"
    if left >= 0:
        return f"in {span} ({when}); refreshed by itself before then"
    return f"expired {span} ago ({when}); refreshed at the next request"


@dataclass
class AccountStatus:
    """The rows of the status, as ``(label, value)``; ``signed_in`` decides the exit status.

    ``inbox_links``: ``(integration name, team inbox URL)`` for each active integration.
    """

    rows: list[tuple[str, str]] = field(default_factory=list)
    signed_in: bool = False
    inbox_links: list[tuple[str, str]] = field(default_factory=list)
    sandbox_url: str | None = None

    def lines(self) -> list[str]:
        width = max((len(label) for label, _ in self.rows), default=0) + 1
        return [f"{label + ':':<{width}} {value}" for label, value in self.rows]


def _set_aside(context: AppContext) -> str | None:
    """Why the keyring is set aside ("the keyring is locked"), when it failed in use. Read
    after each keyring use: the first one may be what finds it locked."""
    reason = context.credentials.set_aside
    return reason.value if reason is not None else None


def _secrets_row(context: AppContext) -> str:
    credentials = context.credentials
    set_aside = _set_aside(context)
    if set_aside is not None:
        return (
            f"in memory for now: {set_aside} (unlock it, then choose Try the keyring again "
            "in the composer)"
        )
    if not credentials.persistent:
        return "in memory only, until Flowdock Desktop quits (no usable system keyring)"
    backend = credentials.backend
    name = getattr(backend, "name", "") or type(backend).__name__
    return f"the system keyring ({name})"


#: How to sign in, said where nobody is: the command line's way by default.
SIGN_IN_HINT = "sign in with the setup wizard or `login`"


def collect_status(
    context: AppContext, *, check_sandbox: bool = True, sign_in_hint: str = SIGN_IN_HINT
) -> AccountStatus:
    """Read the profile, the keyring and the local data; touches the network only to ask
    whether the embedded sandbox is running (``check_sandbox``). Call it off the GUI thread.
    ``sign_in_hint``: how to sign in, in the words of where the status is shown."""
    from flowdock_desktop.connect import without_flow_token
    from flowdock_desktop.store.servers import KnownServers

    status = AccountStatus()
    rows = status.rows
    server = context.api_url
    embedded = context.embedded_sandbox_url()
    if server:
        rows.append(("Server", server + (" (the embedded sandbox)" if server == embedded else "")))
    else:
        rows.append(("Server", "none chosen yet (the setup wizard asks)"))
    session = context.session()
    set_aside = _set_aside(context) if session is None else None
    if set_aside is not None:
        rows.append(("Signed in", f"not known while {set_aside}"))
    elif session is None:
        rows.append(("Signed in", f"no one ({sign_in_hint})"))
    else:
        account = session.account
        status.signed_in = True
        rows.append(("Signed in as", f"{account.display_name}, user {account.user_id}"))
        rows.append(("On server", account.api_url))
        known = KnownServers(context.db).application(account.api_url, account.client_id)
        app = known.label if known is not None else account.client_id
        rows.append(("Application", app))
        tokens = context.credentials.get_token_set(account.key)
        scopes = (tokens.scope if tokens and tokens.scope else None) or account.scopes
        rows.append(("Scopes", " ".join(scopes) or "(none)"))
        rows.append(("Access token", describe_expiry(tokens.expires_at) if tokens else "missing"))
        if tokens is not None:
            rows.append(("Refresh token", "stored" if tokens.refresh_token else "none"))
    rows.append(("Secrets", _secrets_row(context)))
    integrations = context.integrations.list(include_removed=False)
    missing = without_flow_token(context.credentials, integrations)
    summary = f"{len(integrations)}"
    set_aside = _set_aside(context)
    if missing and set_aside is not None:
        summary += f" ({len(missing)} not readable while {set_aside})"
    elif missing:
        summary += f" ({len(missing)} need{'s' if len(missing) == 1 else ''} sign-in)"
    rows.append(("Integrations", summary))
    if embedded:
        status.sandbox_url = embedded
        state = ""
        if check_sandbox and context.sandbox is None:
            from flowdock_desktop.auth.discovery import discover_sandbox

            answering = discover_sandbox(embedded, timeout=1.0) is not None
            state = " (running)" if answering else " (not running; it starts with the app)"
        rows.append(("Sandbox", embedded + state))
    for integration in integrations:
        url = team_inbox_url(integration.api_url, integration.org_slug, integration.flow_slug)
        status.inbox_links.append((_inbox_label(integration), url))
    for label, url in status.inbox_links:
        rows.append(("Team inbox", f"{url}  ({label})"))
    return status


def _inbox_label(integration: Integration) -> str:
    return f"{integration.source_name} in {integration.organization_name} / {integration.flow_name}"
