"""PySide6's signature support, compiled once at build time instead of on every start.

PySide6 keeps the Python half of its signature support (the package ``shibokensupport``: 13
modules) as source text inside libshiboken. Each start decodes that archive and compiles every
module with ``compile()`` before the first Qt class is usable: about a tenth of the
instructions of the frozen program's start to the wizard (cachegrind). When a folder
``files.dir`` exists beside ``shiboken6/__init__``, PySide imports the package from there
instead (the folder its ``SBK_EMBED=0`` switch writes). The Linux build ships that folder
holding the modules as compiled .pyc files, so the program reads bytecode as it does for its
own modules.

The source files are taken from the PySide6 the build runs with, in a child process, so the
build environment's PySide6 folder is left as it is.
"""

from __future__ import annotations

import py_compile
import shutil
import subprocess
import sys
from pathlib import Path

#: Where PySide6 looks for the package, relative to the bundle's top folder.
FILES_DIR = Path("shiboken6") / "files.dir"

# signature_bootstrap is the module PySide6 loads its support with; reincarnate_files() is
# what its SBK_EMBED=0 switch calls to write the package's sources into a folder.
_WRITE_SOURCES = (
    "import sys, pathlib, PySide6.QtCore; "
    "sys.modules['signature_bootstrap'].reincarnate_files(pathlib.Path(sys.argv[1]))"
)


def compiled_support(work: Path, python: str = sys.executable) -> list[tuple[str, str, str]]:
    """Compile ``shibokensupport`` under ``work``; return PyInstaller data entries placing the
    .pyc files under ``shiboken6/files.dir`` in the bundle."""
    shutil.rmtree(work, ignore_errors=True)
    sources, compiled = work / "sources", work / "compiled"
    sources.mkdir(parents=True)
    written = subprocess.run([python, "-c", _WRITE_SOURCES, str(sources)], check=False)
    modules = sorted((sources / "shibokensupport").rglob("*.py"))
    if written.returncode != 0 or not modules:
        raise SystemExit(
            f"shiboken_support: PySide6 did not write its shibokensupport sources into {sources} "
            f"(exit {written.returncode})"
        )
    entries = []
    for source in modules:
        relative = source.relative_to(sources)
        target = compiled / relative.with_suffix(".pyc")
        py_compile.compile(str(source), cfile=str(target), dfile=str(relative), doraise=True)
        dest = FILES_DIR / relative.parent / target.name
        entries.append((str(dest), str(target), "DATA"))
    return entries
