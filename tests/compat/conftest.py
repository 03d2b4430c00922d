"""Flowdock's official Node.js client (`flowdock` on npm) run against a live sandbox.

``node_client(call, *args)`` runs one client call through ``tests/compat/node/driver.js`` and
returns what the client saw; ``node_stream(flows)`` runs the client's stream in the
background. The tests need Node.js and the package installed by ``make test`` (``npm ci`` in
tests/compat/node); ``.ci/run`` installs Node.js where it is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from flowdock_desktop.sandbox.seed import DEMO_API_TOKEN

NODE_DIR = Path(__file__).parent / "node"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.skip("needs Node.js (apt-get install nodejs npm)")
    if not (NODE_DIR / "node_modules" / "flowdock").is_dir():
        pytest.skip("needs the flowdock npm package: npm ci --prefix tests/compat/node")
    return node


def _env(sandbox) -> dict[str, str]:
    base = sandbox.base_url.rstrip("/")
    return {
        **os.environ,
        "FLOWDOCK_API_URL": base,
        "FLOWDOCK_STREAM_URL": f"{base}/stream/flows",
        "FLOWDOCK_TOKEN": DEMO_API_TOKEN,
    }


@pytest.fixture
def node_client(sandbox) -> Callable[..., dict[str, Any]]:
    """Run one call of the Node.js client against ``sandbox``; returns the driver's JSON."""
    node = _node()
    env = _env(sandbox)

    def run(call: str, *args: Any, timeout: float = 30, **spec: Any) -> dict[str, Any]:
        request = json.dumps({"call": call, "args": list(args), **spec})
        done = subprocess.run(
            [node, str(NODE_DIR / "driver.js"), request],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    return run


class NodeStream:
    """The Node.js client's ``session.stream(...)`` running in the background."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process

    def wait_connected(self, timeout: float = 30) -> None:
        """Block until the client says it is connected (its ``connected`` event)."""
        assert self.process.stderr is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if line.strip() == "connected":
                return
            if not line and self.process.poll() is not None:
                break
        raise AssertionError("the Node.js stream did not connect")

    def result(self, timeout: float = 30) -> dict[str, Any]:
        out, err = self.process.communicate(timeout=timeout)
        assert self.process.returncode == 0, err
        return json.loads(out.strip().splitlines()[-1])


@pytest.fixture
def node_stream(sandbox) -> Iterator[Callable[..., NodeStream]]:
    """Start the Node.js client's stream on ``flows``; it stops after ``count`` messages."""
    node = _node()
    started: list[subprocess.Popen[str]] = []

    def start(flows: list[str], count: int = 1, timeout_ms: int = 20000) -> NodeStream:
        request = json.dumps(
            {"call": "stream", "flows": flows, "count": count, "timeout": timeout_ms}
        )
        process = subprocess.Popen(
            [node, str(NODE_DIR / "driver.js"), request],
            env=_env(sandbox),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(process)
        return NodeStream(process)

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()
