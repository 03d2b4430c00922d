"""The app's files from resources/ are read through importlib.resources, and a missing one is
reported instead of crashing."""

from __future__ import annotations

import importlib
import sys
import zipfile
from importlib import resources as importlib_resources
from pathlib import Path

import pytest

from flowdock_desktop import resources
from flowdock_desktop.auth import listener

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_paths():
    resources.resource_path.cache_clear()
    yield
    resources.resource_path.cache_clear()


def test_every_required_file_is_the_one_people_edit_in_resources():
    # The editable install maps resources/ to the package, so the bytes are the folder's own.
    assert resources.missing_resources() == []
    for parts in resources.REQUIRED:
        edited = ROOT.joinpath("resources", *parts)
        assert resources.read_resource(*parts) == edited.read_bytes()
        assert resources.resource_path(*parts).read_bytes() == edited.read_bytes()
    package_root = importlib_resources.files(resources.PACKAGE)
    assert resources.resource("callback", "success.html") == package_root / "callback/success.html"


def test_a_missing_package_is_reported_and_sign_in_still_answers(monkeypatch):
    monkeypatch.setattr(resources, "PACKAGE", "flowdock_desktop._not_installed")
    assert resources.missing_resources() == ["/".join(parts) for parts in resources.REQUIRED]
    with pytest.raises(FileNotFoundError, match="_not_installed is not installed"):
        resources.read_resource("callback", "success.html")
    with pytest.raises(FileNotFoundError):
        resources.resource_path(*resources.APP_ICON)
    # The listener answers with its bare stand-in page instead of failing the sign-in.
    assert b"Return to Flowdock Desktop" in listener._page("success.html")


def test_a_missing_file_is_named(monkeypatch):
    monkeypatch.setattr(resources, "REQUIRED", (*resources.REQUIRED, ("callback", "gone.html")))
    assert resources.missing_resources() == ["callback/gone.html"]
    with pytest.raises(FileNotFoundError):
        resources.read_resource("callback", "gone.html")


def test_resources_inside_a_zip_get_a_real_file_name(tmp_path, monkeypatch):
    # Installed packages keep plain files; from a zipped package Qt still needs a file name.
    archive = tmp_path / "zipped.zip"
    svg = ROOT / "resources" / "icons" / "flowdock-desktop.svg"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zipped_resources/__init__.py", "")
        zf.write(svg, "zipped_resources/icons/flowdock-desktop.svg")
    monkeypatch.syspath_prepend(str(archive))
    importlib.invalidate_caches()
    monkeypatch.setattr(resources, "PACKAGE", "zipped_resources")
    try:
        path = resources.resource_path(*resources.APP_ICON)
        assert path.is_file() and not str(path).startswith(str(archive))
        assert path.read_bytes() == svg.read_bytes()
        assert resources.read_resource(*resources.APP_ICON) == svg.read_bytes()
    finally:
        sys.modules.pop("zipped_resources", None)


def test_resources_in_a_namespace_package_as_in_the_frozen_build(tmp_path, monkeypatch):
    # The PyInstaller bundle has the files but no __init__.py: importlib.resources then hands
    # out a MultiplexedPath rather than a Path.
    svg = ROOT / "resources" / "icons" / "flowdock-desktop.svg"
    folder = tmp_path / "bundled_resources" / "icons"
    folder.mkdir(parents=True)
    (folder / svg.name).write_bytes(svg.read_bytes())
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    monkeypatch.setattr(resources, "PACKAGE", "bundled_resources")
    try:
        assert not isinstance(importlib_resources.files("bundled_resources"), Path)
        assert resources.read_resource(*resources.APP_ICON) == svg.read_bytes()
        assert resources.resource_path(*resources.APP_ICON) == folder / svg.name
        monkeypatch.setattr(resources, "REQUIRED", (resources.APP_ICON, ("callback", "x.html")))
        assert resources.missing_resources() == ["callback/x.html"]
    finally:
        sys.modules.pop("bundled_resources", None)
