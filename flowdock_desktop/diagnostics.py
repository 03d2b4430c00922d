"""A plain-text diagnostics report for support: versions, paths, counts, recent log; no secrets."""

from __future__ import annotations

import importlib.metadata
import locale
import os
import platform
import sys
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from flowdock_desktop import __version__
from flowdock_desktop.logs import last_lines, log_file, redacting_filter

if TYPE_CHECKING:
    from flowdock_desktop.context import AppContext

LOG_LINES = 50


def _package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _qt_versions() -> str:
    # This module must not import Qt (the command line uses it too); report Qt only when the
    # GUI already loaded it, and the bindings' version from the installed metadata otherwise.
    core = sys.modules.get("PySide6.QtCore")
    if core is not None:
        return f"Qt {core.qVersion()}, PySide6 {getattr(core, '__version__', 'unknown')}"
    pyside = sys.modules.get("PySide6")
    version = getattr(pyside, "__version__", None) or _package_version("PySide6-Essentials")
    return f"PySide6 {version} (Qt not loaded)"


def _os_description() -> str:
    if sys.platform.startswith("linux"):
        try:
            release = platform.freedesktop_os_release()
            name = release.get("PRETTY_NAME") or release.get("NAME", "Linux")
        except OSError:
            name = "Linux"
        session = os.environ.get("XDG_SESSION_TYPE") or "unknown session"
        desktop = os.environ.get("XDG_CURRENT_DESKTOP") or "unknown desktop"
        return f"{name}; kernel {platform.release()}; {session}; {desktop}"
    if sys.platform == "darwin":
        return f"macOS {platform.mac_ver()[0]}"
    return f"{platform.system()} {platform.release()} ({platform.version()})"


def _keyring_line(context: AppContext) -> str:
    credentials = context.credentials
    backend = credentials.backend
    name = f"{type(backend).__module__}.{type(backend).__qualname__}"
    fallback = credentials.fallback
    if credentials.persistent:
        state = "persistent"
    else:
        why = f": {fallback.value}" if fallback is not None else ""
        state = f"in memory only (NOT persistent{why})"
    return f"{name}, {state}"


def _data_lines(context: AppContext) -> list[str]:
    if not context.profile.db_path.exists():
        return ["Database:      not created yet"]
    integrations = context.integrations.list(include_removed=True)
    active = sum(1 for item in integrations if item.removed_at is None)
    states = Counter(item.state for item in context.outbox.list())
    outbox = ", ".join(f"{state} {count}" for state, count in sorted(states.items())) or "empty"
    return [
        f"Integrations:  {len(integrations)} ({active} active)",
        f"Outbox:        {outbox}",
    ]


def _safe(section: Callable[[], list[str]], label: str) -> list[str]:
    # A report is most needed when something is broken: one failing part must not stop it.
    try:
        return section()
    except Exception as exc:
        return [f"{label}: could not be read ({type(exc).__name__})"]


def collect_diagnostics(context: AppContext) -> str:
    """The report as text, safe to paste into a public issue."""
    profile = context.profile
    log_path = log_file(profile)
    frozen = "frozen (installed package)" if getattr(sys, "frozen", False) else "from source"
    lines = [
        "Flowdock Desktop diagnostics",
        f"App:           {__version__} ({frozen})",
        f"Python:        {platform.python_version()} ({platform.python_implementation()}, "
        f"{platform.machine()})",
        f"Qt:            {_qt_versions()}",
        f"OS:            {_os_description()}",
        f"Locale:        {locale.getlocale()[0] or 'unknown'}",
        f"Profile:       {profile.dir}",
        f"Database:      {profile.db_path}",
        f"Logs:          {log_path}",
        f"Server:        {context.api_url or 'not chosen yet'}",
    ]
    lines += _safe(lambda: [f"Keyring:       {_keyring_line(context)}"], "Keyring")
    lines += _safe(lambda: _data_lines(context), "Local data")
    lines += _safe(
        lambda: [f"Signed in:     {'yes' if context.session() is not None else 'no'}"],
        "Sign-in",
    )
    lines += ["", f"Last {LOG_LINES} log lines:"]
    tail = last_lines(log_path, LOG_LINES)
    lines += [f"  {line}" for line in tail] or ["  (no log yet)"]
    # Every part above is meant to be secret-free; scrub once more in case one is not.
    return redacting_filter.scrub("\n".join(lines)) + "\n"
