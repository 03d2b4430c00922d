"""Guards against Qt bindings that leak or over-release references to None and True.

PySide6-Essentials 6.12.0 on Python 3.11 released one reference to None on every
``QTimer.start()`` and ``processEvents()`` and one to True on every signal emit; the app, with
its outbox and preview timers, would abort within an hour or two ("deallocating None"). This
test fails on such a build long before that, so a dependency upgrade cannot bring it back.
"""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QObject, QTimer, Signal

pytestmark = pytest.mark.gui

ROUNDS = 2000


class _Emitter(QObject):
    flag = Signal(bool)


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None and True are immortal from 3.12")
def test_timers_events_and_signals_keep_none_and_true_alive(qapp):
    timer = QTimer()
    emitter = _Emitter()
    received = []
    emitter.flag.connect(received.append)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(ROUNDS):
        timer.start(60_000)
        qapp.processEvents()
        emitter.flag.emit(True)
    timer.stop()
    received.clear()
    # A little slack for objects created meanwhile; a per-call leak or drop is thousands.
    assert abs(sys.getrefcount(None) - none_before) < ROUNDS // 10
    assert abs(sys.getrefcount(True) - true_before) < ROUNDS // 10
