"""The one list of Qt's system libraries matches what the installed PySide6 really loads, and
`make run`'s pre-flight check names (or installs) exactly the packages that are missing."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIST = ROOT / "packaging" / "qt-runtime-libraries.txt"
CHECK = ROOT / "packaging" / "check_runtime_libraries.sh"
#: The C/C++ runtime of every Linux system: never listed (see the list's header).
BASE = {
    "libc.so.6",
    "libm.so.6",
    "libstdc++.so.6",
    "libgcc_s.so.1",
    "libdl.so.2",
    "libpthread.so.0",
    "librt.so.1",
    "ld-linux-x86-64.so.2",
    "ld-linux-aarch64.so.1",
    "linux-vdso.so.1",
}

needs_linux_tools = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not (shutil.which("ldd") and shutil.which("readelf")),
    reason="needs Linux with ldd and readelf (binutils)",
)


def _rows() -> list[tuple[str, str, str]]:
    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        import build_linux
    finally:
        sys.path.pop(0)
    return build_linux.runtime_libraries(LIST)


def _qt_dir() -> Path:
    import PySide6

    return Path(PySide6.__file__).parent / "Qt"


def _needed(path: Path) -> list[str]:
    out = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True).stdout
    return re.findall(r"\(NEEDED\).*\[(.+?)\]", out)


def _system_libraries(plugin: Path) -> set[str]:
    """What the plugin and the Qt libraries it pulls in (bundled with PySide6) need from the
    system: their direct dependencies found outside PySide6."""
    bundled = _qt_dir() / "lib"
    system: set[str] = set()
    seen: set[str] = set()
    todo = [plugin]
    while todo:
        for name in _needed(todo.pop()):
            if (bundled / name).exists():
                if name not in seen:
                    seen.add(name)
                    todo.append(bundled / name)
            else:
                system.add(name)
    return system


def _ldd(path: Path) -> dict[str, str]:
    """soname -> where ldd found it ("not found" when missing)."""
    out = subprocess.run(["ldd", str(path)], capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        match = re.match(r"\s*(\S+)\s+=>\s+(not found|\S+)", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


@needs_linux_tools
def test_the_list_covers_what_the_xcb_plugin_loads():
    plugin = _qt_dir() / "plugins" / "platforms" / "libqxcb.so"
    listed = {soname: plugin_name for soname, plugin_name, _ in _rows()}
    loaded = _ldd(plugin)
    # What a fresh desktop lacks shows as "not found": each of those must be in the list.
    missing = [soname for soname, where in loaded.items() if where == "not found"]
    assert [s for s in missing if s not in listed] == []
    # Every library Qt itself asks the system for is listed (its own dependencies come with
    # the packages, as Debian's Depends say).
    assert sorted(_system_libraries(plugin) - BASE - set(listed)) == []
    # And nothing listed for xcb is something the plugin does not load.
    for soname, plugin_name in listed.items():
        if plugin_name == "xcb":
            assert soname in loaded, f"{soname} is listed for xcb but libqxcb.so does not load it"


@needs_linux_tools
def test_the_list_covers_the_wayland_and_offscreen_plugins():
    listed = {soname for soname, _, _ in _rows()}
    for name in ("libqwayland.so", "libqoffscreen.so"):
        plugin = _qt_dir() / "plugins" / "platforms" / name
        if plugin.exists():
            assert sorted(_system_libraries(plugin) - BASE - listed) == [], name


def test_one_list_for_make_run_ci_and_the_deb():
    packages = [package for _, _, package in _rows()]
    assert "libxcb-icccm4" in packages and "libxcb-keysyms1" in packages
    assert "qt-runtime-libraries.txt" in CHECK.read_text()
    assert "check_runtime_libraries.sh" in (ROOT / "Makefile").read_text()
    assert "check_runtime_libraries.sh" in (ROOT / ".ci" / "run").read_text()
    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        import build_linux
    finally:
        sys.path.pop(0)
    assert list(build_linux.DEPENDS) == list(dict.fromkeys(packages))


def test_the_readme_names_every_package():
    readme = (ROOT / "README.md").read_text()
    for _, _, package in _rows():
        first = re.sub(r"\s*\(.*\)", "", package.split("|")[0]).strip()
        assert first in readme, first


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check is for Linux")
def test_the_check_names_the_missing_debian_packages(tmp_path):
    fake = tmp_path / "libraries.txt"
    fake.write_text(
        "# a list with one library no system has, and one every glibc system has\n"
        "libflowdock-nowhere.so.9   xcb   flowdock-nowhere-lib (>= 1) | other-lib\n"
        "libc.so.6                  all   libc6\n"
        "libflowdock-wayland.so.1   wayland   flowdock-wayland-only\n"
    )
    env = {**os.environ, "FLOWDOCK_RUNTIME_LIBRARIES": str(fake)}
    env.pop("WAYLAND_DISPLAY", None)
    env.pop("QT_QPA_PLATFORM", None)
    result = subprocess.run(
        ["sh", str(CHECK), "--check-only"], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 1
    assert "Debian/Ubuntu packages: flowdock-nowhere-lib" in result.stdout
    assert "sudo apt-get install flowdock-nowhere-lib" in result.stderr
    assert "libc6" not in result.stdout + result.stderr
    assert "wayland" not in result.stdout  # not checked without a Wayland session

    fake.write_text("libc.so.6   all   libc6\n")
    ok = subprocess.run(["sh", str(CHECK), "--check-only"], capture_output=True, env=env)
    assert ok.returncode == 0
