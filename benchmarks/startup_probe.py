"""A child process for the GUI benchmarks: start one window, print a ready line, then quit.

``python -m benchmarks.startup_probe MODE`` with MODE one of:

- ``bare``: a plain PySide6 ``QWizard``, the floor for any Qt window here;
- ``app``: the real start path, ``application()`` plus ``WindowRouter(context).show_wizard()``
  on the profile named by ``FLOWDOCK_DESKTOP_HOME`` (the embedded sandbox is not started);
- ``composer``: a start on a profile that already holds one integration, which therefore
  opens the composer, as ``run_gui`` does (the data file checked, then ``show_start()``).
  The profile and the integration's flow token are put there beforehand, outside the timed
  start, by ``seed_composer_profile`` (``bench_gui`` calls it in its own process); the flow
  token lives in the file keyring the tests use (``tests/file_keyring.py``), which the app
  opens the way it opens any keyring: on a worker, when it first needs a secret.

Once a zero-timer fires after ``show()`` (the event loop has drained what ``show()`` queued;
the composer: once it shows its message, painted, ``ComposerWindow.message_shown``), the child
prints ``ready <peak memory in KiB> <CPU ms so far>`` and exits, as the app does with
``FLOWDOCK_DESKTOP_EXIT_WHEN_IDLE=1``. The parent times Popen to that line.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

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


def _settle_after_first_paint(router) -> None:
    # As run_gui does once the first window is up: what the start made is kept out of later
    # collections, and the collector's start-up pause ends unless the window holds it.
    from flowdock_desktop.ui.collector import settle
    from flowdock_desktop.ui.first_paint import after_first_paint

    after_first_paint(router.windows[-1], settle)


def _gui():
    """``ui.app``, imported first as the app's own start does (``ui.commands`` imports it, then
    ``run_gui`` imports the context and the rest): PySide and the GUI's cheaper import check
    (``ui.feature_check``) come with it, before the context's modules load."""
    from flowdock_desktop.ui import app

    return app


def _app() -> int:
    gui = _gui()
    from PySide6.QtCore import QTimer

    from flowdock_desktop.context import AppContext

    app = gui.application()
    context = AppContext()
    router = gui.WindowRouter(context)
    router.show_wizard()
    _settle_after_first_paint(router)
    QTimer.singleShot(0, lambda: _ready(app))
    try:
        return app.exec()
    finally:
        context.close()


#: The keyring the composer probe's child opens (through ``PYTHON_KEYRING_BACKEND``): a JSON
#: file, so the seeding process and the timed child share the flow token. The variable naming
#: the file is ``file_keyring.KEYRING_FILE_ENV``, spelled out: importing that module here
#: would load ``keyring`` inside every timed start.
PROBE_KEYRING = "file_keyring.FileKeyring"
PROBE_KEYRING_FILE_ENV = "FLOWDOCK_TEST_KEYRING_FILE"


def composer_env(keyring_file: Path) -> dict[str, str]:
    """What the composer probe's child needs in its environment besides the profile: the file
    keyring (``tests/`` on the path for its module)."""
    tests = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests")
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return {
        "PYTHONPATH": os.pathsep.join([*paths, tests]),
        "PYTHON_KEYRING_BACKEND": PROBE_KEYRING,
        PROBE_KEYRING_FILE_ENV: str(keyring_file),
    }


def seed_composer_profile(profile_dir: Path, keyring_file: Path) -> None:
    """Leave what the wizard leaves: one integration in the profile, its flow token in the
    keyring file. Not timed: a person opening the composer has both already."""
    tests = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests")
    if tests not in sys.path:
        sys.path.append(tests)
    from file_keyring import FileKeyring

    from flowdock_desktop.auth.credentials import CredentialStore
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.store.profile import Profile

    previous = os.environ.get(PROBE_KEYRING_FILE_ENV)
    os.environ[PROBE_KEYRING_FILE_ENV] = str(keyring_file)
    try:
        with AppContext(Profile(profile_dir), CredentialStore(FileKeyring())) as context:
            # Its server is never contacted before the ready line: nothing was sent yet (no
            # history, so no thread lookups) and nobody is signed in.
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
    finally:
        if previous is None:
            os.environ.pop(PROBE_KEYRING_FILE_ENV, None)
        else:
            os.environ[PROBE_KEYRING_FILE_ENV] = previous


def _composer() -> int:
    gui = _gui()
    from PySide6.QtCore import QTimer

    from flowdock_desktop.context import AppContext

    app = gui.application()
    context = AppContext()
    # What run_gui does on a profile that holds data: check the data file before any
    # window, then show the start window, which is the composer when integrations exist.
    context.db  # noqa: B018
    router = gui.WindowRouter(context)
    window = router.show_start()
    if window.objectName() != "composer":
        print("the profile was not seeded: no composer (seed_composer_profile)", file=sys.stderr)
        return 2
    _settle_after_first_paint(router)
    deadline_ms = 5000

    # Wait until the composer shows its integration's message, painted (its integrations and
    # draft are read on workers), so the figure is the window as a person first sees it, not
    # a half-built one. The line is printed then, before the background starts that follow
    # (sign-in, keyring, the stream: after what is measured, as the window intends); a poll
    # saw the message up to 10 ms late, with those starts' CPU in the figure.
    ready = []

    def shown() -> None:
        if not ready:
            ready.append(True)
            _ready(app)

    window.message_shown.connect(shown)
    QTimer.singleShot(deadline_ms, shown)
    try:
        return app.exec()
    finally:
        context.close()


def _seed() -> int:
    home = os.environ.get("FLOWDOCK_DESKTOP_HOME")
    keyring_file = os.environ.get(PROBE_KEYRING_FILE_ENV)
    if not home or not keyring_file:
        print(f"seed needs FLOWDOCK_DESKTOP_HOME and {PROBE_KEYRING_FILE_ENV}", file=sys.stderr)
        return 2
    from pathlib import Path

    seed_composer_profile(Path(home), Path(keyring_file))
    return 0


MODES = {"bare": _bare, "app": _app, "composer": _composer, "seed": _seed}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in MODES:
        print(f"usage: startup_probe {{{','.join(MODES)}}}", file=sys.stderr)
        return 2
    return MODES[argv[0]]()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
