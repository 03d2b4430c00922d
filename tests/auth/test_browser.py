"""Opening the person's browser with a real ``$BROWSER`` command."""

from __future__ import annotations

import threading
import time
import webbrowser
from pathlib import Path

import pytest

from flowdock_desktop.auth import browser

URL = "http://127.0.0.1:9/oauth/authorize?client_id=app&state=s1"


@pytest.fixture
def browser_command(tmp_path: Path, monkeypatch):
    """Make ``$BROWSER`` a shell script with the given body (its first argument is the URL),
    and have Python's webbrowser read ``$BROWSER`` afresh."""

    def make(body: str) -> None:
        script = tmp_path / "browser.sh"
        script.write_text("#!/bin/sh\n" + body)
        script.chmod(0o755)
        monkeypatch.setenv("BROWSER", str(script))
        monkeypatch.setattr(webbrowser, "_tryorder", None)
        monkeypatch.setattr(webbrowser, "_browsers", {})

    return make


def test_a_command_that_runs_until_the_browser_closes_is_not_waited_for(
    tmp_path: Path, browser_command
):
    # A wrapper that runs the browser itself: it ends when the person closes the browser.
    # Waiting for it held the sign-in until then, although the page had been approved.
    seen, closed = tmp_path / "seen", tmp_path / "closed"
    browser_command(f'echo "$1" > "{seen}"\nwhile [ ! -e "{closed}" ]; do sleep 0.1; done\n')
    answers: list[bool] = []
    opener = threading.Thread(target=lambda: answers.append(browser.open_browser(URL, wait=0.5)))
    try:
        opener.start()
        opener.join(30)
        assert answers == [True]  # the browser is open (it still runs) and was handed the page
        assert not closed.exists()
        for _ in range(100):
            if seen.exists() and seen.read_text().strip():
                break
            time.sleep(0.1)
        assert seen.read_text().strip() == URL
    finally:
        closed.touch()
        opener.join(30)


def test_a_command_that_fails_says_no_browser_was_opened(browser_command):
    browser_command("exit 3\n")
    assert browser.open_browser(URL) is False


def test_a_command_that_hands_the_page_on_and_returns_is_an_opened_browser(
    tmp_path: Path, browser_command
):
    seen = tmp_path / "seen"
    browser_command(f'echo "$1" > "{seen}"\n')
    assert browser.open_browser(URL) is True
    assert seen.read_text().strip() == URL
