"""OutboxController: background delivery on a timer, the footer line and the Outbox tab."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from flowdock_desktop.compose.presenters import summarize_outbox
from flowdock_desktop.ui.composer.outbox_panel import OutboxPanel
from flowdock_desktop.ui.tasks import CancelToken, TaskHandle, run_task
from flowdock_desktop.ui.widgets import ElidedLabel

if TYPE_CHECKING:
    from flowdock_desktop.sending import SendService
    from flowdock_desktop.store.outbox import OutboxItem

log = logging.getLogger(__name__)


class OutboxController(QObject):
    """Runs ``deliver_due`` in the background every ``interval_ms`` and after each change,
    and shows the outbox in the footer (``label``) and the Outbox tab (``panel``).

    A send's result is shown the moment it is known (``show_result``), and a reading of the
    outbox begun before it is not shown when it lands after it: it may still have the message
    "sending". The reading that follows every send (``AFTER_SEND_MS``) shows the rest.

    Signals: ``delivered(list)`` with each run's ``DeliveryOutcome``s,
    ``load_requested(dict)`` with an item's payload to put in the form,
    ``items_changed(list)`` with every unfinished item after each refresh.
    """

    delivered = Signal(list)
    load_requested = Signal(dict)
    items_changed = Signal(list)

    def __init__(
        self,
        service: Callable[[], SendService],
        label: ElidedLabel,
        panel: OutboxPanel,
        *,
        busy: Callable[[], bool],
        show_error: Callable[[BaseException], Any],
        interval_ms: int,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self.label = label
        self.panel = panel
        self._busy = busy
        self._show_error = show_error
        self._parent = parent
        self.names: dict[str, str] = {}
        self._running: TaskHandle | None = None
        self._again = False  # a delivery asked for while one ran: run one more after it
        self._again_ignoring_backoff = False  # and that one sends what backs off too
        self._stopped = False
        self._results = 0  # send results shown so far: a reading begun before one is stale
        self._timer = QTimer(self, interval=interval_ms)
        self._timer.timeout.connect(self.deliver)
        self._timer.start()
        panel.send_now_requested.connect(lambda: self.deliver(ignore_backoff=True))
        panel.retry_requested.connect(self.retry)
        panel.load_requested.connect(self._load)
        panel.discard_requested.connect(self.discard)

    def stop(self) -> None:
        """No more deliveries (the window closes): the one under way finishes the message it
        is posting and records it, then stops; its result is no longer shown."""
        self._stopped = True
        self._timer.stop()
        if self._running is not None:
            self._running.cancel()

    @property
    def running(self) -> bool:
        return self._running is not None

    def deliver(self, *, ignore_backoff: bool = False) -> None:
        """One ``deliver_due`` in the background, unless one runs or a send is under way."""
        if self._stopped or self._running is not None or self._busy():
            return
        self._again = self._again_ignoring_backoff = False
        service = self._service()
        begun = self._results

        def work(token: CancelToken) -> tuple[list[Any], list[Any]]:
            outcomes = service.deliver_due(ignore_backoff=ignore_backoff, cancel=token)
            return outcomes, service.unfinished()

        self._running = run_task(
            work,
            owner=self,
            on_done=lambda result: self._done(result, begun),
            on_error=self._failed,
            with_token=True,
        )

    def deliver_now_for(
        self,
        integration_ids: set[str],
        on_waiting: Callable[[dict[str, int]], Any] = lambda _n: None,
        *,
        ignore_backoff: bool = False,
    ) -> None:
        """What these integrations waited for is here (they were reconnected, or the keyring
        holding their flow tokens opened again): what waits for them is made due and delivered
        now, in order, instead of when its backoff ends (which may be minutes away).
        ``on_waiting`` is called first, with how many waited for each, when anything did.
        ``ignore_backoff``: the delivery runs even when nothing waited for them, and sends
        every other waiting message too, whatever its backoff."""
        outbox = self._service().context.outbox

        def hurry() -> dict[str, int]:
            return {
                integration_id: outbox.make_due(integration_id)
                for integration_id in sorted(integration_ids)
            }

        def hurried(waiting: dict[str, int]) -> None:
            if any(waiting.values()):
                on_waiting(waiting)
            elif not ignore_backoff:
                return
            self._deliver_hurried(ignore_backoff=ignore_backoff)

        # Made due before the delivery starts (not beside it): one already under way would
        # have claimed some, and the count said would be short.
        run_task(hurry, owner=self, on_done=hurried, on_error=self._show_error)

    def _deliver_hurried(self, *, ignore_backoff: bool = False) -> None:
        if self._running is not None or self._busy():
            # Due now in the store; run again as soon as what runs has ended.
            self._again = True
            self._again_ignoring_backoff |= ignore_backoff
            return
        self.deliver(ignore_backoff=ignore_backoff)

    def _done(self, result: tuple[list[Any], list[OutboxItem]], begun: int) -> None:
        self._running = None
        outcomes, items = result
        self._show(items, begun)
        self.delivered.emit(outcomes)
        self._then()

    def _failed(self, error: BaseException) -> None:
        self._running = None
        log.warning("outbox delivery failed: %s", type(error).__name__)
        self._then()

    def _then(self) -> None:
        if self._again:
            everything = self._again_ignoring_backoff
            QTimer.singleShot(0, self, lambda: self.deliver(ignore_backoff=everything))

    def refresh(self) -> TaskHandle:
        """Read the outbox again and show it (unless a send's result was shown meanwhile)."""
        service = self._service()
        begun = self._results
        return run_task(
            service.unfinished,
            owner=self,
            on_done=lambda items: self._show(items, begun),
            on_error=lambda exc: log.warning("outbox not read: %s", type(exc).__name__),
        )

    def show_result(self, item: OutboxItem) -> None:
        """A send's message as the send left it (``SendResult.item``), shown in its row and
        the footer at once, without reading the outbox: this runs in the pass that shows the
        send's result, the GUI thread's busiest, so only that row changes."""
        self._results += 1
        if self._stopped:
            return
        if self.panel.show_item(item):
            self._set_footer(self.panel.items)

    def _show(self, items: list[OutboxItem], begun: int) -> None:
        if begun != self._results:
            # Read before a send's result was shown: it may have that message still
            # "sending". Dropped; the reading after the send shows the rest.
            return
        self._set_footer(items)
        self.panel.set_items(items, self.names)
        self.items_changed.emit(items)

    def _set_footer(self, items: list[OutboxItem]) -> None:
        text = summarize_outbox(items).footer()
        if text != self.label.full_text():
            log.info("outbox: %s", text)  # the whole line, however the footer cuts it
            self.label.set_full_text(text)

    def retry(self, item_id: int) -> None:
        outbox = self._service().context.outbox
        run_task(
            lambda: outbox.requeue(item_id),
            owner=self,
            on_done=lambda _: self.deliver(ignore_backoff=True),
            on_error=self._show_error,
        )

    def _load(self, item_id: int) -> None:
        item = next((i for i in self.panel.items if i.id == item_id), None)
        if item is not None and not item.damaged:
            self.load_requested.emit(dict(item.payload))

    def discard(self, item_id: int, *, confirm: bool = True) -> None:
        if confirm:
            from PySide6.QtWidgets import QMessageBox  # its Qt type and enums: when first asked

            answer = QMessageBox.question(
                self._parent,
                "Discard message",
                "Discard this message for good? It has not been sent and cannot be recovered.",
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                return
        outbox = self._service().context.outbox
        run_task(
            lambda: outbox.discard(item_id),
            owner=self,
            on_done=lambda _: self.refresh(),
            on_error=self._show_error,
        )
