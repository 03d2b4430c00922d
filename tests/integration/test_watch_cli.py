"""``flowdock-desktop watch``: the real program follows a flow until Ctrl+C."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading

import httpx
import pytest
from file_keyring import KEYRING_FILE_ENV, FileKeyring, child_env

from flowdock_desktop import cli
from flowdock_desktop.auth.credentials import CredentialStore
from flowdock_desktop.context import AppContext
from flowdock_desktop.sandbox.seed import DEMO_API_TOKEN
from flowdock_desktop.testing import connect_demo_source, post_status, sign_in_demo_user

WAIT = 30.0


class Watching:
    """The program running ``watch``; its output read line by line as it comes."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            # faulthandler: a child that hangs can be made to show where (``interrupt``).
            [sys.executable, "-X", "faulthandler", "-m", "flowdock_desktop", "watch", *args],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.out: queue.Queue[str] = queue.Queue()
        self.err: queue.Queue[str] = queue.Queue()
        self._pumps = [
            threading.Thread(target=self._pump, args=(pipe, lines), daemon=True)
            for pipe, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err))
        ]
        for pump in self._pumps:
            pump.start()

    @staticmethod
    def _pump(pipe, lines: queue.Queue[str]) -> None:
        for line in pipe:
            lines.put(line.rstrip("\n"))

    def wait_err(self, text: str) -> str:
        while True:
            try:
                line = self.err.get(timeout=WAIT)
            except queue.Empty:
                pytest.fail(f"watch never said {text!r}")
            if text in line:
                return line

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            # Where it is stuck: SIGABRT makes faulthandler print every thread's stack.
            self.process.send_signal(signal.SIGABRT)
            self.process.wait(timeout=WAIT)
            for pump in self._pumps:
                pump.join(timeout=5)
            stacks = []
            while not self.err.empty():
                stacks.append(self.err.get())
            pytest.fail("watch did not stop on Ctrl+C; its threads were:\n" + "\n".join(stacks))


@pytest.fixture
def watch_env(sandbox, profile_dir, tmp_path, monkeypatch):
    keyring_file = tmp_path / "keyring.json"
    monkeypatch.setenv(KEYRING_FILE_ENV, str(keyring_file))
    with AppContext(credentials=CredentialStore(FileKeyring())) as context:
        integration, source = connect_demo_source(context, sandbox.base_url, "Watched bot")
        sign_in_demo_user(context, sandbox.base_url)
    return integration, source, child_env(keyring_file, profile_dir)


def _activity(sandbox, flow_token: str, status: str, color: str) -> dict:
    return post_status(
        sandbox, flow_token, "watched", "Web deploy", (status, color),
        author="Deploy bot", title=f"is now {status}",
    )  # fmt: skip


def test_watch_prints_thread_messages_until_ctrl_c(sandbox, watch_env):
    integration, source, env = watch_env
    watching = Watching(["--integration", integration.id], env)
    try:
        watching.wait_err("Watching acme/main live")
        _activity(sandbox, source.flow_token, "deploying", "yellow")
        # A person's comment in the thread, and a chat message outside any thread.
        with httpx.Client(base_url=sandbox.base_url, auth=(DEMO_API_TOKEN, "x")) as http:
            thread_id = _activity(sandbox, source.flow_token, "deployed", "green")["thread_id"]
            http.post(
                "/flows/acme/main/messages", json={"event": "message", "content": "not a thread"}
            )
            http.post(
                f"/flows/acme/main/threads/{thread_id}/messages",
                json={"event": "message", "content": "Nice work"},
            )
        lines = [watching.out.get(timeout=WAIT) for _ in range(3)]
    finally:
        status = watching.interrupt()
    assert "Web deploy [deploying, yellow]  Deploy bot: is now deploying" in lines[0]
    assert "Web deploy [deployed, green]  Deploy bot: is now deployed" in lines[1]
    assert "Web deploy [deployed, green]  Demo User: Nice work" in lines[2]
    assert watching.out.empty()
    assert status == 130
    rest = watching.process.stderr.read() if watching.process.stderr else ""
    assert "Traceback" not in rest


def test_watch_json_lines(sandbox, watch_env):
    integration, source, env = watch_env
    watching = Watching(["--integration", integration.id, "--json"], env)
    try:
        watching.wait_err("live")
        posted = _activity(sandbox, source.flow_token, "failed", "red")
        line = watching.out.get(timeout=WAIT)
    finally:
        assert watching.interrupt() == 130
    assert json.loads(line) == posted


def test_watch_refusals_in_plain_words(sandbox, profile_dir, capsys):
    assert cli.main(["watch", "--integration", "nope"]) == 1
    assert "no integration with the id or source name “nope”" in capsys.readouterr().err
    with AppContext() as context:
        integration, _ = connect_demo_source(context, sandbox.base_url, "Unsigned")
    assert cli.main(["watch", "--integration", integration.id]) == 1
    err = capsys.readouterr().err
    assert "not signed in" in err.lower() and "Traceback" not in err
