"""The README's curl walkthrough works exactly as written, against a real sandbox."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _walkthrough_block() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Walkthrough with curl", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.S)
    assert match, "the README's walkthrough has no sh block"
    return match.group(1)


@pytest.mark.skipif(
    not (shutil.which("curl") and shutil.which("jq") and shutil.which("bash")),
    reason="the walkthrough needs bash, curl and jq",
)
def test_readme_walkthrough(sandbox):
    script = "set -euo pipefail\n" + _walkthrough_block()
    result = subprocess.run(
        ["bash", "-c", script],
        env=dict(os.environ, SANDBOX=sandbox.base_url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    thread = json.loads(result.stdout)
    assert thread["title"] == "Web deploy"
    assert thread["status"] == {"color": "yellow", "value": "deploying"}
    assert thread["activities"] == 1

    # And the sandbox's team inbox page shows it with its badge.
    page = httpx.get(sandbox.base_url + "/app/acme/main").text
    assert "Web deploy" in page and "deploying" in page
