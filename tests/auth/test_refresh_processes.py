"""Six commands that need a token refresh at the same moment all succeed.

Refresh tokens rotate (the sandbox, like Flowdock's OAuth server, invalidates a refresh token
once used), so uncoordinated processes would each refresh with the same old token and all but
one be told to sign in again. Real processes share a file keyring; the sandbox holds every
token request for a moment so that all six are refreshing at once.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import httpx
import pytest
from file_keyring import FileKeyring, child_env

from flowdock_desktop.auth.credentials import CredentialStore
from flowdock_desktop.context import AppContext
from flowdock_desktop.sandbox.seed import DEMO_USER_NAME
from flowdock_desktop.testing import sign_in_demo_user

PROCESSES = 6


@pytest.fixture(autouse=True)
def _no_faults(sandbox):
    yield
    httpx.delete(sandbox.base_url + "/sandbox/faults")


def test_six_processes_refreshing_at_once_all_succeed(sandbox, profile_dir, tmp_path, monkeypatch):
    keyring_file = tmp_path / "keyring.json"
    monkeypatch.setenv("FLOWDOCK_TEST_KEYRING_FILE", str(keyring_file))
    with AppContext(credentials=CredentialStore(FileKeyring())) as context:
        sign_in_demo_user(context, sandbox.base_url)
        session = context.session()
        assert session is not None
        tokens = session.tokens()
        assert tokens.refresh_token
        # The access token has expired: every command must refresh before its request.
        expired = dataclasses.replace(tokens, expires_at=0.0)
        context.credentials.set_token_set(session.account.key, expired)
        account_key = session.account.key

    httpx.post(
        sandbox.base_url + "/sandbox/faults",
        json={"count": PROCESSES, "latency_ms": 700, "path_prefix": "/oauth/token"},
    ).raise_for_status()
    env = child_env(keyring_file, profile_dir)
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "flowdock_desktop", "whoami"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    results = [(child.wait(timeout=120), *child.communicate()) for child in children]
    for status, out, err in results:
        assert status == 0, err
        assert f"Signed in as {DEMO_USER_NAME}" in out

    with AppContext(credentials=CredentialStore(FileKeyring())) as context:
        now = context.credentials.get_token_set(account_key)
    # Refreshed (once or more, one after another), and the stored token is the live one.
    assert now is not None and now.refresh_token != tokens.refresh_token
    assert not now.expires_soon()
