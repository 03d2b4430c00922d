"""kill -9 during a burst of writes: every acknowledged message is there after a restart."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.sandbox.conftest import activity, create_source

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")


@contextmanager
def sandbox_process(data: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    """``flowdock-desktop sandbox --data FILE`` on a free port; (process, base URL)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "flowdock_desktop", "sandbox", "--port", "0", "--data", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if "listening on" in line:
                yield process, line.split()[-1]
                break
        else:
            raise AssertionError("the sandbox did not start: " + (process.stderr.read() or ""))
    finally:
        if process.poll() is None:
            process.terminate()
        process.wait(30)


def test_kill_9_loses_no_acknowledged_message(tmp_path) -> None:
    data = tmp_path / "sandbox.db"
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    with sandbox_process(data) as (process, url):
        with httpx.Client(base_url=url) as http:
            token = create_source(http)["flow_token"]

        def post_until_stopped() -> None:
            with httpx.Client(base_url=url, timeout=10) as http:
                while not stop.is_set():
                    key = uuid.uuid4().hex
                    try:
                        reply = http.post("/messages", json=activity(token, uuid=key))
                    except httpx.TransportError:
                        return  # the server is gone
                    if reply.status_code == 202:
                        with lock:
                            acknowledged.append(key)

        writers = [threading.Thread(target=post_until_stopped) for _ in range(4)]
        for writer in writers:
            writer.start()
        # Kill it in the middle of the burst, once a good number has been answered.
        while len(acknowledged) < 150 and all(w.is_alive() for w in writers):
            stop.wait(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
        stop.set()
        for writer in writers:
            writer.join(30)
    assert len(acknowledged) >= 150

    with sandbox_process(data) as (_process, url):
        stored = httpx.get(url + "/sandbox/messages", params={"flow": "acme/main"}).json()
        uuids = {m["uuid"] for m in stored}
        assert set(acknowledged) <= uuids
        # Nothing half-written: ids run without gaps.
        assert [m["id"] for m in stored] == list(range(1, len(stored) + 1))
    with sqlite3.connect(data) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    leftovers = {p.name for p in tmp_path.iterdir()} - {"sandbox.db"}
    assert leftovers <= {"sandbox.db-wal", "sandbox.db-shm"}
