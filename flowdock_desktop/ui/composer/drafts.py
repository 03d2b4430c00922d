"""DraftsController: the form is saved as the person types and restored per integration."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer

from flowdock_desktop.compose import FormState
from flowdock_desktop.ui.tasks import run_task

if TYPE_CHECKING:
    from flowdock_desktop.store.drafts import Drafts

log = logging.getLogger(__name__)


class DraftsController(QObject):
    """Loads an integration's draft, saves edits after a pause, clears it after a send.

    Every read and write runs through ``ui.tasks``. Attributes: ``ready`` (a draft was
    loaded for ``integration_id``, so edits may be saved over it).
    """

    def __init__(
        self,
        drafts: Drafts,
        state: Callable[[], FormState],
        *,
        delay_ms: int,
        parent: QObject,
    ) -> None:
        super().__init__(parent)
        self._drafts = drafts
        self._state = state
        self.integration_id: str | None = None
        self.ready = False
        self._timer = QTimer(self, singleShot=True, interval=delay_ms)
        self._timer.timeout.connect(self.save_now)

    def load(self, integration_id: str, on_loaded: Callable[[dict | None], Any]) -> None:
        """Read ``integration_id``'s draft; ``on_loaded(draft or None)`` on the GUI thread.

        A save still pending for the integration shown before is written first."""
        self.flush()
        self.integration_id, self.ready = integration_id, False
        drafts = self._drafts

        def done(draft: dict[str, Any] | None) -> None:
            if integration_id != self.integration_id:
                return  # another integration was chosen meanwhile
            on_loaded(draft or None)
            self.ready = True

        def unreadable(error: BaseException) -> None:
            log.warning("draft not read: %s", type(error).__name__)
            done(None)

        run_task(lambda: drafts.load(integration_id), owner=self, on_done=done, on_error=unreadable)

    def forget_current(self) -> None:
        """Stop saving for the current integration (it is gone, or none is chosen)."""
        self._timer.stop()
        self.integration_id, self.ready = None, False

    def edited(self) -> None:
        if self.ready:
            self._timer.start()

    def save_now(self) -> None:
        self._timer.stop()
        if not self.ready or self.integration_id is None:
            return
        integration_id, data = self.integration_id, self._state().to_dict()
        drafts = self._drafts
        run_task(
            lambda: drafts.save(integration_id, data),
            owner=None,  # a draft typed just before closing is still written
            on_error=lambda exc: log.warning("draft not saved: %s", type(exc).__name__),
        )

    def flush(self) -> None:
        """Write a pending save now (the window is closing)."""
        if self._timer.isActive():
            self.save_now()

    def clear(self, integration_id: str) -> None:
        """The message was sent: forget its draft."""
        self._timer.stop()
        drafts = self._drafts
        run_task(lambda: drafts.clear(integration_id), owner=None)
