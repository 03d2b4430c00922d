"""What both faces of the app share: the profile, secrets, local data, server and sign-in.

``AppContext`` is built once per process (GUI or command) and handed to every window and
command. It is Qt-free; its properties open things lazily so start-up stays quick.
"""

from __future__ import annotations

import os
import threading
from functools import cached_property
from typing import TYPE_CHECKING

from flowdock_desktop.store.profile import Profile

if TYPE_CHECKING:
    from flowdock_desktop.api.client import ExchangeHook, FlowdockClient
    from flowdock_desktop.auth.credentials import CredentialStore
    from flowdock_desktop.auth.session import Session
    from flowdock_desktop.sandbox.server import SandboxServer
    from flowdock_desktop.store.db import Database
    from flowdock_desktop.store.drafts import Drafts
    from flowdock_desktop.store.history import History
    from flowdock_desktop.store.integrations import IntegrationStore
    from flowdock_desktop.store.outbox import Outbox
    from flowdock_desktop.store.templates import TemplateStore

#: Settings key of the server the person works with.
API_URL_SETTING = "api_url"

#: The embedded sandbox listens on a fixed loopback port so that what was set up against it
#: (the sign-in, integrations) still points at it after a restart; its data lives in the
#: profile. ``FLOWDOCK_DESKTOP_SANDBOX_PORT`` overrides the port (0: any free port, for tests).
EMBEDDED_SANDBOX_PORT = 8766
ENV_SANDBOX_PORT = "FLOWDOCK_DESKTOP_SANDBOX_PORT"
#: How long a client waits for an announced start of the embedded sandbox to begin and end.
SANDBOX_START_WAIT_S = 60.0


class AppContext:
    """The shared state of one running app.

    Attributes: ``profile``, ``settings``, ``credentials``, ``sandbox`` (the embedded sandbox
    when started), and lazily opened stores: ``db``, ``integrations``, ``outbox``,
    ``history``, ``drafts``, ``templates``.
    """

    def __init__(
        self,
        profile: Profile | None = None,
        credentials: CredentialStore | None = None,
    ) -> None:
        self.profile = profile or Profile.resolve()
        self.settings = self.profile.settings
        if credentials is not None:
            self.credentials = self._with_pending(credentials)
        self.sandbox: SandboxServer | None = None
        self._lock = threading.Lock()
        # Cleared from when the GUI says it will start the sandbox until that start ends.
        self._sandbox_settled = threading.Event()
        self._sandbox_settled.set()
        #: Called with every API exchange made by clients from this context (request log).
        self.exchange_hooks: list[ExchangeHook] = []

    @cached_property
    def credentials(self) -> CredentialStore:
        """The keyring-backed secret store, opened on first use (choosing a keyring backend
        loads every backend module, which the first window does not need)."""
        from flowdock_desktop.auth.credentials import CredentialStore

        return self._with_pending(CredentialStore())

    def _with_pending(self, credentials: CredentialStore) -> CredentialStore:
        """The store keeps its deletions still to make in the keyring in this profile, and
        makes those an earlier run left when the keyring answers now (a keyring call only
        when there are some: the store is opened on a worker, or by a command)."""
        credentials.keep_pending_in(self.settings)
        credentials.apply_pending()
        return credentials

    # -- server -------------------------------------------------------------------------------

    @property
    def api_url(self) -> str | None:
        return self.settings.get(API_URL_SETTING)

    @api_url.setter
    def api_url(self, value: str | None) -> None:
        self.settings.set(API_URL_SETTING, value.rstrip("/") if value else None)

    def embedded_sandbox_port(self) -> int:
        value = os.environ.get(ENV_SANDBOX_PORT, "")
        return int(value) if value.isdigit() else EMBEDDED_SANDBOX_PORT

    def embedded_sandbox_url(self) -> str | None:
        """Where the embedded sandbox listens (or listened last): None if it never ran."""
        if self.sandbox is not None:
            return self.sandbox.base_url
        return self.settings.get("embedded_sandbox_url")

    def uses_embedded_sandbox(self) -> bool:
        """True when the current server is this profile's embedded sandbox."""
        url = self.embedded_sandbox_url()
        return url is not None and self.api_url == url

    def start_embedded_sandbox(self, *, auto_approve: bool = False, port: int | None = None) -> str:
        """Start (once) the in-process sandbox on its loopback port; return its base URL.

        Its state is kept in the profile (``sandbox.db``; a ``sandbox-data.json`` of an older
        version is imported once), so sign-ins and sources made against it survive a
        restart; a data file it cannot use raises ``DataFileError``. When a sandbox already
        serves that port (another running copy of the app), that one is used. Binds a socket
        and reads a file: call it from a worker thread in the GUI.
        """
        try:
            return self._start_embedded_sandbox(auto_approve, port)
        finally:
            self._sandbox_settled.set()

    def expect_embedded_sandbox(self) -> None:
        """Says a start of the embedded sandbox is coming (the GUI starts it once its first
        window has painted): clients for it made meanwhile wait for that start."""
        self._sandbox_settled.clear()

    def _start_embedded_sandbox(self, auto_approve: bool, port: int | None) -> str:
        from flowdock_desktop.sandbox import SandboxConfig
        from flowdock_desktop.sandbox.server import PortInUseError, SandboxServer

        with self._lock:
            if self.sandbox is None:
                chosen = self.embedded_sandbox_port() if port is None else port
                server = SandboxServer(
                    SandboxConfig(
                        auto_approve=auto_approve,
                        data_file=self.profile.dir / "sandbox.db",
                        import_file=self.profile.dir / "sandbox-data.json",
                    ),
                    host="127.0.0.1",
                    port=chosen,
                )
                try:
                    server.start()
                except PortInUseError:
                    url = f"http://127.0.0.1:{chosen}"
                    if self._is_our_sandbox(url):
                        self.settings.set("embedded_sandbox_url", url)
                        return url
                    raise
                self.sandbox = server
                self.settings.set("embedded_sandbox_url", server.base_url)
            return self.sandbox.base_url

    def _is_our_sandbox(self, url: str) -> bool:
        from flowdock_desktop.auth.discovery import discover_sandbox

        # Another copy of the app (or a sandbox started by hand on this port) answers the
        # discovery endpoint; anything else on the port is a program we must not talk to.
        return discover_sandbox(url, timeout=1.0) is not None

    # -- sign-in ------------------------------------------------------------------------------

    def session(self) -> Session | None:
        """The current sign-in, or None when nobody is signed in."""
        from flowdock_desktop.auth.session import current_session

        return current_session(self.profile, self.credentials)

    def sign_in_missing(self, text: str) -> Exception:
        """The error for a sign-in that was not found: ``SignInRequired(text)``, or, when the
        profile records a sign-in and the keyring that may hold it is set aside (locked),
        the keyring's own words."""
        from flowdock_desktop.auth.errors import SignInRequired
        from flowdock_desktop.auth.recorded import ACCOUNT_SETTING

        held = self.credentials.unavailable() if self.settings.get(ACCOUNT_SETTING) else None
        return held or SignInRequired(text)

    def user_client(self) -> FlowdockClient:
        """An API client acting as the signed-in person (tokens refresh themselves)."""
        from flowdock_desktop.api.client import FlowdockClient

        session = self.session()
        if session is None:
            raise self.sign_in_missing("You are not signed in. Sign in to continue.")
        self._await_sandbox_start(session.account.api_url)
        return FlowdockClient(
            session.account.api_url, auth=session.auth(), on_exchange=self._on_exchange
        )

    def flow_client(self, api_url: str) -> FlowdockClient:
        """An API client without a person's credentials, for posting with a flow token."""
        from flowdock_desktop.api.client import FlowdockClient

        self._await_sandbox_start(api_url)
        return FlowdockClient(api_url, on_exchange=self._on_exchange)

    def _await_sandbox_start(self, api_url: str) -> None:
        """A client for the embedded sandbox made while it starts (the GUI starts it in the
        background, after its first window) waits for it rather than meet a refused
        connection. Clients are made on worker threads, never on the GUI's."""
        url = self.embedded_sandbox_url()
        if url is None or api_url.rstrip("/") != url.rstrip("/"):
            return
        # A start announced but not begun yet (bounded: the GUI starts it right after its
        # first paint, or half a second after showing its window).
        self._sandbox_settled.wait(timeout=SANDBOX_START_WAIT_S)
        if self._lock.locked():
            with self._lock:
                pass  # start_embedded_sandbox holds the lock until the sandbox serves

    def _on_exchange(self, exchange) -> None:
        for hook in list(self.exchange_hooks):
            hook(exchange)

    # -- local data ---------------------------------------------------------------------------

    @cached_property
    def db(self) -> Database:
        """The profile's database, checked when first opened.

        Raises ``StoreDamaged`` once when the file was damaged, emptied or lost (it was kept
        aside and what could be read recovered); the next access opens the recovered file.
        """
        from flowdock_desktop.store.health import open_profile_database

        return open_profile_database(self.profile)

    @cached_property
    def integrations(self) -> IntegrationStore:
        from flowdock_desktop.store.health import mark_has_data
        from flowdock_desktop.store.integrations import IntegrationStore

        return IntegrationStore(self.db, on_added=lambda _: mark_has_data(self.settings))

    @cached_property
    def outbox(self) -> Outbox:
        from flowdock_desktop.store.outbox import Outbox

        return Outbox(self.db)

    @cached_property
    def history(self) -> History:
        from flowdock_desktop.store.history import History

        return History(self.db)

    @cached_property
    def drafts(self) -> Drafts:
        from flowdock_desktop.store.drafts import Drafts

        return Drafts(self.db)

    @cached_property
    def templates(self) -> TemplateStore:
        from flowdock_desktop.store.templates import TemplateStore

        return TemplateStore(self.db)

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the embedded sandbox and close the database."""
        with self._lock:
            sandbox, self.sandbox = self.sandbox, None
        if sandbox is not None:
            sandbox.stop()
        if "db" in self.__dict__:
            self.db.close()

    def __enter__(self) -> AppContext:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
