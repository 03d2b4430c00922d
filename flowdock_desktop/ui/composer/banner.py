"""The composer's banner: one notice at a time, each with a named action and a reason.

What the action button does is an enum value given with the notice, never guessed from the
words shown; ``reason`` says what the notice is about, so it can be taken down when that is
over (the "Fix the marked fields" notice goes once no field is marked).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from flowdock_desktop.ui.reconnect import TRY_KEYRING
from flowdock_desktop.ui.widgets import Banner

log = logging.getLogger(__name__)


class BannerAction(enum.Enum):
    """What the banner's button does; the value is the button's text."""

    ADD_INTEGRATION = "Add integration"
    SET_UP_AGAIN = "Set it up again"
    RETRY = "Try now"
    SIGN_IN = "Sign in again"
    OPEN_INBOX = "Open in inbox"
    RECONNECT = "&Reconnect"
    RESEND = "Resend now"
    TRY_KEYRING = TRY_KEYRING


class BannerReason(enum.Enum):
    """What a notice is about."""

    NONE = "none"
    NO_INTEGRATION = "no integration"
    REMOVED = "integration removed"
    FIX_FIELDS = "fix the marked fields"
    SENDING = "sending"
    SENT = "sent"
    QUEUED = "queued"
    REFUSED = "refused"
    UNSENT_AFTER_SETUP = "unsent messages of a replaced integration"
    NEEDS_SIGN_IN = "the flow token is gone"
    KEYRING = "the keyring is locked or failing"
    ERROR = "error"
    INFO = "info"


#: Notices about the integration itself, true until something changes it: a passing notice
#: shown over one of these ("Saved the template …", "Fix the marked fields") gives it back.
STANDING = (
    BannerReason.REMOVED,
    BannerReason.NEEDS_SIGN_IN,
    BannerReason.KEYRING,
    BannerReason.NO_INTEGRATION,
)


class BannerController(QObject):
    """Shows notices on a ``Banner`` and runs their action when its button is pressed.

    A standing notice (``STANDING``: the integration was removed, needs sign-in) is not lost
    under a passing one: it comes back when that one is cleared, or, for a confirmation with
    nothing to do (success or info, no action), ``STANDING_BACK_MS`` after it showed.

    Signals: ``action_triggered(object)`` with the ``BannerAction`` pressed.
    Attributes: ``reason`` (the ``BannerReason`` shown, NONE when hidden), ``action``.
    """

    action_triggered = Signal(object)

    STANDING_BACK_MS = 4000

    def __init__(self, banner: Banner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.banner = banner
        self.reason = BannerReason.NONE
        self.action: BannerAction | None = None
        self._handlers: dict[BannerAction, Callable[[], None]] = {}
        # The standing notice under a passing one: (kind, text, reason, action).
        self._standing: tuple[str, str, BannerReason, BannerAction | None] | None = None
        self._back = QTimer(self, singleShot=True, interval=self.STANDING_BACK_MS)
        self._back.timeout.connect(self._give_back)
        banner.reserve_actions(action.value for action in BannerAction)
        banner.action_clicked.connect(self._clicked)

    def on(self, action: BannerAction, handler: Callable[[], None]) -> None:
        """Run ``handler`` when ``action``'s button is pressed."""
        self._handlers[action] = handler

    def show(
        self,
        kind: str,
        text: str,
        reason: BannerReason = BannerReason.INFO,
        action: BannerAction | None = None,
        *,
        room_for: str = "",
    ) -> None:
        """Show a notice; ``room_for``: a text expected next, that the banner keeps room for."""
        self._back.stop()
        if reason in STANDING:
            self._standing = (kind, text, reason, action)
        elif self._standing is not None and action is None and kind in ("success", "info"):
            self._back.start()
        self.reason, self.action = reason, action
        self.banner.show_message(kind, text, action.value if action else None, room_for=room_for)
        if kind == "error":
            log.info("composer: %s", text)  # the whole text, for a support person

    def clear(self, *reasons: BannerReason) -> None:
        """Take the notice down (only when it is about one of ``reasons``, if given); a
        standing notice under it comes back. Without ``reasons`` everything goes, the
        standing notice too (another integration was chosen, say)."""
        standing = self._standing
        if not reasons or (standing is not None and standing[2] in reasons):
            self._standing = None  # what it said is over
        if reasons and self.reason not in reasons:
            return
        self._back.stop()
        self.reason, self.action = BannerReason.NONE, None
        self.banner.clear()
        self._give_back()

    def _give_back(self) -> None:
        standing = self._standing
        if standing is not None and self.reason is not standing[2]:
            kind, text, reason, action = standing
            self.show(kind, text, reason, action)

    @property
    def text(self) -> str:
        return self.banner.text

    def _clicked(self) -> None:
        action = self.action
        if action is None:
            return
        handler = self._handlers.get(action)
        if handler is not None:
            handler()
        self.action_triggered.emit(action)
