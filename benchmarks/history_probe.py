"""Thread summaries of a long history: the CPU time of one ``History.threads`` call.

``python -m benchmarks.history_probe [MESSAGES ...]`` (default 2000 20000) fills a fresh
profile with that many sent messages of one integration, through ``Outbox.enqueue`` and
``Outbox.mark_sent`` (in one transaction, so filling is quick), spread over 200 threads: most
posted by external id with a title and/or status now and then, one in ten by Flowdock thread
id. The payloads and replies have the composer's and the sandbox's shapes (about 400 and 650
bytes of JSON). It then prints the thread CPU time of ``History.threads`` (the composer's
Threads list asks for it on a worker after every send): median and lowest of ROUNDS calls.

Not a row of the benchmark table: a probe to compare versions of the store with (run it with
``PYTHONPATH`` pointing at another version's source to time that one on the same data).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from flowdock_desktop.store.db import Database
from flowdock_desktop.store.history import History
from flowdock_desktop.store.integrations import IntegrationStore
from flowdock_desktop.store.outbox import Outbox

ROUNDS = 7
THREADS = 200


def _message(rng: random.Random, n: int) -> tuple[dict, dict]:
    thread = rng.randrange(THREADS)
    thread_id = f"thread-{thread:05d}"
    payload: dict = {
        "event": "activity",
        "title": f"Deployed build {n}",
        "author": {"name": "Deploy bot", "avatar": "https://example.com/avatar.png"},
        "body": "<p>" + "The build went fine. " * 8 + "</p>",
        "tags": ["deploy", "ci"],
    }
    if rng.random() < 0.1:
        payload.update(event="discussion", thread_id=thread_id)
    else:
        payload["external_thread_id"] = f"deploy:{thread}"
        state: dict = {}
        if rng.random() < 0.5:
            state["title"] = f"Deploy {thread}, build {n}"
        if rng.random() < 0.5:
            state["status"] = {"value": rng.choice(["ok", "failing"]), "color": "green"}
        if state:
            payload["thread"] = state
    reply = {
        "id": n + 1,
        "event": payload["event"],
        "flow": "flow-main",
        "thread_id": thread_id,
        "thread": {
            "id": thread_id,
            "title": f"Deploy {thread}",
            "body": "",
            "external_url": None,
            "status": {"value": "ok", "color": "green"},
            "actions": [],
            "fields": [],
            "source": {"id": 1, "name": "Deploy bot", "application": {"name": "Flowdock"}},
        },
        "created_at": "2026-11-30T18:00:00.000Z",
        "sent": 1_700_000_000_000 + n,
        "user": "0",
        "app": "influx",
        "tags": ["deploy", "ci"],
        "attachments": [],
        "edited": None,
        "title": payload["title"],
        "body": payload["body"],
    }
    return payload, reply


def fill(db: Database, messages: int) -> str:
    """Store ``messages`` sent messages of one new integration; returns its id."""
    rng = random.Random(13)
    # The tests' sample integration (its server is never contacted).
    tests = Path(__file__).resolve().parent.parent / "tests"
    if str(tests) not in sys.path:
        sys.path.append(str(tests))
    from conftest import SAMPLE_INTEGRATION

    integration = IntegrationStore(db).add(**SAMPLE_INTEGRATION)
    outbox = Outbox(db)
    with db.transaction():
        for n in range(messages):
            payload, reply = _message(rng, n)
            outbox.mark_sent(outbox.enqueue(integration.id, payload, claim=True), reply)
    return integration.id


def main(argv: list[str]) -> None:
    for messages in [int(arg) for arg in argv] or [2000, 20000]:
        with tempfile.TemporaryDirectory() as folder, Database(Path(folder) / "d.db") as db:
            integration_id = fill(db, messages)
            history = History(db)
            times = []
            for _ in range(ROUNDS):
                start = time.thread_time()
                threads = history.threads(integration_id)
                times.append((time.thread_time() - start) * 1000)
            print(
                f"History.threads, {messages} messages, {len(threads)} threads:"
                f" median {statistics.median(times):.1f} ms, lowest {min(times):.1f} ms CPU"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
