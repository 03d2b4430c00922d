"""A local Flowdock-compatible API server: OAuth, flows, sources, messages, threads, faults.

The public names below are imported on first use, not with the package: every start of the
app imports ``sandbox.commands`` to build its command line, and the first window must not
wait for Starlette, uvicorn and the sandbox's storage.
"""

from __future__ import annotations

from flowdock_desktop._lazy import lazy_exports

_EXPORTS = {
    "create_app": "app",
    "SandboxConfig": "config",
    "Fault": "faults",
    "FaultInjector": "faults",
    "PortInUseError": "server",
    "SandboxServer": "server",
    "ApiError": "state",
    "DataFileError": "state",
    "Principal": "state",
    "SandboxState": "state",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)
