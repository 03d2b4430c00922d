"""Reading what a person pastes back from the browser."""

from __future__ import annotations

import pytest

from flowdock_desktop.auth.errors import SignInError
from flowdock_desktop.auth.oauth import parse_pasted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  abc123  \n", {"code": "abc123"}),
        ("http://127.0.0.1:8765/callback?code=c1&state=s1", {"code": "c1", "state": "s1"}),
        ("https://flowdock.example/oauth/authorize/c2", {"code": "c2"}),
        ("http://127.0.0.1:5000/oauth/authorize/c3?x=1", {"code": "c3", "x": "1"}),
        ("code=c4&state=s4", {"code": "c4", "state": "s4"}),
        ("?error=access_denied&state=s5", {"error": "access_denied", "state": "s5"}),
    ],
)
def test_accepts_urls_oob_pages_and_bare_codes(text, expected):
    assert parse_pasted(text) == expected


@pytest.mark.parametrize(
    "text", ["", "   ", "two words", "http://127.0.0.1:8765/callback?state=only", "http://x/y"]
)
def test_rejects_unusable_text(text):
    with pytest.raises(SignInError):
        parse_pasted(text)
