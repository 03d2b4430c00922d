"""The one credential store: every secret the app keeps lives in the OS keyring through here."""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import chainer, fail, null

from flowdock_desktop.auth.errors import KeyringUnavailable
from flowdock_desktop.auth.tokens import TokenSet

if TYPE_CHECKING:
    from flowdock_desktop.store.profile import Settings

log = logging.getLogger(__name__)

SERVICE_NAME = "flowdock-desktop"
#: Read (never written) to find out whether the keyring answers.
_PROBE_KEY = "keyring-check"
#: Profile setting: the names (never the secrets) of the keyring entries deleted while the
#: keyring could not be used, still to delete from it once it answers, across a restart.
PENDING_DELETIONS_SETTING = "keyring_deletions_pending"

#: The one text for "no keyring" in the app: the wizard's pages (its Server page adds a link
#: to how to install one), the composer and Help > Account.
NO_KEYRING_WARNING = (
    "No system keyring is available, so your sign-in and integration secrets (client "
    "secrets, flow tokens) are kept only until Flowdock Desktop quits, never on disk: after "
    "a restart you sign in again and reconnect your integrations. To keep them safely between "
    "runs, install and unlock a keyring: on Linux install gnome-keyring (or KWallet) and sign "
    "in to a desktop session that unlocks it; on macOS and Windows the system keychain is used "
    "automatically."
)

NO_KEYRING_ERROR = (
    "No system keyring is available, so Flowdock Desktop cannot keep your sign-in and flow "
    "tokens between commands. Install and unlock a keyring (on Linux gnome-keyring or "
    "KWallet, in a desktop session that unlocks it), then try again."
)

LOCKED_KEYRING_ERROR = (
    "Your keyring is locked (or its unlock prompt was dismissed), so Flowdock Desktop cannot "
    "reach your sign-in and flow tokens. Unlock it (on Linux: open Passwords and Keys, or sign "
    "in to your desktop session), then try again."
)


LOCKED_KEYRING_WARNING = (
    "Your keyring is locked (or its unlock prompt was dismissed), so your sign-in and flow "
    "tokens cannot be read, and anything new is kept only until Flowdock Desktop quits. "
    "Unlock it (on Linux: Passwords and Keys, or sign in to your desktop session), then try "
    "the keyring again; what was kept meanwhile is saved into it."
)


def failed_keyring_warning(error_name: str) -> str:
    """The words for a keyring that refused a request for another reason than its lock."""
    return (
        f"Your keyring refused a request ({error_name}), so your sign-in and flow tokens "
        "cannot be read, and anything new is kept only until Flowdock Desktop quits. Check "
        "that it is unlocked and working (on Linux: Passwords and Keys), then try the keyring "
        "again; what was kept meanwhile is saved into it."
    )


class Fallback(enum.Enum):
    """Why a store keeps secrets in memory instead of the keyring."""

    NO_KEYRING = "no usable keyring"
    LOCKED = "the keyring is locked"
    FAILED = "the keyring refused a request"


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


def _delete_from(backend: keyring.backend.KeyringBackend, key: str) -> bool:
    try:
        backend.delete_password(SERVICE_NAME, key)
    except keyring.errors.PasswordDeleteError:
        return False
    return True


def _normalise_url(api_url: str) -> str:
    return api_url.strip().rstrip("/")


class CredentialStore:
    """Client secrets, token sets and flow tokens, stored under the service ``flowdock-desktop``.

    Attributes: ``persistent`` (False when secrets last only for this run), ``fallback`` (why,
    a ``Fallback``), ``can_retry`` and ``set_aside`` (a keyring there but failing, which
    ``retry`` may bring back) and ``warning`` (plain words on what to do, or None).

    With ``fallback`` (the GUI), a missing keyring, or one that fails while in use (locked,
    dismissed unlock prompt), is replaced by an in-memory store, and ``fallback`` and
    ``warning`` say why. A keyring that failed in use can be tried again (``retry``, once the
    person has unlocked it): what was kept in memory meanwhile then goes into it.

    Without it (the command line, where memory ends with the command) the store
    raises ``KeyringUnavailable`` instead, so no command claims a secret is kept when it is
    not. A locked Secret Service collection is first unlocked through its own prompt by the
    ``keyring`` library; only when that fails does the store give up.
    """

    def __init__(
        self, backend: keyring.backend.KeyringBackend | None = None, *, fallback: bool = True
    ) -> None:
        self._lock = threading.Lock()
        self._fallback_allowed = fallback
        chosen = backend if backend is not None else keyring.get_keyring()
        self._backend: keyring.backend.KeyringBackend | None
        # The keyring that failed in use, tried again by ``retry``; why memory is used; the
        # type name of what the keyring raised; and the keys deleted while it was not used.
        self._real: keyring.backend.KeyringBackend | None = None
        self._reason: Fallback | None = None
        self._error_name = ""
        self._deleted_meanwhile: set[str] = set()
        self._settings: Settings | None = None
        #: Called (on the thread that brought it back) each time ``retry`` succeeds.
        self.on_back: list[Callable[[], None]] = []
        if keyring_is_usable(chosen):
            self._backend = chosen
        elif fallback:
            log.warning("no usable keyring backend (%s); keeping secrets in memory", chosen)
            self._backend = _fallback
            self._reason = Fallback.NO_KEYRING
        else:
            log.warning("no usable keyring backend (%s)", chosen)
            self._backend = None

    @property
    def backend(self) -> keyring.backend.KeyringBackend | None:
        """The keyring in use; None when there is none and no fallback was allowed."""
        return self._backend

    @property
    def persistent(self) -> bool:
        """False when secrets live only in this process (no usable keyring, or it failed).

        A keyring configured on purpose counts as persistent, whatever its class: tests
        install an in-memory one to stand in for the system keyring.
        """
        return self._backend is not None and self._backend is not _fallback

    @property
    def fallback(self) -> Fallback | None:
        """Why secrets are kept in memory now; None while the keyring is in use."""
        return None if self.persistent else self._reason

    @property
    def can_retry(self) -> bool:
        """True when a keyring exists but failed in use (locked, say): ``retry`` may bring it
        back. Read without waiting, so the GUI thread may ask."""
        return self._real is not None and not self.persistent

    @property
    def set_aside(self) -> Fallback | None:
        """Why the keyring that failed in use is set aside (locked, refusing) while ``retry``
        may bring it back; None while it is used, or when there is no keyring at all."""
        return self._reason if self.can_retry else None

    @property
    def warning(self) -> str | None:
        """Plain words for why secrets are not kept in the keyring now and what to do."""
        if self.persistent:
            return None
        if not self._fallback_allowed:
            return NO_KEYRING_ERROR
        if self._reason is Fallback.LOCKED:
            return LOCKED_KEYRING_WARNING
        if self._reason is Fallback.FAILED:
            return failed_keyring_warning(self._error_name)
        return NO_KEYRING_WARNING

    def unavailable(self) -> KeyringUnavailable | None:
        """While the keyring that failed in use is set aside: the error saying so, for a
        secret found missing because of it (rather than "not signed in"); else None."""
        return KeyringUnavailable(self.warning or "") if self.can_retry else None

    def check(self) -> None:
        """Read the keyring once, so a locked one is found (and ``warning`` says so) before
        secrets are made; it may prompt to unlock, so call it off the GUI thread."""
        self.get(_PROBE_KEY)

    def retry(self) -> bool:
        """Try the keyring that failed in use again; True when it is used from now on.

        It may ask the person to unlock it, so call it off the GUI thread. On success, what
        was kept in memory meanwhile is written into it (and leaves memory), and what was
        deleted meanwhile is deleted from it. On failure nothing changes (the memory keeps
        everything) and ``warning`` says why, as it is now.
        """
        with self._lock:
            real = self._real
            if real is None or self.persistent:
                return self.persistent
            held = {
                key: secret
                for (service, key), secret in _fallback.items().items()
                if service == SERVICE_NAME
            }
            try:
                # A read first: it is what makes a locked Secret Service collection prompt.
                real.get_password(SERVICE_NAME, _PROBE_KEY)
                for key, secret in held.items():
                    real.set_password(SERVICE_NAME, key, secret)
                for key in sorted(self._deleted_meanwhile - held.keys()):
                    _delete_from(real, key)  # False: it was never there
            except keyring.errors.KeyringError as exc:
                log.warning("keyring still failing (%s)", type(exc).__name__)
                self._note_failure(exc)
                return False
            log.info("keyring in use again; %d kept secret(s) saved into it", len(held))
            for key in held:
                _delete_from(_fallback, key)  # False: another store here moved it first
            self._deleted_meanwhile.clear()
            self._save_pending(quietly=True)
            self._backend, self._reason, self._error_name = real, None, ""
        for listener in list(self.on_back):
            try:
                listener()
            except Exception:  # one window's trouble must not stop the others hearing
                log.exception("a keyring-back listener failed")
        return True

    # -- deletions still to make in the keyring ----------------------------------------------

    def keep_pending_in(self, settings: Settings) -> None:
        """Keep the names of entries deleted while the keyring could not be used in the
        profile's ``settings`` (never a secret: only the entry names), so a quit before the
        keyring answers again forgets none; read back what an earlier run left there."""
        stored = settings.get(PENDING_DELETIONS_SETTING) or []
        with self._lock:
            self._settings = settings
            if isinstance(stored, list):
                self._deleted_meanwhile.update(k for k in stored if isinstance(k, str))

    @property
    def pending_deletions(self) -> frozenset[str]:
        """The entries deleted while the keyring could not be used, not yet deleted from it."""
        with self._lock:
            return frozenset(self._deleted_meanwhile)

    def apply_pending(self) -> int:
        """Delete from the keyring what was deleted while it could not be used (in an earlier
        run too), when it is usable now; each name is forgotten once deleted or found absent.
        Returns how many are still pending. Asks the keyring only when something is pending
        (it may prompt to unlock): call it off the GUI thread. Never raises: a keyring that
        refuses leaves the rest pending (and, with a fallback, is set aside as in any use)."""
        for key in sorted(self.pending_deletions):
            if not self.persistent:
                break
            try:
                self.delete(key)
            except KeyringUnavailable:
                break  # the command line's locked keyring: tried again next time
        return len(self.pending_deletions)

    def _save_pending(self, *, quietly: bool = False) -> None:
        """Write the pending names into the profile (under the store's lock). ``quietly``:
        a failure is logged (the names are kept in memory); else it is raised, in plain
        words (``ProfileNotWritable``)."""
        if self._settings is None:
            return
        try:
            self._settings.set(PENDING_DELETIONS_SETTING, sorted(self._deleted_meanwhile) or None)
        except Exception as exc:
            if not quietly:
                raise
            log.warning("could not save the keyring deletions still to make (%s)", exc)

    # -- low level ---------------------------------------------------------------------------

    def _usable(self) -> keyring.backend.KeyringBackend:
        if self._backend is None:
            raise KeyringUnavailable(NO_KEYRING_ERROR)
        return self._backend

    def _failed(self, exc: Exception) -> keyring.backend.KeyringBackend:
        """The keyring failed in use: fall back to memory, or say so in plain words."""
        # Only the exception type is logged: backend messages may quote what was stored.
        if not self._fallback_allowed:
            log.warning("keyring failed (%s)", type(exc).__name__)
            if isinstance(exc, keyring.errors.KeyringLocked):
                raise KeyringUnavailable(LOCKED_KEYRING_ERROR) from None
            raise KeyringUnavailable(
                f"The keyring refused the request ({type(exc).__name__}), so Flowdock Desktop "
                "cannot reach your sign-in and flow tokens. Check that it is unlocked and "
                "working, then try again."
            ) from None
        log.warning("keyring failed (%s); keeping secrets in memory", type(exc).__name__)
        if self._backend is not _fallback:
            self._real = self._backend
        self._backend = _fallback
        self._note_failure(exc)
        return _fallback

    def _note_failure(self, exc: Exception) -> None:
        locked = isinstance(exc, keyring.errors.KeyringLocked)
        self._reason = Fallback.LOCKED if locked else Fallback.FAILED
        self._error_name = type(exc).__name__

    def get(self, key: str) -> str | None:
        with self._lock:
            backend = self._usable()
            try:
                return backend.get_password(SERVICE_NAME, key)
            except keyring.errors.KeyringError as exc:
                return self._failed(exc).get_password(SERVICE_NAME, key)

    def set(self, key: str, secret: str) -> None:
        with self._lock:
            backend = self._usable()
            try:
                backend.set_password(SERVICE_NAME, key, secret)
            except keyring.errors.KeyringError as exc:
                self._failed(exc).set_password(SERVICE_NAME, key, secret)
            if key in self._deleted_meanwhile:
                # Written again since: its deletion must not take the new secret with it.
                self._deleted_meanwhile.discard(key)
                self._save_pending()

    def delete(self, key: str) -> bool:
        """Remove a secret; True when something was removed. While the keyring is not used
        (set aside, or none found), the key is remembered, in the profile too when the store
        keeps them there (``keep_pending_in``), and deleted from the keyring once it is usable
        again (``retry``, ``apply_pending``). Raises ``ProfileNotWritable`` when that cannot
        be saved (the deletion is still made once the keyring answers in this run)."""
        with self._lock:
            backend = self._usable()
            try:
                removed = _delete_from(backend, key)
            except keyring.errors.KeyringError as exc:
                removed = _delete_from(self._failed(exc), key)
            if self._backend is _fallback:
                if key not in self._deleted_meanwhile:
                    self._deleted_meanwhile.add(key)
                    self._save_pending()
            elif key in self._deleted_meanwhile:
                # Deleted from the keyring itself now (or found absent there): done.
                self._deleted_meanwhile.discard(key)
                self._save_pending(quietly=True)
            return removed

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
