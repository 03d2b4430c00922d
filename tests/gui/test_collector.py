"""The garbage collector's pause while the GUI starts: it ends on every path (the first window
painted, the composer showing its message, a window that never loads, a start with no
window), and it never turns on a collector someone else turned off."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap

import pytest
from person import WAIT

from flowdock_desktop.testing import connect_demo_source as make_integration
from flowdock_desktop.ui import collector

pytestmark = pytest.mark.gui


@pytest.fixture(autouse=True)
def _collector_restored():
    """Each test starts and ends with collection on and no pause (the suite shares a process)."""
    collector.resume()
    gc.enable()
    yield
    collector.resume()
    gc.enable()


def test_the_pause_ends_when_the_start_settles(qapp):
    collector.pause_start()
    assert collector.paused() and not gc.isenabled()
    collector.settle()
    assert not collector.paused() and gc.isenabled()
    # Once over, a settle (the sandbox started, a composer loaded) changes nothing more.
    collector.settle()
    assert gc.isenabled()


def test_a_held_pause_lasts_until_the_window_lets_go(qapp):
    collector.pause_start()
    collector.hold()
    collector.settle()  # the first paint
    assert not gc.isenabled()
    collector.release()  # the message shows
    assert not collector.paused() and gc.isenabled()
    # Holding when nothing is paused is nothing to let go of.
    collector.hold()
    collector.release()
    assert gc.isenabled()


def test_the_pause_ends_by_itself_when_nothing_settles(qtbot, monkeypatch):
    monkeypatch.setattr(collector, "PAUSE_LIMIT_MS", 50)
    collector.pause_start()
    collector.hold()  # a window that is never loaded nor closed
    assert not gc.isenabled()
    qtbot.waitUntil(gc.isenabled, timeout=WAIT)
    assert not collector.paused()


def test_a_collector_turned_off_elsewhere_stays_off(qapp):
    gc.disable()
    collector.pause_start()
    assert not collector.paused()
    collector.settle()
    assert not gc.isenabled()


def test_the_composer_holds_the_pause_until_its_message_shows(
    open_composer, composer_context, sandbox, monkeypatch
):
    monkeypatch.setattr(collector, "PAUSE_LIMIT_MS", 600_000)  # only the window ends it here
    make_integration(composer_context, sandbox.base_url)
    collector.pause_start()
    window = open_composer()
    # The window was made during the pause and has painted and loaded since: let go.
    assert window._draft_ready
    assert gc.isenabled() and not collector.paused()


def test_a_composer_made_during_the_pause_keeps_it_until_loaded(
    qtbot, composer_context, sandbox, monkeypatch
):
    from flowdock_desktop.ui.composer import ComposerWindow

    monkeypatch.setattr(collector, "PAUSE_LIMIT_MS", 600_000)
    make_integration(composer_context, sandbox.base_url)
    collector.pause_start()
    window = ComposerWindow(composer_context, draft_delay_ms=50)
    qtbot.addWidget(window)
    collector.settle()  # what run_gui does at the first paint: the composer still holds it
    assert not gc.isenabled()
    window.show()
    qtbot.waitUntil(lambda: window._draft_ready, timeout=WAIT)
    qtbot.waitUntil(gc.isenabled, timeout=WAIT)
    window.close()


def _run_start(code: str) -> str:
    """Run ``code`` after a fresh process's ``application()`` and return what it printed."""
    script = textwrap.dedent(
        """
        import gc, sys
        from PySide6.QtCore import QTimer
        from flowdock_desktop.ui import collector
        from flowdock_desktop.ui.app import application
        collector.PAUSE_LIMIT_MS = 200
        app = application()
        print("paused" if not gc.isenabled() else "collecting")
        """
    ) + textwrap.dedent(code)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_a_start_pauses_and_the_wizard_paint_ends_it(tmp_path):
    # As run_gui: the first window, then settle() once it has painted.
    out = _run_start(
        f"""
        import os
        os.environ["FLOWDOCK_DESKTOP_HOME"] = {str(tmp_path / "profile")!r}
        from flowdock_desktop.context import AppContext
        from flowdock_desktop.ui.app import WindowRouter
        from flowdock_desktop.ui.first_paint import after_first_paint
        router = WindowRouter(AppContext())
        window = router.show_wizard()
        def painted():
            collector.settle()
            print("collecting" if gc.isenabled() else "paused")
            app.quit()
        after_first_paint(window, painted)
        QTimer.singleShot(10_000, app.quit)
        app.exec()
        """
    )
    assert out == ["paused", "collecting"]


def test_a_start_that_never_settles_collects_again_after_the_limit():
    out = _run_start(
        """
        def later():
            print("collecting" if gc.isenabled() else "paused")
            app.quit()
        QTimer.singleShot(collector.PAUSE_LIMIT_MS + 300, later)
        app.exec()
        """
    )
    assert out == ["paused", "collecting"]
