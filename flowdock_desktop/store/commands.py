"""Headless commands over the local data: ``integrations``.

The ``outbox`` command lives with the sending code in ``flowdock_desktop.send_commands``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

# SQLite and the stores are imported by the handler: every start of the app builds this
# parser, the GUI's first window included.
if TYPE_CHECKING:
    from flowdock_desktop.store.db import Database

__all__ = ["register"]


def register(subparsers: Any, parser: argparse.ArgumentParser) -> None:
    """Add the ``integrations`` sub-command to the main parser."""
    integrations = subparsers.add_parser(
        "integrations",
        help="list the integrations set up in this profile",
        description="List the integrations (sources) set up in this profile.",
    )
    integrations.add_argument(
        "--active", action="store_true", help="leave out integrations removed in Flowdock"
    )
    integrations.set_defaults(handler=_integrations)


# -- helpers ---------------------------------------------------------------------------------


def _open_database(args: argparse.Namespace) -> Database:
    from flowdock_desktop.store.health import open_profile_database
    from flowdock_desktop.store.profile import Profile

    return open_profile_database(Profile.resolve(getattr(args, "profile", None)))


def print_table(rows: Sequence[Sequence[str]], out: TextIO) -> None:
    """Rows as left-aligned columns, the first row being the headings."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        print("  ".join(cells).rstrip(), file=out)


# -- integrations ----------------------------------------------------------------------------


def _integrations(args: argparse.Namespace, out: TextIO | None = None) -> int:
    from flowdock_desktop.store.integrations import IntegrationStore

    out = out or sys.stdout
    with _open_database(args) as db:
        found = IntegrationStore(db).list(include_removed=not args.active)
    if not found:
        print("No integrations yet. Set one up with the setup wizard.", file=out)
        return 0
    rows = [("ID", "FLOW", "ORGANIZATION", "SOURCE", "STATE", "SERVER")]
    rows += [
        (i.id, i.flow_path, i.organization_name, i.source_name, i.state, i.api_url) for i in found
    ]
    print_table(rows, out)
    return 0
