"""The OAuth token set: parsed from token responses, stored as JSON in the keyring."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any


def parse_scopes(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Split a scope value into names; Flowdock joins with commas, RFC 6749 with spaces."""
    if value is None:
        return ()
    if isinstance(value, str):
        parts: Iterable[str] = value.replace(",", " ").split()
    else:
        parts = value
    seen: dict[str, None] = {}
    for part in parts:
        name = str(part).strip()
        if name:
            seen.setdefault(name, None)
    return tuple(seen)


@dataclass(frozen=True)
class TokenSet:
    """The tokens of one signed-in account.

    ``expires_at`` is a Unix time in seconds, or None when the server gave no lifetime.
    The tokens are hidden from ``repr`` so they cannot leak into logs or tracebacks.
    """

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    scope: tuple[str, ...] = ()
    token_type: str = "bearer"

    def __repr__(self) -> str:
        refresh = "present" if self.refresh_token else "none"
        return (
            f"TokenSet(access_token=<redacted>, refresh_token=<{refresh}>, "
            f"expires_at={self.expires_at!r}, scope={self.scope!r}, "
            f"token_type={self.token_type!r})"
        )

    __str__ = __repr__

    def expires_soon(self, margin: float = 60.0, *, now: float | None = None) -> bool:
        """True when the access token expires within ``margin`` seconds (or already has)."""
        if self.expires_at is None:
            return False
        current = time.time() if now is None else now
        return self.expires_at - current <= margin

    @classmethod
    def from_response(cls, data: Mapping[str, Any], *, now: float | None = None) -> TokenSet:
        """Build from a token endpoint answer (``expires_in`` or Authlib's ``expires_at``)."""
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            raise ValueError("the token response has no access_token")
        refresh = data.get("refresh_token")
        expires_at: float | None = None
        if data.get("expires_in") is not None:
            current = time.time() if now is None else now
            expires_at = current + float(data["expires_in"])
        elif data.get("expires_at") is not None:
            expires_at = float(data["expires_at"])
        return cls(
            access_token=access,
            refresh_token=refresh if isinstance(refresh, str) and refresh else None,
            expires_at=expires_at,
            scope=parse_scopes(data.get("scope")),
            token_type=str(data.get("token_type") or "bearer"),
        )

    def to_json(self) -> str:
        """Serialise for the keyring (which stores strings)."""
        return json.dumps(
            {
                "access_token": self.access_token,
                "refresh_token": self.refresh_token,
                "expires_at": self.expires_at,
                "scope": list(self.scope),
                "token_type": self.token_type,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        """Inverse of ``to_json``; raises ValueError for anything else."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("a stored token set must be a JSON object")
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            raise ValueError("a stored token set needs an access_token")
        expires_at = data.get("expires_at")
        return cls(
            access_token=access,
            refresh_token=data.get("refresh_token") or None,
            expires_at=None if expires_at is None else float(expires_at),
            scope=parse_scopes(data.get("scope")),
            token_type=str(data.get("token_type") or "bearer"),
        )
