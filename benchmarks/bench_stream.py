"""Live threads: how soon the composer shows a status another client posted, and what the
sandbox's stream fan-out costs its posting rate. Every figure is a same-run comparison."""

from __future__ import annotations

import os
import selectors
import socket
import statistics
import threading
import time
import uuid

import httpx

from benchmarks._common import Row, free_port, server_process
from benchmarks.bench_gui import _add_integration, _context, _payload, _spin
from flowdock_desktop.sandbox.seed import DEMO_API_TOKEN
from flowdock_desktop.testing import sign_in_demo_user

#: Status updates whose arrival in the composer is timed.
LATENCY_UPDATES = 100
#: Subscribers of the fan-out run, and messages posted per round.
SUBSCRIBERS = 50
FANOUT_MESSAGES = 400
#: Clients posting at once (an integration server and a few CI jobs, say).
POSTERS = 4
FANOUT_ROUNDS = 3
TIMEOUT_S = 120.0

_COLOURS = ("red", "green", "yellow", "blue")


def _sandbox(port: int):
    return server_process(["-m", "flowdock_desktop", "sandbox", "--port", str(port)], port)


# -- POST answered -> composer shows the status ----------------------------------------------


def composer_live_status() -> list[Row]:
    """Another client posts a new status; time from its POST's answer until the composer's
    Threads tab shows it (median and worst of 100), against the POST's own round trip."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from flowdock_desktop.sending import SendService
    from flowdock_desktop.ui.app import application
    from flowdock_desktop.ui.composer import ComposerWindow

    application()
    port = free_port()
    with _sandbox(port) as base, _context() as context:
        integration_id, flow_token = _add_integration(context, base)
        sign_in_demo_user(context, base)
        with SendService(context) as service:  # the composer lists threads it posted to
            service.send(integration_id, _payload())
        window = ComposerWindow(context, integration_id=integration_id)
        window.show()
        window.right_tabs.setCurrentWidget(window.threads_panel)
        panel = window.threads_panel
        ready = _spin(
            lambda: (
                window.threads.follower.live.live
                and bool(panel.views)
                and panel.views[0].remote is not None
            ),
            30,
        )
        if not ready:
            raise RuntimeError("the composer did not go live with its thread listed")

        expected: dict[str, object] = {"value": None, "answered": 0.0}
        shown_at: list[float] = []
        latencies: list[float] = []
        from_sending: list[float] = []
        round_trips: list[float] = []
        shown = threading.Event()

        def check() -> None:
            item = panel.tree.topLevelItem(0)
            if item is not None and item.text(0) == expected["value"] and not shown.is_set():
                shown_at.append(time.perf_counter())
                shown.set()

        window.threads.follower.changed.connect(check)
        problems: list[str] = []

        def post_updates() -> None:
            with httpx.Client(base_url=base, timeout=30) as http:
                for n in range(LATENCY_UPDATES):
                    value = f"step {n}"
                    payload = _payload()
                    payload["thread"]["status"] = {"value": value, "color": _COLOURS[n % 4]}
                    payload.update(flow_token=flow_token, uuid=str(uuid.uuid4()))
                    shown.clear()
                    shown_at.clear()
                    expected["value"] = value
                    started = time.perf_counter()
                    answer = http.post(
                        "/messages", json=payload, headers={"X-flowdock-wait-for-message": "1"}
                    )
                    answered = time.perf_counter()
                    if answer.status_code != 201:
                        problems.append(f"POST answered {answer.status_code}")
                        return
                    round_trips.append(answered - started)
                    if not shown.wait(10):
                        problems.append(f"status {value!r} was not shown within 10 s")
                        return
                    # Shown before the answer arrived counts as no wait at all.
                    latencies.append(max(0.0, shown_at[0] - answered))
                    from_sending.append(shown_at[0] - started)

        poster = threading.Thread(target=post_updates, daemon=True)
        poster.start()
        _spin(lambda: not poster.is_alive(), TIMEOUT_S)
        window.close()
        if problems:
            raise RuntimeError("; ".join(problems))
    median_ms = statistics.median(latencies) * 1000
    worst_ms = max(latencies) * 1000
    trip_ms = statistics.median(round_trips) * 1000
    return [
        Row(
            "composer shows another client's new status after its POST's answer, median "
            "(vs that POST's round trip)",
            median_ms,
            trip_ms,
            "ms",
            "< 50 ms",
        ),
        Row("  worst of 100 (vs the same)", worst_ms, trip_ms, "ms", "< 250 ms"),
        Row(
            "  median from sending the POST instead (vs the same)",
            statistics.median(from_sending) * 1000,
            trip_ms,
            "ms",
        ),
    ]


# -- stream fan-out --------------------------------------------------------------------------


class _Subscribers:
    """``count`` JSON-framed streams read by one thread with a selector, counting events."""

    def __init__(self, port: int, count: int) -> None:
        self.counts = [0] * count
        self._tails = [b""] * count
        self._selector = selectors.DefaultSelector()
        self._sockets: list[socket.socket] = []
        request = (
            "GET /stream/flows/acme/main HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Basic {_basic()}\r\n\r\n"
        ).encode("ascii")
        for index in range(count):
            raw = socket.create_connection(("127.0.0.1", port))
            raw.sendall(request)
            head = b""
            while b"\r\n\r\n" not in head:
                head += raw.recv(4096)
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"a stream was refused: {head[:60]!r}")
            raw.setblocking(False)
            self._selector.register(raw, selectors.EVENT_READ, index)
            self._sockets.append(raw)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            for key, _ in self._selector.select(0.1):
                index = key.data
                try:
                    data = key.fileobj.recv(1 << 20)
                except BlockingIOError:
                    continue
                data = self._tails[index] + data
                # Chunked transfer framing sits between events; "}\r\n" ends an event.
                self.counts[index] += data.count(b"}\r\n")
                self._tails[index] = data[-2:]

    def reset(self) -> None:
        self.counts = [0] * len(self.counts)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for raw in self._sockets:
            raw.close()


def _basic() -> str:
    import base64

    return base64.b64encode(f"{DEMO_API_TOKEN}:x".encode()).decode("ascii")


def _post_round(base: str, flow_token: str, until_delivered=None) -> float:
    """Post ``FANOUT_MESSAGES`` messages from ``POSTERS`` clients at once; seconds until all
    were answered (and, with ``until_delivered``, until it says every subscriber has them)."""
    problems: list[str] = []

    def post(share: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as http:
            for n in range(share):
                payload = _payload()
                payload.update(flow_token=flow_token, title=f"fan-out {n}")
                if http.post("/messages", json=payload).status_code != 202:
                    problems.append("a post was refused")
                    return

    posters = [
        threading.Thread(target=post, args=(FANOUT_MESSAGES // POSTERS,)) for _ in range(POSTERS)
    ]
    started = time.perf_counter()
    for poster in posters:
        poster.start()
    for poster in posters:
        poster.join()
    if problems:
        raise RuntimeError(problems[0])
    if until_delivered is not None:
        deadline = time.perf_counter() + TIMEOUT_S
        while not until_delivered():
            if time.perf_counter() > deadline:
                raise RuntimeError("the subscribers did not get every event")
            time.sleep(0.002)
    return time.perf_counter() - started


def stream_fanout() -> Row:
    """Messages per second delivered to all of 50 stream subscribers (first post to last
    delivery) against posting the same messages with nobody subscribed."""
    port = free_port()
    with _sandbox(port) as base:
        created = httpx.post(
            base + "/flows/acme/main/sources", json={"name": "fan-out"}, auth=(DEMO_API_TOKEN, "x")
        )
        flow_token = created.json()["flow_token"]
        _post_round(base, flow_token)  # warm up
        alone, fanned = [], []
        for _ in range(FANOUT_ROUNDS):
            alone.append(FANOUT_MESSAGES / _post_round(base, flow_token))
            subscribers = _Subscribers(port, SUBSCRIBERS)
            try:
                elapsed = _post_round(
                    base, flow_token, lambda s=subscribers: min(s.counts) >= FANOUT_MESSAGES
                )
            finally:
                subscribers.close()
            fanned.append(FANOUT_MESSAGES / elapsed)
    return Row(
        f"messages per second delivered to each of {SUBSCRIBERS} stream subscribers "
        f"(vs posting with none), {POSTERS} clients posting",
        statistics.median(fanned),
        statistics.median(alone),
        "msg/s",
        "≥ 0.70",
        better="higher",
    )


BENCHMARKS = [composer_live_status, stream_fanout]
