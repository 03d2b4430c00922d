"""Sign-in test helpers: a scripted browser and sandboxes with and without auto-approve."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import httpx

from flowdock_desktop.auth.oauth import OAuthApp
from flowdock_desktop.sandbox.seed import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_EMAIL,
    DEMO_PASSWORD,
    DEMO_REDIRECT_URI,
)
from flowdock_desktop.sandbox.server import SandboxServer


class _FormParser(HTMLParser):
    """Collects the forms of a page: action and the inputs' names and values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "form":
            self.forms.append({"action": values.get("action") or "", "fields": {}})
        elif tag == "input" and self.forms and values.get("name"):
            self.forms[-1]["fields"][values["name"]] = values.get("value") or ""


def forms_of(html: str) -> list[dict]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def browse(url: str, *, decision: str = "approve") -> httpx.Response:
    """Act as the person's browser: sign in and approve (or deny) when asked.

    Follows redirects all the way to the loopback listener and returns its page.
    """
    with httpx.Client(follow_redirects=True, timeout=10) as client:
        response = client.get(url)
        for _ in range(3):
            forms = forms_of(response.text) if response.status_code < 500 else []
            form = next((f for f in forms if f["action"].startswith("/oauth/authorize/")), None)
            if form is None:
                return response
            fields = dict(form["fields"])
            if form["action"].endswith("/sign_in"):
                fields.update(email=DEMO_EMAIL, password=DEMO_PASSWORD)
            else:
                fields["decision"] = decision
            response = client.post(urljoin(str(response.url), form["action"]), data=fields)
        return response


def authorize_redirect(url: str) -> str:
    """With an auto-approving sandbox: the Location the browser would be sent to."""
    response = httpx.get(url, follow_redirects=False, timeout=10)
    assert response.status_code in (302, 303), response.text
    return response.headers["location"]


def demo_app(server: SandboxServer, **overrides) -> OAuthApp:
    values = dict(
        api_url=server.base_url,
        client_id=DEMO_CLIENT_ID,
        client_secret=DEMO_CLIENT_SECRET,
        redirect_uri=DEMO_REDIRECT_URI,
        allow_any_port=True,
    )
    values.update(overrides)
    return OAuthApp(**values)
