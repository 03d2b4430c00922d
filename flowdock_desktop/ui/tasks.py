"""The bridge between background work and widgets.

``run_task(fn, ...)`` runs ``fn`` on a thread pool and delivers its result (or error) to the GUI
thread through a queued signal. Delivery is dropped when the task was cancelled or when the
widget that owns it has been destroyed, so a late answer can never touch a closed window.

Work that blocks for long (waiting for the browser, posting with retries) receives a
``CancelToken`` and should return promptly once it is cancelled; a task may also register an
``on_cancel`` callback that interrupts a blocking call (closing the loopback listener, say).
"""

from __future__ import annotations

import _thread
import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal, Slot

# The core's one token type; re-exported here because every GUI task receives it.
from flowdock_desktop.cancel import Cancelled, CancelToken
from flowdock_desktop.store.errors import DatabaseClosed

__all__ = ["CancelToken", "Cancelled", "TaskHandle", "run_task"]

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Lives on the GUI thread; worker threads emit on it and Qt queues the call."""

    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(object)


class TaskHandle(QObject):
    """A running task. Signals: none public; use the callbacks given to ``run_task``.

    Attributes: ``token`` (its ``CancelToken``), ``done`` (True once delivered or dropped).
    """

    def __init__(
        self,
        owner: QObject | None,
        on_done: Callable[[Any], Any] | None,
        on_error: Callable[[BaseException], Any] | None,
        on_progress: Callable[[Any], Any] | None,
    ) -> None:
        super().__init__()
        self.token = CancelToken()
        self.done = False
        self._owner = owner
        self._on_done = on_done
        self._on_error = on_error
        self._on_progress = on_progress
        self.relay = _Relay()
        self.relay.succeeded.connect(self._deliver_result)
        self.relay.failed.connect(self._deliver_error)
        self.relay.progressed.connect(self._deliver_progress)

    def cancel(self) -> None:
        """Ask the work to stop; nothing will be delivered afterwards."""
        self.token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    def _receiver_alive(self) -> bool:
        if self.token.cancelled:
            return False
        return self._owner is None or shiboken6.isValid(self._owner)

    @Slot(object)
    def _deliver_result(self, result: Any) -> None:
        self._finish()
        if self._receiver_alive() and self._on_done is not None:
            self._on_done(result)

    @Slot(object)
    def _deliver_error(self, error: BaseException) -> None:
        self._finish()
        if not self._receiver_alive():
            return
        if isinstance(error, DatabaseClosed):
            # The profile closed under the work: the app is quitting (``ui.app.shut_down``
            # waited what it could). Nobody is left to tell, and nothing is wrong to report:
            # what the work would have recorded is left for the next start.
            log.debug("a background task met the profile closed")
            return
        if self._on_error is not None:
            self._on_error(error)
        elif not isinstance(error, Cancelled):
            log.error("background task failed", exc_info=error)

    @Slot(object)
    def _deliver_progress(self, value: Any) -> None:
        if self._receiver_alive() and self._on_progress is not None:
            self._on_progress(value)

    def _finish(self) -> None:
        self.done = True
        _pending.discard(self)


class _Runnable:
    def __init__(self, handle: TaskHandle, fn: Callable[..., Any], wants: tuple[bool, bool]):
        self._handle = handle
        self._fn = fn
        self._wants_token, self._wants_progress = wants

    def run(self) -> None:  # runs on a worker thread
        relay = self._handle.relay
        kwargs: dict[str, Any] = {}
        if self._wants_token:
            kwargs["token"] = self._handle.token
        if self._wants_progress:
            kwargs["progress"] = lambda value: _send(relay.progressed, relay, value)
        try:
            result = self._fn(**kwargs)
        except BaseException as exc:  # delivered to the GUI thread, never lost
            _send(relay.failed, relay, exc)
        else:
            _send(relay.succeeded, relay, result)


def _send(signal: Any, relay: _Relay, value: Any) -> None:
    """Emit ``value`` towards the GUI thread; dropped when the relay is gone (the application
    was torn down while the work ran): there is nobody left to tell, and a traceback on the
    terminal would say nothing to a person."""
    try:
        signal.emit(value)
    except RuntimeError:
        if shiboken6.isValid(relay):
            raise
        log.debug("a background task finished after the application was torn down")


#: At most this many tasks run at once; the others wait their turn.
MAX_WORKERS = 6


class Workers:
    """The threads background tasks run on: Python threads, made when every one is busy (up
    to ``MAX_WORKERS``) and kept for the life of the process (daemon threads: a quit never
    waits for them beyond ``shutdown``).

    Not a ``QThreadPool``: its threads enter Python afresh for each task (PySide takes a new
    Python thread state every time and drops it after), so whatever a thread keeps for itself
    in a ``threading.local`` was made again for every task. The store keeps one SQLite
    connection per thread that way: each task opened a new connection (its pragmas and schema
    check, 1.5 to 3 ms) and left the old one open until the profile closed, two file
    descriptors each; an open composer, whose outbox is looked at every 2 s, grew by about
    1,800 an hour. These threads keep their state: one connection each, opened once.
    """

    def __init__(self, limit: int = MAX_WORKERS) -> None:
        self._limit = limit
        self._queue: deque[_Runnable] = deque()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._threads = 0
        self._idle = 0  # threads waiting for a task
        self._unfinished = 0  # tasks queued or running

    def start(self, runnable: _Runnable) -> None:
        with self._lock:
            self._queue.append(runnable)
            self._unfinished += 1
            spawn = len(self._queue) > self._idle and self._threads < self._limit
            if spawn:
                self._threads += 1
                name = f"flowdock-task-{self._threads}"
            self._changed.notify_all()
        if spawn:
            # Not ``threading.Thread(...).start()``: that waits until the new thread has run,
            # and on the GUI thread the wait lasts as long as other threads keep the
            # interpreter lock. The first send of a session starts three workers at once;
            # while sending, that was 3 to 9 ms of the GUI thread per worker.
            _thread.start_new_thread(self._serve, (name,))

    def _serve(self, name: str) -> None:
        # Named as threading would have named it, for the log lines written from it.
        threading.current_thread().name = name
        while True:
            with self._lock:
                self._idle += 1
                while not self._queue:
                    self._changed.wait()
                self._idle -= 1
                runnable = self._queue.popleft()
            try:
                runnable.run()
            except BaseException:  # the thread serves the next task all the same
                log.exception("a background task's answer could not be delivered")
            finally:
                with self._lock:
                    self._unfinished -= 1
                    self._changed.notify_all()

    def wait_for_done(self, timeout_ms: int) -> bool:
        """Wait until no task is queued or running; False when ``timeout_ms`` ran out first."""
        with self._lock:
            return self._changed.wait_for(lambda: self._unfinished == 0, timeout_ms / 1000)


# Handles stay referenced until delivered, so Python does not collect them mid-flight.
_pending: set[TaskHandle] = set()
_pool: Workers | None = None


def thread_pool() -> Workers:
    global _pool
    if _pool is None:
        _pool = Workers()
    return _pool


def run_task(
    fn: Callable[..., Any],
    *,
    owner: QObject | None,
    on_done: Callable[[Any], Any] | None = None,
    on_error: Callable[[BaseException], Any] | None = None,
    on_progress: Callable[[Any], Any] | None = None,
    with_token: bool = False,
    with_progress: bool = False,
) -> TaskHandle:
    """Run ``fn`` in the background; call ``on_done``/``on_error`` on the GUI thread.

    ``fn`` is called with ``token=CancelToken`` when ``with_token`` and with
    ``progress=callable`` when ``with_progress``. Nothing is delivered when the task was
    cancelled or ``owner`` has been destroyed.
    """
    handle = TaskHandle(owner, on_done, on_error, on_progress)
    _pending.add(handle)
    thread_pool().start(_Runnable(handle, fn, (with_token, with_progress)))
    return handle


def cancel_all() -> None:
    for handle in list(_pending):
        handle.cancel()


#: How long quitting waits for work under way (a message being posted) before the profile
#: closes; what is still not done then is left as it stood (see ``DatabaseClosed``).
QUIT_WAIT_MS = 5000


def shutdown(timeout_ms: int = QUIT_WAIT_MS) -> bool:
    """Cancel everything and wait for the pool; True when every worker finished."""
    cancel_all()
    if _pool is None:
        return True
    return _pool.wait_for_done(timeout_ms)
