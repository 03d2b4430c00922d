"""GUI test helpers: screenshots of every screen, in light and dark, for reviewers.

Screenshots are written only when ``FLOWDOCK_SCREENSHOTS`` names a directory
(``make screenshots`` sets it to docs/screenshots).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QWidget

from flowdock_desktop.ui.theme import apply_theme


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
            apply_theme(app, scheme)
            widget.repaint()
            qtbot.wait(30)
            path = directory / f"{name}-{scheme}.png"
            assert widget.grab().save(str(path)), f"could not write {path}"
            saved.append(path)
        apply_theme(app, previous)
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
