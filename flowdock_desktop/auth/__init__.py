"""Sign-in: OAuth code flow with PKCE, loopback redirect listener, keyring-backed secrets."""

from flowdock_desktop.auth.credentials import CredentialStore, MemoryKeyring
from flowdock_desktop.auth.discovery import DemoApplication, discover_sandbox
from flowdock_desktop.auth.errors import (
    AccessDeniedError,
    AuthorizationError,
    PortInUseError,
    SignInCancelled,
    SignInError,
    SignInNetworkError,
    SignInRequired,
    SignInTimeout,
    StateMismatchError,
    TokenEndpointError,
)
from flowdock_desktop.auth.listener import CallbackResult, LoopbackListener
from flowdock_desktop.auth.oauth import (
    DEFAULT_REDIRECT_URI,
    DEFAULT_SCOPES,
    OOB_REDIRECT_URI,
    OAuthApp,
    SignInFlow,
)
from flowdock_desktop.auth.session import (
    Account,
    Session,
    SessionAuth,
    current_session,
    start_session,
)
from flowdock_desktop.auth.tokens import TokenSet

__all__ = [
    "DEFAULT_REDIRECT_URI",
    "DEFAULT_SCOPES",
    "OOB_REDIRECT_URI",
    "AccessDeniedError",
    "Account",
    "AuthorizationError",
    "CallbackResult",
    "CredentialStore",
    "DemoApplication",
    "LoopbackListener",
    "MemoryKeyring",
    "OAuthApp",
    "PortInUseError",
    "Session",
    "SessionAuth",
    "SignInCancelled",
    "SignInError",
    "SignInFlow",
    "SignInNetworkError",
    "SignInRequired",
    "SignInTimeout",
    "StateMismatchError",
    "TokenEndpointError",
    "TokenSet",
    "current_session",
    "discover_sandbox",
    "start_session",
]
