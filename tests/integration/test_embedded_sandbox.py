"""The embedded sandbox keeps its port and its data across restarts of the app."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from flowdock_desktop.context import AppContext
from flowdock_desktop.sandbox.seed import DEMO_API_TOKEN
from flowdock_desktop.sandbox.server import PortInUseError


@pytest.fixture
def fixed_port(monkeypatch) -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("FLOWDOCK_DESKTOP_SANDBOX_PORT", str(port))
    return port


def _activity(flow_token: str) -> dict:
    return {
        "flow_token": flow_token,
        "event": "activity",
        "title": "restarted",
        "author": {"name": "Test"},
        "external_thread_id": "restart",
        "thread": {"title": "Restart check"},
    }


def test_sources_made_before_a_restart_still_post(fixed_port):
    with AppContext() as first:
        url = first.start_embedded_sandbox()
        assert url == f"http://127.0.0.1:{fixed_port}"
        first.api_url = url
        assert first.uses_embedded_sandbox()
        created = httpx.post(
            url + "/flows/acme/main/sources", json={"name": "Survivor"}, auth=(DEMO_API_TOKEN, "")
        )
        assert created.status_code == 201
        flow_token = created.json()["flow_token"]

    with AppContext() as second:
        assert second.uses_embedded_sandbox()  # known from the settings before it starts
        assert second.start_embedded_sandbox() == url
        posted = httpx.post(url + "/messages", json=_activity(flow_token))
        assert posted.status_code == 202
        sources = httpx.get(url + "/flows/acme/main/sources", auth=(DEMO_API_TOKEN, "")).json()
        assert "Survivor" in [source["name"] for source in sources]


def test_a_second_copy_of_the_app_shares_the_running_sandbox(fixed_port):
    with AppContext() as first, AppContext() as second:
        url = first.start_embedded_sandbox()
        assert second.start_embedded_sandbox() == url
        assert second.sandbox is None  # it did not start a server of its own


def test_a_foreign_program_on_the_port_is_a_clear_error(fixed_port):
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", fixed_port))
        squatter.listen()
        with AppContext() as context, pytest.raises(PortInUseError, match=str(fixed_port)):
            context.start_embedded_sandbox()


def test_a_client_made_before_an_announced_start_waits_for_the_sandbox(fixed_port):
    # The GUI announces the start with its first window and starts the sandbox after the
    # first paint; a worker making a client in between must not meet a refused connection.
    with AppContext() as first:
        url = first.start_embedded_sandbox()
        first.api_url = url

    with AppContext() as second:
        second.expect_embedded_sandbox()
        answers: list[int] = []

        def worker() -> None:
            with second.flow_client(url):  # waits for the start
                answers.append(httpx.get(url + "/flows", auth=(DEMO_API_TOKEN, "")).status_code)

        thread = threading.Thread(target=worker)
        thread.start()
        thread.join(timeout=0.3)
        # Nothing serves the port yet, so the worker cannot have gone on.
        assert thread.is_alive() and answers == []
        assert second.start_embedded_sandbox() == url
        thread.join(timeout=30)
        assert not thread.is_alive()
        assert answers == [200]
