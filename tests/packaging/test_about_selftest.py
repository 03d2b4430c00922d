"""About dialog copies a secret-free report; the self-test runs wizard and composer end to end."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QGuiApplication

from flowdock_desktop import __version__
from flowdock_desktop.context import AppContext
from flowdock_desktop.store.profile import Profile

pytestmark = pytest.mark.gui

FLOW_TOKEN = "fedcba9876543210fedcba9876543210"


def test_about_dialog_shows_version_licence_and_copies_diagnostics(qtbot, profile_dir):
    from flowdock_desktop.ui import tasks
    from flowdock_desktop.ui.about import AboutDialog
    from flowdock_desktop.ui.theme import app_icon

    assert not app_icon().isNull()
    with AppContext(Profile(profile_dir)) as context:
        context.credentials.set_flow_token("integration-1", FLOW_TOKEN)
        dialog = AboutDialog(context)
        qtbot.addWidget(dialog)
        title = dialog.findChild(type(dialog.status), "about-title").text()
        text = dialog.findChild(type(dialog.status), "about-text").text()
        assert __version__ in title
        assert "MIT" in text and "https://" in text
        with qtbot.waitSignal(dialog.diagnostics_copied, timeout=10_000) as signal:
            dialog.copy_button.click()
        report = signal.args[0]
        assert QGuiApplication.clipboard().text() == report
        assert f"App:           {__version__}" in report
        assert FLOW_TOKEN not in report
        assert "copied" in dialog.status.text()
        tasks.shutdown()


def test_app_icon_is_null_not_a_crash_when_the_resources_are_missing(qapp, monkeypatch):
    from flowdock_desktop import resources
    from flowdock_desktop.ui.theme import app_icon

    resources.resource_path.cache_clear()
    monkeypatch.setattr(resources, "PACKAGE", "flowdock_desktop._not_installed")
    try:
        assert app_icon().isNull()
    finally:
        resources.resource_path.cache_clear()


def test_self_test_passes_against_the_embedded_sandbox(qapp, capsys, memory_keyring):
    from flowdock_desktop.selftest import run_self_test

    assert run_self_test(timeout_ms=30_000) == 0
    assert "self-test passed" in capsys.readouterr().out
    # The self-test keeps its secrets in its own in-memory keyring, not the one in use.
    assert memory_keyring.items() == {}


def test_self_test_reports_failure_in_plain_words(qapp, capsys, monkeypatch):
    from flowdock_desktop import selftest

    monkeypatch.setattr(selftest, "_check_diagnostics", lambda *_: "planted failure")
    assert selftest.run_self_test(timeout_ms=30_000) == 1
    assert "self-test failed: planted failure" in capsys.readouterr().err


def test_self_test_names_resource_files_the_installation_lacks(qapp, capsys, monkeypatch):
    from flowdock_desktop import resources, selftest

    monkeypatch.setattr(resources, "REQUIRED", (*resources.REQUIRED, ("callback", "gone.html")))
    assert selftest.run_self_test(timeout_ms=30_000) == 1
    assert "self-test failed: this installation lacks callback/gone.html" in capsys.readouterr().err


def test_self_test_fails_when_the_icon_does_not_load(qapp, capsys, monkeypatch):
    from flowdock_desktop import selftest
    from flowdock_desktop.ui import theme

    # A file that is there but is no image: what a build without Qt's svg support would see.
    monkeypatch.setattr(theme, "APP_ICON", ("callback", "success.html"))
    assert selftest.run_self_test(timeout_ms=30_000) == 1
    assert "the app icon does not load" in capsys.readouterr().err


def test_exit_when_idle_quits_once_a_window_is_shown(qapp, qtbot, monkeypatch, capsys):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QLabel

    from flowdock_desktop.selftest import EXIT_WHEN_IDLE_ENV, exit_when_idle

    assert exit_when_idle(qapp) is False  # not asked: nothing installed
    monkeypatch.setenv(EXIT_WHEN_IDLE_ENV, "1")
    label = QLabel("probe")
    qtbot.addWidget(label)
    label.show()
    assert exit_when_idle(qapp) is True
    watchdog = QTimer()
    watchdog.setSingleShot(True)
    fired = []
    watchdog.timeout.connect(lambda: (fired.append(True), qapp.quit()))
    watchdog.start(20_000)
    capsys.readouterr()
    qapp.exec()
    watchdog.stop()
    assert not fired, "the probe did not quit the event loop"
    # The line the start-up benchmarks time: "ready", peak memory (KiB) and CPU time (ms).
    word, peak, cpu = capsys.readouterr().out.split()
    assert word == "ready" and peak.isdigit() and cpu.isdigit()
