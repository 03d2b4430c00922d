"""Light and dark palettes: the app follows the system's colour scheme, with Fusion as style.

Fusion looks the same on every platform and honours the palette fully, so light and dark both
read well, and screenshots taken in tests match what people see.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from flowdock_desktop.resources import APP_ICON, resource_path

#: The style every window uses. ``application()`` hands it to Qt on the command line
#: (``STYLE_ARGUMENTS``): Qt then builds it before any widget, and Python never wraps the
#: QStyle object, which would create the 11 Python enums of ``QStyle`` (15 ms) before the
#: first window shows.
STYLE = "Fusion"
STYLE_ARGUMENTS = ("-style", STYLE)

#: Fusion draws the ring of a check box or radio button, and the frame of a text field or
#: text box, in the window colour darkened: on either palette they were barely there (1.1:1
#: against a dark window, 1.7–2.1:1 against a light one; WCAG asks 3:1 for the outline a
#: control is recognised by), so in dark mode an unticked box, an unchosen option or an empty
#: field all but vanished. These classes get their palette with a grey window colour, which
#: nothing of theirs but that outline uses (a lighter grey on dark).
INDICATOR_CLASSES = ("QCheckBox", "QRadioButton", "QLineEdit", "QPlainTextEdit", "QTextEdit")
INDICATOR_WINDOW = {"light": "#8c939b", "dark": "#c0c6cc"}

#: Flowdock's ten thread status colours, as shown on badges.
STATUS_COLOURS: dict[str, str] = {
    "red": "#d9534f",
    "green": "#3fa34d",
    "yellow": "#e0b500",
    "cyan": "#17a2b8",
    "orange": "#f0883e",
    "grey": "#8a8f98",
    "black": "#24292f",
    "lime": "#8bc34a",
    "purple": "#8e5bd0",
    "blue": "#3b82f6",
}


def status_text_colour(colour: str) -> str:
    """Readable text on a badge of the given Flowdock colour."""
    return "#1b1b1b" if colour in ("yellow", "lime") else "#ffffff"


def light_palette() -> QPalette:
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#f5f6f8",
        QPalette.ColorRole.WindowText: "#1f2328",
        QPalette.ColorRole.Base: "#ffffff",
        QPalette.ColorRole.AlternateBase: "#f0f2f5",
        QPalette.ColorRole.ToolTipBase: "#ffffff",
        QPalette.ColorRole.ToolTipText: "#1f2328",
        QPalette.ColorRole.PlaceholderText: "#6e7781",
        QPalette.ColorRole.Text: "#1f2328",
        QPalette.ColorRole.Button: "#eef0f3",
        QPalette.ColorRole.ButtonText: "#1f2328",
        QPalette.ColorRole.BrightText: "#d1242f",
        QPalette.ColorRole.Highlight: "#2f6fde",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#0969da",
        QPalette.ColorRole.LinkVisited: "#8250df",
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    _disabled(palette, "#8c959f")
    return palette


def dark_palette() -> QPalette:
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#1e2126",
        QPalette.ColorRole.WindowText: "#e6edf3",
        QPalette.ColorRole.Base: "#15181c",
        QPalette.ColorRole.AlternateBase: "#23272e",
        QPalette.ColorRole.ToolTipBase: "#2d333b",
        QPalette.ColorRole.ToolTipText: "#e6edf3",
        QPalette.ColorRole.PlaceholderText: "#7d8590",
        QPalette.ColorRole.Text: "#e6edf3",
        QPalette.ColorRole.Button: "#2b3036",
        QPalette.ColorRole.ButtonText: "#e6edf3",
        QPalette.ColorRole.BrightText: "#ff7b72",
        QPalette.ColorRole.Highlight: "#388bfd",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#58a6ff",
        QPalette.ColorRole.LinkVisited: "#bc8cff",
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    _disabled(palette, "#6e7681")
    return palette


def _disabled(palette: QPalette, colour: str) -> None:
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(colour))


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def app_icon() -> QIcon:
    """The app's icon from its SVG (the svg icon engine renders every size crisply).

    A null icon when the file is missing: windows then show the platform's default icon, and
    ``--self-test`` reports the missing file.
    """
    try:
        return QIcon(str(resource_path(*APP_ICON)))
    except OSError:
        return QIcon()


class _SchemeApplied(QObject):
    applied = Signal()


_scheme_applied: _SchemeApplied | None = None


def follow_scheme(slot: Callable[[], object]) -> None:
    """Call ``slot`` each time ``apply_theme`` has applied a scheme (``is_dark`` says which).

    For widgets whose colours are set in code rather than taken from the palette (a field's
    message, a banner): they re-colour then. A signal, not a ``changeEvent`` handler: PySide
    hands a Python handler that takes a plain ``QEvent`` the event as its own class, and the
    first time one runs it makes the Python type of every ``QEvent`` subclass (3 to 4 ms of a
    start). Connect a bound method of a widget: the connection goes with the widget.
    """
    global _scheme_applied
    if _scheme_applied is None:
        _scheme_applied = _SchemeApplied()
    _scheme_applied.applied.connect(slot)


def apply_theme(app: QApplication, scheme: str = "system", *, set_style: bool = True) -> str:
    """Apply ``"light"``, ``"dark"`` or ``"system"``; returns the scheme actually used.

    ``set_style=False`` when the application was created with ``STYLE_ARGUMENTS``, so its
    style is already the one.
    """
    if scheme == "system":
        scheme = "dark" if system_prefers_dark() else "light"
    # The property first: widgets re-colouring on the style and palette changes read it.
    app.setProperty("flowdock_scheme", scheme)
    if set_style:
        app.setStyle(STYLE)
    palette = dark_palette() if scheme == "dark" else light_palette()
    app.setPalette(palette)
    indicators = QPalette(palette)
    indicators.setColor(QPalette.ColorRole.Window, QColor(INDICATOR_WINDOW[scheme]))
    for name in INDICATOR_CLASSES:
        app.setPalette(indicators, name)
    if _scheme_applied is not None:
        _scheme_applied.applied.emit()
    return scheme


def is_dark(app: QApplication | None = None) -> bool:
    app = app or QApplication.instance()
    return bool(app) and app.property("flowdock_scheme") == "dark"
