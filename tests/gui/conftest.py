"""GUI test helpers: screenshots of every screen, in light and dark, for reviewers.

Screenshots are written only when ``FLOWDOCK_SCREENSHOTS`` names a directory
(``make screenshots`` sets it to docs/screenshots).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from person import WAIT
from PySide6.QtWidgets import QApplication, QWidget

from flowdock_desktop.ui.theme import apply_theme


@pytest.fixture(scope="session", autouse=True)
def _no_task_outlives_the_gui_tests():
    """Background tasks end with the GUI tests, as they do when the app quits (``run_gui``
    calls ``tasks.shutdown``): a composer's stream left retrying against a sandbox that has
    stopped kept the thread pool busy, and the interpreter waited for it at exit."""
    yield
    from flowdock_desktop.ui import tasks

    assert tasks.shutdown(), "a background task did not end when cancelled"


def _screenshot_dir() -> Path | None:
    target = os.environ.get("FLOWDOCK_SCREENSHOTS")
    return Path(target) if target else None


@pytest.fixture
def screenshot(qtbot):
    """``screenshot(widget, name)`` saves ``name-light.png`` and ``name-dark.png``."""
    app = QApplication.instance()

    def take(widget: QWidget, name: str) -> list[Path]:
        directory = _screenshot_dir()
        if directory is None:
            return []
        directory.mkdir(parents=True, exist_ok=True)
        saved = []
        previous = app.property("flowdock_scheme") or "light"
        for scheme in ("light", "dark"):
            # The palette alone, as the app does: setting the style again re-lays out open
            # windows, and a question box then moved its focus to its first button.
            apply_theme(app, scheme, set_style=False)
            widget.repaint()
            qtbot.wait(30)
            path = directory / f"{name}-{scheme}.png"
            assert widget.grab().save(str(path)), f"could not write {path}"
            saved.append(path)
        apply_theme(app, previous, set_style=False)
        return saved

    return take


@pytest.fixture
def scripted_browser(monkeypatch):
    """The system browser replaced by one that follows the sandbox's redirects (wizard tests)."""
    from wizard_support import ScriptedBrowser

    from flowdock_desktop.auth import browser

    fake = ScriptedBrowser()
    monkeypatch.setattr(browser, "open_browser", fake)
    return fake


@pytest.fixture(autouse=True)
def _light_theme(qapp):
    apply_theme(qapp, "light")
    yield


@pytest.fixture
def composer_context(profile_dir, sandbox):
    """A fresh profile signed in as the demo user of the module's sandbox (fast retries)."""
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.testing import sign_in_demo_user

    ctx = AppContext()
    ctx.outbox.base_delay = 0.05
    ctx.outbox.max_delay = 0.1
    sign_in_demo_user(ctx, sandbox.base_url)
    yield ctx
    ctx.close()


@pytest.fixture
def no_faults(sandbox):
    """Disarm every sandbox fault after the test."""
    import httpx

    yield
    httpx.delete(sandbox.base_url + "/sandbox/faults")


@pytest.fixture
def open_composer(qtbot, composer_context):
    """``open_(integration_id=None, size=(1280, 820))``: a composer window, shown, active and
    settled (draft read, author known, templates listed); closed after the test."""
    from flowdock_desktop.ui.composer import ComposerWindow

    windows = []

    def open_(integration_id: str | None = None, size: tuple[int, int] = (1280, 820)):
        window = ComposerWindow(
            composer_context,
            integration_id,
            outbox_interval_ms=50,
            draft_delay_ms=50,
            preview_delay_ms=10,
        )
        qtbot.addWidget(window)
        window.resize(*size)
        window.show()
        window.activateWindow()
        qtbot.waitExposed(window)
        qtbot.waitUntil(lambda: window._draft_ready, timeout=WAIT)
        qtbot.waitUntil(lambda: window.form.author_name.text() != "", timeout=WAIT)
        qtbot.waitUntil(lambda: window.template_box.count() > 0, timeout=WAIT)
        qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=WAIT)
        windows.append(window)
        return window

    yield open_
    for window in windows:
        window.close()
