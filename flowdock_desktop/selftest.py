"""``--self-test``: prove an installed build works end to end, with no person and no screen.

Checks that every file the app reads (callback pages, icon) is installed and the icon loads;
starts the embedded sandbox (auto-approving sign-ins), drives the wizard to Done with a
scripted browser, opens the composer for the new integration, sends one message and checks
the sandbox stored it; then checks the diagnostics report leaks no secret. It uses a
throw-away profile and an in-memory keyring, so it never touches the person's own data.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Set to 1 to make the GUI quit as soon as its first window is shown and the event loop is idle
#: (start-up benchmarks); see ``exit_when_idle``.
EXIT_WHEN_IDLE_ENV = "FLOWDOCK_DESKTOP_EXIT_WHEN_IDLE"

SELF_TEST_PAYLOAD: dict[str, Any] = {
    "event": "activity",
    "author": {"name": "Flowdock Desktop self-test"},
    "title": "checked this installation",
    "external_thread_id": "flowdock-desktop:self-test",
    "thread": {"title": "Flowdock Desktop self-test"},
}


def _peak_memory_kib() -> int:
    """This process's own peak resident memory (KiB), 0 where it cannot be read.

    Linux's ``VmHWM``, not ``ru_maxrss``: a child started with vfork/posix_spawn (as
    ``subprocess`` does) inherits its parent's high-water mark in ``ru_maxrss``.
    """
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    try:
        import resource
    except ImportError:  # Windows
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS


def exit_when_idle(app: Any) -> bool:
    """When ``FLOWDOCK_DESKTOP_EXIT_WHEN_IDLE=1``, quit ``app`` once a window is up and idle.

    Just before quitting it prints ``ready <peak memory in KiB> <CPU milliseconds>`` on
    stdout: the start-up benchmarks time a start to that line, as they time a bare Qt
    window's probe.
    Call it just before ``app.exec()``; returns True when the probe was installed.
    """
    if os.environ.get(EXIT_WHEN_IDLE_ENV) != "1":
        return False
    from PySide6.QtCore import QTimer

    def ready() -> None:
        peak = _peak_memory_kib()
        cpu_ms = round(time.process_time() * 1000)  # every thread's, so far
        with contextlib.suppress(OSError, ValueError):
            print(f"ready {peak} {cpu_ms}", flush=True)
        app.quit()

    def check() -> None:
        if any(w.isVisible() for w in app.topLevelWidgets()):
            # A zero timer fires once the queue holding the first paint has drained.
            QTimer.singleShot(0, ready)
        else:
            QTimer.singleShot(10, check)

    QTimer.singleShot(0, check)
    return True


def scripted_browser(url: str) -> bool:
    """A "browser" for the self-test: follows the sandbox's redirects back to the listener."""
    import threading

    import httpx

    def visit() -> None:
        try:
            httpx.get(url, follow_redirects=True, timeout=10)
        except httpx.HTTPError as exc:
            log.warning("self-test browser failed: %s", type(exc).__name__)

    threading.Thread(target=visit, daemon=True).start()
    return True


def drive_to_done(wizard: Any, on_finished: Any, *, interval_ms: int = 50) -> Any:
    """Press the wizard's buttons like a person would, until Done; then ``on_finished(ok)``."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QWizard

    from flowdock_desktop.ui.wizard import PageId

    timer = QTimer(wizard)
    timer.setInterval(interval_ms)

    def step() -> None:
        page = wizard.currentPage()
        if wizard.currentId() == PageId.DONE:
            timer.stop()
            wizard.accept()
            on_finished(True)
            return
        if page is None or getattr(page, "working", False):
            return
        if page.banner.kind == "error" and page.banner.isVisible():
            timer.stop()
            log.error("self-test stopped: %s", page.banner.label.text())
            on_finished(False)
            return
        if wizard.currentId() == PageId.SIGN_IN and not page.isComplete():
            wizard.sign_in_page.start_sign_in()
            return
        if wizard.currentId() == PageId.FLOW and wizard.flow_page.selected_flow() is None:
            tree = wizard.flow_page.tree
            if tree.topLevelItemCount() and tree.topLevelItem(0).childCount():
                tree.setCurrentItem(tree.topLevelItem(0).child(0))
            return
        button = wizard.button(
            QWizard.WizardButton.CommitButton
            if page.isCommitPage()
            else QWizard.WizardButton.NextButton
        )
        if button.isEnabled():
            button.click()

    timer.timeout.connect(step)
    timer.start()
    return timer


def run_self_test(*, timeout_ms: int = 60_000, keep_profile: bool = False) -> int:
    """Run the whole check; print one line saying what passed or failed; 0 when it worked."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="flowdock-selftest-") as tmp:
        try:
            return _run(Path(tmp), timeout_ms)
        finally:
            if keep_profile:
                print(f"self-test profile kept at {tmp}", file=sys.stderr)


def _run(profile_dir: Path, timeout_ms: int, credentials: Any = None) -> int:
    from PySide6.QtCore import QEventLoop, QTimer

    from flowdock_desktop.auth import browser
    from flowdock_desktop.auth.credentials import CredentialStore, MemoryKeyring
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.diagnostics import collect_diagnostics
    from flowdock_desktop.logs import setup_logging, shutdown_logging
    from flowdock_desktop.store.profile import Profile
    from flowdock_desktop.ui import tasks
    from flowdock_desktop.ui.app import application
    from flowdock_desktop.ui.composer import ComposerWindow
    from flowdock_desktop.ui.wizard import SetupWizard

    application()  # the QApplication, created (and themed) once per process
    error = _check_resources()
    if error:
        return _failed(error)
    loop = QEventLoop()
    context = AppContext(Profile(profile_dir), credentials or CredentialStore(MemoryKeyring()))
    setup_logging(context.profile)
    log.info("self-test starting in %s", profile_dir)
    outcome: dict[str, Any] = {"error": "timed out", "windows": []}
    previous_browser = browser.open_browser

    def fail(reason: str) -> None:
        if outcome.get("error") == "timed out":
            outcome["error"] = reason
        loop.quit()

    def composer_ready(composer: ComposerWindow) -> None:
        if composer.integration is None or not composer.send_button.isEnabled():
            QTimer.singleShot(20, lambda: composer_ready(composer))
            return
        from flowdock_desktop.compose import FormState

        composer.form.set_state(FormState.from_payload(SELF_TEST_PAYLOAD))
        composer.send()

    def sent(result: Any) -> None:
        sandbox = context.sandbox
        if result.state != "sent":
            fail(f"the composer's message was not sent ({result.state}: {result.error})")
            return
        from flowdock_desktop.testing import messages_by_uuid

        if sandbox is None or not messages_by_uuid(sandbox, result.uuid):
            fail("the sandbox did not store the composer's message")
            return
        outcome["error"] = None
        loop.quit()

    def open_composer(integration_id: str) -> None:
        composer = ComposerWindow(context, integration_id=integration_id)
        outcome["windows"].append(composer)
        composer.message_sent.connect(sent)
        composer.show()
        composer_ready(composer)

    def wizard_finished(ok: bool) -> None:
        if not ok:
            fail("the wizard did not reach Done")

    try:
        # Any free port: the installed app's own sandbox may be running on the usual one.
        context.start_embedded_sandbox(auto_approve=True, port=0)
        # No person to approve the sign-in: fetch the authorize URL so the sandbox redirects
        # straight back to the wizard's loopback listener.
        browser.open_browser = scripted_browser
        wizard = SetupWizard(context)
        outcome["windows"].append(wizard)
        wizard.open_composer_requested.connect(open_composer)
        wizard.show()
        drive_to_done(wizard, wizard_finished)
        # A local loop, not app.exec()/quit(): quitting the application would leave it unable
        # to run another event loop in the same process (the tests run the self-test in-process).
        deadline = QTimer(singleShot=True, interval=timeout_ms)
        deadline.timeout.connect(loop.quit)
        deadline.start()
        loop.exec()
        deadline.stop()
        error = outcome["error"]
        if error is None:
            error = _check_diagnostics(context, collect_diagnostics(context))
    finally:
        browser.open_browser = previous_browser
        for window in outcome["windows"]:
            window.close()
        tasks.shutdown()
        context.close()
        shutdown_logging()
    if error:
        return _failed(error)
    print(
        "self-test passed: the wizard set up an integration in the embedded sandbox and the "
        "composer posted a message to it"
    )
    return 0


def _failed(error: str) -> int:
    print(f"self-test failed: {error}", file=sys.stderr)
    return 1


def _check_resources() -> str | None:
    """None when every file the app reads is installed and the icon loads, else what is wrong."""
    from flowdock_desktop.resources import missing_resources
    from flowdock_desktop.ui.theme import app_icon

    missing = missing_resources()
    if missing:
        return f"this installation lacks {', '.join(missing)}"
    if app_icon().isNull():
        return "the app icon does not load (Qt's svg image format or icon engine is missing)"
    return None


def _check_diagnostics(context: Any, report: str) -> str | None:
    """None when the report names no secret the self-test created, else what went wrong."""
    for integration in context.integrations.list():
        token = context.credentials.get_flow_token(integration.id)
        if token and token in report:
            return "the diagnostics report contains a flow token"
    return None
