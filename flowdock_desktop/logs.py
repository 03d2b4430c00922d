"""Log to a rotating file in the profile's log folder, with anything that looks secret scrubbed."""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import threading
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flowdock_desktop.store.profile import Profile

LOG_FILE_NAME = "flowdock-desktop.log"
REDACTED = "•••"
DEFAULT_MAX_BYTES = 1_000_000
DEFAULT_BACKUP_COUNT = 5
_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"

# Field names whose values are credentials, however they are written: JSON, query, repr, env.
_SECRET_NAMES = (
    r"flow_token|access_token|refresh_token|client_secret|code_verifier|api_token|password"
    r"|passwd|secret|token|authorization|csrf|session_id"
)
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer abc / Basic abc (headers, curl lines, reprs).
    (re.compile(r"(?i)\b(bearer|basic|token)(\s+)[A-Za-z0-9._~+/=:-]{6,}"), rf"\1\2{REDACTED}"),
    # name=value, name: value, "name": "value", 'name': 'value' for secret names.
    (
        re.compile(
            rf"""(?ix)
            (["']?\b(?:{_SECRET_NAMES})\b["']?)   # the name, maybe quoted
            (\s*[:=]\s*)                          # = or :
            (["']?)                               # an opening quote, kept
            (?!{re.escape(REDACTED)})[^\s"'&,;}}\]]+
            """
        ),
        rf"\1\2\3{REDACTED}",
    ),
    # OAuth authorization codes in redirect URLs (a bare "code" name is too common to scrub).
    (re.compile(r"([?&#]code=)[^&#\s]+"), rf"\1{REDACTED}"),
    # user:password@ in URLs.
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@"), rf"\1{REDACTED}@"),
    # Long opaque strings: Flowdock tokens are 32 hex digits, OAuth tokens longer; UUIDs
    # (hex groups of at most 12 between dashes) and ordinary words stay readable.
    (re.compile(r"\b[0-9a-fA-F]{24,}\b"), REDACTED),
    (
        re.compile(
            r"(?<![A-Za-z0-9_-])"
            r"(?![0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
            r"(?![A-Za-z0-9_-]))"  # a UUID: message ids, kept readable
            r"(?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{32,}"
        ),
        REDACTED,
    ),
)


def redact_text(text: str) -> str:
    """``text`` with everything that looks like a credential replaced by "•••"."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """A handler filter that rewrites each record's message and traceback with secrets hidden.

    Besides the patterns, exact values can be registered (``add_secret``): the app knows its
    own tokens, so it can scrub them even when they look like ordinary words.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._secrets: set[str] = set()

    def add_secret(self, value: str | None) -> None:
        # Very short values would blank out ordinary words; tokens are never that short.
        if value and len(value) >= 6:
            with self._lock:
                self._secrets.add(value)

    def scrub(self, text: str) -> str:
        with self._lock:
            known = sorted(self._secrets, key=len, reverse=True)
        for secret in known:
            text = text.replace(secret, REDACTED)
        return redact_text(text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        record.msg = self.scrub(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        # The traceback now lives, scrubbed, in exc_text; drop the live objects so no later
        # formatter renders the unscrubbed original again.
        record.exc_info = None
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        return True


#: The filter on the app's handlers; ``redacting_filter.add_secret`` registers known secrets.
redacting_filter = RedactingFilter()
_handler: logging.Handler | None = None
_setup_lock = threading.Lock()


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files only their owner can read (logs can name flows and people)."""

    def _open(self):  # type: ignore[override]
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return os.fdopen(fd, self.mode, encoding=self.encoding, errors=self.errors)


def log_file(profile: Profile) -> Path:
    """Where ``setup_logging`` writes for this profile."""
    return Path(profile.log_dir) / LOG_FILE_NAME


#: Support can ask for more detail: FLOWDOCK_DESKTOP_LOG_LEVEL=DEBUG (secrets stay scrubbed).
LOG_LEVEL_ENV = "FLOWDOCK_DESKTOP_LOG_LEVEL"


def _level_from_environment() -> int:
    name = os.environ.get(LOG_LEVEL_ENV, "").strip().upper()
    value = logging.getLevelName(name) if name else logging.INFO
    return value if isinstance(value, int) else logging.INFO


def setup_logging(
    profile: Profile,
    *,
    level: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    backup_count: int = DEFAULT_BACKUP_COUNT,
) -> Path:
    """Send the app's log records to a rotating file in the profile's log folder.

    Safe to call again (for another profile, in tests): the previous file handler is
    replaced, never duplicated. Returns the log file's path.
    """
    global _handler
    if level is None:
        level = _level_from_environment()
    path = log_file(profile)
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        # A read-only profile: the app still runs (and says so where it matters), unlogged.
        logging.getLogger(__name__).warning("cannot write logs to %s: %s", path.parent, exc)
        return path
    handler = _PrivateRotatingFileHandler(
        path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8", delay=True
    )
    handler.setFormatter(logging.Formatter(_FORMAT))
    handler.addFilter(redacting_filter)
    handler.setLevel(level)
    root = logging.getLogger()
    with _setup_lock:
        if _handler is not None:
            root.removeHandler(_handler)
            _handler.close()
        _handler = handler
        root.addHandler(handler)
        if root.level == logging.NOTSET or root.level > level:
            root.setLevel(level)
        # Every existing handler (e.g. the console's) gets the same scrubbing.
        for other in root.handlers:
            if redacting_filter not in other.filters:
                other.addFilter(redacting_filter)
    # httpx logs every request URL at INFO; keep that out of the file unless debugging. Set
    # both ways: a setup for DEBUG after one for INFO in the same process (tests, the
    # self-test after a start) must record the requests again.
    quiet = logging.WARNING if level > logging.DEBUG else logging.NOTSET
    logging.getLogger("httpx").setLevel(quiet)
    logging.getLogger("httpcore").setLevel(quiet)
    return path


def shutdown_logging() -> None:
    """Detach and close the file handler (tests, and before a profile folder is removed)."""
    global _handler
    with _setup_lock:
        if _handler is not None:
            logging.getLogger().removeHandler(_handler)
            _handler.close()
            _handler = None


def last_lines(path: Path, count: int = 50) -> list[str]:
    """The last ``count`` lines of a log file, scrubbed again (older files may predate a rule)."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            tail = deque(handle, maxlen=count)
    except OSError:
        return []
    return [redacting_filter.scrub(line.rstrip("\n")) for line in tail]
