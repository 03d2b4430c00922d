"""The one entry point: the GUI, the sandbox and the headless commands.

Each subsystem owns its commands in a small ``commands`` module exposing
``register(subparsers)``; this file only assembles them, so that adding a
command never means editing someone else's code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

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
    """An error to print in plain words, exiting with a non-zero status."""

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
    parser = build_parser()
    args = parser.parse_args(route_link(sys.argv[1:] if argv is None else argv))
    if args.profile:
        import os

        os.environ["FLOWDOCK_DESKTOP_HOME"] = args.profile
    handler = getattr(args, "handler", None)
    if handler is None:
        handler = getattr(parser, "default_handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except CommandError as exc:
        print(f"flowdock-desktop: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
