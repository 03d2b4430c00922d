"""A real Secret Service (gnome-keyring on a private D-Bus session) behind CredentialStore."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import os, subprocess, sys

    # A keyring of our own: never the real user's.
    home = sys.argv[1]
    os.environ.update(
        HOME=home, XDG_DATA_HOME=os.path.join(home, "data"), XDG_RUNTIME_DIR=home
    )
    subprocess.run(
        ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
        input=b"test-password\\n", check=True, timeout=30,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )

    from keyring.backends.SecretService import Keyring
    from flowdock_desktop.auth.credentials import CredentialStore
    from flowdock_desktop.auth.tokens import TokenSet

    store = CredentialStore(Keyring())
    assert store.persistent, "the Secret Service backend was not accepted"
    tokens = TokenSet("access-value", "refresh-value", 123.0, ("flow",), "bearer")
    store.set_token_set("http://sandbox#1", tokens)
    store.set_flow_token("integration-1", "flow-token-value")
    # A fresh store and backend read what the daemon keeps.
    again = CredentialStore(Keyring())
    assert again.get_token_set("http://sandbox#1") == tokens
    assert again.get_flow_token("integration-1") == "flow-token-value"
    assert again.delete_flow_token("integration-1")
    assert again.get_flow_token("integration-1") is None
    print("SECRET-SERVICE-OK")
    """
)


@pytest.mark.secret_service
def test_round_trip_through_gnome_keyring(tmp_path):
    missing = [t for t in ("dbus-run-session", "gnome-keyring-daemon") if not shutil.which(t)]
    if missing:
        pytest.skip(f"needs {' and '.join(missing)} (apt-get install dbus-daemon gnome-keyring)")
    script = tmp_path / "secret_service_check.py"
    script.write_text(SCRIPT, encoding="utf-8")
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run(
        ["dbus-run-session", "--", sys.executable, str(script), str(home)],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
        cwd=REPO,
    )
    assert "SECRET-SERVICE-OK" in result.stdout, result.stdout + result.stderr
