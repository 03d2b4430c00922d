"""At start, a damaged embedded-sandbox data file is explained in a window that can move it
aside and start a fresh sandbox."""

from __future__ import annotations

import httpx
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from flowdock_desktop.context import AppContext
from flowdock_desktop.sandbox import DataFileError
from flowdock_desktop.sandbox.seed import DEMO_API_TOKEN
from flowdock_desktop.store.profile import Profile
from flowdock_desktop.ui.sandbox_data import DamagedSandboxBox, start_embedded_sandbox

pytestmark = pytest.mark.gui


@pytest.fixture
def damaged(profile_dir):
    """A profile whose embedded sandbox data file was cut short."""
    profile_dir.mkdir(parents=True, exist_ok=True)
    data = profile_dir / "sandbox.db"
    data.write_bytes(b"SQLite format 3\x00" + b"\x10\x00" * 20)
    return data


def _answer_with(keys, seen, screenshot=None):
    """When the window is up, note its text and press ``keys`` as a person would."""

    def answer() -> None:
        box = QApplication.activeModalWidget()
        focused = QApplication.focusWidget()
        if not isinstance(box, DamagedSandboxBox) or focused is None:
            QTimer.singleShot(20, answer)  # not shown and focused yet
            return
        seen.append(box.text() + "\n" + box.informativeText())
        if screenshot is not None:
            screenshot(box, "sandbox-damaged-data")
        for key, modifier in keys:
            QTest.keyClick(QApplication.focusWidget(), key, modifier)

    QTimer.singleShot(0, answer)


def test_move_aside_starts_a_fresh_sandbox(qtbot, profile_dir, damaged, screenshot) -> None:
    original = damaged.read_bytes()
    context = AppContext(Profile.resolve(profile_dir))
    seen: list[str] = []
    _answer_with([(Qt.Key.Key_M, Qt.KeyboardModifier.AltModifier)], seen, screenshot)
    try:
        url = start_embedded_sandbox(context)
        assert str(damaged) in seen[0] and "damaged" in seen[0]
        assert httpx.get(url + "/flows", auth=(DEMO_API_TOKEN, "x")).status_code == 200
    finally:
        context.close()
    (aside,) = profile_dir.glob("sandbox.db.aside-*")
    assert aside.read_bytes() == original


def test_escape_leaves_the_file_alone(qtbot, profile_dir, damaged) -> None:
    original = damaged.read_bytes()
    context = AppContext(Profile.resolve(profile_dir))
    seen: list[str] = []
    _answer_with([(Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier)], seen)
    try:
        with pytest.raises(DataFileError):
            start_embedded_sandbox(context)
        assert context.sandbox is None
    finally:
        context.close()
    assert seen and damaged.read_bytes() == original
    assert not list(profile_dir.glob("sandbox.db.aside-*"))
