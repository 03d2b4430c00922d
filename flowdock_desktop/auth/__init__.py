"""Sign-in: OAuth code flow with PKCE, loopback redirect listener, keyring-backed secrets.

The public names below are imported on first use, not with the package: the OAuth library
and the keyring backends take a few hundred milliseconds to load, and the app's first window
needs neither.
"""

from __future__ import annotations

import importlib
from typing import Any

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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
