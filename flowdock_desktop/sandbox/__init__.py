"""A local Flowdock-compatible API server: OAuth, flows, sources, messages, threads, faults."""

from flowdock_desktop.sandbox.app import create_app
from flowdock_desktop.sandbox.config import SandboxConfig
from flowdock_desktop.sandbox.faults import Fault, FaultInjector
from flowdock_desktop.sandbox.server import PortInUseError, SandboxServer
from flowdock_desktop.sandbox.state import ApiError, DataFileError, Principal, SandboxState

__all__ = [
    "ApiError",
    "DataFileError",
    "Fault",
    "FaultInjector",
    "PortInUseError",
    "Principal",
    "SandboxConfig",
    "SandboxServer",
    "SandboxState",
    "create_app",
]
