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


def when_a_problem_box_shows(then) -> None:
    """Call ``then(box)`` from the event loop once a problem box is visible (polled)."""

    def look() -> None:
        boxes = visible_problem_boxes()
        if boxes:
            then(boxes[0])
        else:
            QTimer.singleShot(50, look)

    QTimer.singleShot(0, look)


def test_damaged_data_file_is_explained_in_a_window_at_start(
    qtbot, profile_dir, add_sample_integration, screenshot
):
    with AppContext(Profile.resolve(profile_dir)) as context:
        add_sample_integration(context.integrations)
    data = profile_dir / "data.sqlite3"
    data.write_bytes(b"not a database at all, " * 8 + data.read_bytes()[184:])

    seen: list[str] = []

    def look(box: QMessageBox) -> None:
        screenshot(box, "start-damaged-data")
        seen.append(box.text())
        # Closing the last window ends the app, as when a person closes it.
        for window in QApplication.topLevelWidgets():
            window.close()

    when_a_problem_box_shows(look)
    run_gui(context=AppContext(Profile.resolve(profile_dir)))
    (text,) = seen
    assert "was damaged" in text
    assert "kept as" in text and str(profile_dir) in text
    assert "Recovered into a fresh file: 1 integration" in text
    assert list(profile_dir.glob("data.sqlite3.damaged-*"))


def test_a_data_file_that_cannot_be_opened_is_explained_and_the_start_ends(
    qtbot, profile_dir, add_sample_integration
):
    """A data file that cannot be opened at all: the person reads why, in plain words, no
    other window opens, and the app exits with the status the command line gives for it."""
    from flowdock_desktop.problems import EXIT_PROFILE_NOT_WRITABLE

    with AppContext(Profile.resolve(profile_dir)) as context:
        add_sample_integration(context.integrations)
    data = profile_dir / "data.sqlite3"
    data.unlink()
    data.mkdir()  # where the file should be, something that cannot be opened as one

    seen: list[str] = []
    others: list[str] = []

    def look(box: QMessageBox) -> None:
        seen.append(box.text())
        others.extend(
            w.objectName() for w in QApplication.topLevelWidgets() if w.isVisible() and w is not box
        )
        box.close()

    when_a_problem_box_shows(look)
    status = run_gui(context=AppContext(Profile.resolve(profile_dir)))
    assert status == EXIT_PROFILE_NOT_WRITABLE
    (text,) = seen
    assert "cannot save to its profile folder" in text and "Traceback" not in text
    assert others == []


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


def test_the_composer_says_what_the_command_line_says_when_the_disk_is_full(
    qtbot, composer_context, sandbox, open_composer, capsys, monkeypatch, tmp_path
):
    """A store error in the composer is the command line's plain words, never "Something went
    wrong": here SQLite's own full-disk answer (the data file may not grow) to a message
    being put in the outbox."""
    from person import WAIT, press, press_mnemonic, type_over
    from PySide6.QtCore import Qt

    from flowdock_desktop import cli
    from flowdock_desktop.problems import EXIT_PROFILE_NOT_WRITABLE
    from flowdock_desktop.store import db as db_module
    from flowdock_desktop.testing import connect_demo_source

    integration, _ = connect_demo_source(composer_context, sandbox.base_url)
    window = open_composer(integration.id)
    db = composer_context.db
    pages = db.query("PRAGMA page_count")[0][0]
    # The disk fills: no connection to the file may grow it from now on. SQLite's cap is a
    # connection's own, so each is capped on the thread that owns it, before its next statement
    # (wrapping ``connection()``, which every statement goes through): capping the connections
    # listed at this moment missed one that a worker thread was opening meanwhile, and under
    # load the draft and the message went out through it ("Sent to …" instead of the error).
    capped: set[int] = set()

    def cap(conn):
        if id(conn) not in capped:
            conn.execute(f"PRAGMA max_page_count = {pages}")
            capped.add(id(conn))
        return conn

    real_connect, real_connection = db_module._connect, db.connection
    # The command line's own connections, as every one opened from now on.
    monkeypatch.setattr(db_module, "_connect", lambda *args: cap(real_connect(*args)))
    monkeypatch.setattr(db, "connection", lambda: cap(real_connection()))
    window.views.show("full")
    press_mnemonic(qtbot, "i")
    type_over(qtbot, "Full disk")
    press_mnemonic(qtbot, "b")
    # Pasted, as a long text is: more than the free room in any page of the file.
    QApplication.clipboard().setText("A long thread body. " * 600)
    press(qtbot, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # send
    qtbot.waitUntil(lambda: window.banner.kind == "error", timeout=WAIT)
    shown = window.banner.text
    assert "Something went wrong" not in shown
    assert "the disk is full" in shown and str(composer_context.profile.dir) in shown
    # The command line, on the same full disk, says the same about the same message.
    body = tmp_path / "body.md"
    body.write_text("A long thread body. " * 600, encoding="utf-8")
    status = cli.main(
        [
            *("send", "--integration", integration.id, "--title", "Full disk"),
            *("--thread-title", "Full disk", "--author", "CI", "--body-markdown", str(body)),
        ]
    )
    err = capsys.readouterr().err
    assert status == EXIT_PROFILE_NOT_WRITABLE, err
    assert shown.split(". ")[0] in err  # "Flowdock Desktop cannot save to … the disk is full"
