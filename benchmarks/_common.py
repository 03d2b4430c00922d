"""Helpers shared by the benchmarks: result rows, subprocess servers, free ports, timing,
start-up probes and a virtual X server."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Row:
    """One line of the table: what was measured, against what, and the ratio."""

    name: str
    value: float
    baseline: float
    unit: str
    aim: str = ""
    #: "lower" when a smaller value is better (times), "higher" for rates.
    better: str = "lower"

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("nan")


class Skipped(Exception):
    """A benchmark that cannot run here; the message says why and what would make it run."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def server_process(args: list[str], port: int, *, ready_path: str = "/") -> Iterator[str]:
    """Run a server in a subprocess until it answers on ``port``; yield its base URL."""
    env = child_env(PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {process.stderr.read().decode()[-2000:]}")
            try:
                httpx.get(base + ready_path, timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start in 30 s") from None
                time.sleep(0.1)
        yield base
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """Ask a child to end; kill it if it has not within ten seconds."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def best_of(repeats: int, run: Callable[[], float]) -> float:
    """The median of ``repeats`` runs: robust against a noisy neighbour on two cores."""
    return statistics.median(run() for _ in range(repeats))


@dataclass(frozen=True)
class Timing:
    """Seconds per operation, by the wall clock and in this process's CPU time."""

    wall: float
    cpu: float


def timed(operations: int, run: Callable[[], object]) -> Timing:
    """Run ``run`` ``operations`` times; the wall and CPU seconds per operation."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(operations):
        run()
    return Timing(
        (time.perf_counter() - wall) / operations, (time.process_time() - cpu) / operations
    )


def alternating(rounds: int, **contenders: Callable[[], Timing]) -> dict[str, Timing]:
    """Rounds of every contender in turn (after one warm-up round each), so that a busy
    spell of the machine hits all alike; the median wall and CPU figures of each."""
    for run in contenders.values():
        run()
    results: dict[str, list[Timing]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            results[name].append(run())
    return {
        name: Timing(
            statistics.median(t.wall for t in timings), statistics.median(t.cpu for t in timings)
        )
        for name, timings in results.items()
    }


#: A start that has not printed its ready line by then is killed and the benchmark fails.
READY_TIMEOUT_S = 60.0


def child_env(**extra: str) -> dict[str, str]:
    """The environment for a timed child: this one, less ``PYTHONDONTWRITEBYTECODE``.

    An installed program runs from compiled bytecode (pip compiles on install, the frozen
    build ships it); a child barred from writing its ``.pyc`` files would compile every
    module of the app from source on every start, a cost no person pays.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env


@dataclass(frozen=True)
class Start:
    """One start, to its ready line: wall seconds, peak memory (KiB), CPU seconds (the
    child's own, all threads; less shaken by other processes than the wall clock)."""

    seconds: float
    peak_kib: int
    cpu_seconds: float


def time_to_ready(command: list[str], env: dict[str, str]) -> Start:
    """Start ``command`` and time ``Popen`` to its ``ready <peak KiB> <CPU ms>`` line.

    Both the real app (``FLOWDOCK_DESKTOP_EXIT_WHEN_IDLE=1``, see ``selftest.exit_when_idle``)
    and ``startup_probe`` print that line once their first window is shown and the event loop
    has drained, then quit; what they do after it (closing, stopping threads) is not timed.
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # Qt's offscreen plugin chatters about raise()
        text=True,
    )
    # readline() blocks; a hung child is killed so the benchmark cannot hang.
    watchdog = threading.Timer(READY_TIMEOUT_S, process.kill)
    watchdog.start()
    try:
        line = process.stdout.readline() if process.stdout else ""
        elapsed = time.perf_counter() - started
        process.wait(READY_TIMEOUT_S)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
    words = line.split()
    if len(words) != 3 or words[0] != "ready" or not all(w.isdigit() for w in words[1:]):
        shown = " ".join(command[-3:])
        raise RuntimeError(f"{shown!r} did not report ready (exit {process.returncode})")
    return Start(elapsed, int(words[1]), int(words[2]) / 1000)


def ready_medians(
    commands: dict[str, tuple[list[str], dict[str, str]]],
    runs: int,
    *,
    fresh_home: bool = True,
    prepare: dict[str, Callable[[Path], dict[str, str]]] | None = None,
) -> dict[str, Start]:
    """The median start per named command (each figure its own median); runs interleave
    so drift hits each alike.

    One warm-up start each first (page cache, .pyc files). With ``fresh_home`` every start
    gets an empty profile folder in ``FLOWDOCK_DESKTOP_HOME``: a first start. ``prepare``
    (per name) fills that start's folder before the clock starts, given the folder, and
    returns what to add to the child's environment.
    """

    def once(name: str) -> Start:
        command, env = commands[name]
        if not fresh_home:
            return time_to_ready(command, env)
        with tempfile.TemporaryDirectory(prefix="flowdock-bench-") as home:
            extra = (prepare or {}).get(name, lambda _home: {})(Path(home))
            env = dict(env, FLOWDOCK_DESKTOP_HOME=f"{home}/profile", **extra)
            return time_to_ready(command, env)

    for name in commands:
        once(name)
    samples: dict[str, list[Start]] = {name: [] for name in commands}
    for _ in range(runs):
        for name in commands:
            samples[name].append(once(name))
    return {
        name: Start(
            statistics.median(s.seconds for s in starts),
            int(statistics.median(s.peak_kib for s in starts)),
            statistics.median(s.cpu_seconds for s in starts),
        )
        for name, starts in samples.items()
    }


@contextlib.contextmanager
def virtual_x_server() -> Iterator[str]:
    """A started Xvfb on a free display; yields the ``DISPLAY`` value.

    Raises ``Skipped`` when Xvfb is not installed (Debian: ``apt-get install xvfb``).
    """
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        raise Skipped("Xvfb is not installed (Debian/Ubuntu: apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    process = subprocess.Popen(
        [xvfb, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        # Xvfb writes the display number it chose once it accepts clients.
        with os.fdopen(read_fd, "r") as pipe:
            watchdog = threading.Timer(30, process.kill)
            watchdog.start()
            try:
                number = pipe.readline().strip()
            finally:
                watchdog.cancel()
        if not number.isdigit():
            raise Skipped("Xvfb did not start")
        yield f":{number}"
    finally:
        _stop(process)


def raw_http_client(base_url: str) -> httpx.Client:
    """The floor the API rows compare with: a bare ``httpx.Client`` that sends the same
    headers as the app's own clients (so both requests carry the same bytes)."""
    from flowdock_desktop.api.http import USER_AGENT

    return httpx.Client(
        base_url=base_url, headers={"User-Agent": USER_AGENT, "Accept": "application/json"}
    )


def raw_post_message(http: httpx.Client, body: dict) -> dict:
    """A waited message post with raw httpx: the JSON is built and the created message read
    back, as ``FlowdockClient.post_message`` (and so ``SendService.send``) returns it."""
    response = http.post("/messages", json=body, headers={"X-flowdock-wait-for-message": "true"})
    response.raise_for_status()
    return response.json()
