"""SendController: one message through the outbox in the background, and what became of it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QProgressBar, QPushButton

from flowdock_desktop.api.errors import GoneError, ValidationError
from flowdock_desktop.compose.presenters import sent_text
from flowdock_desktop.store.integrations import Integration
from flowdock_desktop.ui.composer.banner import BannerAction, BannerController, BannerReason
from flowdock_desktop.ui.tasks import TaskHandle, run_task

if TYPE_CHECKING:
    from flowdock_desktop.sending import SendResult, SendService


class SendController(QObject):
    """Sends a checked payload, shows progress, and reports the result in the banner: a sent
    message with the time and "Open in inbox" (the window opens it), a queued one with
    "Try now", a refusal.

    "Sending…" shows in the banner at once; the moving busy bar joins it only when the send
    takes longer than ``BUSY_BAR_DELAY_MS``. A bar that flashes for a fraction of a second tells
    a person nothing the banner does not, and its animation repaints the footer about 60
    times a second, a quarter of the window's work while it sends.

    Signals: ``sent(object)`` (the ``SendResult`` of a delivered message),
    ``refused(dict)`` (field errors the server named), ``gone(str)`` (the integration was
    removed in Flowdock), ``waits_for_reconnect(object)`` (the ``SendResult`` of a message
    kept in the outbox until its integration, which has no flow token here, is reconnected:
    the window offers Reconnect), ``finished`` (after every attempt, whatever its end),
    ``outcome(object)`` (the ``SendResult`` of every attempt that reached the outbox, first).
    Attributes: ``busy``.
    """

    sent = Signal(object)
    refused = Signal(dict)
    gone = Signal(str)
    waits_for_reconnect = Signal(object)
    finished = Signal()
    outcome = Signal(object)

    BUSY_BAR_DELAY_MS = 1000

    def __init__(
        self,
        service: Callable[[], SendService],
        button: QPushButton,
        progress: QProgressBar,
        *,
        banner: BannerController,
        show_error: Callable[[BaseException], Any],
        parent: QObject,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._button, self._progress = button, progress
        self._banner = banner
        self._show_error = show_error
        self._task: TaskHandle | None = None
        self._busy_bar = QTimer(self)
        self._busy_bar.setSingleShot(True)
        self._busy_bar.timeout.connect(lambda: self._progress.setVisible(self.busy))

    @property
    def busy(self) -> bool:
        return self._task is not None

    def stop(self) -> None:
        """The window closes: a send under way posts its message and records the answer,
        but delivers nothing else due and shows nothing."""
        if self._task is not None:
            self._task.cancel()

    def send(self, integration: Integration, payload: dict[str, Any]) -> None:
        # As tall as the "Sent to … as message …" that usually follows: no second move.
        expected = sent_text(integration, time.time(), {"id": 10**9})
        self._banner.show("info", "Sending…", BannerReason.SENDING, room_for=expected)
        self._busy_bar.start(self.BUSY_BAR_DELAY_MS)
        self._button.setEnabled(False)
        service = self._service()
        self._task = run_task(
            lambda token: service.send(integration.id, payload, cancel=token),
            owner=self,
            on_done=lambda result: self._done(integration, result),
            on_error=self._failed,
            with_token=True,
        )

    def _end(self) -> None:
        self._task = None
        self._busy_bar.stop()
        self._progress.setVisible(False)
        self.finished.emit()

    def _done(self, integration: Integration, result: SendResult) -> None:
        self._end()
        self.outcome.emit(result)
        if result.state == "sent":
            self._banner.show(
                "success",
                sent_text(integration, time.time(), result.response),
                BannerReason.SENT,
                BannerAction.OPEN_INBOX,
            )
            self.sent.emit(result)
        elif result.needs_reconnect:
            self.waits_for_reconnect.emit(result)
        elif result.state in ("queued", "sending"):
            self._banner.show(
                "warning",
                f"Not sent yet: {result.error} It is kept in the outbox and sent automatically "
                "when the server answers again.",
                BannerReason.QUEUED,
                BannerAction.RETRY,
            )
        elif result.state == "gone":
            self.gone.emit(result.error or "")
        else:
            self._banner.show(
                "error",
                f"Not sent: {result.error} Fix the message and send again.",
                BannerReason.REFUSED,
            )

    def _failed(self, error: BaseException) -> None:
        self._end()
        if isinstance(error, ValidationError):
            self.refused.emit(error.field_errors)
        elif isinstance(error, GoneError):
            self.gone.emit(error.user_message)
        else:
            self._show_error(error)
