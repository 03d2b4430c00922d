"""``flows`` and ``connect``: the wizard's flow and source steps from the command line."""

from __future__ import annotations

import threading

import httpx
import pytest

from flowdock_desktop import cli
from flowdock_desktop.auth.credentials import CredentialStore
from flowdock_desktop.auth.discovery import discover_sandbox
from flowdock_desktop.auth.oauth import OAuthApp, SignInFlow
from flowdock_desktop.auth.session import start_session
from flowdock_desktop.context import AppContext
from flowdock_desktop.store.profile import Profile


def sign_in(api_url: str, scopes: tuple[str, ...] | None = None) -> None:
    """Sign in as the demo user the way the wizard does, with a scripted browser."""
    demo = discover_sandbox(api_url)
    assert demo is not None
    app = OAuthApp(
        api_url=api_url,
        client_id=demo.client_id,
        client_secret=demo.client_secret,
        redirect_uri=demo.redirect_uri,
        allow_any_port=True,
        **({"scopes": scopes} if scopes else {}),
    )
    flow = SignInFlow(app, timeout=10)
    url = flow.start()
    threading.Thread(
        target=lambda: httpx.get(url, follow_redirects=True, timeout=10), daemon=True
    ).start()
    tokens = flow.wait()
    start_session(Profile.resolve(), CredentialStore(), app, tokens, redirect_uri=flow.redirect_uri)


def test_flows_lists_joined_flows_by_organization(sandbox_url, capsys):
    sign_in(sandbox_url)
    assert cli.main(["flows"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Acme"
    assert "acme/main" in out and "acme/announcements" in out
    assert "acme/random" not in out  # not joined


def test_connect_creates_source_and_stores_token(sandbox, sandbox_url, capsys, memory_keyring):
    sign_in(sandbox_url)
    assert cli.main(["connect", "--flow", "acme/announcements", "--name", "CLI source"]) == 0
    captured = capsys.readouterr()
    integration_id = captured.out.strip()
    with AppContext() as context:
        integration = context.integrations.get(integration_id)
        token = context.credentials.get_flow_token(integration_id)
    assert integration.flow_path == "acme/announcements"
    assert integration.source_name == "CLI source"
    assert token and token not in captured.out + captured.err
    names = [s["name"] for s in sandbox.state.flow_sources(integration.flow_id, sandbox_url)]
    assert "CLI source" in names
    # The token really posts as that source.
    response = httpx.post(
        f"{sandbox_url}/messages",
        json={"flow_token": token, "event": "message", "content": "hello"},
    )
    assert response.status_code in (200, 201, 202)


def test_connect_by_setup_link(sandbox, sandbox_url, capsys):
    sign_in(sandbox_url)
    flow_id = sandbox.state.find_flow_by_path("acme", "main")
    link = f"https://app.example.com/setup?flow={flow_id}"
    assert cli.main(["connect", "--setup-link", link, "--name", "Linked"]) == 0
    integration_id = capsys.readouterr().out.strip()
    with AppContext() as context:
        assert context.integrations.get(integration_id).flow_id == flow_id


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--flow-id", "0000000000000000"], "was not found"),
        (["--flow", "acme"], "organization/flow"),
    ],
)
def test_connect_errors_in_plain_words(sandbox_url, capsys, args, words):
    sign_in(sandbox_url)
    assert cli.main(["connect", *args, "--name", "X"]) == 1
    assert words in capsys.readouterr().err


@pytest.mark.parametrize(
    ("link", "words"),
    [
        ("https://a.test/s?flow={flow_id}", "placeholder"),
        ("http://[::1/?flow=abc", "square brackets"),
        ("", "empty"),
        ("https://a.test/s?nothing=here", "does not name a flow"),
        ("flowdock-desktop://configure?integration_id=3", "not a setup link"),
    ],
)
def test_connect_with_a_bad_setup_link_is_a_usage_error(sandbox, sandbox_url, capsys, link, words):
    """Exit 2 like every other bad link, in one line, and nothing is created."""
    sign_in(sandbox_url)
    flow_id = sandbox.state.find_flow_by_path("acme", "main")
    before = sandbox.state.flow_sources(flow_id, sandbox_url)
    assert cli.main(["connect", "--setup-link", link, "--name", "X"]) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.splitlines()) == 1 and err.startswith("flowdock-desktop: ")
    assert sandbox.state.flow_sources(flow_id, sandbox_url) == before
    with AppContext() as context:
        assert context.integrations.list() == []


def test_connect_without_sign_in(capsys):
    assert cli.main(["connect", "--flow", "acme/main", "--name", "X"]) == 1
    assert "not signed in" in capsys.readouterr().err


def test_connect_without_integration_scope(sandbox_url, capsys):
    sign_in(sandbox_url, scopes=("flow", "profile", "offline_access"))
    assert cli.main(["connect", "--flow", "acme/main", "--name", "X"]) == 1
    assert "integration" in capsys.readouterr().err
