"""Fixtures every test folder shares.

- Every test runs with an in-memory keyring and its own profile directory, so no test can
  touch the real keyring or the real home directory.
- ``sandbox``: a real sandbox server on a loopback port (auto-approving sign-ins), one per
  test module; ``sandbox_url`` is its base URL.
"""

from __future__ import annotations

import os

# GUI tests drive real widgets without a screen (make test sets this too).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
import pytest

from flowdock_desktop.auth import credentials
from flowdock_desktop.auth.credentials import MemoryKeyring


@pytest.fixture(autouse=True)
def memory_keyring():
    """A fresh in-memory keyring for each test; the previous backend is restored after."""
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def lockable_keyring(memory_keyring):
    """A system keyring the test locks and unlocks (``LockableKeyring``, unlocked at first),
    installed as ``memory_keyring`` is, which restores the previous one after. What the app
    keeps in memory while it is locked is forgotten before and after, as by a quit."""
    from flowdock_desktop.testing import LockableKeyring

    backend = LockableKeyring()
    keyring.set_keyring(backend)
    credentials._fallback._items.clear()
    yield backend
    credentials._fallback._items.clear()


@pytest.fixture(autouse=True)
def profile_dir(tmp_path, monkeypatch):
    """An empty profile directory, also exported as FLOWDOCK_DESKTOP_HOME."""
    directory = tmp_path / "profile"
    monkeypatch.setenv("FLOWDOCK_DESKTOP_HOME", str(directory))
    # The embedded sandbox takes any free port, so tests never fight over its fixed one.
    monkeypatch.setenv("FLOWDOCK_DESKTOP_SANDBOX_PORT", "0")
    return directory


#: A plausible integration record, for tests that need one without a server.
SAMPLE_INTEGRATION: dict[str, object] = {
    "api_url": "http://127.0.0.1:8123/",
    "flow_id": "flow-main",
    "flow_name": "Main",
    "organization_name": "Acme",
    "org_slug": "acme",
    "flow_slug": "main",
    "source_id": 1,
    "source_name": "Deploy bot",
    "source_url": "http://127.0.0.1:8123/flows/acme/main/sources/1",
    "application_name": "Flowdock Desktop",
    "account_user_id": 7,
}


@pytest.fixture
def add_sample_integration():
    """``add(store, **overrides)``: store a sample integration record in an IntegrationStore."""

    def add(store, **overrides):
        return store.add(**{**SAMPLE_INTEGRATION, **overrides})

    return add


def _running_sandbox(*, auto_approve: bool):
    """A sandbox on a free loopback port, stopped when the generator ends."""
    from flowdock_desktop.sandbox import SandboxConfig
    from flowdock_desktop.sandbox.server import SandboxServer

    server = SandboxServer(SandboxConfig(auto_approve=auto_approve), host="127.0.0.1", port=0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def sandbox():
    """A running sandbox (auto-approve) on a free loopback port, shared by a module."""
    yield from _running_sandbox(auto_approve=True)


@pytest.fixture(scope="module")
def consent_sandbox():
    """A sandbox that shows the sign-in and consent pages (no auto-approve), shared by a
    module."""
    yield from _running_sandbox(auto_approve=False)


@pytest.fixture
def sandbox_url(sandbox) -> str:
    return sandbox.base_url
