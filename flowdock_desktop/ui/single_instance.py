"""One running app per profile: a second start hands its link to the first and exits.

When a person clicks a ``flowdock-desktop://`` link while the app is open, the desktop starts
the program again. That second process connects to a local socket the first one listens on
(``QLocalServer``: a Unix socket or a Windows named pipe, private to this user), sends the
link, and quits; the first process opens it in the windows it already has.

Signals: ``SingleInstance.message_received(str)``, the link (or ``""`` for "show yourself")
that another start handed over.
"""

from __future__ import annotations

import hashlib
import logging

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

#: A link is short; anything longer is not from us and is dropped.
MAX_MESSAGE_BYTES = 8192


class SingleInstance(QObject):
    """The local channel between copies of the app started on the same profile."""

    message_received = Signal(str)

    def __init__(self, key: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
        self.name = f"flowdock-desktop-{digest}"
        self._server: QLocalServer | None = None

    def send_to_running(self, message: str, *, timeout_ms: int = 500) -> bool:
        """Hand ``message`` to a running copy; False when none answers."""
        socket = QLocalSocket()
        socket.connectToServer(self.name)
        if not socket.waitForConnected(timeout_ms):
            return False
        socket.write(message.encode("utf-8") + b"\n")
        delivered = socket.waitForBytesWritten(timeout_ms)
        socket.disconnectFromServer()
        return delivered

    def listen(self) -> bool:
        """Become the running copy; False when the channel could not be opened."""
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # A copy that crashed leaves its socket file behind; nobody answered on it above.
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                log.warning("single-instance channel unavailable: %s", server.errorString())
                return False
        server.newConnection.connect(self._accept)
        self._server = server
        return True

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def _accept(self) -> None:
        assert self._server is not None
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            # The socket stays a child of the server (freed with it): a handful per session.
            socket.readyRead.connect(self._read)

    def _read(self) -> None:
        socket = self.sender()
        if not isinstance(socket, QLocalSocket):
            return
        buffered = bytes(socket.property("flowdock_buffer") or b"") + bytes(socket.readAll())
        if len(buffered) > MAX_MESSAGE_BYTES:
            socket.abort()
            return
        if b"\n" not in buffered:
            socket.setProperty("flowdock_buffer", buffered)
            return
        socket.setProperty("flowdock_buffer", b"")
        line = buffered.split(b"\n", 1)[0]
        self.message_received.emit(line.decode("utf-8", "replace").strip())
