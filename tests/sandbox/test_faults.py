"""Faults on demand over real sockets: error statuses, Retry-After, latency, dropped connections."""

from __future__ import annotations

import httpx
import pytest

from flowdock_desktop.sandbox import Fault
from tests.sandbox.conftest import API_AUTH


@pytest.fixture(autouse=True)
def _clear_faults(client: httpx.Client):
    yield
    client.delete("/sandbox/faults")


def test_status_fault_applies_to_next_n_requests(client: httpx.Client) -> None:
    armed = client.post("/sandbox/faults", json={"count": 2, "status": 503})
    assert armed.status_code == 201
    assert [client.get("/flows", auth=API_AUTH).status_code for _ in range(3)] == [503, 503, 200]


def test_rate_limit_with_retry_after(client: httpx.Client) -> None:
    client.post("/sandbox/faults", json={"count": 1, "status": 429, "retry_after": 7})
    reply = client.get("/flows", auth=API_AUTH)
    assert reply.status_code == 429
    assert reply.headers["retry-after"] == "7"
    assert reply.json() == {"message": "Rate limit exceeded"}


def test_path_prefix_and_admin_paths_are_spared(client: httpx.Client) -> None:
    client.post("/sandbox/faults", json={"count": 1, "status": 500, "path_prefix": "/messages"})
    assert client.get("/sandbox").status_code == 200
    assert client.get("/flows", auth=API_AUTH).status_code == 200
    # /v1 and .json variants are normalised before matching.
    assert client.post("/v1/messages.json", json={}).status_code == 500
    assert client.get("/sandbox/faults").json() == {"faults": []}


def test_drop_closes_the_connection_without_a_response(client: httpx.Client) -> None:
    client.post("/sandbox/faults", json={"count": 1, "drop": True})
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.get("/flows", auth=API_AUTH)
    assert client.get("/flows", auth=API_AUTH).status_code == 200


def test_latency_fault_delays_until_read_timeout(client: httpx.Client) -> None:
    # The read timeout is far below the injected delay, so only a real delay can time out.
    client.post("/sandbox/faults", json={"count": 1, "latency_ms": 1500})
    with pytest.raises(httpx.ReadTimeout):
        client.get("/flows", auth=API_AUTH, timeout=httpx.Timeout(5, read=0.2))


def test_delete_disarms(client: httpx.Client, live) -> None:
    live.faults.add(Fault(count=5, status=503))
    assert client.delete("/sandbox/faults").status_code == 204
    assert client.get("/flows", auth=API_AUTH).status_code == 200


@pytest.mark.parametrize(
    "body",
    [[], {"count": 0, "status": 503}, {"status": 200}, {"count": 1}, {"drop": "yes"}],
)
def test_bad_fault_bodies_are_400(client: httpx.Client, body) -> None:
    reply = client.post("/sandbox/faults", json=body)
    assert reply.status_code == 400 and reply.json()["message"].startswith("Bad fault")
