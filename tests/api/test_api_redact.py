"""Redaction: what the request log may show."""

from __future__ import annotations

import json

import httpx

from flowdock_desktop.api.redact import (
    REDACTED,
    redact_body,
    redact_headers,
    redact_json,
    redact_url,
)


def test_headers() -> None:
    headers = httpx.Headers(
        [
            ("Authorization", "Bearer abc"),
            ("Accept", "application/json"),
            ("Set-Cookie", "a=1"),
            ("Set-Cookie", "b=2"),
        ]
    )
    assert redact_headers(headers) == [
        ("authorization", REDACTED),
        ("accept", "application/json"),
        ("set-cookie", REDACTED),
        ("set-cookie", REDACTED),
    ]
    assert redact_headers({"X-Other": "1"}) == [("X-Other", "1")]


def test_json_at_any_depth() -> None:
    data = {
        "flow_token": "ft",
        "nested": [{"Access_Token": "at", "keep": 1}],
        "refresh_token": "rt",
        "client_secret": "cs",
        "code_verifier": "cv",
        "title": "flow_token",
    }
    assert redact_json(data) == {
        "flow_token": REDACTED,
        "nested": [{"Access_Token": REDACTED, "keep": 1}],
        "refresh_token": REDACTED,
        "client_secret": REDACTED,
        "code_verifier": REDACTED,
        "title": "flow_token",
    }
    assert data["flow_token"] == "ft"  # the original is untouched


def test_url() -> None:
    url = "https://TOKEN:x@api.example/sources?flow_token=secret&limit=3"
    assert (
        redact_url(url) == f"https://{REDACTED}@api.example/sources?flow_token={REDACTED}&limit=3"
    )
    assert redact_url("http://h/flows") == "http://h/flows"


def test_bodies() -> None:
    form = b"grant_type=refresh_token&refresh_token=r1&client_id=c"
    text = redact_body(form, "application/x-www-form-urlencoded")
    assert "r1" not in text and "client_id=c" in text
    body = redact_body(json.dumps({"flow_token": "s", "a": 1}).encode(), "application/json")
    assert json.loads(body) == {"flow_token": REDACTED, "a": 1}
    assert "s3cr3t" not in redact_body(b"--x\r\n s3cr3t", "multipart/form-data; boundary=x")
    assert redact_body(b"", None) == ""
    assert redact_body(b"plain", "text/plain") == "plain"
