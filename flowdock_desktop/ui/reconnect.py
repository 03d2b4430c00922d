"""The composer's "Needs sign-in" state: integrations whose flow token this computer lost, or
cannot read now because the keyring is locked.

A run without a keyring keeps flow tokens in memory only; after a restart such an integration
cannot post. The composer then lists it as "needs sign-in" (not "working") and offers
Reconnect, which opens the wizard on only the steps needed (``SetupWizard(reconnect=…)``).

A keyring that is there but locked (or refusing requests) is another matter: the tokens may
well be in it. The composer (and an integration's settings) then say the keyring is locked
and offer "Try the keyring again" (``retry_keyring``), which asks it once more on a worker
(it may prompt to unlock); nothing made meanwhile is lost (``CredentialStore.retry``). Once it
answers, every open window that listens (``when_keyring_back``) reads what it shows again,
whichever window's button brought it back.

Kept out of ``ui/composer`` so the composer window only calls ``show_flow_token_state``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal, Slot

from flowdock_desktop.ui.tasks import run_task

if TYPE_CHECKING:
    from flowdock_desktop.auth.credentials import CredentialStore
    from flowdock_desktop.store.integrations import Integration

#: The integrations panel's word for an integration without its flow token.
NEEDS_SIGN_IN = "needs sign-in"
#: Its word for one whose flow token cannot be read while the keyring is locked (or failing).
KEYRING_LOCKED = "keyring locked"
KEYRING_FAILING = "keyring not answering"

#: "Try the keyring again", its notices while it runs and when it is over (composer, wizard).
TRY_KEYRING = "Try the &keyring again"
TRYING_KEYRING = "Trying the keyring again… Answer its unlock prompt if one appears."
KEYRING_BACK = "The keyring is in use again; what was kept meanwhile is saved in it."
STILL_SET_ASIDE = "The keyring is still not answering. "


@dataclass(frozen=True)
class KeyringSetAside:
    """The keyring failed in use and can be tried again: the words saying so (``warning``)
    and the integrations panel's word for the integrations it holds back (``word``)."""

    warning: str
    word: str


def keyring_set_aside(credentials: CredentialStore) -> KeyringSetAside | None:
    """How the keyring stands, when it is set aside (locked, failing); None otherwise.
    Reads attributes only: no keyring call."""
    from flowdock_desktop.auth.credentials import Fallback

    reason = credentials.set_aside
    if reason is None:
        return None
    locked = reason is Fallback.LOCKED
    return KeyringSetAside(credentials.warning or "", KEYRING_LOCKED if locked else KEYRING_FAILING)


class _KeyringNews(QObject):
    """Says (``back``) that a credential store's keyring is in use again; emitted on the
    thread whose retry brought it back, heard on the GUI thread by ``_Listener``."""

    back = Signal()


class _Listener(QObject):
    """Calls ``call`` on the GUI thread; a child of the window, so it goes with it."""

    def __init__(self, owner: QObject, call: Callable[[], None]) -> None:
        super().__init__(owner)
        self._call = call

    @Slot()
    def heard(self) -> None:
        self._call()


_news: weakref.WeakKeyDictionary[CredentialStore, _KeyringNews] = weakref.WeakKeyDictionary()


def when_keyring_back(
    owner: QObject, credentials: CredentialStore, call: Callable[[], None]
) -> None:
    """Call ``call`` (on the GUI thread, while ``owner`` lives) each time "Try the keyring
    again" brings ``credentials``' keyring back, from whichever window. Call it on the GUI
    thread, once per window."""
    news = _news.get(credentials)
    if news is None:
        news = _news[credentials] = _KeyringNews()
        credentials.on_back.append(news.back.emit)
    news.back.connect(_Listener(owner, call).heard)


def retry_keyring(
    owner: QObject, credentials: CredentialStore, on_done: Callable[[bool], None]
) -> None:
    """ "Try the keyring again": ask the keyring set aside once more, on a worker (it may
    prompt to be unlocked); ``on_done(True)`` when it is used again, else ``on_done(False)``
    (still locked, or it failed). The windows listening (``when_keyring_back``) hear of it."""
    run_task(credentials.retry, owner=owner, on_done=on_done, on_error=lambda _e: on_done(False))


def needs_sign_in_text(integration: Integration) -> str:
    return (
        f"“{integration.source_name}” needs sign-in: its flow token is not on this computer "
        "any more (it was kept only until the app quit, or the keyring lost it), so it cannot "
        "post. Reconnect signs you in if needed and gives it a new flow token; what waits in "
        "the outbox is sent then."
    )


def show_flow_token_state(
    window: Any, integrations: list[Integration], *, keyring_back: bool = False
) -> None:
    """Check (off the GUI thread) which integrations lack their flow token, and whether the
    keyring is set aside, then mark them in the composer's list and offer Reconnect (or
    "Try the keyring again") for the selected one. ``keyring_back``: the check made because
    the keyring opened again (``_keyring_back``), whose tokens found again are no reconnect."""
    context = window.context

    def missing() -> tuple[set[str], KeyringSetAside | None]:
        # Here, on the worker: ``connect`` (setup links, the API's models) is not needed
        # for the composer's first window.
        from flowdock_desktop.connect import without_flow_token

        credentials = context.credentials
        gone = without_flow_token(credentials, integrations)
        return gone, keyring_set_aside(credentials)

    def done(found: tuple[set[str], KeyringSetAside | None]) -> None:
        lacking, held = found
        # Those that lacked their flow token and have it now were reconnected: what waited in
        # the outbox for them goes at once, not when its backoff ends. Not those that were
        # behind the keyring when it opened again (any check that ends before that one read
        # them anew): ``_keyring_back`` says so and sends what waited for them.
        before = window.integrations
        regained = set()
        if before.keyring is None:
            regained = before.needs_sign_in - lacking - before.behind_keyring
        if keyring_back:
            before.behind_keyring = set()
        window.integrations.mark_needs_sign_in(lacking, held)
        _watch(window)
        if not getattr(window, "_keyring_watch", False):
            window._keyring_watch = True  # the store is made: the check above used it
            when_keyring_back(window, context.credentials, lambda: _keyring_back(window))
        _offer(window)
        if regained:
            window.outbox.deliver_now_for(regained, lambda waiting: _sending(window, regained))

    def check() -> None:
        run_task(missing, owner=window, on_done=done, on_error=lambda _error: None)

    # Reading the keyring loads it (every backend) on the worker: once the window has painted
    # and shows its message (``ComposerWindow.after_loaded``), which it would otherwise hold up.
    window.after_loaded(check)


def _sending(window: Any, regained: set[str]) -> None:
    """Say that what waited for the chosen integration, just reconnected, goes now (the
    outbox's delivery says when it went)."""
    from flowdock_desktop.ui.composer.banner import BannerReason

    integration = window.integration
    if integration is not None and integration.id in regained:
        window.banners.show(
            "info",
            f"“{integration.source_name}” is reconnected: sending what waited in the outbox…",
            BannerReason.QUEUED,
        )


def keyring_back_sending(waiting: int) -> str:
    """The composer's words when the keyring opened again and ``waiting`` messages of the
    chosen integration, which waited for it, go now."""
    what = "the message" if waiting == 1 else f"the {waiting} messages"
    return f"{KEYRING_BACK} Sending {what} that waited for it…"


def _sending_for_keyring(window: Any, waiting: dict[str, int]) -> None:
    """Say that what waited for the keyring goes now, when the chosen integration had any
    (its rows in the Outbox tab say so for the others; the delivery says when it went)."""
    from flowdock_desktop.ui.composer.banner import BannerReason

    integration = window.integration
    count = waiting.get(integration.id, 0) if integration is not None else 0
    if count and window.integrations.keyring is None:
        window.banners.show("info", keyring_back_sending(count), BannerReason.QUEUED)


def _watch(window: Any) -> None:
    """Offer Reconnect (or take the offer down) whenever another integration is chosen."""
    if not getattr(window, "_reconnect_watch", False):
        window._reconnect_watch = True
        window.integrations_panel.selected.connect(lambda _id: _offer(window))


def waits_for_reconnect(window: Any, integration_ids: set[str], lead: str = "") -> bool:
    """Delivery found these integrations without their flow token (the window's own check had
    not, or had not answered yet): their messages wait in the outbox. Mark them as needing
    sign-in and offer Reconnect when the chosen one is among them (True), ``lead`` before the
    notice's words. Without a lead the notice is not shown again for one already known."""
    known = window.integrations.needs_sign_in
    window.integrations.mark_needs_sign_in(known | integration_ids, window.integrations.keyring)
    _watch(window)
    integration = window.integration
    if integration is None or integration.id not in integration_ids:
        return False
    if lead or integration.id not in known:
        return _offer(window, lead)
    return True


#: Before the needs-sign-in notice when a message just sent waits for Reconnect.
WAITS_LEAD = "Not sent yet: the message waits in the outbox. "


def refuse_send(window: Any) -> bool:
    """Send pressed for an integration known to lack its flow token: say so, with Reconnect
    (or, when the keyring is locked, with "Try the keyring again"), and keep the message in
    the form (True); False when the integration is not known to."""
    return _offer(window, "Not sent; the message stays in the form. ")


def try_keyring_again(window: Any) -> None:
    """The composer's "Try the keyring again" (``retry_keyring``). Once the keyring answers,
    ``_keyring_back`` brings the window up to date; if not, the same words come back."""
    from flowdock_desktop.ui.composer.banner import BannerReason

    credentials = window.context.credentials  # made already: the check found it set aside
    window.banners.show("info", TRYING_KEYRING, BannerReason.KEYRING)

    def done(in_use: bool) -> None:
        if in_use:
            _keyring_back(window)  # once: a window that heard of it already is up to date
            return
        held = window.integrations.keyring = keyring_set_aside(credentials)
        if held is not None:
            _show_keyring(window, held, STILL_SET_ASIDE)

    retry_keyring(window, credentials, done)


def _keyring_back(window: Any) -> None:
    """The keyring the composer found set aside is in use again (its own "Try the keyring
    again", or another window's): what was kept meanwhile is saved in it; the window checks
    its flow tokens, threads and outbox again, and what waited for the keyring goes now."""
    from flowdock_desktop.ui.composer.banner import BannerReason

    integrations = window.integrations
    if integrations.keyring is None:
        return  # this window never found it set aside: nothing it shows depends on it
    behind = set(integrations.needs_sign_in)
    integrations.keyring = None
    integrations.behind_keyring = behind
    window.banners.clear(BannerReason.KEYRING)
    window.banners.show("success", KEYRING_BACK)
    show_flow_token_state(window, integrations.view.all, keyring_back=True)
    window.refresh_threads()
    window.outbox.deliver_now_for(
        behind, lambda waiting: _sending_for_keyring(window, waiting), ignore_backoff=True
    )


def _offer(window: Any, lead: str = "") -> bool:
    """Offer Reconnect for the chosen integration when it lacks its flow token (True), or
    take that notice down (False); ``lead`` goes before the notice's words. While the
    keyring is set aside, its notice and "Try the keyring again" are offered instead."""
    from flowdock_desktop.ui.composer.banner import BannerAction, BannerReason

    integration = window.integration
    held = window.integrations.keyring
    # The check may have read the list before the integration was found removed in Flowdock
    # (which deletes its flow token): a removed one is set up again, never reconnected.
    missing = (
        integration is not None
        and integration.is_active
        and integration.id in window.integrations.needs_sign_in
    )
    if held is not None and integration is not None:
        if lead and not missing:
            return False  # its flow token was kept meanwhile: it can still post
        _show_keyring(window, held, lead)
        return missing
    window.banners.clear(BannerReason.KEYRING)
    if missing:
        window.banners.show(
            "warning",
            lead + needs_sign_in_text(integration),
            BannerReason.NEEDS_SIGN_IN,
            BannerAction.RECONNECT,
        )
        return True
    window.banners.clear(BannerReason.NEEDS_SIGN_IN)
    return False


def _show_keyring(window: Any, held: KeyringSetAside, lead: str = "") -> None:
    from flowdock_desktop.ui.composer.banner import BannerAction, BannerReason

    window.banners.clear(BannerReason.NEEDS_SIGN_IN)
    window.banners.show(
        "warning", lead + held.warning, BannerReason.KEYRING, BannerAction.TRY_KEYRING
    )
