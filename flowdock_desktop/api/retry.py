"""When and how long to wait before trying a failed request again."""

from __future__ import annotations

import random as _random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from flowdock_desktop.api.errors import (
    FlowdockError,
    NetworkError,
    RateLimitedError,
    ServerError,
)
from flowdock_desktop.cancel import Cancelled, CancelToken

T = TypeVar("T")


class RetryCancelledError(FlowdockError, Cancelled):
    """Waiting to retry was cancelled; ``last_error`` is the failure that caused the wait."""

    def __init__(self, last_error: FlowdockError) -> None:
        super().__init__("Cancelled. " + last_error.user_message, status=last_error.status)
        self.last_error = last_error


def is_retryable_request(method: str, *, has_uuid: bool = False) -> bool:
    """GETs can be repeated freely; a POST only when its ``uuid`` lets the server drop repeats.

    Anything else (POST without uuid, DELETE, PUT) is sent once: a lost answer does not
    tell us whether the server acted, and a second source or message would be visible.
    """
    method = method.upper()
    if method in ("GET", "HEAD", "OPTIONS"):
        return True
    return method == "POST" and has_uuid


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter for network errors, 5xx and 429.

    ``sleep`` and ``random`` are injectable so tests run without waiting; ``cancel`` (the app's
    one ``CancelToken``) aborts a wait: the default sleep waits on it, so cancelling wakes the
    thread at once.
    """

    max_attempts: int = 4
    base_delay: float = 0.5
    max_delay: float = 8.0
    #: Longest Retry-After we honour; a longer one is shortened to this.
    max_retry_after: float = 30.0
    #: Fraction of each backoff delay that is randomised, so clients don't retry in step.
    jitter: float = 0.2
    sleep: Callable[[float], None] | None = field(default=None, compare=False)
    random: Callable[[], float] = field(default=_random.random, compare=False)
    cancel: CancelToken | None = field(default=None, compare=False)

    def should_retry(self, error: FlowdockError, attempt: int) -> bool:
        """Whether ``error`` on attempt number ``attempt`` (1-based) deserves another try."""
        if attempt >= self.max_attempts:
            return False
        return isinstance(error, NetworkError | ServerError | RateLimitedError)

    def delay(self, error: FlowdockError, attempt: int) -> float:
        """Seconds to wait after attempt number ``attempt`` failed with ``error``."""
        retry_after = getattr(error, "retry_after", None)
        if isinstance(error, RateLimitedError | ServerError) and retry_after is not None:
            return max(0.0, min(float(retry_after), self.max_retry_after))
        backoff = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        spread = backoff * self.jitter
        return max(0.0, backoff - spread + 2 * spread * self.random())

    def wait(self, seconds: float) -> bool:
        """Wait ``seconds``; False when cancelled (before or during the wait)."""
        if self.cancelled:
            return False
        if self.sleep is not None:
            self.sleep(seconds)
        elif self.cancel is not None:
            return not self.cancel.wait(seconds)
        else:
            threading.Event().wait(seconds)
        return not self.cancelled

    @property
    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.cancelled


#: Used when a request must not be repeated.
NO_RETRY = RetryPolicy(max_attempts=1)


def call_with_retries(
    attempt_fn: Callable[[], T],
    *,
    retryable: bool,
    policy: RetryPolicy,
    on_retry: Callable[[FlowdockError, int, float], None] | None = None,
) -> T:
    """Run ``attempt_fn`` until it returns, or raise its last FlowdockError.

    ``attempt_fn`` must raise FlowdockError subclasses for failures. ``on_retry`` is told
    (error, failed attempt number, delay) before each wait, e.g. to log or show "retrying".
    Raises RetryCancelledError when ``policy.cancel`` is set while waiting.
    """
    attempt = 1
    while True:
        try:
            return attempt_fn()
        except FlowdockError as error:
            if not retryable or not policy.should_retry(error, attempt):
                raise
            delay = policy.delay(error, attempt)
            if on_retry is not None:
                on_retry(error, attempt, delay)
            if not policy.wait(delay):
                raise RetryCancelledError(error) from error
        attempt += 1


__all__ = [
    "NO_RETRY",
    "RetryCancelledError",
    "RetryPolicy",
    "call_with_retries",
    "is_retryable_request",
]
