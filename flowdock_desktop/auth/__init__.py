"""Sign-in: OAuth code flow with PKCE, loopback redirect listener, keyring-backed secrets.

The public names below are imported on first use, not with the package: the OAuth library
and the keyring backends take a few hundred milliseconds to load, and the app's first window
needs neither.
"""

from __future__ import annotations

from flowdock_desktop._lazy import lazy_exports

_EXPORTS = {
    "CredentialStore": "credentials",
    "MemoryKeyring": "credentials",
    "DemoApplication": "discovery",
    "discover_sandbox": "discovery",
    "AccessDeniedError": "errors",
    "AuthorizationError": "errors",
    "PortInUseError": "errors",
    "SignInCancelled": "errors",
    "SignInError": "errors",
    "SignInNetworkError": "errors",
    "SignInRequired": "errors",
    "SignInTimeout": "errors",
    "StateMismatchError": "errors",
    "TokenEndpointError": "errors",
    "CallbackResult": "listener",
    "LoopbackListener": "listener",
    "DEFAULT_REDIRECT_URI": "constants",
    "DEFAULT_SCOPES": "constants",
    "OOB_REDIRECT_URI": "constants",
    "OAuthApp": "oauth",
    "SignInFlow": "oauth",
    "Account": "session",
    "Session": "session",
    "SessionAuth": "session",
    "current_session": "session",
    "start_session": "session",
    "TokenSet": "tokens",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)
