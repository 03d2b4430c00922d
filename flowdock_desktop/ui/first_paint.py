"""Work that waits until the first window has been painted.

Under a real X server a window appears only once the server sends its expose and the
widgets paint; whatever runs on the GUI thread (or holds the GIL on a worker) before then
delays it. ``after_first_paint`` runs background starts (the embedded sandbox, the Server
page's look-ups) once the first paint is done, or after ``FALLBACK_MS`` when no window
paints (hidden, or a platform that never exposes it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from shiboken6 import isValid

#: Run anyway after this long without a paint.
FALLBACK_MS = 500


class _FirstPaint(QObject):
    """Watches the application's events until the first paint, then runs what waited."""

    def __init__(self, app: QCoreApplication) -> None:
        super().__init__(app)
        self.painted = False
        self.waiting: list[tuple[QObject | None, Callable[[], object]]] = []
        app.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and not self.painted:
            # A zero timer fires after this paint pass (every widget of the window) is done.
            QTimer.singleShot(0, self, self.release)
        return False

    def release(self) -> None:
        if not self.painted:
            self.painted = True
            app = QCoreApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
        waiting, self.waiting = self.waiting, []
        for owner, callback in waiting:
            self.dispatch(owner, callback)

    @staticmethod
    def dispatch(owner: QObject | None, callback: Callable[[], object]) -> None:
        if owner is None:
            QTimer.singleShot(0, callback)
            return
        # An owner destroyed meanwhile gets nothing (Qt drops a dead receiver's timer; a
        # wrapper whose object is gone refuses to be one).
        with contextlib.suppress(RuntimeError):
            QTimer.singleShot(0, owner, callback)


_watcher: _FirstPaint | None = None


def after_first_paint(callback: Callable[[], object], owner: QObject | None = None) -> None:
    """Call ``callback`` on the GUI thread once the first window has painted (at once, from
    the event loop, when that already happened); never when ``owner`` is destroyed first."""
    global _watcher
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("after_first_paint needs the QApplication")
    if _watcher is None or not isValid(_watcher) or _watcher.parent() is not app:
        _watcher = _FirstPaint(app)
        QTimer.singleShot(FALLBACK_MS, _watcher, _watcher.release)
    if _watcher.painted:
        _FirstPaint.dispatch(owner, callback)
    else:
        _watcher.waiting.append((owner, callback))
