"""The GUI's top-level error handler: any error that reaches the event loop becomes a window in
plain words (``problems.explain``), never a traceback on a terminal nobody watches; an
unexpected one also leaves a scrubbed crash report in the log folder, named in the window.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QApplication, QMessageBox

from flowdock_desktop.problems import explain_and_report

log = logging.getLogger(__name__)

TITLE = "Flowdock Desktop"


def problem_box(error: BaseException, log_dir: Path | None) -> QMessageBox:
    """A window saying what went wrong and what to do (not yet shown)."""
    problem = explain_and_report(error, log_dir)
    if problem.unexpected:
        log.error("unexpected error", exc_info=error)
    box = QMessageBox(QMessageBox.Icon.Critical, TITLE, problem.text)
    box.setObjectName("problem-box")
    return box


class ErrorHandler(QObject):
    """Installed for the life of the GUI: ``sys.excepthook`` (errors in slots and event
    handlers) and ``threading.excepthook`` both end in a window, shown on the GUI thread.

    Signals: ``raised(error)``, emitted from any thread. Attributes: ``boxes`` (the open
    windows). ``uninstall()`` puts the previous hooks back.
    """

    raised = Signal(object)

    def __init__(self, log_dir: Path | None) -> None:
        super().__init__()
        self.log_dir = log_dir
        self.boxes: list[QMessageBox] = []
        # Queued to this object's (the GUI) thread when emitted from a worker.
        self.raised.connect(self.show)
        self._previous: tuple[Callable, Callable] = (sys.excepthook, threading.excepthook)
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_excepthook

    def uninstall(self) -> None:
        sys.excepthook, threading.excepthook = self._previous

    @Slot(object)
    def show(self, error: BaseException) -> QMessageBox:
        box = problem_box(error, self.log_dir)
        self.boxes.append(box)
        box.finished.connect(lambda *_: self.boxes.remove(box) if box in self.boxes else None)
        box.show()
        return box

    def _excepthook(
        self, kind: type[BaseException], error: BaseException, tb: TracebackType | None
    ) -> None:
        if isinstance(error, KeyboardInterrupt):
            QApplication.quit()
            return
        self.raised.emit(error.with_traceback(tb))

    def _thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            self.raised.emit(args.exc_value)
