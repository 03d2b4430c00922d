"""Run the sandbox app under uvicorn on a background thread, for the app and for tests."""

from __future__ import annotations

import errno
import functools
import socket
import threading
from types import TracebackType

import uvicorn

from flowdock_desktop.sandbox.app import create_app
from flowdock_desktop.sandbox.config import SandboxConfig
from flowdock_desktop.sandbox.connections import ACCEPT_BATCH, ConnectionLimits, GuardedH11Protocol
from flowdock_desktop.sandbox.faults import FaultInjector
from flowdock_desktop.sandbox.state import SandboxState


class PortInUseError(OSError):
    """The sandbox could not listen because the address is taken."""

    def __init__(self, host: str, port: int) -> None:
        super().__init__(
            errno.EADDRINUSE,
            f"Port {port} on {host} is already in use; choose another port (or 0 for any).",
        )
        self.host = host
        self.port = port


class SandboxServer:
    """A running sandbox: uvicorn in a daemon thread on a socket bound before start returns.

    The socket is bound here, not by uvicorn, so a busy port raises ``PortInUseError`` in the
    caller's thread and ``port=0`` yields the real port at once.
    """

    def __init__(
        self, config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or SandboxConfig()
        self.host = host
        self.port = port
        self.app = create_app(self.config, host=host)
        self.limits = ConnectionLimits(
            header_timeout=self.config.header_timeout,
            per_client=self.config.max_connections_per_client,
            total=self.config.max_connections,
            write_timeout=self.config.write_timeout,
        )
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def state(self) -> SandboxState:
        return self.app.state.sandbox

    @property
    def faults(self) -> FaultInjector:
        return self.app.state.faults

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose
        # proto says TCP, and without it every answer with a body waits ~40 ms for Nagle.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            if hasattr(socket, "SO_REUSEADDR") and not _is_windows():
                # Lets a stopped sandbox's port be reused despite TIME_WAIT; on Windows the
                # same flag would allow two live listeners, so it is skipped there.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1), 10048):
                raise PortInUseError(self.host, self.port) from exc
            raise
        sock.listen(ACCEPT_BATCH)
        sock.setblocking(False)
        return sock

    def start(self) -> SandboxServer:
        """Listen and serve; returns once uvicorn has started."""
        if self._thread is not None:
            raise RuntimeError("sandbox already started")
        try:
            self._socket = self._bind()
        except BaseException:
            self.state.close()  # nothing will serve it: release the data file
            raise
        self.port = self._socket.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            lifespan="off",
            access_log=False,
            http=functools.partial(GuardedH11Protocol, limits=self.limits),
            backlog=ACCEPT_BATCH,
            timeout_graceful_shutdown=2,
        )
        server = uvicorn.Server(config)
        # uvicorn installs signal handlers only on the main thread; keep it from trying.
        server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._server = server
        self._thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [self._socket]},
            name=f"sandbox-{self.port}",
            daemon=True,
        )
        self._thread.start()
        while not server.started:
            if not self._thread.is_alive():
                self._close_socket()
                raise RuntimeError("the sandbox server failed to start")
            self._thread.join(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and join the thread; the port is free and the data file closed
        afterwards."""
        if self._server is not None:
            # Streams never end by themselves: end them first, so the graceful shutdown
            # does not wait for them.
            self.app.state.hub.close()
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        self._close_socket()
        self._thread = None
        self._server = None
        self.state.close()

    def _close_socket(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"<SandboxServer {self.base_url}>"


def _is_windows() -> bool:
    import sys

    return sys.platform == "win32"
