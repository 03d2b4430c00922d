"""The files the app reads at run time (callback pages, the icon), through ``importlib.resources``.

People edit them in the repository's ``resources/`` folder. The build maps that folder into
the package as ``flowdock_desktop._resources`` (pyproject.toml and setup.py) and the PyInstaller
spec collects it at the same place, so one look-up serves a wheel, an editable install and the
frozen build.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

PACKAGE = "flowdock_desktop._resources"

APP_ICON = ("icons", "flowdock-desktop.svg")
#: Every file the app reads, as parts of its path under the package; the self-test checks them.
REQUIRED = (
    ("callback", "success.html"),
    ("callback", "denied.html"),
    ("callback", "error.html"),
    APP_ICON,
)

# Temporary copies made by resource_path() when the package is not plain files on disk.
_copies = contextlib.ExitStack()
atexit.register(_copies.close)


def resource(*parts: str) -> Traversable:
    """The resource at ``parts``, e.g. ``resource("callback", "success.html")``.

    Raises FileNotFoundError when the resources package itself is not installed.
    """
    from importlib import resources

    try:
        found = resources.files(PACKAGE)
    except ModuleNotFoundError as exc:
        raise FileNotFoundError(f"{PACKAGE} is not installed") from exc
    # One part at a time: in the frozen build the folder is a namespace package, whose
    # MultiplexedPath takes one name per joinpath on Python 3.11.
    for part in parts:
        found = found.joinpath(part)
    return found


def read_resource(*parts: str) -> bytes:
    """The bytes of a resource; raises OSError (FileNotFoundError) when it is missing."""
    return resource(*parts).read_bytes()


@functools.cache
def resource_path(*parts: str) -> Path:
    """A file name for a resource, for APIs that want one (Qt's ``QIcon``).

    An installed package keeps its files on disk, so this is the file itself; from anything
    else (a zip) it is a temporary copy that lasts until the program exits.
    """
    on_disk = _file_on_disk(parts)
    if on_disk is not None:
        return on_disk
    from importlib import resources

    return _copies.enter_context(resources.as_file(resource(*parts)))


def _file_on_disk(parts: tuple[str, ...]) -> Path | None:
    """The resource as a plain file in one of the package's folders, None when it is not one.

    What ``importlib.resources`` would answer for a package on disk, without loading it and its
    readers (about 3 ms of the GUI's start, which asks for the app icon first thing).
    """
    try:
        package = importlib.import_module(PACKAGE)
    except ImportError:
        return None
    for folder in getattr(package, "__path__", ()):
        candidate = Path(folder).joinpath(*parts)
        if candidate.is_file():
            return candidate
    return None


def missing_resources() -> list[str]:
    """The required files this installation lacks, as ``callback/success.html``; [] when none."""
    missing = []
    for parts in REQUIRED:
        try:
            present = resource(*parts).is_file()
        except FileNotFoundError:
            present = False
        if not present:
            missing.append("/".join(parts))
    return missing
