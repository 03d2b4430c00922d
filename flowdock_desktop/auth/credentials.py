"""The one credential store: every secret the app keeps lives in the OS keyring through here."""

from __future__ import annotations

import logging
import threading

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import chainer, fail, null

from flowdock_desktop.auth.tokens import TokenSet

log = logging.getLogger(__name__)

SERVICE_NAME = "flowdock-desktop"

NO_KEYRING_WARNING = (
    "No system keyring is available, so your sign-in and integration secrets are kept only "
    "until Flowdock Desktop quits. To keep them safely between runs, install and unlock a "
    "keyring: on Linux install gnome-keyring (or KWallet) and sign in to a desktop session "
    "that unlocks it; on macOS and Windows the system keychain is used automatically."
)


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring backend that keeps secrets in a dict: for tests and the no-keyring fallback.

    Never chosen by keyring's automatic backend detection (``viable`` is False), so importing
    this module cannot silently replace the system keyring.
    """

    viable = False
    priority = -1  # type: ignore[assignment]  # only shown by str(); never used for selection

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        with self._lock:
            return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._lock:
            self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        with self._lock:
            if self._items.pop((service, username), None) is None:
                raise keyring.errors.PasswordDeleteError("no such password")

    def items(self) -> dict[tuple[str, str], str]:
        """A copy of everything stored, for tests to inspect."""
        with self._lock:
            return dict(self._items)


# Shared by every CredentialStore in this process, so a fallback run still sees its own secrets.
_fallback = MemoryKeyring()


def keyring_is_usable(backend: keyring.backend.KeyringBackend) -> bool:
    """False for keyring's placeholder backends that cannot keep anything."""
    if isinstance(backend, fail.Keyring | null.Keyring):
        return False
    return not (isinstance(backend, chainer.ChainerBackend) and not backend.backends)


def _normalise_url(api_url: str) -> str:
    return api_url.strip().rstrip("/")


class CredentialStore:
    """Client secrets, token sets and flow tokens, stored under the service ``flowdock-desktop``.

    Attributes: ``persistent`` (False when secrets last only for this run) and ``warning``
    (plain words on how to enable a keyring, or None). When the keyring fails while in use
    (locked, dismissed prompt), the store switches to the in-memory fallback and says so.
    """

    def __init__(self, backend: keyring.backend.KeyringBackend | None = None) -> None:
        self._lock = threading.Lock()
        chosen = backend if backend is not None else keyring.get_keyring()
        if keyring_is_usable(chosen):
            self._backend: keyring.backend.KeyringBackend = chosen
        else:
            log.warning("no usable keyring backend (%s); keeping secrets in memory", chosen)
            self._backend = _fallback

    @property
    def backend(self) -> keyring.backend.KeyringBackend:
        return self._backend

    @property
    def persistent(self) -> bool:
        """False when secrets live only in this process (no usable keyring, or it failed).

        A keyring configured on purpose counts as persistent, whatever its class: tests
        install an in-memory one to stand in for the system keyring.
        """
        return self._backend is not _fallback

    @property
    def warning(self) -> str | None:
        return None if self.persistent else NO_KEYRING_WARNING

    # -- low level ---------------------------------------------------------------------------

    def _switch_to_fallback(self, exc: Exception) -> None:
        # Only the exception type is logged: backend messages may quote what was stored.
        log.warning("keyring failed (%s); keeping secrets in memory", type(exc).__name__)
        self._backend = _fallback

    def get(self, key: str) -> str | None:
        with self._lock:
            try:
                return self._backend.get_password(SERVICE_NAME, key)
            except keyring.errors.KeyringError as exc:
                self._switch_to_fallback(exc)
                return self._backend.get_password(SERVICE_NAME, key)

    def set(self, key: str, secret: str) -> None:
        with self._lock:
            try:
                self._backend.set_password(SERVICE_NAME, key, secret)
            except keyring.errors.KeyringError as exc:
                self._switch_to_fallback(exc)
                self._backend.set_password(SERVICE_NAME, key, secret)

    def delete(self, key: str) -> bool:
        """Remove a secret; True when something was removed."""
        with self._lock:
            try:
                self._backend.delete_password(SERVICE_NAME, key)
            except keyring.errors.PasswordDeleteError:
                return False
            except keyring.errors.KeyringError as exc:
                self._switch_to_fallback(exc)
                return False
            return True

    # -- client secrets: one per application (API URL + client id) --------------------------

    @staticmethod
    def client_secret_key(api_url: str, client_id: str) -> str:
        return f"client-secret:{_normalise_url(api_url)}:{client_id}"

    def get_client_secret(self, api_url: str, client_id: str) -> str | None:
        return self.get(self.client_secret_key(api_url, client_id))

    def set_client_secret(self, api_url: str, client_id: str, secret: str) -> None:
        self.set(self.client_secret_key(api_url, client_id), secret)

    def delete_client_secret(self, api_url: str, client_id: str) -> bool:
        return self.delete(self.client_secret_key(api_url, client_id))

    # -- token sets: one per signed-in account -----------------------------------------------

    @staticmethod
    def token_key(account: str) -> str:
        return f"tokens:{account}"

    def get_token_set(self, account: str) -> TokenSet | None:
        text = self.get(self.token_key(account))
        if text is None:
            return None
        try:
            return TokenSet.from_json(text)
        except ValueError:
            log.warning("ignoring an unreadable stored token set")
            return None

    def set_token_set(self, account: str, tokens: TokenSet) -> None:
        self.set(self.token_key(account), tokens.to_json())

    def delete_token_set(self, account: str) -> bool:
        return self.delete(self.token_key(account))

    # -- flow tokens: one per integration (our integration id) ------------------------------

    @staticmethod
    def flow_token_key(integration_id: str) -> str:
        return f"flow-token:{integration_id}"

    def get_flow_token(self, integration_id: str) -> str | None:
        return self.get(self.flow_token_key(integration_id))

    def set_flow_token(self, integration_id: str, flow_token: str) -> None:
        self.set(self.flow_token_key(integration_id), flow_token)

    def delete_flow_token(self, integration_id: str) -> bool:
        return self.delete(self.flow_token_key(integration_id))
