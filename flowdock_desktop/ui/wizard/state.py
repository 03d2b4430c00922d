"""What the wizard's pages have learned so far, shared between them (no widgets here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flowdock_desktop.auth.constants import DEFAULT_SCOPES

if TYPE_CHECKING:
    from flowdock_desktop.api.models import Flow, Source
    from flowdock_desktop.auth.discovery import DemoApplication
    from flowdock_desktop.auth.oauth import OAuthApp
    from flowdock_desktop.auth.session import Session
    from flowdock_desktop.connect import ConnectResult
    from flowdock_desktop.setup_links import SetupLink
    from flowdock_desktop.store.integrations import Integration
    from flowdock_desktop.store.servers import KnownApplication
    from flowdock_desktop.ui.reconnect import KeyringSetAside


@dataclass
class WizardState:
    """The answers collected page by page; ``client_secret`` is never shown in ``repr``."""

    api_url: str | None = None
    demo: DemoApplication | None = None
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    redirect_uri: str = ""
    #: What the server calls the application; new sources are named after it.
    application_name: str = ""
    #: Applications used before on this server, and their client secrets found in the keyring
    #: (read in the background when the server was checked).
    known_applications: list[KnownApplication] = field(default_factory=list)
    known_secrets: dict[str, str] = field(default_factory=dict, repr=False)
    #: Whether secrets outlive this run (a usable keyring); None until checked.
    keyring_persistent: bool | None = None
    #: Set when a keyring exists but failed in use (locked): why, as a person reads it.
    keyring_set_aside: KeyringSetAside | None = None
    #: The application a setup link (or signing in again) asks for, by client id.
    wanted_client_id: str | None = None
    setup_link: SetupLink | None = None
    session: Session | None = None
    flow: Flow | None = None
    sources: list[Source] = field(default_factory=list)
    #: Set when the wizard reconnects this integration (its flow token was lost) instead of
    #: setting up a new one: only the steps needed run, then a new source replaces the old.
    reconnect: Integration | None = None
    source_name: str = ""
    result: ConnectResult | None = None

    @property
    def uses_demo_application(self) -> bool:
        return self.demo is not None and self.client_id == self.demo.client_id

    def oauth_app(self) -> OAuthApp:
        """The application to sign in with, as typed on the application page."""
        assert self.api_url is not None, "the server page comes first"
        demo = self.demo
        from flowdock_desktop.auth.oauth import OAuthApp

        return OAuthApp(
            api_url=self.api_url,
            client_id=self.client_id,
            client_secret=self.client_secret,
            redirect_uri=self.redirect_uri,
            scopes=DEFAULT_SCOPES,
            # The sandbox allows any loopback port (RFC 8252), so the listener can take a free
            # one instead of failing when the registered port is busy.
            allow_any_port=bool(
                demo is not None
                and demo.loopback_any_port
                and self.client_id == demo.client_id
                and self.redirect_uri == demo.redirect_uri
            ),
        )

    def signed_in_here(self) -> bool:
        """True when the current sign-in belongs to this server and application."""
        session = self.session
        return (
            session is not None
            and session.account.api_url == (self.api_url or "").rstrip("/")
            and session.account.client_id == self.client_id
        )
