"""What both faces of the app share: the profile, secrets, local data, server and sign-in.

``AppContext`` is built once per process (GUI or command) and handed to every window and
command. It is Qt-free; its properties open things lazily so start-up stays quick.
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING

from flowdock_desktop.auth.credentials import CredentialStore
from flowdock_desktop.auth.errors import SignInRequired
from flowdock_desktop.store.profile import Profile

if TYPE_CHECKING:
    from flowdock_desktop.api.client import ExchangeHook, FlowdockClient
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
        self.credentials = credentials or CredentialStore()
        self.sandbox: SandboxServer | None = None
        self._lock = threading.Lock()
        #: Called with every API exchange made by clients from this context (request log).
        self.exchange_hooks: list[ExchangeHook] = []

    # -- server -------------------------------------------------------------------------------

    @property
    def api_url(self) -> str | None:
        return self.settings.get(API_URL_SETTING)

    @api_url.setter
    def api_url(self, value: str | None) -> None:
        self.settings.set(API_URL_SETTING, value.rstrip("/") if value else None)

    def start_embedded_sandbox(self, *, auto_approve: bool = False, port: int = 0) -> str:
        """Start (once) the in-process sandbox on a loopback port; return its base URL.

        Binds a socket: call it from a worker thread in the GUI.
        """
        from flowdock_desktop.sandbox import SandboxConfig
        from flowdock_desktop.sandbox.server import SandboxServer

        with self._lock:
            if self.sandbox is None:
                server = SandboxServer(
                    SandboxConfig(auto_approve=auto_approve), host="127.0.0.1", port=port
                )
                server.start()
                self.sandbox = server
            return self.sandbox.base_url

    # -- sign-in ------------------------------------------------------------------------------

    def session(self) -> Session | None:
        """The current sign-in, or None when nobody is signed in."""
        from flowdock_desktop.auth.session import current_session

        return current_session(self.profile, self.credentials)

    def user_client(self) -> FlowdockClient:
        """An API client acting as the signed-in person (tokens refresh themselves)."""
        from flowdock_desktop.api.client import FlowdockClient

        session = self.session()
        if session is None:
            raise SignInRequired("You are not signed in. Sign in to continue.")
        return FlowdockClient(
            session.account.api_url, auth=session.auth(), on_exchange=self._on_exchange
        )

    def flow_client(self, api_url: str) -> FlowdockClient:
        """An API client without a person's credentials, for posting with a flow token."""
        from flowdock_desktop.api.client import FlowdockClient

        return FlowdockClient(api_url, on_exchange=self._on_exchange)

    def _on_exchange(self, exchange) -> None:
        for hook in list(self.exchange_hooks):
            hook(exchange)

    # -- local data ---------------------------------------------------------------------------

    @cached_property
    def db(self) -> Database:
        from flowdock_desktop.store.db import Database

        return Database(self.profile.db_path)

    @cached_property
    def integrations(self) -> IntegrationStore:
        from flowdock_desktop.store.integrations import IntegrationStore

        return IntegrationStore(self.db)

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
