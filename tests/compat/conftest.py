"""Flowdock's official Node.js client (`flowdock` on npm) run against a live sandbox.

``node_client(call, *args)`` runs one client call through ``tests/compat/node/driver.js`` and
returns what the client saw. The tests need Node.js and the package installed by ``make test``
(``npm ci`` in tests/compat/node); ``.ci/run`` installs Node.js where it is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
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


@pytest.fixture
def node_client(sandbox) -> Callable[..., dict[str, Any]]:
    """Run one call of the Node.js client against ``sandbox``; returns the driver's JSON."""
    node = _node()
    base = sandbox.base_url.rstrip("/")
    env = {
        **os.environ,
        "FLOWDOCK_API_URL": base,
        "FLOWDOCK_STREAM_URL": f"{base}/stream/flows",
        "FLOWDOCK_TOKEN": DEMO_API_TOKEN,
    }

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
