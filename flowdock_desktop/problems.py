"""Any error, in plain words with the next step: the one mapping used by the CLI and the GUI.

``explain(error)`` knows every error family of the app (server answers, sign-in, the local
store, the keyring, connecting a flow, links, cancels) and falls back to an honest "something
went wrong inside the app" for anything else. ``write_crash_report`` keeps the details of such
an unexpected error in the log folder, with secrets scrubbed, for a support person.

Exit statuses of the command line (documented in the README):
"""

from __future__ import annotations

import enum
import errno
import logging
import os
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path

__all__ = [
    "EXIT_DATA_RECOVERED",
    "EXIT_FAILED",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_NEEDS_RECONNECT",
    "EXIT_NO_DISPLAY",
    "EXIT_OK",
    "EXIT_PROFILE_NOT_WRITABLE",
    "EXIT_QUEUED",
    "EXIT_USAGE",
    "NextStep",
    "Problem",
    "explain",
    "explain_and_report",
    "explain_briefly",
    "write_crash_report",
]

#: Done.
EXIT_OK = 0
#: The command could not do what was asked; the reason is printed.
EXIT_FAILED = 1
#: The command line itself was wrong: an unknown option, a malformed value or link.
EXIT_USAGE = 2
#: The local data file was damaged, emptied or lost: it was kept aside, what could be read
#: was recovered, and the command did not run. Run it again.
EXIT_DATA_RECOVERED = 65
#: A window was asked for, but there is no display to show it on (no X11 or Wayland session).
EXIT_NO_DISPLAY = 69
#: An unexpected error inside the app; a crash report was written (its path is printed).
EXIT_INTERNAL = 70
#: The profile folder cannot be written (read-only, full disk, no permission); nothing changed.
EXIT_PROFILE_NOT_WRITABLE = 73
#: The message is in the outbox and will be sent later (``outbox --flush`` sends it now).
EXIT_QUEUED = 75
#: Messages are kept in the outbox but wait for their integration to be reconnected (it has
#: no flow token on this computer); time alone will not send them (BSD's EX_CONFIG).
EXIT_NEEDS_RECONNECT = 78
#: Interrupted (Ctrl+C).
EXIT_INTERRUPTED = 130


class NextStep(enum.Enum):
    """What a person can do about a problem; a window turns it into a button."""

    NONE = "none"
    TRY_AGAIN = "try again"
    SIGN_IN = "sign in again"
    FIX_INPUT = "fix what was entered"
    SET_UP_AGAIN = "set the integration up again"
    FIX_PROFILE = "make the profile folder writable or free disk space"
    UPDATE_APP = "update Flowdock Desktop"
    REPORT = "report the problem"


@dataclass(frozen=True)
class Problem:
    """An error explained: ``text`` says what happened and what to do, in plain words.

    ``unexpected`` is True for errors the app did not foresee (a bug): those deserve a crash
    report. ``exit_status`` is what the command line exits with.
    """

    text: str
    next_step: NextStep = NextStep.NONE
    exit_status: int = EXIT_FAILED
    unexpected: bool = False


def explain(error: BaseException) -> Problem:
    """The plain words and next step for any error the app can meet."""
    # Imported here: this runs only when something went wrong, and start-up stays light.
    from flowdock_desktop.api.errors import (
        RETRYABLE_ERRORS,
        AuthenticationError,
        FlowdockError,
        GoneError,
        PermissionDeniedError,
        ValidationError,
    )
    from flowdock_desktop.auth.errors import KeyringUnavailable, SignInError, SignInRequired
    from flowdock_desktop.cancel import Cancelled
    from flowdock_desktop.store.errors import ProfileNotWritable, SchemaTooNewError, StoreError
    from flowdock_desktop.store.health import StoreDamaged

    if isinstance(error, Cancelled):
        return Problem(str(error) or "Cancelled.")
    if isinstance(error, KeyboardInterrupt):
        return Problem("Interrupted.", exit_status=EXIT_INTERRUPTED)
    if isinstance(error, FlowdockError):
        if isinstance(error, AuthenticationError) or (
            isinstance(error, PermissionDeniedError) and error.missing_scope
        ):
            step = NextStep.SIGN_IN
        elif isinstance(error, GoneError):
            step = NextStep.SET_UP_AGAIN
        elif isinstance(error, ValidationError):
            step = NextStep.FIX_INPUT
        elif isinstance(error, RETRYABLE_ERRORS):
            step = NextStep.TRY_AGAIN
        else:
            step = NextStep.NONE
        return Problem(error.user_message, step)
    if isinstance(error, SignInError):
        step = NextStep.SIGN_IN if isinstance(error, SignInRequired) else NextStep.TRY_AGAIN
        return Problem(str(error), step)
    if isinstance(error, KeyringUnavailable):
        return Problem(str(error), NextStep.TRY_AGAIN)
    if isinstance(error, StoreDamaged):
        return Problem(str(error), NextStep.TRY_AGAIN, EXIT_DATA_RECOVERED)
    if isinstance(error, ProfileNotWritable):
        return Problem(str(error), NextStep.FIX_PROFILE, EXIT_PROFILE_NOT_WRITABLE)
    if isinstance(error, SchemaTooNewError):
        return Problem(str(error), NextStep.UPDATE_APP)
    if isinstance(error, StoreError):
        return Problem(str(error), NextStep.TRY_AGAIN)
    words = _known_by_module(error)
    if words is not None:
        return words
    if isinstance(error, OSError):
        return _os_error(error)
    if isinstance(error, MemoryError):
        return Problem(
            "Flowdock Desktop ran out of memory. Close other programs and try again.",
            NextStep.TRY_AGAIN,
            EXIT_INTERNAL,
        )
    return Problem(
        f"Something went wrong inside Flowdock Desktop ({type(error).__name__}). "
        "Nothing you did caused this; please report it with the crash report.",
        NextStep.REPORT,
        EXIT_INTERNAL,
        unexpected=True,
    )


def _known_by_module(error: BaseException) -> Problem | None:
    """Errors of modules that may not be loaded yet: if a module is not loaded, the error
    cannot be one of its own, so there is no need to import it just to ask."""
    connect = sys.modules.get("flowdock_desktop.connect")
    if connect is not None and isinstance(error, connect.ConnectError):
        return Problem(str(error), NextStep.FIX_INPUT)
    links = sys.modules.get("flowdock_desktop.setup_links")
    if links is not None and isinstance(error, links.SetupLinkError):
        return Problem(str(error), NextStep.FIX_INPUT, EXIT_USAGE)
    return None


def _os_error(error: OSError) -> Problem:
    where = f" ({error.filename})" if error.filename else ""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return Problem(
            f"The disk is full{where}. Free some space, then try again.",
            NextStep.FIX_PROFILE,
            EXIT_PROFILE_NOT_WRITABLE,
        )
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return Problem(
            f"Flowdock Desktop is not allowed to write here{where}: "
            f"{error.strerror or 'permission denied'}. Check the folder's permissions.",
            NextStep.FIX_PROFILE,
            EXIT_PROFILE_NOT_WRITABLE,
        )
    return Problem(
        f"{error.strerror or 'A system error occurred'}{where}. Try again.",
        NextStep.TRY_AGAIN,
    )


def explain_and_report(error: BaseException, log_dir: Path | None) -> Problem:
    """``explain(error)`` as a person is shown it: for an unexpected error a crash report is
    written to ``log_dir`` first, and the text says where (or that none could be written)."""
    problem = explain(error)
    if not problem.unexpected:
        return problem
    try:
        path = write_crash_report(error, log_dir)
    except OSError:
        return replace(problem, text=problem.text + " No crash report could be written.")
    return replace(problem, text=f"{problem.text} A crash report was written to {path}.")


def explain_briefly(error: BaseException) -> str:
    """``explain(error)``'s words for a status line that stays on screen: an unexpected error
    (a bug) is logged with its details and named only as such, without the crash-report
    advice a window gives."""
    problem = explain(error)
    if not problem.unexpected:
        return problem.text
    logging.getLogger(__name__).error("unexpected error", exc_info=error)
    return "An unexpected error happened (its details are in the log)."


# -- crash reports -----------------------------------------------------------------------------


def write_crash_report(error: BaseException, directory: Path | None) -> Path:
    """Write the details of an unexpected error to ``directory`` (else the temp folder).

    The report (version, platform, command line, traceback) goes through the log's redaction,
    so no token or secret is kept; the file is readable by its owner only. Returns its path.
    """
    import platform  # its regular expressions: not at every start, only for a report

    from flowdock_desktop import __version__
    from flowdock_desktop.logs import redacting_filter

    lines = [
        f"Flowdock Desktop {__version__} crash report",
        f"Time: {time.strftime('%Y-%m-%d %H:%M:%S %z')}",
        f"Python: {platform.python_version()} on {platform.platform()}",
        f"Command: {' '.join(sys.argv[1:])}",
        "",
        *traceback.format_exception(error),
    ]
    text = redacting_filter.scrub("\n".join(line.rstrip("\n") for line in lines)) + "\n"
    name = f"crash-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    for folder in (directory, Path(tempfile.gettempdir())):
        if folder is None:
            continue
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = folder / name
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as handle:
                handle.write(text)
            return path
        except OSError:
            continue
    raise OSError("no folder could take the crash report")
