"""The wheel, as `pip install` or `pipx install` gets it: built from the sdist, installed (not
editable) into a fresh virtual environment, with the files from resources/ inside the installed
package and a program that passes --version and --self-test.

Slow: the new environment downloads or unpacks PySide6 (pip's cache helps). Marked ``dist``, so
`make test` leaves it out and `make dist-test` (run by .ci/run) runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from flowdock_desktop import __version__
from flowdock_desktop.resources import PACKAGE, REQUIRED

pytestmark = [pytest.mark.dist, pytest.mark.timeout(1200)]

ROOT = Path(__file__).resolve().parents[2]
#: The folders of resources/ that the wheel ships, and the files in them it must have.
SHIPPED = {"callback": "*.html", "icons": "*.svg"}


def _env(**extra: str) -> dict[str, str]:
    """This environment without anything that would point Python back at the repository."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME"}}
    env.pop("VIRTUAL_ENV", None)
    return {**env, **extra}


def _run(command: list[str | Path], cwd: Path, **env: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=_env(**env),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, (
        f"{command[0]} {command[1:]} exited {result.returncode}:\n"
        f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result


def _shipped_files() -> dict[str, bytes]:
    """Path under the resources package -> bytes, for every file resources/ ships in the wheel."""
    files = {}
    for folder, pattern in SHIPPED.items():
        for path in sorted((ROOT / "resources" / folder).glob(pattern)):
            files[f"{folder}/{path.name}"] = path.read_bytes()
    return files


def _fresh_checkout(into: Path) -> Path:
    """The project's files (tracked, or new and not ignored) as a fresh clone would have them.

    Building from the working tree would let setuptools reuse the file list of an earlier build
    (flowdock_desktop.egg-info/SOURCES.txt) and hide a file the sdist no longer gets.
    """
    listed = _run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], ROOT)
    for name in filter(None, listed.stdout.split("\0")):
        source = ROOT / name
        if source.is_file():  # a file deleted but not yet committed is still listed
            (into / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, into / name)
    return into


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """The sdist and the wheel, as `make dist` builds them (the wheel from the sdist)."""
    source = _fresh_checkout(tmp_path_factory.mktemp("src"))
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", out, source], cwd=source)
    (sdist,) = out.glob("flowdock_desktop-*.tar.gz")
    (wheel,) = out.glob("flowdock_desktop-*.whl")
    return sdist, wheel


@pytest.fixture(scope="module")
def venv(built, tmp_path_factory) -> Path:
    """A new virtual environment with the wheel installed from its file."""
    _sdist, wheel = built
    where = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", where], cwd=where)
    _run([where / "bin" / "python", "-m", "pip", "install", "--quiet", wheel], cwd=where)
    return where


def test_the_sdist_carries_resources_and_the_build_hook(built):
    sdist, _wheel = built
    top = sdist.name.removesuffix(".tar.gz")
    with tarfile.open(sdist) as tar:
        names = set(tar.getnames())
    for name in ("pyproject.toml", "setup.py", "LICENSE", "README.md", "resources/__init__.py"):
        assert f"{top}/{name}" in names, name
    for name in _shipped_files():
        assert f"{top}/resources/{name}" in names, name


def test_the_wheel_has_every_module_and_resource_and_nothing_for_the_installers(built):
    _sdist, wheel = built
    assert wheel.name == f"flowdock_desktop-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for name, data in _shipped_files().items():
            assert zf.read(f"flowdock_desktop/_resources/{name}") == data, name
    for module in sorted((ROOT / "flowdock_desktop").rglob("*.py")):
        assert module.relative_to(ROOT).as_posix() in names, module
    assert "flowdock_desktop/py.typed" in names
    # The desktop entry and AppStream template belong to the .deb, not to site-packages.
    assert not [name for name in names if "/linux/" in name]
    assert not [name for name in names if name.startswith(("tests/", "packaging/", "resources/"))]


def test_the_installed_package_holds_the_icons_and_callback_pages(venv, tmp_path):
    # Run from an empty folder, so nothing can come from the repository.
    probe = (
        "import importlib.resources, flowdock_desktop;"
        "print(flowdock_desktop.__file__);"
        f"print(importlib.resources.files({PACKAGE!r}))"
    )
    out = _run([venv / "bin" / "python", "-c", probe], cwd=tmp_path).stdout.split()
    site_packages = next(venv.glob("lib/python3*/site-packages"))
    assert Path(out[0]) == site_packages / "flowdock_desktop" / "__init__.py"
    installed = Path(out[1])
    assert installed == site_packages / "flowdock_desktop" / "_resources"
    assert not list(site_packages.glob("__editable__*")), "installed editable, not from the wheel"
    for name, data in _shipped_files().items():
        assert (installed / name).read_bytes() == data, name
    for parts in REQUIRED:
        assert installed.joinpath(*parts).is_file(), parts


def test_the_installed_program_prints_its_version(venv, tmp_path):
    out = _run([venv / "bin" / "flowdock-desktop", "--version"], cwd=tmp_path)
    assert out.stdout.strip() == f"flowdock-desktop {__version__}"


def test_the_installed_program_passes_its_self_test(venv, tmp_path):
    out = _run(
        [venv / "bin" / "flowdock-desktop", "--self-test"],
        cwd=tmp_path,
        QT_QPA_PLATFORM="offscreen",
        FLOWDOCK_DESKTOP_HOME=str(tmp_path / "profile"),
    )
    assert "self-test passed" in out.stdout, out.stdout + out.stderr
