"""A cheaper answer to the question PySide asks of every module imported after it.

PySide's ``__feature__`` support (``from __feature__ import snake_case``) hooks ``import``:
each new module is checked once for whether it uses PySide, by ``inspect.getsource`` on the
module and a search for "PySide6" in it. For a module, ``inspect`` first maps every loaded
module to its file (``inspect.getmodule``), so each check costs more the more modules are
loaded: about 0.2 ms a module here, 40 ms of the composer's start on the GUI thread (190
modules), 11 ms of the wizard's. The app uses no ``__feature__``, but the check runs anyway.

``install()`` gives PySide the same answer for the same question, from the file's bytes:
"PySide6" in the source file of a module loaded from one (a ``.py`` path), and no for a
compiled extension module (which has no source, PySide's answer too). Anything else (built-in
modules, the frozen build's archive, a file that cannot be read) still goes to PySide's own
check, so the answer never differs. Nothing happens when this PySide has no
such check (another version): the hook is then left as it is.

Importing this module installs it: ``ui.app`` imports it right after PySide, before the rest of
the GUI's modules (the theme, the context, the stores, the windows) load. Installed only in
``application()`` it came after the 40 (probe) to 100 (``run_gui``) modules imported before
the QApplication, each checked PySide's way.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from importlib.machinery import EXTENSION_SUFFIXES as _SUFFIXES
from types import ModuleType

import PySide6.QtCore  # noqa: F401 - sets up the import hook whose check this replaces

#: Where PySide keeps the check, and its name there (PySide 6.4 to 6.11 at least).
FEATURE_MODULE = "shibokensupport.feature"
CHECK_NAME = "_mod_uses_pyside"
EXTENSION_SUFFIXES = tuple(_SUFFIXES)


def _whole_file(path: str) -> bytes:
    """The file's bytes, read without ``open()``'s buffered layer, whose set-up (another
    ``fstat``, a terminal check) was a quarter of each module's check: about 20 against 15
    microseconds of CPU here, for each of the 95 modules a composer's start imports after
    PySide."""
    fd = os.open(path, os.O_RDONLY)
    try:
        data = b""
        while chunk := os.read(fd, 1 << 20):
            data += chunk
        return data
    finally:
        os.close(fd)


def reads_source_file(fallback: Callable[[ModuleType], bool]) -> Callable[[ModuleType], bool]:
    """PySide's check, answered from the module's source file; ``fallback`` otherwise."""

    def uses_pyside(module: ModuleType) -> bool:
        path = getattr(module, "__file__", None)
        if isinstance(path, str):
            if path.endswith(".py"):
                try:
                    return b"PySide6" in _whole_file(path)
                except OSError:
                    pass
            elif path.endswith(EXTENSION_SUFFIXES):
                return False  # compiled: no source, which PySide's check also answers False
        return fallback(module)

    uses_pyside.reads_source_file = True  # type: ignore[attr-defined]
    return uses_pyside


def install() -> bool:
    """Use the cheaper check from now on; False when there is nothing to replace (or it was
    replaced already)."""
    feature = sys.modules.get(FEATURE_MODULE)
    check = getattr(feature, CHECK_NAME, None)
    if check is None or getattr(check, "reads_source_file", False):
        return False
    setattr(feature, CHECK_NAME, reads_source_file(check))
    return True


install()
