"""Installed and .deb sizes against their aims, and the frozen program's start-up against the
source install's in the same run. Skips (with a message) when dist/ holds no build."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from benchmarks._common import ROOT, Row, best_of

DIST = ROOT / "dist"
FOLDER = DIST / "flowdock-desktop"
PROGRAM = FOLDER / "flowdock-desktop"
AIM_INSTALLED_MIB = 150.0
AIM_DEB_MIB = 60.0
STARTS = 5
PROBE_ENV = "FLOWDOCK_DESKTOP_EXIT_WHEN_IDLE"


class Skipped(Exception):
    """No build to measure; the message says how to make one."""


def _require_build() -> None:
    if not PROGRAM.exists():
        raise Skipped(f"no build in {FOLDER}: run `make package` first")


def _mib(paths) -> float:
    return sum(p.lstat().st_size for p in paths if not p.is_dir()) / 2**20


def installed_size() -> Row:
    _require_build()
    return Row(
        "installed size (one-folder build)",
        _mib(FOLDER.rglob("*")),
        AIM_INSTALLED_MIB,
        "MiB",
        aim="< 1.00 (aim 150 MiB)",
    )


def deb_size() -> Row:
    debs = sorted(DIST.glob("flowdock-desktop_*.deb"), key=lambda p: p.stat().st_mtime)
    if not debs:
        raise Skipped("no .deb in dist/: run `make package` first")
    return Row(
        ".deb size", debs[-1].stat().st_size / 2**20, AIM_DEB_MIB, "MiB", aim="< 1.00 (aim 60 MiB)"
    )


def _probe_wired() -> bool:
    # The probe lives in ui/app.py's run_gui (selftest.exit_when_idle before app.exec()).
    return "exit_when_idle" in (ROOT / "flowdock_desktop" / "ui" / "app.py").read_text("utf-8")


def _time_start(command: list[str], env: dict[str, str]) -> float:
    with tempfile.TemporaryDirectory() as home:
        started = time.perf_counter()
        subprocess.run(
            command,
            env=dict(env, FLOWDOCK_DESKTOP_HOME=home),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=True,
            timeout=60,
        )
        return time.perf_counter() - started


def start_up() -> Row:
    """Start to wizard shown and idle (or to --version printed while the probe is not wired)."""
    _require_build()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    if _probe_wired():
        env[PROBE_ENV] = "1"
        args, what = [], "start to wizard shown"
    else:
        print(
            "bench_package: ui/app.py does not call selftest.exit_when_idle yet; "
            "measuring start to --version instead of start to wizard",
            file=sys.stderr,
        )
        args, what = ["--version"], "start to --version"
    frozen = [str(PROGRAM), *args]
    source = [sys.executable, "-m", "flowdock_desktop", *args]
    _time_start(frozen, env), _time_start(source, env)  # warm the page cache for both
    baseline = best_of(STARTS, lambda: _time_start(source, env))
    value = best_of(STARTS, lambda: _time_start(frozen, env))
    return Row(f"frozen {what} vs source", value * 1000, baseline * 1000, "ms", aim="≤ 1.50")


def _skipping(bench):
    def run() -> list[Row]:
        try:
            return [bench()]
        except Skipped as exc:
            print(f"skipped {bench.__name__}: {exc}", file=sys.stderr)
            return []

    run.__name__ = bench.__name__
    return run


BENCHMARKS = [_skipping(installed_size), _skipping(deb_size), _skipping(start_up)]
