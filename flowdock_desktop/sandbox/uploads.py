"""Files arriving with a request: multipart bodies read as they stream in, and the base64
``content`` of a JSON ``file`` message.

A multipart body is parsed part by part (python-multipart's streaming parser) straight into
memory, with the sandbox's limits checked on the way: a file larger than ``max_file_bytes``
answers 413 as soon as it passes the limit, and so does a base64 file that decodes to more.
The whole body is also capped by the request guard (``max_upload_bytes``: one file at its
limit plus room for the other fields). Fields are text (UTF-8), at most ``MAX_FIELD_BYTES``
each; at most ``MAX_PARTS`` parts and ``MAX_FILES`` files.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import AsyncIterator, Mapping
from typing import Any

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from flowdock_desktop.sandbox.state import ApiError, validation_error
from flowdock_desktop.sandbox.state.files import Upload

MAX_PARTS = 100
MAX_FILES = 10
MAX_FIELD_BYTES = 1024 * 1024
FILE_NAME_MAX_LENGTH = 255
DEFAULT_CONTENT_TYPE = "application/octet-stream"
_CONTENT_TYPE = re.compile(r"^[\w.+-]+/[\w.+-]+$")


def describe_size(size: int) -> str:
    """``10 MB``, ``64 KB`` or ``900 bytes``: a size for a message."""
    for unit, name in ((1024 * 1024, "MB"), (1024, "KB")):
        if size >= unit:
            return f"{size / unit:.3g} {name}"
    return f"{size} bytes"


def file_too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        f"The file is larger than {describe_size(limit)}, the largest the sandbox keeps",
        headers={"Connection": "close"},
    )


def _bad_form() -> ApiError:
    return ApiError(400, "Could not read the form body")


def clean_file_name(raw: str) -> str:
    """A file name safe to show and to put in a path: no folders, no control characters."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return name[:FILE_NAME_MAX_LENGTH] or "file"


def clean_content_type(raw: Any) -> str:
    if isinstance(raw, str):
        value = raw.split(";", 1)[0].strip().lower()
        if len(value) <= 100 and _CONTENT_TYPE.match(value):
            return value
    return DEFAULT_CONTENT_TYPE


class _Part:
    def __init__(self) -> None:
        self.headers: dict[bytes, bytes] = {}
        self.name = ""
        self.file_name: str | None = None
        self.data = bytearray()


class _Collector:
    """The callbacks of python-multipart's parser: parts become (name, text or Upload)."""

    def __init__(self, max_file_bytes: int) -> None:
        self.max_file_bytes = max_file_bytes
        self.items: list[tuple[str, str | Upload]] = []
        self.files = 0
        self.part = _Part()
        self._header_name = b""
        self._header_value = b""

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
        }

    def on_part_begin(self) -> None:
        if len(self.items) >= MAX_PARTS:
            raise validation_error({"base": [f"has more than {MAX_PARTS} parts"]})
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        self.part.headers[self._header_name.strip().lower()] = self._header_value.strip()
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.part.headers.get(b"content-disposition", b""))
        if b"name" not in options:
            raise _bad_form()
        self.part.name = options[b"name"].decode("utf-8", "replace")
        if b"filename" in options:
            self.files += 1
            if self.files > MAX_FILES:
                raise validation_error({"base": [f"has more than {MAX_FILES} files"]})
            self.part.file_name = clean_file_name(options[b"filename"].decode("utf-8", "replace"))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        part.data += data[start:end]
        if part.file_name is not None:
            if len(part.data) > self.max_file_bytes:
                raise file_too_large(self.max_file_bytes)
        elif len(part.data) > MAX_FIELD_BYTES:
            raise validation_error(
                {part.name: [f"is longer than {MAX_FIELD_BYTES // 1024} KB (a file needs a name)"]}
            )

    def on_part_end(self) -> None:
        part = self.part
        if part.file_name is not None:
            content_type = part.headers.get(b"content-type", b"").decode("latin-1")
            upload = Upload(bytes(part.data), clean_content_type(content_type), part.file_name)
            self.items.append((part.name, upload))
            return
        try:
            self.items.append((part.name, part.data.decode("utf-8")))
        except UnicodeDecodeError:
            raise validation_error({part.name: ["is not valid UTF-8 text"]}) from None


async def read_multipart(
    content_type: str, chunks: AsyncIterator[bytes], max_file_bytes: int
) -> list[tuple[str, str | Upload]]:
    """The parts of a ``multipart/form-data`` body in order: text fields and uploads."""
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise _bad_form()
    collector = _Collector(max_file_bytes)
    try:
        parser = MultipartParser(boundary, collector.callbacks())
        async for chunk in chunks:
            parser.write(chunk)
        parser.finalize()
    except (FormParserError, ValueError) as exc:
        raise _bad_form() from exc
    return collector.items


def decode_json_file(data: Any, max_file_bytes: int) -> None:
    """Turn a JSON ``file`` message's ``content`` (``{data: base64, content_type,
    file_name}``) into an ``Upload``, in place; 400 or 413 when it cannot be one."""
    if not isinstance(data, dict) or data.get("event") != "file":
        return
    content = data.get("content")
    if not isinstance(content, Mapping) or isinstance(content, Upload):
        return
    encoded, file_name = content.get("data"), content.get("file_name")
    errors: dict[str, list[str]] = {}
    if not isinstance(encoded, str) or not encoded.strip():
        errors["content.data"] = ["can't be blank (base64 of the file)"]
    if not isinstance(file_name, str) or not file_name.strip():
        errors["content.file_name"] = ["can't be blank"]
    if errors:
        raise validation_error(errors)
    compact = "".join(encoded.split())
    # Four base64 characters carry three bytes: refuse before decoding a file too large.
    if len(compact) // 4 * 3 > max_file_bytes + 3:
        raise file_too_large(max_file_bytes)
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise validation_error({"content.data": ["is not valid base64"]}) from None
    if len(raw) > max_file_bytes:
        raise file_too_large(max_file_bytes)
    data["content"] = Upload(
        raw, clean_content_type(content.get("content_type")), clean_file_name(file_name)
    )
