"""The runner, persistence with a data file, reset, discovery and the sandbox command."""

from __future__ import annotations

import argparse
import socket
import threading
from pathlib import Path

import httpx
import pytest

from flowdock_desktop.sandbox import PortInUseError, SandboxConfig, SandboxServer
from flowdock_desktop.sandbox.commands import register, run_sandbox
from flowdock_desktop.sandbox.seed import DEMO_API_TOKEN, DEMO_CLIENT_SECRET
from flowdock_desktop.testing import messages_by_uuid
from tests.sandbox.conftest import API_AUTH, activity, create_source


def test_discovery(client: httpx.Client) -> None:
    info = client.get("/sandbox").json()
    assert info["sandbox"] is True and info["name"] == "Flowdock Desktop sandbox"
    assert info["demo_application"]["loopback_any_port"] is True
    assert info["demo_user"]["api_token"] == DEMO_API_TOKEN


def test_busy_port_raises_and_stop_frees_the_port() -> None:
    with SandboxServer() as first:
        with pytest.raises(PortInUseError) as caught:
            SandboxServer(port=first.port).start()
        assert str(first.port) in str(caught.value)
        port = first.port
    # After stop, the same port can be bound again.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))


def test_persistence_across_restart(tmp_path, make_server) -> None:
    data = tmp_path / "sandbox.db"
    server = make_server(SandboxConfig(data_file=data))
    with httpx.Client(base_url=server.base_url) as http:
        source = create_source(http, "Persisted")
        reply = http.post("/messages", json=activity(source["flow_token"], uuid="keep-1"))
        assert reply.status_code == 202
        flow_id = http.get("/flows/acme/main", auth=API_AUTH).json()["id"]
    server.stop()
    stored = data.read_bytes()
    assert stored.startswith(b"SQLite format 3\x00")
    # Only digests of credentials are stored; closing folded the write-ahead log in.
    assert source["flow_token"].encode() not in stored
    assert DEMO_CLIENT_SECRET.encode() not in stored
    assert not Path(f"{data}-wal").exists()

    again = make_server(SandboxConfig(data_file=data))
    with httpx.Client(base_url=again.base_url) as http:
        assert http.get("/flows/acme/main", auth=API_AUTH).json()["id"] == flow_id
        assert len(messages_by_uuid(again, "keep-1")) == 1
        reply = http.post("/messages", json=activity(source["flow_token"]), headers={
            "X-flowdock-wait-for-message": "1"})  # fmt: skip
        assert reply.status_code == 201
        assert reply.json()["thread"]["activities"] == 2


def test_reset_returns_to_seed(make_server) -> None:
    server = make_server()
    with httpx.Client(base_url=server.base_url) as http:
        create_source(http)
        assert http.post("/sandbox/reset").status_code == 200
        assert http.get("/sources", auth=API_AUTH).json() == []


def test_sandbox_command_runs_and_stops(capsys) -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"), parser)
    args = parser.parse_args(["sandbox", "--port", "0", "--fail-next", "1", "--fail-status", "429"])
    stop = threading.Event()
    result: list[int] = []
    runner = threading.Thread(target=lambda: result.append(run_sandbox(args, stop)))
    runner.start()
    try:
        for _ in range(500):
            if "listening on" in capsys.readouterr().out:
                break
            runner.join(0.01)
    finally:
        stop.set()
        runner.join(10)
    assert result == [0]


def test_command_output_and_fail_flag(capsys) -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"), parser)
    args = parser.parse_args(["sandbox", "--port", "0", "--fail-next", "1"])
    stop = threading.Event()
    lines: list[str] = []
    runner = threading.Thread(target=run_sandbox, args=(args, stop))
    runner.start()
    try:
        while runner.is_alive() and not any("listening on" in line for line in lines):
            runner.join(0.02)
            lines += capsys.readouterr().out.splitlines()
        url = next(line for line in lines if "listening on" in line).split()[-1]
        with httpx.Client(base_url=url) as http:
            assert http.get("/flows", auth=API_AUTH).status_code == 503
            assert http.get("/flows", auth=API_AUTH).status_code == 200
    finally:
        stop.set()
        runner.join(10)
    assert any(DEMO_CLIENT_SECRET in line for line in lines)
