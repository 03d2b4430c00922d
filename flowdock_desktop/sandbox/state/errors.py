"""The answers a request can fail with: API errors, OAuth errors, authorize errors, data files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any


class ApiError(Exception):
    """An HTTP error answer from the API: status plus the JSON body Flowdock would send."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        errors: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = dict(errors) if errors else None
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


class OAuthError(Exception):
    """An RFC 6749 error from the token endpoint (400, or 401 for invalid_client).

    ``keep_writes``: the transaction that raised it is committed, not rolled back (a
    replayed code revokes its tokens and still answers an error).
    """

    def __init__(
        self, error: str, description: str, status: int = 400, *, keep_writes: bool = False
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status
        self.keep_writes = keep_writes


class AuthorizeError(Exception):
    """A problem with an authorize request.

    ``redirect`` is False when the client or redirect URI cannot be trusted (RFC 6749
    4.1.2.1): the error is then shown on a page instead of sent to the redirect URI.
    """

    def __init__(self, error: str, description: str, *, redirect_url: str | None = None) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        #: Where to send the browser with the error, or None to show an error page.
        self.redirect_url = redirect_url

    @property
    def redirect(self) -> bool:
        return self.redirect_url is not None


class DataFileError(Exception):
    """The ``--data`` file cannot be used as it is; nothing was changed in it.

    ``str()`` is the whole explanation for a person: which file, what is wrong with it, and
    how to start fresh. ``problem`` is the middle part alone.
    """

    def __init__(self, path: Path, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(
            f"The sandbox's data file {self.path} {problem}. It was left as it is. To start a "
            f"fresh sandbox, run it with --reset (the file is moved aside, not deleted), or move "
            f"the file away yourself."
        )


def validation_error(errors: Mapping[str, list[str]]) -> ApiError:
    return ApiError(400, "Validation error", errors=errors)


def not_found() -> ApiError:
    return ApiError(404, "Not found")


def unauthorized() -> ApiError:
    return ApiError(401, "Unauthorized")
