"""Build the Windows installer: icons, PyInstaller one-folder, then Inno Setup (run on Windows)."""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def read_version() -> str:
    """The version from flowdock_desktop.__version__, via the Linux build script's reader."""
    spec = importlib.util.spec_from_file_location(
        "build_linux", ROOT / "packaging" / "build_linux.py"
    )
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module.read_version()


def run(command: list[str]) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, check=True, cwd=ROOT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--iscc", default=shutil.which("iscc") or r"C:\Program Files (x86)\Inno Setup 6\ISCC.exe"
    )
    parser.add_argument("--skip-pyinstaller", action="store_true")
    args = parser.parse_args(argv)
    version = read_version()
    run([sys.executable, str(ROOT / "packaging" / "render_icons.py"), "--ico"])
    if not args.skip_pyinstaller:
        run(
            [
                sys.executable,
                "-m",
                "PyInstaller",
                "--noconfirm",
                "--clean",
                str(ROOT / "packaging" / "flowdock-desktop.spec"),
            ]
        )
    run(
        [
            args.iscc,
            f"/DAppVersion={version}",
            f"/DRepoRoot={ROOT}",
            str(HERE / "flowdock-desktop.iss"),
        ]
    )
    print(f"built {ROOT / 'dist' / f'flowdock-desktop-{version}-setup.exe'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
