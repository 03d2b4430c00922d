"""Work that waits until the first window has been painted.

Under a real X server a window appears only once the server sends its expose and the
widgets paint; whatever runs on the GUI thread (or holds the GIL on a worker) before then
delays it. ``after_first_paint`` runs background starts (the embedded sandbox, the Server
page's look-ups) once the first window has painted, or after ``FALLBACK_MS`` when it does not
(hidden, or a platform that never exposes it).

It watches the window itself, not the application: a Python event filter on the
application sees every object's events, and PySide then creates the Python enums of each
Qt class it meets (about 170 more on the first start, tens of milliseconds).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

#: Run anyway after this long without a paint.
FALLBACK_MS = 500

_painted = False
_waiting: list[tuple[QObject | None, Callable[[], object]]] = []


class _PaintWatch(QObject):
    """Notes the first Paint event of one window."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        window.installEventFilter(self)
        QTimer.singleShot(FALLBACK_MS, self, _release)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            # A zero timer fires after this paint pass (every widget of the window) is done.
            QTimer.singleShot(0, self, _release)
        return False


def _release() -> None:
    global _painted, _waiting
    _painted = True
    waiting, _waiting = _waiting, []
    for owner, callback in waiting:
        _dispatch(owner, callback)


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
    """Call ``callback`` on the GUI thread once ``window`` has painted (from the event loop at
    once when a first window painted already); never when ``owner`` is destroyed first."""
    if _painted:
        _dispatch(owner, callback)
        return
    _waiting.append((owner, callback))
    _PaintWatch(window.window())
