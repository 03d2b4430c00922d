"""The loopback redirect listener that receives the browser's OAuth callback.

Built on plain non-blocking sockets and ``selectors`` in one daemon thread rather than on
``http.server``: a single thread serves every connection, so a slow or silent client cannot
hold the flow (each connection has its own deadline), request lines and headers are capped
before anything is parsed, ``cancel()`` wakes the thread at once through a socket pair
instead of ``serve_forever``'s polling, and the listening socket is closed the moment the
flow ends so the port is free again when ``wait()`` or ``cancel()`` returns.
"""

from __future__ import annotations

import contextlib
import errno
import hmac
import logging
import selectors
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit, urlunsplit

from flowdock_desktop.auth.errors import (
    AccessDeniedError,
    AuthorizationError,
    PortInUseError,
    SignInCancelled,
    SignInError,
    SignInTimeout,
)
from flowdock_desktop.resources import read_resource

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 300.0
DEFAULT_CONNECTION_TIMEOUT = 10.0
MAX_REQUEST_BYTES = 8192
MAX_CONNECTIONS = 32
#: How long an answered connection is kept open to read what the client still sends.
DRAIN_SECONDS = 1.0

_LOOPBACK_V4 = {"127.0.0.1", "localhost"}
_LOOPBACK_V6 = {"::1"}


@dataclass(frozen=True)
class CallbackResult:
    """A valid callback: the authorization ``code`` and the ``state`` it came with."""

    code: str = field(repr=False)
    state: str = field(repr=False)


@dataclass
class _Connection:
    """One accepted client connection and its buffers."""

    sock: socket.socket
    deadline: float
    inbuf: bytearray = field(default_factory=bytearray)
    outbuf: bytes = b""
    responded: bool = False
    #: Answered and half-closed; reading (and discarding) until the client closes, so that
    #: closing with unread input cannot reset the connection before the answer is read.
    draining: bool = False


def _page(name: str) -> bytes:
    try:
        return read_resource("callback", name)
    except OSError:
        # A missing resource must not break sign-in; a bare page still tells what happened.
        return b"<!doctype html><title>Flowdock Desktop</title><p>Return to Flowdock Desktop.</p>"


def _response(status: HTTPStatus, body: bytes, content_type: str) -> bytes:
    head = (
        f"HTTP/1.1 {status.value} {status.phrase}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n"
        "Cache-Control: no-store\r\n"
        # The callback URL carries the code: keep it out of any Referer header.
        "Referrer-Policy: no-referrer\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


def _html(status: HTTPStatus, page: str) -> bytes:
    return _response(status, _page(page), "text/html; charset=utf-8")


def _text(status: HTTPStatus, text: str) -> bytes:
    return _response(status, text.encode("utf-8"), "text/plain; charset=utf-8")


def _loopback_family(host: str) -> tuple[socket.AddressFamily, str]:
    """Address family and bind address for the callback host; refuse anything non-loopback."""
    if host in _LOOPBACK_V6:
        return socket.AF_INET6, "::1"
    if host in _LOOPBACK_V4:
        return socket.AF_INET, "127.0.0.1"
    raise ValueError(
        f"The callback URI must point at this computer (127.0.0.1, [::1] or localhost), "
        f"not {host!r}."
    )


class LoopbackListener:
    """Waits on a loopback port for exactly one valid OAuth callback.

    ``start()`` binds (raising ``PortInUseError`` when the port is taken) and serves in a
    daemon thread; ``wait()`` blocks until a valid callback arrives and returns its
    ``CallbackResult``, or raises ``AccessDeniedError``/``AuthorizationError`` (the browser
    came back with ``error=``), ``SignInTimeout`` or ``SignInCancelled``. ``cancel()`` and
    ``supply()`` may be called from any thread. ``redirect_uri`` is the URI to send to the
    authorization server; with ``allow_any_port=True`` its port is chosen by the system.
    """

    def __init__(
        self,
        redirect_uri: str,
        *,
        expected_state: str,
        allow_any_port: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
        connection_timeout: float = DEFAULT_CONNECTION_TIMEOUT,
        max_request_bytes: int = MAX_REQUEST_BYTES,
    ) -> None:
        parts = urlsplit(redirect_uri)
        if parts.scheme != "http":
            raise ValueError("A loopback callback URI must start with http://")
        host = parts.hostname or ""
        self._family, self._bind_host = _loopback_family(host)
        self._uri_host = host
        self._path = parts.path or "/"
        self._scheme = parts.scheme
        try:
            configured_port = parts.port or 80
        except ValueError as exc:
            raise ValueError(f"The callback URI has an invalid port: {exc}") from None
        self._requested_port = 0 if allow_any_port else configured_port
        self._port: int | None = None
        self._expected_state = expected_state
        self._timeout = timeout
        self._connection_timeout = connection_timeout
        self._max_request_bytes = max_request_bytes

        self._server: socket.socket | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._outcome: CallbackResult | SignInError | None = None
        self._cancel_requested = False
        self._supplied: CallbackResult | SignInError | None = None

    # -- public interface ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the listener has not been started")
        return self._port

    @property
    def redirect_uri(self) -> str:
        """The callback URI with the bound port (call after ``start()``)."""
        host = f"[{self._uri_host}]" if ":" in self._uri_host else self._uri_host
        return urlunsplit((self._scheme, f"{host}:{self.port}", self._path, "", ""))

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def start(self) -> None:
        """Bind the loopback port and start serving; raise ``PortInUseError`` if it is taken."""
        if self._thread is not None:
            raise RuntimeError("the listener was already started")
        server = socket.socket(self._family, socket.SOCK_STREAM)
        try:
            if sys.platform == "win32":
                # On Windows SO_REUSEADDR would let us steal a port in use; ask for exclusivity.
                server.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
            else:
                # Lets a new sign-in bind while old connections sit in TIME_WAIT; on POSIX it
                # never allows two listeners on one port.
                server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            server.bind((self._bind_host, self._requested_port))
            server.listen(16)
            server.setblocking(False)
        except OSError as exc:
            server.close()
            in_use = {errno.EADDRINUSE}
            if sys.platform == "win32":
                # Windows reports a port held exclusively by another program as "access denied".
                in_use.add(errno.EACCES)
            if exc.errno in in_use:
                raise PortInUseError(self._requested_port, self._bind_host) from None
            raise SignInError(
                f"Could not listen on {self._bind_host} port {self._requested_port} for the "
                f"browser's answer ({exc.strerror or exc})."
            ) from None
        self._server = server
        self._port = server.getsockname()[1]
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._thread = threading.Thread(
            target=self._serve, name=f"oauth-listener-{self._port}", daemon=True
        )
        self._thread.start()

    def wait(self, timeout: float | None = None) -> CallbackResult:
        """Block until the flow ends; return the callback or raise why it did not complete.

        ``timeout`` only limits this call (the listener keeps its own overall deadline).
        """
        if self._thread is None:
            raise RuntimeError("the listener has not been started")
        if not self._done.wait(timeout):
            raise SignInTimeout(timeout or 0.0)
        outcome = self._outcome
        if isinstance(outcome, CallbackResult):
            return outcome
        assert outcome is not None
        raise outcome

    def cancel(self) -> None:
        """Stop listening now; ``wait()`` raises ``SignInCancelled``. The port is free after."""
        with self._lock:
            self._cancel_requested = True
        self._wake()
        self._join()

    def supply(self, outcome: CallbackResult | SignInError) -> None:
        """End with an outcome obtained another way (pasted by the person); first one wins."""
        with self._lock:
            if self._supplied is None:
                self._supplied = outcome
        self._wake()
        self._join()

    def close(self) -> None:
        """Same as ``cancel()`` when still running; harmless afterwards."""
        if self._thread is not None and not self._done.is_set():
            self.cancel()

    def __enter__(self) -> LoopbackListener:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- the serving thread -------------------------------------------------------------------

    def _wake(self) -> None:
        if self._wake_w is not None:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")

    def _join(self) -> None:
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self._connection_timeout + 5)

    def _serve(self) -> None:
        assert self._server is not None and self._wake_r is not None
        selector = selectors.DefaultSelector()
        selector.register(self._server, selectors.EVENT_READ, None)
        selector.register(self._wake_r, selectors.EVENT_READ, None)
        connections: dict[int, _Connection] = {}
        deadline = time.monotonic() + self._timeout
        outcome: CallbackResult | SignInError | None = None
        try:
            while True:
                now = time.monotonic()
                if outcome is None:
                    outcome = self._external_outcome()
                if outcome is None and now >= deadline:
                    outcome = SignInTimeout(self._timeout)
                if outcome is not None:
                    self._stop_accepting(selector)
                    # Finish sending the result page, then stop; nothing else is served.
                    pending = [c for c in connections.values() if c.outbuf and c.responded]
                    for conn in list(connections.values()):
                        if conn not in pending:
                            self._drop(selector, connections, conn)
                    if not pending:
                        break
                wait_for = deadline - now if outcome is None else self._connection_timeout
                for conn in connections.values():
                    wait_for = min(wait_for, conn.deadline - now)
                for key, events in selector.select(max(0.0, wait_for)):
                    sock = key.fileobj
                    if sock is self._server:
                        self._accept(selector, connections, deadline)
                    elif sock is self._wake_r:
                        with contextlib.suppress(OSError):
                            self._wake_r.recv(64)
                    else:
                        conn = connections.get(key.fd)
                        if conn is None:
                            continue
                        if conn.draining:
                            self._drain(selector, connections, conn)
                            continue
                        if events & selectors.EVENT_READ and not conn.responded:
                            result = self._read(conn)
                            if result is not None and outcome is None:
                                outcome = result
                        if events & selectors.EVENT_WRITE or conn.responded:
                            self._write(selector, connections, conn)
                now = time.monotonic()
                for conn in list(connections.values()):
                    if now >= conn.deadline:
                        # Too slow: drop it without completing anything.
                        self._drop(selector, connections, conn)
        except Exception:  # pragma: no cover - a bug; still end the flow cleanly
            log.exception("the sign-in listener failed")
            if outcome is None:
                outcome = SignInError("The sign-in listener stopped unexpectedly. Try again.")
        finally:
            for conn in list(connections.values()):
                self._drop(selector, connections, conn)
            self._stop_accepting(selector)
            selector.close()
            for sock in (self._wake_r, self._wake_w):
                if sock is not None:
                    sock.close()
            self._outcome = outcome or SignInCancelled()
            self._done.set()

    def _external_outcome(self) -> CallbackResult | SignInError | None:
        with self._lock:
            if self._supplied is not None:
                return self._supplied
            if self._cancel_requested:
                return SignInCancelled()
        return None

    def _stop_accepting(self, selector: selectors.BaseSelector) -> None:
        if self._server is not None:
            with contextlib.suppress(KeyError, ValueError):
                selector.unregister(self._server)
            self._server.close()
            self._server = None

    def _accept(
        self,
        selector: selectors.BaseSelector,
        connections: dict[int, _Connection],
        deadline: float,
    ) -> None:
        assert self._server is not None
        try:
            sock, _ = self._server.accept()
        except (BlockingIOError, InterruptedError, ConnectionError):
            return
        if len(connections) >= MAX_CONNECTIONS:
            # A flood of idle connections must not starve the real browser for long; refuse.
            sock.close()
            return
        sock.setblocking(False)
        conn = _Connection(sock=sock, deadline=time.monotonic() + self._connection_timeout)
        connections[sock.fileno()] = conn
        selector.register(sock, selectors.EVENT_READ, None)

    def _drop(
        self,
        selector: selectors.BaseSelector,
        connections: dict[int, _Connection],
        conn: _Connection,
    ) -> None:
        for fd, known in list(connections.items()):
            if known is conn:
                del connections[fd]
        with contextlib.suppress(KeyError, ValueError, OSError):
            selector.unregister(conn.sock)
        conn.sock.close()

    def _read(self, conn: _Connection) -> CallbackResult | SignInError | None:
        try:
            chunk = conn.sock.recv(4096)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:
            conn.responded = True
            return None
        if not chunk:
            # The client went away before finishing its request.
            conn.responded = True
            conn.outbuf = b""
            return None
        conn.inbuf += chunk
        end = conn.inbuf.find(b"\r\n\r\n")
        if end < 0 and len(conn.inbuf) > self._max_request_bytes:
            self._respond(conn, _text(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too large\n"))
            return None
        if end < 0:
            return None
        if end > self._max_request_bytes:
            self._respond(conn, _text(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too large\n"))
            return None
        try:
            reply, outcome = self._handle(bytes(conn.inbuf[:end]))
        except Exception:
            # One bad request must never end the flow; answer it and keep waiting.
            log.exception("could not handle a request to the sign-in listener")
            reply, outcome = _text(HTTPStatus.BAD_REQUEST, "Bad request\n"), None
        self._respond(conn, reply)
        return outcome

    def _respond(self, conn: _Connection, data: bytes) -> None:
        conn.outbuf = data
        conn.responded = True

    def _write(
        self,
        selector: selectors.BaseSelector,
        connections: dict[int, _Connection],
        conn: _Connection,
    ) -> None:
        if conn.outbuf:
            try:
                sent = conn.sock.send(conn.outbuf)
            except (BlockingIOError, InterruptedError):
                sent = 0
            except OSError:
                self._drop(selector, connections, conn)
                return
            conn.outbuf = conn.outbuf[sent:]
        if conn.outbuf:
            with contextlib.suppress(KeyError, ValueError):
                selector.modify(conn.sock, selectors.EVENT_WRITE, None)
            return
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._drop(selector, connections, conn)
            return
        # Linger briefly: the client may still be sending (an oversized request, say).
        conn.draining = True
        conn.deadline = min(conn.deadline, time.monotonic() + DRAIN_SECONDS)
        with contextlib.suppress(KeyError, ValueError):
            selector.modify(conn.sock, selectors.EVENT_READ, None)

    def _drain(
        self,
        selector: selectors.BaseSelector,
        connections: dict[int, _Connection],
        conn: _Connection,
    ) -> None:
        try:
            chunk = conn.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:
            self._drop(selector, connections, conn)

    # -- request handling ---------------------------------------------------------------------

    def _handle(self, head: bytes) -> tuple[bytes, CallbackResult | SignInError | None]:
        """Answer one request head; the second item ends the flow when not None."""
        try:
            request_line = head.split(b"\r\n", 1)[0].decode("ascii")
            method, target, version = request_line.split(" ")
        except (UnicodeDecodeError, ValueError):
            return _text(HTTPStatus.BAD_REQUEST, "Bad request\n"), None
        if not version.startswith("HTTP/1."):
            return _text(HTTPStatus.BAD_REQUEST, "Bad request\n"), None
        if method != "GET":
            return _text(HTTPStatus.METHOD_NOT_ALLOWED, "Method not allowed\n"), None
        try:
            parts = urlsplit(target)
        except ValueError:
            return _text(HTTPStatus.BAD_REQUEST, "Bad request\n"), None
        if parts.path != self._path:
            return _text(HTTPStatus.NOT_FOUND, "Not found\n"), None
        try:
            params = parse_qs(parts.query, keep_blank_values=True, max_num_fields=50)
        except ValueError:
            return _text(HTTPStatus.BAD_REQUEST, "Bad request\n"), None
        return self._check_callback(params)

    def _check_callback(
        self, params: dict[str, list[str]]
    ) -> tuple[bytes, CallbackResult | SignInError | None]:
        """Judge callback parameters: wrong state never ends the flow, ``error=`` does."""
        states = params.get("state", [])
        if len(states) != 1 or not hmac.compare_digest(
            states[0].encode("utf-8"),
            self._expected_state.encode("utf-8"),
        ):
            # Forged, stale or replayed: the real callback may still come.
            return _html(HTTPStatus.BAD_REQUEST, "error.html"), None
        errors = params.get("error", [])
        if errors:
            description = (params.get("error_description") or [None])[0]
            if errors[0] == "access_denied":
                return _html(HTTPStatus.OK, "denied.html"), AccessDeniedError(description)
            return _html(HTTPStatus.OK, "error.html"), AuthorizationError(errors[0], description)
        codes = params.get("code", [])
        if len(codes) != 1 or not codes[0]:
            return _html(HTTPStatus.BAD_REQUEST, "error.html"), None
        return _html(HTTPStatus.OK, "success.html"), CallbackResult(codes[0], states[0])
