"""The client's post round trip against raw httpx, and the sandbox's throughput against a bare
Starlette app; both servers run in subprocesses so the load generator does not share their GIL."""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx

from benchmarks._common import (
    Row,
    alternating,
    free_port,
    raw_http_client,
    raw_post_message,
    server_process,
    timed,
)
from flowdock_desktop.api.client import FlowdockClient
from flowdock_desktop.sandbox.seed import DEMO_API_TOKEN

ROUND_TRIPS = 200
#: Alternating rounds of ROUND_TRIPS posts each, raw then ours.
ROUNDS = 5
THROUGHPUT_MESSAGES = 1000


def _payload() -> dict:
    return {
        "event": "activity",
        "title": "Deployed build",
        "author": {"name": "Bench"},
        "external_thread_id": "bench:thread",
        "thread": {"title": "Bench thread", "status": {"value": "ok", "color": "green"}},
    }


def _flow_token(base: str) -> str:
    response = httpx.post(
        base + "/flows/acme/main/sources",
        json={"name": f"bench {uuid.uuid4().hex[:6]}"},
        auth=(DEMO_API_TOKEN, ""),
    )
    response.raise_for_status()
    return response.json()["flow_token"]


def _sandbox(port: int, data: Path | None = None):
    args = ["-m", "flowdock_desktop", "sandbox", "--port", str(port)]
    if data is not None:
        args += ["--data", str(data)]
    return server_process(args, port)


def client_round_trip() -> list[Row]:
    port = free_port()
    with _sandbox(port) as base:
        token = _flow_token(base)
        with raw_http_client(base) as http, FlowdockClient(base) as client:

            def raw_post() -> None:
                raw_post_message(http, dict(_payload(), flow_token=token, uuid=uuid.uuid4().hex))

            def our_post() -> None:
                body = dict(_payload(), uuid=uuid.uuid4().hex)
                client.post_message(body, flow_token=token, wait=True)

            found = alternating(
                ROUNDS,
                raw=lambda: timed(ROUND_TRIPS, raw_post),
                ours=lambda: timed(ROUND_TRIPS, our_post),
            )
    raw, ours = found["raw"], found["ours"]
    return [
        Row(
            "client post_message round trip (vs raw httpx.Client.post)",
            ours.wall * 1000,
            raw.wall * 1000,
            "ms",
            aim="≤ 1.05",
        ),
        # Attribution: the client's own CPU per post, which the server's and the machine's
        # scheduling do not blur.
        Row("  same posts, client CPU time", ours.cpu * 1000, raw.cpu * 1000, "ms"),
    ]


def _throughput(base: str, body_for: Callable[[], dict]) -> float:
    with httpx.Client(base_url=base) as http:
        started = time.perf_counter()
        for _ in range(THROUGHPUT_MESSAGES):
            response = http.post("/messages", json=body_for())
            if response.status_code != 202:
                raise RuntimeError(f"unexpected {response.status_code}: {response.text[:200]}")
        return THROUGHPUT_MESSAGES / (time.perf_counter() - started)


def sandbox_throughput() -> Row:
    """The sandbox with its database on a file, each post with its own uuid (as clients
    send them), against the bare app; both up at once and measured in alternation."""
    with tempfile.TemporaryDirectory() as folder:
        port, floor_port = free_port(), free_port()
        with (
            _sandbox(port, Path(folder) / "sandbox.db") as base,
            server_process(["-m", "benchmarks.baseline_app", str(floor_port)], floor_port) as bare,
        ):
            token = _flow_token(base)
            rates: list[float] = []
            floors: list[float] = []
            for _ in range(3):
                rates.append(
                    _throughput(
                        base, lambda: dict(_payload(), flow_token=token, uuid=uuid.uuid4().hex)
                    )
                )
                floors.append(
                    _throughput(bare, lambda: dict(_payload(), flow_token="x", uuid="x" * 32))
                )
    return Row(
        "sandbox messages per second, data on a file (vs bare Starlette)",
        statistics.median(rates),
        statistics.median(floors),
        "msg/s",
        aim="≥ 0.80",
        better="higher",
    )


BENCHMARKS = [client_round_trip, sandbox_throughput]
