"""The ``sandbox`` sub-command: run the local Flowdock-compatible server until Ctrl+C."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

# The server (Starlette, uvicorn, SQLite) is imported by the handler: every start of the app
# builds this parser, the GUI's first window included.

#: Exit status when the --data file cannot be used as it is (sysexits' EX_DATAERR).
EXIT_DATA_FILE = 65
#: Exit status when the --data file cannot be read or written at all (EX_IOERR).
EXIT_STORAGE = 74


def register(subparsers: argparse._SubParsersAction, parser: argparse.ArgumentParser) -> None:
    """Add ``sandbox`` to the command line."""
    sub = subparsers.add_parser(
        "sandbox",
        help="run the local Flowdock-compatible sandbox server",
        description="Run a local Flowdock-compatible API server with seeded demo data.",
    )
    sub.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    sub.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 = any free)")
    sub.add_argument(
        "--data",
        type=Path,
        metavar="FILE",
        help="keep the data in this SQLite file (a JSON file of an older version is imported)",
    )
    sub.add_argument(
        "--reset",
        action="store_true",
        help="start from the seed data; an existing --data file is moved aside, not deleted",
    )
    sub.add_argument(
        "--allow-host",
        action="append",
        default=[],
        metavar="NAME",
        help="also answer requests for this host name (besides localhost and IP addresses)",
    )
    sub.add_argument(
        "--auto-approve", action="store_true", help="approve OAuth requests as the demo user"
    )
    sub.add_argument(
        "--token-ttl", type=float, default=3600, metavar="SECONDS", help="access token lifetime"
    )
    sub.add_argument(
        "--latency-ms", type=int, default=0, metavar="N", help="delay every API request by N ms"
    )
    sub.add_argument(
        "--fail-next", type=int, default=0, metavar="N", help="fail the next N API requests"
    )
    sub.add_argument(
        "--fail-status", type=int, default=503, metavar="STATUS", help="status for --fail-next"
    )
    sub.set_defaults(handler=run_sandbox)


def run_sandbox(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    """Serve until Ctrl+C (or until ``stop`` is set, for tests)."""
    import sqlite3

    from flowdock_desktop.cli import CommandError
    from flowdock_desktop.sandbox import seed
    from flowdock_desktop.sandbox.config import SandboxConfig
    from flowdock_desktop.sandbox.faults import Fault
    from flowdock_desktop.sandbox.server import PortInUseError, SandboxServer
    from flowdock_desktop.sandbox.state import DataFileError
    from flowdock_desktop.store.errors import StoreError

    config = SandboxConfig(
        access_token_ttl=args.token_ttl,
        auto_approve=args.auto_approve,
        data_file=args.data,
        reset=args.reset,
        latency_ms=max(0, args.latency_ms),
        allowed_hosts=tuple(args.allow_host),
    )
    try:
        server = SandboxServer(config, host=args.host, port=args.port)
    except DataFileError as exc:
        raise CommandError(str(exc), EXIT_DATA_FILE) from None
    except (OSError, sqlite3.Error, StoreError) as exc:
        raise CommandError(
            f"The sandbox could not open its data file {args.data}: {_reason(exc)}.",
            EXIT_STORAGE,
        ) from None
    if args.fail_next > 0:
        try:
            fault = Fault.from_json({"count": args.fail_next, "status": args.fail_status})
        except ValueError as exc:
            raise CommandError(f"--fail-status: {exc}") from exc
        server.faults.add(fault)
    try:
        server.start()
    except PortInUseError as exc:
        raise CommandError(str(exc)) from exc
    print(f"Flowdock sandbox listening on {server.base_url}", flush=True)
    print(f"  demo user:      {seed.DEMO_EMAIL} / {seed.DEMO_PASSWORD}")
    print(f"  API token:      {seed.DEMO_API_TOKEN}")
    print(f"  client_id:      {seed.DEMO_CLIENT_ID}")
    print(f"  client_secret:  {seed.DEMO_CLIENT_SECRET}")
    print(f"  callback:       {seed.DEMO_REDIRECT_URI} (any loopback port)")
    if args.data:
        print(f"  data file:      {args.data}")
    for note in server.state.notes:
        print(f"  note:           {note}")
    print("Press Ctrl+C to stop.", flush=True)
    waiter = stop or threading.Event()
    try:
        while not waiter.wait(0.5):
            pass
    except KeyboardInterrupt:
        print("Stopping the sandbox.")
    finally:
        server.stop()
    return 0


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    text = str(exc)
    return "the disk is full" if "full" in text.lower() else text
