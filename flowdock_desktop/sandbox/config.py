"""Knobs for one sandbox instance: lifetimes, storage, and the limits that keep it standing."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024
#: Room in a multipart upload's body for its fields and part headers, beside the file.
UPLOAD_ALLOWANCE = 256 * 1024


@dataclass
class SandboxConfig:
    """Everything one sandbox is started with; tests shrink the TTLs instead of sleeping."""

    access_token_ttl: float = 3600
    code_ttl: float = 600
    #: Refresh tokens rotate on use; one not used for this long is purged.
    refresh_token_ttl: float = 90 * 24 * 3600
    auto_approve: bool = False
    wait_status: int = 201
    #: The SQLite database file (``--data``); None keeps the data in memory.
    data_file: Path | None = None
    #: A JSON data file of an older version, imported when ``data_file`` does not exist yet.
    import_file: Path | None = None
    #: Move an existing ``data_file`` aside and start from the seed data (``--reset``).
    reset: bool = False
    #: Extra delay added to every non-admin request (the ``--latency-ms`` flag).
    latency_ms: int = 0
    #: How long a browser sign-in session lasts on the authorize pages.
    session_ttl: float = 1800

    # Limits against slow, huge or hostile requests (docs/sandbox.md, "Limits").
    #: Seconds a connection may take to send a request's headers (from connecting, or from
    #: the end of the previous answer on a kept-alive connection).
    header_timeout: float = 10.0
    #: Seconds a request's body may take to arrive, once its headers are in.
    body_timeout: float = 30.0
    #: Largest request body, in bytes (413 beyond), for JSON and form bodies.
    max_body_bytes: int = 10 * MB
    #: Largest file the sandbox keeps (413 beyond). A multipart upload may be this much plus
    #: ``UPLOAD_ALLOWANCE`` for its other fields; a file sent as base64 in JSON counts against
    #: ``max_body_bytes`` instead (a third larger than the file).
    max_file_bytes: int = 10 * MB
    #: Seconds a signed download URL (where ``GET /files/...`` redirects) stays valid.
    download_url_ttl: float = 60.0
    #: Connections open at once, from everyone; lowered to fit the open-files limit.
    max_connections: int = 1000
    #: Connections open at once from one client address.
    max_connections_per_client: int = 100
    #: Seconds an answer may stay unsent because the client stopped reading it; then the
    #: connection is dropped (what ends a stream whose reader has stalled).
    write_timeout: float = 30.0

    # Streams (docs/sandbox.md, "Streaming").
    #: Seconds between keep-alives on a quiet stream (a bare newline, or an SSE comment).
    stream_keepalive: float = 5.0
    #: Events waiting for one stream's reader; a reader that falls further behind is
    #: disconnected (with SSE it resumes from ``Last-Event-ID`` and loses nothing).
    stream_queue_limit: int = 1000
    #: Streams open at once, from everyone and from one client address. A stream holds its
    #: connection for as long as it lasts, so the per-address cap stays below
    #: ``max_connections_per_client``: a client's streams never take every connection its
    #: ordinary requests need.
    max_streams: int = 500
    max_streams_per_client: int = 64
    #: Seconds between a present stream's ``activity.user`` events (``active=true|idle``); a
    #: person posting ``activity.user`` is shown present for twice this long.
    presence_interval: float = 60.0
    #: Host names (besides loopback names, IP addresses and the bound host) the sandbox
    #: answers to; others are refused so a DNS-rebinding web page cannot reach it.
    allowed_hosts: tuple[str, ...] = ()

    @property
    def max_upload_bytes(self) -> int:
        """Largest multipart body: one file at its limit plus room for the other fields."""
        return self.max_file_bytes + UPLOAD_ALLOWANCE

    def __post_init__(self) -> None:
        if self.data_file is not None:
            self.data_file = Path(self.data_file)
        if self.import_file is not None:
            self.import_file = Path(self.import_file)
