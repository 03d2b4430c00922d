"""The first start: its window shows and paints before the embedded sandbox starts (in the
background) and before any data file is opened; the sandbox then serves and becomes the server
used."""

from __future__ import annotations

import httpx
import pytest
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from flowdock_desktop.context import AppContext
from flowdock_desktop.sandbox.seed import DEMO_API_TOKEN
from flowdock_desktop.store.profile import Profile
from flowdock_desktop.ui.app import run_gui

pytestmark = pytest.mark.gui


class _FirstShow(QObject):
    """Notes, on the GUI thread, the first top-level window shown and what existed then."""

    def __init__(self, events: list[str], profile: Profile) -> None:
        super().__init__()
        self.events = events
        self.profile = profile

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.Show
            and isinstance(watched, QWidget)
            and watched.isWindow()
            and "window shown" not in self.events
        ):
            self.events.append("window shown")
            if self.profile.db_path.exists():
                self.events.append("data file existed")
        elif (
            event.type() == QEvent.Type.Paint
            and "window shown" in self.events
            and "window painted" not in self.events
        ):
            self.events.append("window painted")
        return False


def test_first_window_shows_before_the_sandbox_starts(qtbot, profile_dir, monkeypatch):
    profile = Profile.resolve(profile_dir)
    context = AppContext(profile)
    events: list[str] = []
    starting = context.start_embedded_sandbox

    def start(*args, **kwargs):
        events.append("sandbox starting")  # on the worker: list.append is atomic
        return starting(*args, **kwargs)

    monkeypatch.setattr(context, "start_embedded_sandbox", start)
    watcher = _FirstShow(events, profile)
    app = QApplication.instance()
    app.installEventFilter(watcher)
    seen: dict[str, object] = {}

    polls = iter(range(3000))  # a minute of 20 ms polls, then give up and say so

    def when_serving() -> None:
        if context.sandbox is None or context.api_url != context.sandbox.base_url:
            if next(polls, None) is None:
                seen["gave up"] = events
                for window in QApplication.topLevelWidgets():
                    window.close()
                return
            QTimer.singleShot(20, when_serving)
            return
        seen["flows"] = httpx.get(
            context.sandbox.base_url + "/flows", auth=(DEMO_API_TOKEN, "x"), timeout=10
        ).status_code
        seen["wizard"] = any(
            w.isVisible() and w.metaObject().className() == "SetupWizard"
            for w in QApplication.topLevelWidgets()
        )
        for window in QApplication.topLevelWidgets():
            window.close()

    QTimer.singleShot(0, when_serving)
    try:
        status = run_gui(sandbox=True, context=context)
    finally:
        app.removeEventFilter(watcher)
    assert status == 0
    # The window came first, with no data file opened for it, and painted; only then did
    # the sandbox start (its imports would have competed with the paint for the GIL).
    assert events[:3] == ["window shown", "window painted", "sandbox starting"]
    assert seen == {"flows": 200, "wizard": True}
