"""The installed size of the .deb and its file size against their aims, and the frozen
program's start against the source install's in the same run. Skipped (with a message) when
dist/ holds no build."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks._common import ROOT, Row, Skipped, child_env, ready_medians

DIST = ROOT / "dist"
FOLDER = DIST / "flowdock-desktop"
PROGRAM = FOLDER / "flowdock-desktop"
AIM_INSTALLED_MIB = 120.0
AIM_DEB_MIB = 60.0
# The two starts differ by a few per cent: seven of each read from 0.80 to 1.06 in the third round.
STARTS = 15


def _newest_deb() -> Path:
    debs = sorted(DIST.glob("flowdock-desktop_*.deb"), key=lambda p: p.stat().st_mtime)
    if not debs:
        raise Skipped("no .deb in dist/: run `make package` first")
    return debs[-1]


def installed_size() -> Row:
    """What the package takes once installed: its control file's Installed-Size (KiB), the
    figure apt shows."""
    deb = _newest_deb()
    field = subprocess.run(
        ["dpkg-deb", "--field", str(deb), "Installed-Size"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return Row(
        "installed size of the .deb",
        int(field) / 1024,
        AIM_INSTALLED_MIB,
        "MiB",
        aim=f"≤ 1.00 (aim {AIM_INSTALLED_MIB:.0f} MiB)",
    )


def deb_size() -> Row:
    return Row(
        ".deb file size",
        _newest_deb().stat().st_size / 2**20,
        AIM_DEB_MIB,
        "MiB",
        aim=f"≤ 1.00 (aim {AIM_DEB_MIB:.0f} MiB)",
    )


def frozen_start() -> list[Row]:
    """Start to wizard shown (offscreen, fresh profile): the one-folder build against
    ``python -m flowdock_desktop`` from this checkout."""
    if not PROGRAM.exists():
        raise Skipped(f"no build in {FOLDER}: run `make package` first")
    env = child_env(
        QT_QPA_PLATFORM="offscreen",
        FLOWDOCK_DESKTOP_EXIT_WHEN_IDLE="1",
        FLOWDOCK_DESKTOP_SANDBOX_PORT="0",
    )
    medians = ready_medians(
        {
            "frozen": ([str(PROGRAM)], env),
            "source": ([sys.executable, "-m", "flowdock_desktop"], env),
        },
        STARTS,
    )
    frozen, source = medians["frozen"], medians["source"]
    return [
        Row(
            "frozen start to wizard shown (vs source start)",
            frozen.seconds * 1000,
            source.seconds * 1000,
            "ms",
            aim="≤ 1.00",
        ),
        Row("  same starts, CPU time", frozen.cpu_seconds * 1000, source.cpu_seconds * 1000, "ms"),
    ]


BENCHMARKS = [installed_size, deb_size, frozen_start]
