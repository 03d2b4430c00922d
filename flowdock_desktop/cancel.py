"""The one cancellation token: how any long wait in the app (retry backoff, connecting a flow,
the sign-in listener, a GUI task) learns that the person pressed Cancel.

Qt-free and dependency-free, so every layer (``api/``, ``auth/``, ``connect``, ``ui/tasks``) can
take the same token. Cancelling sets a flag, wakes anything sleeping in :meth:`CancelToken.wait`
and runs the registered callbacks once (closing a listening socket, say).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["CancelToken", "Cancelled"]

log = logging.getLogger(__name__)


class Cancelled(Exception):
    """The work stopped because it was cancelled; nothing more will happen.

    The base of every "cancelled" error in the app (retrying, connecting, signing in), so a
    caller can tell a cancel from a failure with one ``except Cancelled``.
    """

    def __init__(self, message: str = "Cancelled.") -> None:
        super().__init__(message)


class CancelToken:
    """A thread-safe cancellation flag, with callbacks that run once on cancel."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], Any]] = []

    def __repr__(self) -> str:
        return f"CancelToken(cancelled={self.cancelled})"

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def cancel(self) -> None:
        with self._lock:
            if self._event.is_set():
                return
            self._event.set()
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # a failing interrupt must not hide the cancel itself
                log.exception("cancel callback failed")

    def on_cancel(self, callback: Callable[[], Any]) -> None:
        """Run ``callback`` when cancelled (at once if already cancelled)."""
        with self._lock:
            if not self._event.is_set():
                self._callbacks.append(callback)
                return
        callback()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True when woken by cancellation."""
        return self._event.wait(seconds)
