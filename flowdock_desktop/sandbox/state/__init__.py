"""The sandbox's data and the operations on it, one module per concept.

- ``store``: the SQLite connection, transactions, the clock; ``schema``: tables, migrations,
  and how a ``--data`` file is opened, imported or refused; ``snapshot``: the seed and the
  JSON files of the version before.
- ``principals``: credentials and who is calling; ``grants``: the OAuth server (authorize
  requests, codes, token grants, browser sessions).
- ``applications``, ``flows`` (with users), ``organizations``, ``sources``, ``messages``
  (with threads), ``edits`` (changing and removing messages), ``private`` (conversations),
  ``files`` (uploads) with ``blobs`` (their bytes).
- ``views``: the JSON shapes the API answers with.

Model functions take a ``Tx`` first; :class:`SandboxState` runs them, one transaction per
call, on the caller's thread (``run``) or off the event loop (``call``).
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from flowdock_desktop.sandbox.config import SandboxConfig
from flowdock_desktop.sandbox.state import blobs, files, flows, schema, snapshot, sources
from flowdock_desktop.sandbox.state.errors import (
    ApiError,
    AuthorizeError,
    DataFileError,
    OAuthError,
    not_found,
    unauthorized,
    validation_error,
)
from flowdock_desktop.sandbox.state.grants import BrowserSessions, Lifetimes
from flowdock_desktop.sandbox.state.principals import Principal
from flowdock_desktop.sandbox.state.store import Listener, Listening, Tx
from flowdock_desktop.sandbox.state.views import iso

__all__ = [
    "ApiError",
    "AuthorizeError",
    "DataFileError",
    "OAuthError",
    "Principal",
    "SandboxState",
    "Tx",
    "iso",
    "not_found",
    "unauthorized",
    "validation_error",
]

T = TypeVar("T")


class SandboxState:
    """One sandbox's world: its database, browser sessions and lifetimes.

    Attributes: ``config``, ``lifetimes``, ``sessions`` (sign-ins of the authorize pages,
    in memory only), ``notes`` (what opening the data file did, for a person to read).
    Tokens, client secrets and flow tokens are stored only as SHA-256 digests, so the data
    file never holds a usable credential.
    """

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        self.lifetimes = Lifetimes(
            code=self.config.code_ttl,
            access_token=self.config.access_token_ttl,
            refresh_token=self.config.refresh_token_ttl,
        )
        self._store, self.notes = schema.open_store(
            self.config.data_file,
            self.lifetimes,
            import_file=self.config.import_file,
            reset=self.config.reset,
        )
        #: Uploaded files' bytes: beside the data file, or in memory.
        self.blobs = blobs.open_blobs(self.config.data_file)
        self._store.blobs = self.blobs
        # Blobs of uploads a crash kept from being stored (or of files removed just before).
        self.blobs.purge(self.run(files.all_keys))
        self.sessions = BrowserSessions(self.config.session_ttl)
        # One thread runs the server's transactions: the store serialises them anyway, and a
        # thread already waiting on a queue is the cheapest hand-off (a thread pool costs
        # about twice as much per request).
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._worker = threading.Thread(target=self._serve_jobs, name="sandbox-db", daemon=True)
        self._worker.start()

    def run(self, work: Callable[..., T], *args: Any) -> T:
        """``work(tx, *args)`` in one transaction, on this thread."""
        with self._store.transaction() as tx:
            return work(tx, *args)

    async def call(self, work: Callable[..., T], *args: Any) -> T:
        """``work(tx, *args)`` in one transaction on the database thread, so the event loop
        keeps answering other requests meanwhile."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._jobs.put((loop, future, work, args))
        return await future

    def _serve_jobs(self) -> None:
        while (job := self._jobs.get()) is not None:
            loop, future, work, args = job
            try:
                result, error = self.run(work, *args), None
            except BaseException as exc:  # handed to the awaiting request
                result, error = None, exc
            # RuntimeError: the loop has closed, nobody waits for the answer.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, result, error)

    def listen(self, listener: Listener, listening: Listening = lambda: True) -> None:
        """Call ``listener(seq, message view)`` for every message stored from now on while
        ``listening()`` says so, after its transaction commits, on the thread that stored
        it."""
        self._store.listeners.append((listener, listening))

    def reset(self) -> None:
        """Back to the seed data (flow ids change); sessions are forgotten too."""
        self.run(_reset, self.lifetimes)
        self.blobs.purge(set())
        self.sessions.clear()

    def close(self) -> None:
        """Close the database; a file's write-ahead log is folded into it."""
        if self._worker.is_alive():
            self._jobs.put(None)
            self._worker.join(10)
        self._store.close()

    # Product look-ups that embedders and tests call directly.

    def find_flow_by_path(self, org: str, flow: str) -> str | None:
        """Flow id for ``org/flow`` slugs, or None."""
        return self.run(flows.find_by_path, org, flow)

    def flow_sources(self, flow_id: str, base_url: str) -> list[dict[str, Any]]:
        """Live sources of a flow."""
        return self.run(sources.in_flow, flow_id, base_url)

    def delete_source_by_id(self, source_id: int) -> bool:
        """Remove a source (its flow token answers 410 from now on)."""
        return self.run(sources.delete_by_id, source_id)


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _reset(tx: Tx, lifetimes: Lifetimes) -> None:
    for table in schema.TABLES_CHILD_FIRST:
        tx.execute(f"DELETE FROM {table}")
    # Ids start again as in a new sandbox, except the stream position of messages, which
    # only ever grows.
    tx.execute("DELETE FROM sqlite_sequence WHERE name != 'messages'")
    snapshot.load_seed(tx, lifetimes)
