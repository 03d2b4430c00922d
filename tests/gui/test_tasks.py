"""The background-work bridge delivers on the GUI thread, and never to a closed widget."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QWidget

from flowdock_desktop.ui import tasks
from flowdock_desktop.ui.tasks import run_task

pytestmark = pytest.mark.gui


def test_result_arrives_on_gui_thread(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    seen = {}

    def work():
        seen["worker"] = threading.get_ident()
        return 41 + 1

    def done(value):
        seen["value"] = value
        seen["on_gui"] = QThread.currentThread() is QApplication.instance().thread()

    handle = run_task(work, owner=owner, on_done=done)
    qtbot.waitUntil(lambda: handle.done)
    assert seen["value"] == 42
    assert seen["on_gui"] is True
    assert seen["worker"] != threading.get_ident()


def test_error_is_delivered(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    errors = []

    def work():
        raise ValueError("boom")

    handle = run_task(work, owner=owner, on_error=errors.append)
    qtbot.waitUntil(lambda: handle.done)
    assert len(errors) == 1 and str(errors[0]) == "boom"


def test_work_that_meets_the_profile_closed_tells_nobody(qtbot, tmp_path, caplog):
    """Quitting closes the profile after a bounded wait; work still running then meets it
    closed. Its handler is not called (a window would show or log it as a failure: "outbox
    not read", a crash report for the threads' listing)."""
    import logging

    from flowdock_desktop.store.db import Database

    db = Database(tmp_path / "data.sqlite3")
    db.close()
    owner = QWidget()
    qtbot.addWidget(owner)
    errors = []
    caplog.set_level(logging.DEBUG)
    handle = run_task(lambda: db.query("SELECT 1"), owner=owner, on_error=errors.append)
    qtbot.waitUntil(lambda: handle.done)
    assert errors == []
    assert "a background task met the profile closed" in caplog.messages


def test_cancel_interrupts_and_drops_result(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    started = threading.Event()
    results = []

    def work(token):
        started.set()
        woke = token.wait(30)
        return "cancelled" if woke else "slept"

    handle = run_task(work, owner=owner, on_done=results.append, with_token=True)
    assert started.wait(5)
    handle.cancel()
    qtbot.waitUntil(lambda: handle.done)
    assert results == []


def test_result_for_destroyed_owner_is_dropped(qtbot):
    owner = QWidget()
    release = threading.Event()
    results = []

    handle = run_task(lambda: release.wait(5) and "late", owner=owner, on_done=results.append)
    owner.deleteLater()
    qtbot.waitUntil(lambda: not _alive(owner))
    release.set()
    qtbot.waitUntil(lambda: handle.done)
    assert results == []


def test_progress_reaches_gui(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    steps = []

    def work(progress):
        for i in range(3):
            progress(i)
        return "ok"

    handle = run_task(work, owner=owner, on_progress=steps.append, with_progress=True)
    qtbot.waitUntil(lambda: handle.done)
    qtbot.waitUntil(lambda: len(steps) == 3)
    assert steps == [0, 1, 2]


def _alive(obj) -> bool:
    import shiboken6

    return shiboken6.isValid(obj)


def test_a_result_with_nobody_left_to_take_it_is_dropped_quietly(qtbot, capfd):
    """When the app quits while a worker still runs, its relay to the GUI thread is gone by
    the time the work ends: the answer is dropped, with no traceback on the terminal."""
    import threading

    import shiboken6

    release = threading.Event()
    finished = threading.Event()

    def work(progress):
        release.wait(10)
        progress("half way")  # dropped too, and the work carries on
        finished.set()
        return "late"

    handle = tasks.run_task(
        work, owner=None, on_done=lambda _: None, on_progress=print, with_progress=True
    )
    shiboken6.delete(handle.relay)  # what tearing down the application does to it
    release.set()
    assert finished.wait(10)
    assert tasks.thread_pool().wait_for_done(10_000)
    assert "Traceback" not in capfd.readouterr().err


def test_a_worker_keeps_what_its_thread_keeps_from_one_task_to_the_next(qtbot, profile_dir):
    """What a thread keeps for itself (a ``threading.local``: the store's SQLite connection)
    is made once per worker thread, not once per task: forty reads one after another, as
    the composer's outbox timer makes them, leave the profile's database with at most one
    connection per worker (and the GUI thread's), not forty more."""
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.store.profile import Profile

    context = AppContext(Profile.resolve(profile_dir))
    kept = threading.local()
    made: list[int] = []

    def work():
        if not hasattr(kept, "thread"):
            kept.thread = threading.get_ident()
            made.append(kept.thread)
        context.templates.list()
        return threading.get_ident()

    used = set()
    for _ in range(40):
        handle = run_task(work, owner=None, on_done=used.add)
        qtbot.waitUntil(lambda handle=handle: handle.done)
    assert sorted(made) == sorted(used)  # once per thread that ran a task
    assert len(used) <= tasks.MAX_WORKERS
    connections = context.db._all  # the store's list of every connection it opened
    assert len(connections) <= tasks.MAX_WORKERS + 1
    context.close()


def test_starting_a_task_never_waits_for_its_new_worker_thread(qtbot, monkeypatch):
    # ``threading.Thread.start`` waits on an event until the new thread runs; on the GUI
    # thread that wait lasts as long as other threads hold the interpreter lock. A fresh pool
    # must start its threads (and hand them their tasks) without waiting on any of them.
    pool = tasks.Workers(limit=3)
    caller = threading.get_ident()
    waits = []
    plain_wait = threading.Event.wait

    def noting_wait(event, timeout=None):
        if threading.get_ident() == caller:
            waits.append(event)
        return plain_wait(event, timeout)

    release = threading.Event()
    ran = []

    class Blocking:
        def run(self):
            ran.append(threading.current_thread().name)
            plain_wait(release, 10)

    monkeypatch.setattr(threading.Event, "wait", noting_wait)
    for _ in range(3):  # each busy in turn, so each start makes a thread
        pool.start(Blocking())
    monkeypatch.undo()
    assert waits == []
    qtbot.waitUntil(lambda: len(ran) == 3)
    release.set()
    assert pool.wait_for_done(5000)
    # The threads have the pool's names (as the log lines written from them show).
    assert sorted(ran) == ["flowdock-task-1", "flowdock-task-2", "flowdock-task-3"]
