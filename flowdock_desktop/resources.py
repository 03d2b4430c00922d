"""Locate files under the repository's ``resources/`` folder, frozen or not."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """Return the ``resources`` folder: inside the PyInstaller bundle when frozen."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources"
    # flowdock_desktop/resources.py -> repository root is two levels up.
    return Path(__file__).resolve().parents[1] / "resources"


def resource_path(*parts: str) -> Path:
    """Return the path of a resource file, e.g. ``resource_path("callback", "success.html")``."""
    return resources_dir().joinpath(*parts)
