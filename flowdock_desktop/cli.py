"""The one entry point: the GUI, the sandbox and the headless commands.

Each subsystem owns its commands in a small ``commands`` module exposing
``register(subparsers)``; this file only assembles them, so that adding a
command never means editing someone else's code. ``main`` is also the command line's one
top-level error handler: whatever goes wrong ends in plain words on stderr and an exit status
from ``flowdock_desktop.problems``, never a traceback; an unexpected error also leaves a
crash report (secrets scrubbed) in the log folder and prints where.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from flowdock_desktop import __version__

# Modules that contribute sub-commands; each keeps its heavy imports inside its handlers so
# that building the parser stays cheap.
_COMMAND_MODULES = (
    "flowdock_desktop.sandbox.commands",
    "flowdock_desktop.auth.commands",
    "flowdock_desktop.store.commands",
    "flowdock_desktop.ui.commands",
    "flowdock_desktop.send_commands",
)


class CommandError(Exception):
    """An error to print in plain words, exiting with a non-zero status (1 unless given)."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flowdock-desktop",
        description="Set up and exercise Flowdock integrations.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--profile",
        metavar="DIR",
        type=Path,
        help="profile directory for settings and local data "
        "(default: $FLOWDOCK_DESKTOP_HOME or the platform's config location)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(subparsers, parser)
    return parser


def route_link(argv: Sequence[str]) -> list[str]:
    """A link given where the command goes becomes ``setup LINK`` or ``configure LINK``.

    The desktop starts ``flowdock-desktop flowdock-desktop://setup?flow=…`` for a clicked link,
    and people paste Flowdock's https links the same way. A link after a command
    (``setup LINK``) is left alone: that command takes it.
    """
    from flowdock_desktop.setup_links import link_kind, looks_like_link

    args = list(argv)
    index = 0
    while index < len(args) and args[index].startswith("-"):
        # Global options come first; --profile takes the next word as its value.
        index += 2 if args[index] == "--profile" else 1
    if index < len(args) and looks_like_link(args[index]):
        return [*args[:index], link_kind(args[index]), *args[index:]]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit status. Never raises except for ``--help``-style
    exits of the argument parser."""
    _tolerant_stdout()
    _quiet_log_records()
    try:
        return _run(sys.argv[1:] if argv is None else argv)
    except SystemExit:
        raise  # the argument parser's own usage errors (status 2) and --help/--version
    except CommandError as exc:
        _say(str(exc))
        return exc.exit_code
    except BrokenPipeError:
        # The reader went away (``| head``): nothing more can be said on stdout.
        _silence_stdout()
        return 1
    except BaseException as exc:  # the one place that turns any error into words
        return _report(exc)


def _quiet_log_records() -> None:
    """Log records are for the log file (the GUI sets one up), never raw lines on a terminal:
    without any handler Python prints warnings to stderr, in the middle of the plain words
    each command prints for the same problem."""
    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())


def _run(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(route_link(argv))
    _refuse_undecodable(args)
    if args.profile:
        import os

        os.environ["FLOWDOCK_DESKTOP_HOME"] = str(args.profile)
    handler = getattr(args, "handler", None)
    if handler is None:
        handler = getattr(parser, "default_handler", None)
    if handler is None:
        parser.print_help()
        return 2
    return int(handler(args) or 0)


def _say(text: str) -> None:
    # When stderr is gone too, the exit status is all that is left.
    with contextlib.suppress(OSError):
        print(f"flowdock-desktop: {text}", file=sys.stderr, flush=True)


def _report(error: BaseException) -> int:
    from flowdock_desktop.problems import EXIT_DATA_RECOVERED, explain_and_report

    problem = explain_and_report(error, _log_dir())
    text = problem.text
    if problem.exit_status == EXIT_DATA_RECOVERED:
        text += " The command did not run: run it again to continue."
    _say(text)
    return problem.exit_status


def _log_dir():
    """The profile's log folder, or None when even the profile cannot be found."""
    try:
        from flowdock_desktop.store.profile import Profile

        return Profile.resolve().log_dir
    except Exception:
        return None


def _refuse_undecodable(args: argparse.Namespace) -> None:
    """Arguments that are not valid text (bytes that are not UTF-8 arrive as lone surrogates)
    are refused by name, before any of them reaches a file, a database or a server.
    File and folder arguments are paths, not text, and may hold any bytes."""
    for name, value in vars(args).items():
        values = value if isinstance(value, list) else [value]
        for item in values:
            if isinstance(item, str) and not _is_text(item):
                shown = _shown_bytes(item)
                raise CommandError(
                    f"The value of --{name.replace('_', '-')} is not valid text: it contains "
                    f"bytes that are not UTF-8 ({shown}). Type it again in a UTF-8 terminal.",
                    2,
                )


def _shown_bytes(value: str) -> str:
    """The value as the bytes the terminal sent, undecodable ones escaped (``\\xff``)."""
    try:
        raw = value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that did not come from a byte
        return value.encode("utf-8", "backslashreplace").decode("ascii")
    return raw.decode("utf-8", "backslashreplace")


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _tolerant_stdout() -> None:
    # Text from a server or a file may not fit the terminal's encoding; show it escaped
    # rather than fail half-way through a listing.
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        with contextlib.suppress(ValueError, OSError):
            reconfigure(errors="backslashreplace")


def _silence_stdout() -> None:
    import os

    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
