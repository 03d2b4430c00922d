"""The GUI's answers to what goes wrong: a damaged data file and unexpected errors get a window
in plain words, never a traceback."""

from __future__ import annotations

import sys
import threading

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from flowdock_desktop.context import AppContext
from flowdock_desktop.store.profile import Profile
from flowdock_desktop.ui.app import run_gui
from flowdock_desktop.ui.errors import ErrorHandler

pytestmark = pytest.mark.gui


def visible_problem_boxes() -> list[QMessageBox]:
    return [
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and w.objectName() == "problem-box" and w.isVisible()
    ]


def test_damaged_data_file_is_explained_in_a_window_at_start(
    qtbot, profile_dir, add_sample_integration, screenshot
):
    with AppContext(Profile.resolve(profile_dir)) as context:
        add_sample_integration(context.integrations)
    data = profile_dir / "data.sqlite3"
    data.write_bytes(b"not a database at all, " * 8 + data.read_bytes()[184:])

    seen: list[str] = []

    def look() -> None:
        boxes = visible_problem_boxes()
        if not boxes:
            QTimer.singleShot(50, look)
            return
        box = boxes[0]
        screenshot(box, "start-damaged-data")
        seen.append(box.text())
        # Closing the last window ends the app, as when a person closes it.
        for window in QApplication.topLevelWidgets():
            window.close()

    QTimer.singleShot(0, look)
    run_gui(context=AppContext(Profile.resolve(profile_dir)))
    (text,) = seen
    assert "was damaged" in text
    assert "kept as" in text and str(profile_dir) in text
    assert "Recovered into a fresh file: 1 integration" in text
    assert list(profile_dir.glob("data.sqlite3.damaged-*"))


def test_an_error_in_a_slot_becomes_a_window_and_a_crash_report(qtbot, tmp_path):
    handler = ErrorHandler(tmp_path / "logs")
    try:
        try:
            raise LookupError("flow_token=0123456789abcdef0123456789abcdef was not found")
        except LookupError as exc:
            # What Qt does with an exception escaping a slot: hand it to sys.excepthook.
            sys.excepthook(type(exc), exc, exc.__traceback__)
        qtbot.waitUntil(lambda: bool(handler.boxes), timeout=5_000)
        (box,) = handler.boxes
        qtbot.addWidget(box)
        assert "Something went wrong inside Flowdock Desktop (LookupError)" in box.text()
        (report,) = (tmp_path / "logs").glob("crash-*.txt")
        assert str(report) in box.text()
        assert "0123456789abcdef0123456789abcdef" not in report.read_text()
        assert "Traceback" in report.read_text()

        # A worker thread's error reaches the GUI thread as a window too.
        def fail() -> None:
            raise OSError(28, "No space left on device", "/profile/data.sqlite3")

        worker = threading.Thread(target=fail)
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: len(handler.boxes) == 2, timeout=5_000)
        qtbot.addWidget(handler.boxes[1])
        assert "The disk is full (/profile/data.sqlite3)" in handler.boxes[1].text()
    finally:
        handler.uninstall()
    assert sys.excepthook is not handler._excepthook
