"""Connecting a flow (Qt-free): find the flow, check its sources, create one, remember it.

Shared by the setup wizard's flow/name/done pages and the ``connect`` command, so both make
exactly the same requests and keep exactly the same records: the flow token goes to the keyring
(``CredentialStore``), the rest to the profile's ``IntegrationStore``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flowdock_desktop.api.errors import FlowdockError, NetworkError, NotFoundError
from flowdock_desktop.api.models import Flow, Source
from flowdock_desktop.api.validation import validate_source_name
from flowdock_desktop.cancel import Cancelled, CancelToken
from flowdock_desktop.setup_links import ConfigurationLink, SetupLink
from flowdock_desktop.store.integrations import Integration, IntegrationStore

if TYPE_CHECKING:
    # The HTTP stack loads on first use: the wizard's first page needs none of it.
    from flowdock_desktop.api.client import FlowdockClient
    from flowdock_desktop.auth.credentials import CredentialStore
    from flowdock_desktop.auth.discovery import DemoApplication
    from flowdock_desktop.store.outbox import Outbox

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_SOURCE_NAME",
    "ConnectCancelled",
    "ConnectError",
    "ServerInfo",
    "create_integration",
    "due_after_reconnect",
    "find_flow",
    "flow_summary",
    "group_flows",
    "integration_for_link",
    "is_loopback_url",
    "matching_sources",
    "probe_server",
    "reconnect_integration",
    "suggest_source_name",
    "validate_server_url",
    "without_flow_token",
]

#: What a new source is called unless the person (or the application's name) says otherwise.
DEFAULT_SOURCE_NAME = "Flowdock Desktop"

_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


class ConnectError(Exception):
    """A step of connecting failed; ``str(error)`` is plain words with a next step."""


class ConnectCancelled(ConnectError, Cancelled):
    """The person cancelled; nothing was left behind."""

    def __init__(self) -> None:
        super().__init__("Cancelled. Nothing was created.")


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _host_and_port(url: str) -> str:
    """``host:port`` of a server address, the port spelled out even when it is the default,
    since a wrong port is the usual reason a server on this computer does not answer."""
    try:
        parts = urlsplit(url)
        port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    except ValueError:
        return url
    host = parts.hostname or url
    host = f"[{host}]" if ":" in host else host
    return f"{host}:{port}" if port else host


def is_loopback_url(url: str) -> bool:
    host = _host(url)
    return host in _LOOPBACK_HOSTS or host.startswith("127.")


def validate_server_url(text: str) -> tuple[str | None, str | None]:
    """``(normalised url, None)`` or ``(None, what to fix)`` for a server address typed in."""
    value = text.strip()
    if not value:
        return None, "Enter the server's address, e.g. https://api.flowdock.example."
    if "://" not in value:
        return None, "Start the address with https:// (or http:// for this computer)."
    try:
        url = urlsplit(value)
        url.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return None, "This is not a valid web address."
    if url.scheme.lower() not in ("http", "https") or not url.hostname or " " in value:
        return None, "Use an https:// address (http:// only for this computer)."
    if url.query or url.fragment:
        return None, "Enter only the server's base address, without ?… or #… at the end."
    if url.scheme.lower() == "http" and not is_loopback_url(value):
        return None, (
            "Use https:// for servers on other computers; plain http:// would send your "
            "sign-in unprotected. http:// is allowed only for 127.0.0.1 or localhost."
        )
    return value.rstrip("/"), None


@dataclass(frozen=True)
class ServerInfo:
    """A reachable server, and its demo application when it is a Flowdock Desktop sandbox."""

    api_url: str
    demo: DemoApplication | None = None

    @property
    def is_sandbox(self) -> bool:
        return self.demo is not None


def probe_server(api_url: str, *, timeout: float = 5.0) -> ServerInfo:
    """Check the server answers at all, then ask it whether it is a sandbox.

    Raises ``NetworkError`` (plain words) when nothing answers; any HTTP answer counts as
    reachable, because a real Flowdock server has no ``/sandbox`` and answers 404.
    """
    import httpx

    from flowdock_desktop.api.http import create_http_client
    from flowdock_desktop.auth.discovery import discover_sandbox

    try:
        with create_http_client(api_url, timeout=timeout) as client:
            client.get("/sandbox")
    except httpx.HTTPError:
        raise NetworkError(
            f"Could not reach {_host_and_port(api_url)}. Check the address and that the "
            "server is running, then try again."
        ) from None
    return ServerInfo(api_url, discover_sandbox(api_url, timeout=timeout))


def group_flows(flows: Iterable[Flow]) -> list[tuple[str, list[Flow]]]:
    """Flows grouped by organization name, both sorted case-insensitively."""
    groups: dict[str, list[Flow]] = {}
    for flow in flows:
        org = flow.organization
        name = (org.name or org.parameterized_name or "") if org else ""
        groups.setdefault(name or "(no organization)", []).append(flow)
    return [
        (name, sorted(items, key=lambda f: (f.name or "").casefold()))
        for name, items in sorted(groups.items(), key=lambda kv: kv[0].casefold())
    ]


def find_flow(
    client: FlowdockClient,
    *,
    flow_id: str | None = None,
    flow_path: str | None = None,
    setup_link: SetupLink | None = None,
) -> Flow:
    """The flow named by id, by ``org/flow`` or by a setup link, with its members.

    Raises ``ConnectError`` with plain words when the flow does not exist or is not visible.
    """
    if setup_link is not None:
        flow_id = flow_id or setup_link.flow_id
        flow_path = flow_path or setup_link.flow_path
    try:
        if flow_id:
            found = client.find_flow(flow_id)
            # /flows/find may leave out the members; the flow's own resource has them.
            if not found.users and found.organization and found.parameterized_name:
                found = client.get_flow(found.org_name, found.parameterized_name)
            return found
        if flow_path:
            org, _, name = flow_path.strip().strip("/").partition("/")
            if not org or not name or "/" in name:
                raise ConnectError(
                    f"'{flow_path}' is not a flow. Write it as organization/flow, e.g. acme/main."
                )
            return client.get_flow(org, name)
    except NotFoundError:
        what = "the setup link" if setup_link is not None else "that name"
        raise ConnectError(
            f"The flow in {what} was not found, or you are not a member of it. Check the "
            "link, sign in as a member of the flow, or choose the flow yourself."
        ) from None
    raise ConnectError("Say which flow to connect: give a flow, a flow id or a setup link.")


def flow_summary(flow: Flow) -> dict[str, str | int]:
    """What the confirmation shows about a flow."""
    org = flow.organization
    return {
        "flow": flow.name or flow.parameterized_name or "",
        "organization": (org.name or org.parameterized_name or "") if org else "",
        "access_mode": flow.access_mode or "unknown",
        "members": len(flow.users),
        "path": flow.path,
    }


def matching_sources(
    sources: Iterable[Source], name: str, application_name: str | None = None
) -> list[Source]:
    """Existing sources with this name (case-insensitive), of this application when known."""
    wanted = name.strip().casefold()
    found = []
    for source in sources:
        if (source.name or "").strip().casefold() != wanted:
            continue
        app = source.application.name if source.application else None
        if application_name and app and app.casefold() != application_name.casefold():
            continue
        found.append(source)
    return found


def suggest_source_name(
    sources: Iterable[Source], base: str = DEFAULT_SOURCE_NAME, application_name: str | None = None
) -> str:
    """``base``, or ``base 2``, ``base 3``… when the flow already has a source of that name."""
    existing = list(sources)
    candidate = base
    number = 2
    while matching_sources(existing, candidate, application_name):
        candidate = f"{base} {number}"
        number += 1
    return candidate


@dataclass
class ConnectResult:
    """What ``create_integration`` made: the local record and the server's source."""

    integration: Integration
    source: Source = field(repr=False)
    token_persistent: bool = True


def create_integration(
    client: FlowdockClient,
    flow: Flow,
    name: str,
    *,
    credentials: CredentialStore,
    integrations: IntegrationStore,
    account_user_id: str | None = None,
    external_url: str | None = None,
    cancel: CancelToken | None = None,
    progress: Callable[[str], None] = lambda _text: None,
) -> ConnectResult:
    """Create the source, store its flow token in the keyring and remember the integration.

    ``cancel`` is checked between steps. A source that was created just before a cancel is
    deleted again (best effort), so cancelling never leaves a source nobody can post with.
    """

    def cancelled() -> bool:
        return cancel is not None and cancel.cancelled

    problems = validate_source_name(name)
    if problems:
        raise ConnectError(f"The source name {'; '.join(problems)}. Choose another name.")
    if not flow.organization or not flow.parameterized_name:
        raise ConnectError("The flow's address is unknown, so no source can be added to it.")
    source = _new_source(client, flow, name.strip(), external_url, cancelled, progress)
    flow_token = source.flow_token or ""
    try:
        integration = _remember(integrations, client, flow, source, name, account_user_id)
    except BaseException:
        # Not remembered here (the profile cannot be written, say): a source nobody can post
        # with must not stay behind in Flowdock.
        _undo(client, flow, source)
        raise
    try:
        credentials.set_flow_token(integration.id, flow_token)
    except BaseException:
        # Without its token the record is useless; take both back rather than half-keep them.
        integrations.delete(integration.id)
        _undo(client, flow, source)
        raise
    return ConnectResult(integration, source, credentials.persistent)


def _remember(
    integrations: IntegrationStore,
    client: FlowdockClient,
    flow: Flow,
    source: Source,
    name: str,
    account_user_id: str | None,
) -> Integration:
    org = flow.organization
    assert org is not None and source.id is not None
    return integrations.add(
        api_url=client.base_url,
        flow_id=flow.id or "",
        flow_name=flow.name or flow.parameterized_name,
        organization_name=org.name or org.parameterized_name or "",
        org_slug=flow.org_name,
        flow_slug=flow.parameterized_name,
        source_id=int(source.id),
        source_name=source.name or name.strip(),
        source_url=source.url or "",
        application_name=(source.application.name or "") if source.application else "",
        account_user_id=account_user_id,
    )


def without_flow_token(
    credentials: CredentialStore, integrations: Iterable[Integration]
) -> set[str]:
    """Ids of active integrations whose flow token this computer no longer has (kept in memory
    by a run without a keyring, or removed from the keyring): they need signing in again."""
    return {
        item.id
        for item in integrations
        if item.is_active and not credentials.get_flow_token(item.id)
    }


def reconnect_integration(
    client: FlowdockClient,
    integration: Integration,
    *,
    credentials: CredentialStore,
    integrations: IntegrationStore,
    cancel: CancelToken | None = None,
    progress: Callable[[str], None] = lambda _text: None,
) -> ConnectResult:
    """Give an integration whose flow token was lost a working one again.

    Flowdock shows a flow token only when a source is created, so a new source with the same
    name is made in the same flow; the integration keeps its id, outbox, history and draft.
    The old source, which nothing can post with any more, is removed (best effort).
    """

    def cancelled() -> bool:
        return cancel is not None and cancel.cancelled

    if cancelled():
        raise ConnectCancelled()
    flow = client.get_flow(integration.org_slug, integration.flow_slug)
    source = _new_source(client, flow, integration.source_name, None, cancelled, progress)
    try:
        credentials.set_flow_token(integration.id, source.flow_token or "")
        updated = integrations.replace_source(
            integration.id, source_id=int(source.id), source_url=source.url or ""
        )
    except Exception:
        credentials.delete_flow_token(integration.id)
        _undo(client, flow, source)
        raise
    if integration.source_id != source.id:
        try:
            client.delete_source(integration.org_slug, integration.flow_slug, integration.source_id)
        except FlowdockError as exc:
            log.info("the old source was not removed: %s", type(exc).__name__)
    return ConnectResult(updated, source, credentials.persistent)


def due_after_reconnect(outbox: Outbox, integration: Integration) -> int:
    """What waited in the outbox for the flow token is due now, not when its backoff ends
    (the composer's delivery or ``outbox --flush`` sends it); how many messages that is.
    The integration is reconnected either way: a store that cannot be written is only
    logged, and counts as none."""
    try:
        return outbox.make_due(integration.id)
    except Exception as exc:
        log.warning("waiting messages not made due after reconnecting: %s", type(exc).__name__)
        return 0


def _new_source(
    client: FlowdockClient,
    flow: Flow,
    name: str,
    external_url: str | None,
    cancelled: Callable[[], bool],
    progress: Callable[[str], None],
) -> Source:
    """Create a source that came with its flow token; a cancel or a missing token takes it
    back again, so nothing is left that nobody can post with."""
    if cancelled():
        raise ConnectCancelled()
    progress("Creating the source in Flowdock…")
    source = client.create_source(flow.org_name, flow.parameterized_name or "", name, external_url)
    if not source.flow_token or source.id is None:
        _undo(client, flow, source)
        raise ConnectError(
            "The server created the source but did not send its flow token, so nothing can be "
            "posted with it. It was removed again; try again."
        )
    if cancelled():
        _undo(client, flow, source)
        raise ConnectCancelled()
    progress("Saving the flow token in the keyring…")
    return source


def _undo(client: FlowdockClient, flow: Flow, source: Source) -> None:
    if source.id is None:
        return
    try:
        client.delete_source(flow.org_name, flow.parameterized_name or "", source.id)
    except FlowdockError as exc:
        log.warning("could not remove the source again: %s", exc.user_message)


def integration_for_link(
    integrations: IntegrationStore, link: ConfigurationLink, api_url: str | None = None
) -> Integration:
    """The local integration a configuration link is about; ``ConnectError`` when unknown."""
    server = link.api_url or api_url
    candidates = [
        item
        for item in integrations.list()
        if item.source_id == link.source_id
        and (server is None or item.api_url == server.rstrip("/"))
        and (link.flow_id is None or item.flow_id == link.flow_id)
    ]
    if not candidates:
        raise ConnectError(
            f"No integration for source {link.source_id} was set up with Flowdock Desktop on "
            "this computer. Set it up with `flowdock-desktop setup`, or check the link."
        )
    # Active ones first (list() orders them so).
    return candidates[0]
