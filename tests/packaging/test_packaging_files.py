"""The packaging files name files that exist and take their version from flowdock_desktop."""

from __future__ import annotations

import configparser
import importlib.util
import plistlib
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from flowdock_desktop import __version__

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def build_linux():
    return _load("build_linux", PACKAGING / "build_linux.py")


def test_build_script_reads_the_package_version(build_linux):
    assert build_linux.read_version() == __version__
    out = subprocess.run(
        [sys.executable, str(PACKAGING / "build_linux.py"), "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == __version__


def test_no_packaging_file_hard_codes_the_version():
    # One source of truth: templates carry @VERSION@, scripts read __version__.
    literal = re.compile(rf"(?<![\d.]){re.escape(__version__)}(?![\d.])")
    for path in PACKAGING.rglob("*"):
        if path.is_file() and path.suffix in {".spec", ".iss", ".plist", ".sh", ".py", ".md"}:
            assert not literal.search(path.read_text(encoding="utf-8")), path


def test_spec_names_files_that_exist():
    text = (PACKAGING / "flowdock-desktop.spec").read_text(encoding="utf-8")
    for rel in re.findall(r'ROOT / "([^"]+)" / "([^"]+)"', text):
        path = ROOT.joinpath(*rel)
        if rel[0] in {"build"}:  # generated at build time
            continue
        assert path.exists(), path
    for rel in re.findall(r'ROOT / "([^"]+)" / "([^"]+)" / "([^"]+)"', text):
        if rel[0] != "build":
            assert ROOT.joinpath(*rel).exists(), rel
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert "Flowdock Desktop developers" in (ROOT / "LICENSE").read_text()


def test_desktop_entry_claims_the_url_scheme():
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(ROOT / "resources" / "linux" / "flowdock-desktop.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Exec"].split() == ["flowdock-desktop", "%u"]
    assert "x-scheme-handler/flowdock-desktop;" in entry["MimeType"]
    assert entry["Icon"] == "flowdock-desktop"
    assert entry["Categories"].endswith(";")


def test_metainfo_names_the_desktop_file_and_takes_the_version(build_linux):
    path = build_linux.METAINFO
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    assert root.findtext("id") == build_linux.APP_ID
    assert root.findtext("project_license") == "MIT"
    launchable = root.find("launchable")
    assert (ROOT / "resources" / "linux" / launchable.text).exists()
    filled = ET.fromstring(build_linux.metainfo_text("9.8.7"))
    assert filled.find("releases/release").get("version") == "9.8.7"


def test_inno_setup_script_is_complete():
    text = (PACKAGING / "windows" / "flowdock-desktop.iss").read_text(encoding="utf-8")
    # The version comes from the build script (/DAppVersion=...), never a literal.
    assert "#ifndef AppVersion" in text and "#error" in text
    assert re.search(r"Root: HKCU; Subkey: \"Software\\Classes\\flowdock-desktop\"", text)
    assert '"URL Protocol"' in text
    assert "{group}" in text and "Uninstall" in text
    for source in re.findall(r'Source: "([^"*]+)"', text):
        rel = source.replace("{#RepoRoot}\\", "").replace("\\", "/")
        if not rel.startswith(("dist/", "build/")):
            assert (ROOT / rel).exists(), rel
    build = (PACKAGING / "windows" / "build_windows.py").read_text(encoding="utf-8")
    assert "/DAppVersion=" in build and "read_version" in build


def test_macos_info_plist_template_registers_the_scheme():
    template = (PACKAGING / "macos" / "Info.plist").read_text(encoding="utf-8")
    assert "@VERSION@" in template
    info = plistlib.loads(template.replace("@VERSION@", __version__).encode())
    assert info["CFBundleShortVersionString"] == __version__
    schemes = [s for t in info["CFBundleURLTypes"] for s in t["CFBundleURLSchemes"]]
    assert schemes == ["flowdock-desktop"]
    assert info["CFBundleExecutable"] == "flowdock-desktop"
    dmg = (PACKAGING / "macos" / "build_dmg.sh").read_text(encoding="utf-8")
    assert "hdiutil" in dmg and 'build_linux.py" --version' in dmg


def test_readme_says_how_to_build_each():
    text = (PACKAGING / "README.md").read_text(encoding="utf-8")
    for needle in ("make package", "make package-test", "build_windows.py", "build_dmg.sh"):
        assert needle in text


def test_deb_staging_layout(tmp_path, build_linux):
    # A fake one-folder build is enough to check where everything lands in the package.
    folder = tmp_path / "dist" / "flowdock-desktop"
    folder.mkdir(parents=True)
    (folder / "flowdock-desktop").write_text("#!/bin/sh\n")
    icons = tmp_path / "icons"
    for size in (16, 512):
        (icons / f"{size}x{size}").mkdir(parents=True)
        (icons / f"{size}x{size}" / "flowdock-desktop.png").write_bytes(b"png")
    stage = build_linux.stage_deb(folder, tmp_path / "stage", "1.2.3", icons)
    link = stage / "usr" / "bin" / "flowdock-desktop"
    assert link.is_symlink() and str(link.readlink()) == "/opt/flowdock-desktop/flowdock-desktop"
    share = stage / "usr" / "share"
    assert (share / "applications" / "flowdock-desktop.desktop").exists()
    assert (share / "icons/hicolor/512x512/apps/flowdock-desktop.png").exists()
    assert (share / "icons/hicolor/scalable/apps/flowdock-desktop.svg").exists()
    metainfo = share / "metainfo" / f"{build_linux.APP_ID}.metainfo.xml"
    assert 'version="1.2.3"' in metainfo.read_text()
    control = (stage / "DEBIAN" / "control").read_text()
    assert "Version: 1.2.3" in control
    depends = re.search(r"^Depends: (.*)$", control, re.M).group(1).split(", ")
    for needed in ("libegl1", "libxkbcommon0", "libfontconfig1", "libdbus-1-3", "libxcb-cursor0"):
        assert needed in depends
    assert (stage / "DEBIAN" / "postinst").stat().st_mode & 0o111


def test_icons_render_from_the_svg(tmp_path):
    render_icons = _load("render_icons", PACKAGING / "render_icons.py")
    written = render_icons.render(out_dir=tmp_path)
    assert [p.parent.name for p in written] == [f"{s}x{s}" for s in render_icons.SIZES]
    from PySide6.QtGui import QImage

    image = QImage(str(tmp_path / "48x48" / "flowdock-desktop.png"))
    assert (image.width(), image.height()) == (48, 48)
    assert image.pixelColor(24, 24).alpha() == 255  # drawn, not blank
    assert image.pixelColor(0, 0).alpha() == 0  # rounded corner stays transparent


def test_version_flag_prints_the_version():
    out = subprocess.run(
        [sys.executable, "-m", "flowdock_desktop", "--version"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    assert out.stdout.strip() == f"flowdock-desktop {__version__}"


@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None, reason="desktop-file-utils is not installed"
)
def test_desktop_entry_passes_desktop_file_validate():
    entry = ROOT / "resources" / "linux" / "flowdock-desktop.desktop"
    result = subprocess.run(
        ["desktop-file-validate", str(entry)], capture_output=True, text=True, check=False
    )
    # Errors fail; hints (like several main categories) would be printed and also fail here.
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout


def test_importtime_lines_name_each_module_once():
    start_modules = _load("start_modules", PACKAGING / "start_modules.py")
    output = "\n".join(
        [
            "import time: self [us] | cumulative | imported package",
            "import time:       260 |        260 |   _io",
            "import time:       523 |       1383 | encodings.aliases",
            "something else on stderr",
            "import time:        10 |         10 | _io",
        ]
    )
    assert start_modules.imported_modules(output) == ["_io", "encodings.aliases"]


def test_start_packages_are_what_the_first_window_needs():
    # The spec collects these as plain .pyc files; what loads later (the embedded sandbox,
    # the HTTP client, the keyring) stays in PyInstaller's compressed archive.
    start_modules = _load("start_modules", PACKAGING / "start_modules.py")
    packages = set(start_modules.start_packages())
    assert {"flowdock_desktop", "PySide6", "encodings", "logging"} <= packages
    assert not packages & {"starlette", "uvicorn", "httpx", "keyring"}


def test_pyside_signature_support_compiles_outside_pyside(tmp_path):
    # The build writes PySide6's embedded sources into its own folder (never into the
    # environment's shiboken6/, which would change every source start too) and compiles them.
    shiboken_support = _load("shiboken_support", PACKAGING / "shiboken_support.py")
    entries = shiboken_support.compiled_support(tmp_path / "work")
    dests = {dest for dest, _src, _kind in entries}
    assert "shiboken6/files.dir/shibokensupport/signature/loader.pyc" in dests
    assert all(kind == "DATA" and Path(src).is_file() for _dest, src, kind in entries)
    import shiboken6

    assert not (Path(shiboken6.__file__).parent / "files.dir").exists()
