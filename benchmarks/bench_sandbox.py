"""The sandbox as history grows: the cost of one POST with 100,000 messages stored against
the same POST on an empty database (both on files, both servers in subprocesses, rounds
interleaved), and the database's size at 100,000 messages against their JSON."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from benchmarks._common import Row, free_port, server_process
from flowdock_desktop.sandbox import SandboxConfig
from flowdock_desktop.sandbox.state import SandboxState, views
from flowdock_desktop.testing import fill_history

HISTORY = 100_000
ROUNDS = 5
POSTS_PER_ROUND = 100


def _database(path: Path, messages: int) -> tuple[str, int]:
    """A data file with ``messages`` in acme/main; (flow token, bytes of their JSON)."""
    state = SandboxState(SandboxConfig(data_file=path))
    try:
        token = fill_history(state, messages)

        def json_bytes(tx) -> int:
            rows = tx.all("SELECT * FROM messages")
            return sum(len(json.dumps(views.message_view(tx, r, with_thread=False))) for r in rows)

        return token, state.run(json_bytes)
    finally:
        state.close()


def _round(base: str, token: str) -> list[float]:
    """Waited posts with a uuid into existing threads, as the composer sends them; seconds."""
    times = []
    with httpx.Client(base_url=base) as http:
        for index in range(POSTS_PER_ROUND):
            body = {
                "flow_token": token,
                "event": "activity",
                "author": {"name": "Bench"},
                "title": "Deployed",
                "external_thread_id": f"thread-{index * 7 % 1000}",
                "uuid": uuid.uuid4().hex,
                "thread": {"title": "Deploys", "status": {"color": "green", "value": "ok"}},
            }
            started = time.perf_counter()
            reply = http.post("/messages", json=body, headers={"X-flowdock-wait-for-message": "1"})
            times.append(time.perf_counter() - started)
            if reply.status_code != 201:
                raise RuntimeError(f"unexpected {reply.status_code}: {reply.text[:200]}")
    return times


def post_cost_with_history() -> list[Row]:
    with tempfile.TemporaryDirectory() as folder:
        empty, full = Path(folder) / "empty.db", Path(folder) / "full.db"
        empty_token, _ = _database(empty, 0)
        full_token, json_size = _database(full, HISTORY)
        size = full.stat().st_size
        at_zero: list[float] = []
        at_full: list[float] = []
        port_a, port_b = free_port(), free_port()
        args = ["-m", "flowdock_desktop", "sandbox", "--port"]
        with (
            server_process([*args, str(port_a), "--data", str(empty)], port_a) as base_a,
            server_process([*args, str(port_b), "--data", str(full)], port_b) as base_b,
        ):
            _round(base_a, empty_token), _round(base_b, full_token)  # warm both
            for _ in range(ROUNDS):
                at_zero += _round(base_a, empty_token)
                at_full += _round(base_b, full_token)
    return [
        Row(
            f"one waited POST at {HISTORY:,} messages (vs at 0)",
            statistics.median(at_full) * 1000,
            statistics.median(at_zero) * 1000,
            "ms",
            aim="≤ 1.30",
        ),
        Row(
            f"database size at {HISTORY:,} messages (vs their JSON)",
            size / 1e6,
            json_size / 1e6,
            "MB",
            aim="reported",
        ),
    ]


BENCHMARKS = [post_cost_with_history]
