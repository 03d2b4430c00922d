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
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Keep what is alive now out of later full collections."""
    gc.freeze()
