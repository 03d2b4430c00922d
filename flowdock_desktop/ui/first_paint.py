"""Work that waits until the first window has been painted.

Under a real X server a window appears only once the server sends its expose and the
widgets paint; whatever runs on the GUI thread (or holds the GIL on a worker) before then
delays it. ``after_first_paint`` runs background starts (the embedded sandbox, the Server
page's look-ups) once their window has painted, or after ``FALLBACK_MS`` when it does not
(hidden, or a platform that never exposes it). The composer's look-ups (sign-in, keyring, the
stream) wait for that and for its message to show (``ComposerWindow.after_loaded``).

It watches the window itself, not the application: a Python event filter on the
application sees every object's events, and PySide then creates the Python enums of each
Qt class it meets (about 170 more on the first start, tens of milliseconds). The app's own
windows (``ReportsFirstPaint``) tell it from their ``paintEvent``: a Python handler that
takes a plain ``QEvent`` (an event filter) makes PySide create the Python type of every
``QEvent`` subclass the first time it runs (49 types, 3 to 4 ms of a start), a handler of
one kind of event only that kind's. Any other window is watched with an event filter.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from PySide6.QtGui import QPaintEvent

#: Run anyway after this long without a paint.
FALLBACK_MS = 500


class _PaintWatch(QObject):
    """Notes the first Paint event of one window and then runs what waited for it; a child
    of the window, so each window is watched once and the watch goes with it."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.released = False
        self.waiting: list[tuple[QObject | None, Callable[[], object]]] = []
        if not isinstance(window, ReportsFirstPaint):
            window.installEventFilter(self)
        elif window.painted_once:
            self.painted()
        QTimer.singleShot(FALLBACK_MS, self, self.release)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            self.painted()
        return False

    def painted(self) -> None:
        # A zero timer fires after this paint pass (every widget of the window) is done.
        QTimer.singleShot(0, self, self.release)

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        waiting, self.waiting = self.waiting, []
        for owner, callback in waiting:
            _dispatch(owner, callback)


class ReportsFirstPaint:
    """For the app's windows (put before the Qt class among the bases): their first paint
    reaches ``after_first_paint`` through ``paintEvent``, with no event filter."""

    painted_once = False

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self.painted_once:
            self.painted_once = True
            watch = self.findChild(_PaintWatch, options=Qt.FindChildOption.FindDirectChildrenOnly)
            if watch is not None:
                watch.painted()


def _dispatch(owner: QObject | None, callback: Callable[[], object]) -> None:
    if owner is None:
        QTimer.singleShot(0, callback)
        return
    # An owner destroyed meanwhile gets nothing (Qt drops a dead receiver's timer; a wrapper
    # whose object is gone refuses to be one).
    with contextlib.suppress(RuntimeError):
        QTimer.singleShot(0, owner, callback)


def after_first_paint(
    window: QWidget, callback: Callable[[], object], owner: QObject | None = None
) -> None:
    """Call ``callback`` on the GUI thread once ``window``'s top-level window has painted
    (from the event loop at once when it painted already); never when ``owner`` is destroyed
    first. Each window counts for itself: a window opened later waits for its own paint."""
    top = window.window()
    watch = top.findChild(_PaintWatch, options=Qt.FindChildOption.FindDirectChildrenOnly)
    if watch is None:
        watch = _PaintWatch(top)
    if watch.released:
        _dispatch(owner, callback)
    else:
        watch.waiting.append((owner, callback))
