"""Sign-in errors, each with a message in plain words that never contains a secret."""

from __future__ import annotations

from types import MappingProxyType

from flowdock_desktop.cancel import Cancelled


class SignInError(Exception):
    """Base of every sign-in failure; ``str(error)`` is fit to show a person."""


class SignInCancelled(SignInError, Cancelled):
    """The person (or the program) cancelled the sign-in."""

    def __init__(self, message: str = "Sign-in was cancelled.") -> None:
        super().__init__(message)


class SignInTimeout(SignInError):
    """Nobody completed the sign-in in the browser in time."""

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"Sign-in timed out after {seconds:g} seconds without an answer from the browser. "
            "Start the sign-in again."
        )
        self.seconds = seconds


class AuthorizationError(SignInError):
    """The authorization server sent the browser back with an ``error=`` (RFC 6749 4.1.2.1)."""

    def __init__(self, error: str, description: str | None = None) -> None:
        text = f"Flowdock did not authorize Flowdock Desktop (error: {error}"
        if description:
            text += f": {description}"
        super().__init__(f"{text}). Try signing in again.")
        self.error = error
        self.description = description


class AccessDeniedError(AuthorizationError):
    """The person pressed Deny on the consent page."""

    def __init__(self, description: str | None = None) -> None:
        SignInError.__init__(
            self,
            "Access was denied in the browser, so Flowdock Desktop is not signed in. "
            "Sign in again and choose Approve to continue.",
        )
        self.error = "access_denied"
        self.description = description


class PortInUseError(SignInError):
    """The callback port is taken by another program."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        super().__init__(
            f"Another program is using port {port} on {host}, which sign-in needs to receive "
            "the answer from your browser. Close it, or register a different callback URI "
            "(another port) for your application and sign in with that one."
        )
        self.port = port
        self.host = host


class StateMismatchError(SignInError):
    """A pasted answer belongs to another sign-in attempt (its ``state`` does not match)."""

    def __init__(self) -> None:
        super().__init__(
            "That answer belongs to a different sign-in attempt. Use the address from the "
            "browser window this sign-in opened, or start again."
        )


class TokenEndpointError(SignInError):
    """The token endpoint refused the request; ``error`` is the RFC 6749 error code."""

    _PLAIN_WORDS = MappingProxyType(
        {
            "invalid_grant": "The sign-in code was not accepted (expired or already used).",
            "invalid_client": "The client ID or client secret was not accepted.",
            "invalid_request": "The server rejected the sign-in request as malformed.",
            "invalid_scope": "The requested permissions (scopes) were not accepted.",
            "unauthorized_client": "This application may not use this kind of sign-in.",
            "unsupported_grant_type": "The server does not support this kind of sign-in.",
        }
    )

    def __init__(self, error: str, description: str | None = None) -> None:
        words = self._PLAIN_WORDS.get(error, "The server refused to complete the sign-in.")
        text = f"{words} (error: {error}"
        if description:
            text += f": {description}"
        super().__init__(f"{text}) Check the application's settings and sign in again.")
        self.error = error
        self.description = description


class SignInNetworkError(SignInError):
    """The server could not be reached or answered with something unusable."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(
            f"Could not reach {host} ({reason}). Check the address and your connection, "
            "then try again."
        )
        self.host = host


class SignInRequired(SignInError):
    """The stored sign-in is missing, expired or revoked; the person must sign in again."""

    def __init__(self, message: str = "Your sign-in has expired. Sign in again.") -> None:
        super().__init__(message)


class KeyringUnavailable(Exception):
    """The keyring cannot keep or give a secret right now (locked, prompt dismissed, missing).

    ``str(error)`` says so in plain words with what to do; it never holds the secret.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
