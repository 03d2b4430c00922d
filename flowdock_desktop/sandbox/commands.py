"""The ``sandbox`` sub-command: run the local Flowdock-compatible server until Ctrl+C."""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from flowdock_desktop.sandbox import seed
from flowdock_desktop.sandbox.faults import Fault
from flowdock_desktop.sandbox.server import PortInUseError, SandboxServer
from flowdock_desktop.sandbox.state import SandboxConfig


def register(subparsers: argparse._SubParsersAction, parser: argparse.ArgumentParser) -> None:
    """Add ``sandbox`` to the command line."""
    sub = subparsers.add_parser(
        "sandbox",
        help="run the local Flowdock-compatible sandbox server",
        description="Run a local Flowdock-compatible API server with seeded demo data.",
    )
    sub.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    sub.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 = any free)")
    sub.add_argument("--data", type=Path, metavar="FILE", help="persist state to this JSON file")
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
    from flowdock_desktop.cli import CommandError

    config = SandboxConfig(
        access_token_ttl=args.token_ttl,
        auto_approve=args.auto_approve,
        data_file=args.data,
        latency_ms=max(0, args.latency_ms),
    )
    server = SandboxServer(config, host=args.host, port=args.port)
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
