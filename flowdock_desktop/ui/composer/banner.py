"""The composer's banner: one notice at a time, each with a named action and a reason.

What the action button does is an enum value given with the notice, never guessed from the
words shown; ``reason`` says what the notice is about, so it can be taken down when that is
over (the "Fix the marked fields" notice goes once no field is marked).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

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
    ERROR = "error"
    INFO = "info"


class BannerController(QObject):
    """Shows notices on a ``Banner`` and runs their action when its button is pressed.

    Signals: ``action_triggered(object)`` with the ``BannerAction`` pressed.
    Attributes: ``reason`` (the ``BannerReason`` shown, NONE when hidden), ``action``.
    """

    action_triggered = Signal(object)

    def __init__(self, banner: Banner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.banner = banner
        self.reason = BannerReason.NONE
        self.action: BannerAction | None = None
        self._handlers: dict[BannerAction, Callable[[], None]] = {}
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
        self.reason, self.action = reason, action
        self.banner.show_message(kind, text, action.value if action else None, room_for=room_for)
        if kind == "error":
            log.info("composer: %s", text)  # the whole text, for a support person

    def clear(self, *reasons: BannerReason) -> None:
        """Take the notice down (only when it is about one of ``reasons``, if given)."""
        if reasons and self.reason not in reasons:
            return
        self.reason, self.action = BannerReason.NONE, None
        self.banner.clear()

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
