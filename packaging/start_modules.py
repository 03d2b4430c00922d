"""Which Python packages a start of the program imports before its first window is up.

PyInstaller stores the program's modules in an archive inside the executable, each one
compressed on its own, so the frozen program inflates every module it imports (about 13 ms of
a start to the wizard, `perf record` shows, in libz alone). The Linux spec collects the
packages found here as plain .pyc files beside the program instead, read as a source install
reads its own. Found by starting the program from source the way the start-up benchmark does
(offscreen, a fresh profile, ``FLOWDOCK_DESKTOP_EXIT_WHEN_IDLE=1``) under
``python -X importtime``, so the list follows the program as it changes.

    .venv/bin/python packaging/start_modules.py     # prints the packages, one a line
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 120


def imported_modules(output: str) -> list[str]:
    """Module names from ``-X importtime`` lines (``import time: self | cumulative | name``),
    in import order, each once."""
    names: dict[str, None] = {}
    for line in output.splitlines():
        if not line.startswith("import time:"):
            continue
        fields = line.split("|")
        if len(fields) == 3 and fields[0].split(":")[1].strip().isdigit():
            names[fields[2].strip()] = None
    return list(names)


def start_packages(python: str = sys.executable) -> list[str]:
    """The top-level packages and modules the start to the first window imports, sorted.

    Raises SystemExit when the program does not reach its first window.
    """
    with tempfile.TemporaryDirectory(prefix="flowdock-start-modules-") as home:
        env = dict(
            os.environ,
            QT_QPA_PLATFORM="offscreen",
            FLOWDOCK_DESKTOP_EXIT_WHEN_IDLE="1",
            FLOWDOCK_DESKTOP_HOME=str(Path(home) / "profile"),
            FLOWDOCK_DESKTOP_SANDBOX_PORT="0",
        )
        # One pipe for both streams keeps their order: what was imported before the "ready"
        # line counts, not what a worker imports while the program quits.
        try:
            result = subprocess.run(
                [python, "-X", "importtime", "-m", "flowdock_desktop"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=TIMEOUT_S,
            )
        except subprocess.TimeoutExpired:
            raise SystemExit(
                f"start_modules: the program showed no window within {TIMEOUT_S} s"
            ) from None
    before, ready, _after = result.stdout.partition("\nready ")
    if result.returncode != 0 or not ready:
        raise SystemExit(
            f"start_modules: the program did not reach its first window (exit "
            f"{result.returncode}):\n{result.stdout[-2000:]}"
        )
    return sorted({name.partition(".")[0] for name in imported_modules(before)})


if __name__ == "__main__":
    print("\n".join(start_packages()))
