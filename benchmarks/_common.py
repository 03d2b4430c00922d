"""Helpers shared by the benchmarks: result rows, subprocess servers, free ports, timing."""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def server_process(args: list[str], port: int, *, ready_path: str = "/") -> Iterator[str]:
    """Run a server in a subprocess until it answers on ``port``; yield its base URL."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
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
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def best_of(repeats: int, run: Callable[[], float]) -> float:
    """The median of ``repeats`` runs: robust against a noisy neighbour on two cores."""
    return statistics.median(run() for _ in range(repeats))
