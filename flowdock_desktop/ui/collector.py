"""Short garbage-collector pauses on the GUI thread.

Python's full (oldest-generation) collection walks every container object alive. Once the
modules, the embedded sandbox and a composer are loaded that is 60,000 or more objects, and
walking them took 25–85 ms whenever a full pass came due: on the GUI thread, or on a worker
holding the interpreter lock the GUI thread then waits for. Either way the window froze for
a few frames in the middle of sending (benchmarks/README.md, "GUI stall").

``settle()`` moves the objects alive at that moment out of the collector's passes
(``gc.freeze``). It is called right after a batch of long-lived objects is made: the first
window has painted, the embedded sandbox has started, a composer has loaded its integration.
Frozen objects are still freed by reference counting as usual; only garbage held in cycles
among them is never collected. A composer opened and closed leaves about 220 objects more
that way (measured over 12 open/close rounds), which is why nothing is thawed on close.

``pause_start()`` keeps the collector from running at all while the GUI starts: almost
everything made then (modules, the first window) lives as long as the app, so the 60-odd
young collections a composer's start used to run (10–13 ms) found little to free. The pause
ends at the first ``settle()`` (the first window has painted), or, when a window holds it
(``hold()``: the composer, until it shows its message), once that window lets go; and
``PAUSE_LIMIT_MS`` after it began whatever happens (a window that never loads or is closed
first, a start that opens none). The cyclic garbage of the start (about 500 objects for a
composer's) is then frozen with the rest instead of being collected.
"""

from __future__ import annotations

import gc

#: The longest the collector stays paused at start, whether or not anything settles.
PAUSE_LIMIT_MS = 3000

_paused = False
_holds = 0
_pauses = 0  # pauses begun so far: a limit's timer ends only the pause it was set for


def pause_start() -> None:
    """Stop automatic collections until the start settles, at most ``PAUSE_LIMIT_MS`` from now.

    Does nothing when collection is already off (someone else turned it off: they turn it on)
    or already paused. Needs the QApplication (for the limit's timer).
    """
    global _paused, _pauses
    if _paused or not gc.isenabled():
        return
    from PySide6.QtCore import QTimer

    gc.disable()
    _paused = True
    _pauses += 1
    this_pause = _pauses
    QTimer.singleShot(PAUSE_LIMIT_MS, lambda: _limit_reached(this_pause))


def _limit_reached(pause: int) -> None:
    if pause == _pauses:
        resume()


def hold() -> None:
    """Keep the start's pause on past the next ``settle()``, until ``release()``."""
    global _holds
    if _paused:
        _holds += 1


def release() -> None:
    """Let go of a ``hold()``; the pause ends when nothing else holds it."""
    global _holds
    if _holds:
        _holds -= 1
        if not _holds:
            resume()


def resume() -> None:
    """End the start's pause, if one is on, holds or not; collections run as before."""
    global _paused, _holds
    _holds = 0
    if _paused:
        _paused = False
        gc.enable()


def paused() -> bool:
    """Whether the start's pause is on."""
    return _paused


def settle() -> None:
    """Keep what is alive now out of later full collections; end the start's pause unless a
    window holds it."""
    gc.freeze()
    if not _holds:
        resume()
