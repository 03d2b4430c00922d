"""Uploaded files: a row per file (which message, which conversation, name, type, size) and
the attachment objects messages show, whose ``path`` is the file's REST path.

A file's bytes are a blob (``blobs``) named by the random hash in its path (``Upload.key``).
Until then an upload is held in memory (within the sandbox's size limits): ``record`` writes
its blob and its row in the transaction that stores the message, so only after the caller
has been authenticated and the message checked, and the blob is removed again if that
transaction rolls back. A removed message's blobs are deleted after its transaction commits.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import quote

from flowdock_desktop.sandbox.state.errors import ApiError, validation_error
from flowdock_desktop.sandbox.state.store import Row, Tx


class Upload(dict):
    """A file received with a request, before it is stored: ``data`` (bytes),
    ``content_type`` and ``file_name``, as a mapping like Flowdock's JSON file content.

    ``key``: the blob it is written to (and the hash in its path).
    """

    def __init__(self, data: bytes, content_type: str, file_name: str) -> None:
        super().__init__(data=data, content_type=content_type, file_name=file_name)
        self.key = secrets.token_hex(16)

    @property
    def data(self) -> bytes:
        return self["data"]


def path(conversation: str, key: str, file_name: str) -> str:
    """The REST path of a file, as Flowdock's: ``/files/<flow>/<hash>/<name>`` in a flow,
    ``/private/<low id>/<high id>/files/<hash>/<name>`` in a private conversation."""
    name = quote(file_name, safe="")
    kind, _, rest = conversation.partition(":")
    if kind == "private":
        low, _, high = rest.partition(":")
        return f"/private/{low}/{high}/files/{key}/{name}"
    return f"/files/{conversation}/{key}/{name}"


def attachment(conversation: str, upload: Upload, content_id: str | None = None) -> dict[str, Any]:
    """Flowdock's attachment object for an upload; images (PNG, GIF, JPEG) get ``image``
    with their size in pixels, read from their header."""
    view: dict[str, Any] = {
        "content_type": upload["content_type"],
        "file_name": upload["file_name"],
        "file_size": len(upload.data),
        "path": path(conversation, upload.key, upload["file_name"]),
    }
    size = image_size(upload.data)
    if size is not None:
        view["image"] = {"width": size[0], "height": size[1]}
    if content_id is not None:
        view["content_id"] = content_id
    return view


#: JPEG markers that start a frame (and so carry its size): SOF0-SOF15 but DHT, JPG and DAC.
_JPEG_FRAMES = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF or JPEG image, or None for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data[:2] == b"\xff\xd8":
        position = 2
        while position + 9 <= len(data) and data[position] == 0xFF:
            marker = data[position + 1]
            if marker in _JPEG_FRAMES:
                height = int.from_bytes(data[position + 5 : position + 7], "big")
                width = int.from_bytes(data[position + 7 : position + 9], "big")
                return width, height
            position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    return None


def record(
    tx: Tx, seq: int, conversation: str, upload: Upload, content_id: str | None = None
) -> None:
    """The file row of a stored message's upload, and its bytes (507 when they cannot be
    written: nothing of the message is stored then)."""
    _write_blob(tx, upload)
    tx.execute(
        "INSERT INTO files (seq, conversation, hash, file_name, content_type, size, content_id, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, conversation, upload.key, upload["file_name"], upload["content_type"],
         len(upload.data), content_id, tx.now_ms()),
    )  # fmt: skip


def _write_blob(tx: Tx, upload: Upload) -> None:
    blobs = tx.blobs
    try:
        blobs.put(upload.key, upload.data)
    except OSError as exc:
        blobs.remove([upload.key])
        reason = exc.strerror or str(exc)
        raise ApiError(507, f"The sandbox could not keep the file ({reason})") from None
    tx.after_rollback(lambda: blobs.remove([upload.key]))


def forget(tx: Tx, seq: int) -> list[str]:
    """Drop the file rows of a removed message; returns their blob keys to delete."""
    keys = [row[0] for row in tx.all("SELECT hash FROM files WHERE seq = ?", (seq,))]
    tx.execute("DELETE FROM files WHERE seq = ?", (seq,))
    return keys


def find(tx: Tx, key: str) -> Row | None:
    """A stored file by its hash, with its message's conversation; None when unknown."""
    return tx.one("SELECT * FROM files WHERE hash = ?", (key,))


def all_keys(tx: Tx) -> set[str]:
    """Every blob a stored file refers to (the others are leftovers of a crash)."""
    return {row[0] for row in tx.all("SELECT hash FROM files")}


class Attaching:
    """The uploads a message being stored brings along: their attachment objects now, their
    rows once the message has its ``seq``."""

    def __init__(self, conversation: str) -> None:
        self.conversation = conversation
        self._pending: list[tuple[Upload, str | None]] = []

    def add(self, upload: Upload, content_id: str | None = None) -> dict[str, Any]:
        self._pending.append((upload, content_id))
        return attachment(self.conversation, upload, content_id)

    def record(self, tx: Tx, seq: int) -> None:
        for upload, content_id in self._pending:
            record(tx, seq, self.conversation, upload, content_id)


def uploads_of(value: Any) -> list[tuple[Upload, str | None]] | None:
    """The ``attachments`` of an activity or discussion: uploads named by their multipart
    key (``attachments[file1]`` → ``file1``, the id ``cid:file1`` refers to) or listed
    (``attachments[]``); None when the value is anything else."""
    if isinstance(value, Upload):
        return [(value, None)]
    if isinstance(value, list) and all(isinstance(item, Upload) for item in value):
        return [(item, None) for item in value]
    if isinstance(value, dict) and all(isinstance(item, Upload) for item in value.values()):
        return [(item, str(name)) for name, item in value.items()]
    return None


def file_content(attaching: Attaching, content: Any) -> dict[str, Any]:
    """A ``file`` message's content: the attachment of its upload; 400 when it is none."""
    if not isinstance(content, Upload):
        raise validation_error({"content": ["must be a file (multipart, or base64 in JSON)"]})
    return attaching.add(content)
