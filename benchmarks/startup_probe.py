"""A child process for the GUI benchmarks: start one window, print a ready line, then quit.

``python -m benchmarks.startup_probe MODE`` with MODE one of:

- ``bare``: a plain PySide6 ``QWizard``, the floor for any Qt window here;
- ``app``: the real start path, ``application()`` plus ``WindowRouter(context).show_wizard()``
  on the profile named by ``FLOWDOCK_DESKTOP_HOME`` (the embedded sandbox is not started);
- ``composer``: the same application with the composer open on one stored integration.

Once a zero-timer fires after ``show()`` (the event loop has drained what ``show()`` queued),
the child prints ``ready <peak memory in KiB> <CPU ms so far>`` and exits, as the app does with
``FLOWDOCK_DESKTOP_EXIT_WHEN_IDLE=1``. The parent times Popen to that line.
"""

from __future__ import annotations

import sys
import time

READY = "ready"


def _peak_kib() -> int:
    # As selftest.exit_when_idle measures it (VmHWM: ru_maxrss would be the benchmark's own
    # peak, inherited through subprocess's vfork); not imported, so the bare probe loads
    # nothing of the app.
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def _ready(app) -> None:
    peak_kib = _peak_kib()
    cpu_ms = round(time.process_time() * 1000)  # every thread's, so far
    print(f"{READY} {peak_kib} {cpu_ms}", flush=True)
    app.quit()


def _bare() -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QWizard, QWizardPage

    app = QApplication(sys.argv[:1])
    wizard = QWizard()
    wizard.addPage(QWizardPage())
    wizard.show()
    QTimer.singleShot(0, lambda: _ready(app))
    return app.exec()


def _app() -> int:
    from PySide6.QtCore import QTimer

    from flowdock_desktop.context import AppContext
    from flowdock_desktop.ui.app import WindowRouter, application

    app = application()
    context = AppContext()
    router = WindowRouter(context)
    router.show_wizard()
    QTimer.singleShot(0, lambda: _ready(app))
    try:
        return app.exec()
    finally:
        context.close()


def _composer() -> int:
    import keyring
    from PySide6.QtCore import QTimer

    from flowdock_desktop.auth.credentials import MemoryKeyring
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.ui.app import WindowRouter, application

    # The integration's flow token must live in a keyring; the machine may have none.
    keyring.set_keyring(MemoryKeyring())
    app = application()
    context = AppContext()
    # A stored integration, as the wizard leaves it; its server is never contacted because
    # nothing was sent yet (no history, so no thread lookups).
    integration = context.integrations.add(
        api_url="http://127.0.0.1:9",
        flow_id="0123456789abcdef",
        flow_name="Main",
        organization_name="Acme",
        org_slug="acme",
        flow_slug="main",
        source_id=1,
        source_name="Bench bot",
        source_url="http://127.0.0.1:9/flows/acme/main/sources/1",
    )
    context.credentials.set_flow_token(integration.id, "probe-token")
    router = WindowRouter(context)
    window = router.open_composer(integration.id)
    deadline_ms = 5000

    # Wait until the composer has loaded its integrations and draft (worker tasks), so the
    # figure is the window as a person first sees it, not a half-built one.
    def poll(waited: int = 0) -> None:
        if getattr(window, "_draft_ready", True) or waited >= deadline_ms:
            QTimer.singleShot(0, lambda: _ready(app))
        else:
            QTimer.singleShot(10, lambda: poll(waited + 10))

    QTimer.singleShot(0, poll)
    try:
        return app.exec()
    finally:
        context.close()


MODES = {"bare": _bare, "app": _app, "composer": _composer}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in MODES:
        print(f"usage: startup_probe {{{','.join(MODES)}}}", file=sys.stderr)
        return 2
    return MODES[argv[0]]()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
