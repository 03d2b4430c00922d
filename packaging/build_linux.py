"""Build the Linux packages: PyInstaller one-folder, then a .deb and a portable .tar.gz in dist/."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = "flowdock-desktop"
APP_ID = "io.github.flowdock_desktop.FlowdockDesktop"
INSTALL_DIR = Path("opt") / NAME
SPEC = ROOT / "packaging" / f"{NAME}.spec"
DESKTOP_FILE = ROOT / "resources" / "linux" / f"{NAME}.desktop"
METAINFO = ROOT / "resources" / "linux" / f"{APP_ID}.metainfo.xml"
SVG_ICON = ROOT / "resources" / "icons" / f"{NAME}.svg"

#: System libraries Qt's platform plugins load, with their Debian packages: one list shared with
#: `make run`'s pre-flight check and .ci/run. PyInstaller does not bundle them on purpose
#: (the graphics stack must match the machine's drivers).
RUNTIME_LIBRARIES = ROOT / "packaging" / "qt-runtime-libraries.txt"


def runtime_libraries(path: Path = RUNTIME_LIBRARIES) -> list[tuple[str, str, str]]:
    """``(soname, plugin, package)`` for each line of the list."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        soname, plugin, package = line.split(None, 2)
        rows.append((soname, plugin, package.strip()))
    return rows


#: The .deb's Depends: every package of the list, once, in its order.
DEPENDS = tuple(dict.fromkeys(package for _, _, package in runtime_libraries()))
#: Without a Secret Service, secrets only last for one run: recommend one.
RECOMMENDS = ("gnome-keyring | kwalletmanager | keepassxc",)

POSTINST = """#!/bin/sh
set -e
# Let desktops pick up the new entry, URL handler and icons at once.
if command -v update-desktop-database >/dev/null 2>&1; then
    update-desktop-database -q /usr/share/applications || true
fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then
    gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true
fi
exit 0
"""
POSTRM = POSTINST


def read_version() -> str:
    """The one version: ``flowdock_desktop.__version__``, read without importing the package."""
    text = (ROOT / "flowdock_desktop" / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r'^__version__\s*=\s*"([^"]+)"', text, re.M)
    if match is None:
        raise SystemExit("flowdock_desktop/__init__.py has no __version__")
    return match.group(1)


def deb_arch() -> str:
    machine = os.uname().machine
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "armhf"}.get(machine, machine)


def run(command: list[str], **kwargs) -> None:
    print("+", " ".join(str(part) for part in command), flush=True)
    subprocess.run(command, check=True, **kwargs)


def build_folder(dist: Path, work: Path) -> Path:
    """Render the icons and run PyInstaller; return the one-folder build."""
    run([sys.executable, str(ROOT / "packaging" / "render_icons.py"), "--out", str(work / "icons")])
    run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--distpath",
            str(dist),
            "--workpath",
            str(work / "pyinstaller"),
            str(SPEC),
        ],
        cwd=ROOT,
    )
    return dist / NAME


def _dir_size_kib(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_dir()) // 1024 + 1


def release_date() -> str:
    # SOURCE_DATE_EPOCH makes rebuilds byte-identical where the tools allow.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch else dt.datetime.now(dt.UTC)
    return when.date().isoformat()


def metainfo_text(version: str) -> str:
    text = METAINFO.read_text(encoding="utf-8")
    return text.replace("@VERSION@", version).replace("@DATE@", release_date())


def stage_deb(folder: Path, stage: Path, version: str, icons: Path) -> Path:
    """Lay out the package tree under ``stage``; return it."""
    if stage.exists():
        shutil.rmtree(stage)
    target = stage / INSTALL_DIR
    shutil.copytree(folder, target, symlinks=True)
    (stage / "usr" / "bin").mkdir(parents=True)
    # Absolute target: the bootloader resolves the link to find its _internal folder.
    (stage / "usr" / "bin" / NAME).symlink_to(f"/{INSTALL_DIR}/{NAME}")
    share = stage / "usr" / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copy2(DESKTOP_FILE, share / "applications" / DESKTOP_FILE.name)
    (share / "metainfo").mkdir(parents=True)
    (share / "metainfo" / METAINFO.name).write_text(metainfo_text(version), encoding="utf-8")
    for png in sorted(icons.glob("*x*/flowdock-desktop.png")):
        place = share / "icons" / "hicolor" / png.parent.name / "apps"
        place.mkdir(parents=True, exist_ok=True)
        shutil.copy2(png, place / f"{NAME}.png")
    scalable = share / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copy2(SVG_ICON, scalable / f"{NAME}.svg")
    doc = share / "doc" / NAME
    doc.mkdir(parents=True)
    shutil.copy2(ROOT / "LICENSE", doc / "copyright")

    debian = stage / "DEBIAN"
    debian.mkdir()
    control = "\n".join(
        [
            f"Package: {NAME}",
            f"Version: {version}",
            f"Architecture: {deb_arch()}",
            "Maintainer: Flowdock Desktop developers <flowdock-desktop@users.noreply.github.com>",
            f"Installed-Size: {_dir_size_kib(stage)}",
            f"Depends: {', '.join(DEPENDS)}",
            f"Recommends: {', '.join(RECOMMENDS)}",
            "Section: net",
            "Priority: optional",
            "Homepage: https://github.com/flowdock-desktop/flowdock-desktop",
            "Description: set up Flowdock integrations and send messages to flows",
            " Flowdock Desktop signs you in to Flowdock, creates an integration source",
            " for a flow and lets you write, preview and send thread messages as it.",
            " It includes a local Flowdock-compatible sandbox server for trying it out.",
            "",
        ]
    )
    (debian / "control").write_text(control, encoding="utf-8")
    for name, text in (("postinst", POSTINST), ("postrm", POSTRM)):
        script = debian / name
        script.write_text(text, encoding="utf-8")
        script.chmod(0o755)
    # dpkg-deb refuses group/world-writable control files; a umask of 002 would make them so.
    for path in [stage, *stage.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode & ~0o022)
    return stage


def build_deb(stage: Path, dist: Path, version: str) -> Path:
    deb = dist / f"{NAME}_{version}_{deb_arch()}.deb"
    deb.unlink(missing_ok=True)
    run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(stage), str(deb)])
    return deb


def build_tarball(folder: Path, dist: Path, version: str) -> Path:
    """The portable archive: the one-folder build under ``flowdock-desktop-<version>/``."""
    archive = dist / f"{NAME}-{version}-linux-{os.uname().machine}.tar.gz"
    top = f"{NAME}-{version}"

    def owned_by_root(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = "root"
        return info

    with tarfile.open(archive, "w:gz", compresslevel=9) as tar:
        tar.add(folder, arcname=top, filter=owned_by_root)
        tar.add(DESKTOP_FILE, arcname=f"{top}/share/{DESKTOP_FILE.name}", filter=owned_by_root)
        tar.add(SVG_ICON, arcname=f"{top}/share/{SVG_ICON.name}", filter=owned_by_root)
    return archive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build")
    parser.add_argument(
        "--skip-pyinstaller",
        action="store_true",
        help="package the existing dist/flowdock-desktop folder again",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    args = parser.parse_args(argv)
    version = read_version()
    if args.version:
        print(version)
        return 0
    if not sys.platform.startswith("linux"):
        raise SystemExit("build_linux.py builds Linux packages; see packaging/README.md")
    args.dist.mkdir(parents=True, exist_ok=True)
    icons = args.work / "icons"
    if args.skip_pyinstaller:
        folder = args.dist / NAME
        if not (folder / NAME).exists():
            raise SystemExit(f"no build in {folder}; run without --skip-pyinstaller")
        if not icons.exists():
            run([sys.executable, str(ROOT / "packaging" / "render_icons.py"), "--out", str(icons)])
    else:
        folder = build_folder(args.dist, args.work)
    stage = stage_deb(folder, args.work / "deb-root", version, icons)
    deb = build_deb(stage, args.dist, version)
    tarball = build_tarball(folder, args.dist, version)
    print(f"built {deb} ({deb.stat().st_size / 2**20:.1f} MiB)")
    print(f"built {tarball} ({tarball.stat().st_size / 2**20:.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
