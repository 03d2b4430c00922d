"""Small widgets shared by the wizard and the composer.

- ``FieldMessage``: the inline message under a field ("Enter a client id").
- ``Banner``: a plain-words notice (info, warning, error) with an optional action button.
- ``StatusBadge``: a Flowdock thread status as a coloured pill.
- ``labelled_field``: a label, a widget and its ``FieldMessage`` wired for accessibility.
- ``ElidedLabel``: one line of status that is cut to fit instead of widening its window.
- ``keep_focus_place``, ``show_built``: for parts built after their window was put together.
- ``tab_mnemonics_enter``: Alt+letter on a tab puts the keyboard focus in the tab shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from PySide6.QtCore import QEvent, QObject, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from flowdock_desktop.ui.theme import STATUS_COLOURS, follow_scheme, is_dark, status_text_colour


class FieldMessage(QLabel):
    """The message under a field: hidden when empty, red for errors, muted for hints."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._following_scheme = False
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setVisible(False)
        self._is_error = False

    def show_error(self, text: str) -> None:
        self._is_error = True
        self._show(text, "#ff7b72" if is_dark() else "#b42318")

    def show_hint(self, text: str) -> None:
        self._is_error = False
        self._show(text, self.palette().color(QPalette.ColorRole.PlaceholderText).name())

    def clear_message(self) -> None:
        self._is_error = False
        self.setText("")
        self.setVisible(False)

    @property
    def is_error(self) -> bool:
        return self._is_error and self.isVisibleTo(self.parentWidget()) and bool(self.text())

    def _scheme_applied(self) -> None:
        # Light/dark switched while a message shows: pick the colour for the new palette.
        if not self.text():
            return
        if self._is_error:
            self.show_error(self.text())
        else:
            self.show_hint(self.text())

    def _show(self, text: str, colour: str) -> None:
        if not text:
            self.clear_message()
            return
        if not self._following_scheme:  # from the first message: most fields never show one
            self._following_scheme = True
            follow_scheme(self._scheme_applied)
        self.setText(text)
        self.setStyleSheet(f"color: {colour}; font-size: 90%;")
        self.setAccessibleName(text)
        self.setVisible(True)


def labelled_field(
    label: str,
    field: QWidget,
    *,
    hint: str = "",
    accessible: str | None = None,
    buddy: QWidget | None = None,
) -> tuple[QWidget, FieldMessage]:
    """A vertical block: bold label, the field, then its message line.

    ``buddy`` is what the label's mnemonic focuses when ``field`` is a container of several
    widgets (by default the field itself)."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 4)
    layout.setSpacing(3)
    title = QLabel(label)
    title.setBuddy(buddy or field)
    font = title.font()
    font.setBold(True)
    title.setFont(font)
    layout.addWidget(title)
    layout.addWidget(field)
    message = FieldMessage()
    layout.addWidget(message)
    field.setAccessibleName(accessible or label.replace("&", ""))
    if hint:
        field.setAccessibleDescription(hint)
        field.setToolTip(hint)
    return box, message


def keep_focus_place(built: QWidget, after: QWidget | None = None) -> None:
    """Tab order for ``built``, a part made after its window was put together (a view or tab
    built when first shown), as if it had been made with the window.

    Qt puts a widget added to a window last in the window's focus chain, so Tab would reach
    it after everything else. Its widgets that take the focus are moved, in their own order,
    to follow ``after`` (or the last widget before it that takes the focus), by default the
    last such widget before ``built`` (``built`` itself is where it was placed when the
    window was put together)."""
    # Qt orders only widgets that take the focus: the place is after the last such widget.
    after = built.previousInFocusChain() if after is None else after
    while after is not built and after.focusPolicy() == Qt.FocusPolicy.NoFocus:
        after = after.previousInFocusChain()
    if after is built:
        return  # nothing before it takes the focus: its place is as good as any
    chain: list[QWidget] = []
    widget = built.nextInFocusChain()
    while built.isAncestorOf(widget):
        if widget.focusPolicy() != Qt.FocusPolicy.NoFocus:  # Qt orders only these
            chain.append(widget)
        widget = widget.nextInFocusChain()
    for before, widget in zip([after, *chain], chain, strict=False):
        QWidget.setTabOrder(before, widget)


def first_tab_stop(within: QWidget) -> QWidget | None:
    """The first widget in ``within`` (or ``within`` itself) that Tab reaches, in the
    window's Tab order (parts built later were moved in it: see ``keep_focus_place``)."""

    def stop(widget: QWidget) -> bool:
        return bool(
            widget.focusPolicy() & Qt.FocusPolicy.TabFocus
            and widget.isVisible()
            and widget.isEnabled()
        )

    start = within.window()
    widget = start
    while True:
        if (widget is within or within.isAncestorOf(widget)) and stop(widget):
            return widget
        widget = widget.nextInFocusChain()
        if widget is start:
            return None


class _TabMnemonics(QObject):
    """Watches a tab bar's mnemonics for ``tab_mnemonics_enter``."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.Shortcut:
            return False
        # The tab bar shows the tab (its page built then, if built when first shown), and the
        # focus goes in before the next key is read.
        handled = watched.event(event)
        self._enter()
        return handled

    def _enter(self) -> None:
        tabs = self.parent()
        page = tabs.currentWidget() if isinstance(tabs, QTabWidget) else None
        target = first_tab_stop(page) if page is not None else None
        if target is not None:
            target.setFocus(Qt.FocusReason.ShortcutFocusReason)


def tab_mnemonics_enter(tabs: QTabWidget) -> None:
    """Alt+letter on one of ``tabs``' tabs shows it and puts the keyboard focus in it, on its
    first Tab stop, as a label's mnemonic does for its field. Qt only shows the tab and leaves
    the focus where it was: the next keys went to a field the person no longer saw."""
    tabs.tabBar().installEventFilter(_TabMnemonics(tabs))


def show_built(parent: QWidget) -> None:
    """Show now the widgets just built into ``parent``, which is showing.

    Qt shows a widget added to a shown parent at its next pass through the event loop, so a
    tab built as it comes up would first be drawn empty. Widgets hidden on purpose stay
    hidden, as Qt would leave them."""
    if not parent.isVisible():
        return
    on_purpose = Qt.WidgetAttribute.WA_WState_ExplicitShowHide
    for child in parent.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
        if not (child.isHidden() and child.testAttribute(on_purpose)):
            child.show()


class Banner(QFrame):
    """A notice in plain words with an optional action ("Try again", "Sign in again").

    Signals: ``action_clicked`` when the action button is pressed.
    """

    action_clicked = Signal()

    _COLOURS: ClassVar[dict[str, tuple[str, str, str, str]]] = {
        "info": ("#ddf4ff", "#0b4f8a", "#0e2a47", "#a5d6ff"),
        "success": ("#dafbe1", "#1a7f37", "#0f2e1a", "#7ee2a8"),
        "warning": ("#fff8c5", "#7d4e00", "#3a2d00", "#f2cc60"),
        "error": ("#ffebe9", "#a40e26", "#4a1114", "#ffa198"),
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._following_scheme = False
        self.setObjectName("banner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Ignored width: a long word (a URL) wraps or is clipped, never widens the window.
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label.setMinimumWidth(80)
        layout.addWidget(self.label, 1)
        self.button = QPushButton()
        # The button's room is kept while it is hidden, so a notice with an action and one
        # without are as tall: the form under the banner does not move (and repaint) as
        # "Sending…" turns into "Sent … Open in inbox".
        policy = self.button.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.button.setSizePolicy(policy)
        self.button.setVisible(False)
        self.button.clicked.connect(self.action_clicked)
        layout.addWidget(self.button)
        self.kind = "info"
        #: The background and text colours shown, as "#rrggbb" (none before the first notice).
        self.colours: tuple[str, str] | None = None
        self.setVisible(False)

    def reserve_actions(self, actions: Iterable[str]) -> None:
        """Keep room for the widest of these action buttons, shown or not, so the text beside
        it wraps the same with or without one ("Sending…", then "Sent … Open in inbox"):
        a notice that wraps anew moves (and repaints) everything below the banner."""
        shown = self.button.text()
        widest = 0
        for text in actions:
            self.button.setText(text)
            widest = max(widest, self.button.sizeHint().width())
        self.button.setText(shown)
        self.button.setMinimumWidth(widest)

    def show_message(
        self, kind: str, text: str, action: str | None = None, *, room_for: str = ""
    ) -> None:
        """Show a notice. ``room_for`` is a text expected next ("Sent to …" while "Sending…"
        shows): a banner not showing yet appears as tall as that one will need, so the form
        below does not move (and repaint) once more when it comes."""
        self.kind = kind
        if not self._following_scheme:
            self._following_scheme = True
            follow_scheme(self._scheme_applied)
        light_bg, light_fg, dark_bg, dark_fg = self._COLOURS.get(kind, self._COLOURS["info"])
        bg, fg = (dark_bg, dark_fg) if is_dark() else (light_bg, light_fg)
        # Painted here and coloured through the label's palette, not with a style sheet: a
        # new style sheet re-polishes the banner and its children (twice per send, a
        # millisecond or two of the GUI thread each time, and more to paint through it).
        if (bg, fg) != self.colours:
            self.colours = (bg, fg)
            palette = self.label.palette()
            palette.setColor(QPalette.ColorRole.WindowText, QColor(fg))
            self.label.setPalette(palette)
            self.update()
        self._hold_height(room_for)
        self.label.setText(text)
        self.setAccessibleName(f"{kind}: {text}")
        self.button.setVisible(bool(action))
        if action:
            self.button.setText(action)
            self.button.setAccessibleName(action.replace("&", ""))
        self.setVisible(True)

    def clear(self) -> None:
        self.label.setText("")
        self.label.setMinimumHeight(0)
        self.setVisible(False)

    def _hold_height(self, room_for: str = "") -> None:
        """While the banner shows, a shorter notice keeps the height of the one before (a
        longer one grows it): notices that follow each other ("Sending…", "Sent …") do not
        move the form below up and down, which would repaint all of it each time."""
        # At least the action button's height, shown or not: otherwise the first notice with
        # an action ("Sent … Open in inbox" after "Sending…") grows the banner once more.
        held = self.button.sizeHint().height()
        if self.isVisible():
            held = max(held, self.label.minimumHeight(), self.label.height())
        if room_for and not self.isVisible():  # showing, it keeps the room it has
            shown = self.label.text()
            self.label.setText(room_for)
            needed = self.label.heightForWidth(self._label_width())
            # Two lines at most: room kept for a guess must not leave a tall empty notice
            # (the column may not be laid out yet when the banner first shows).
            self.label.setText("M\nM")
            needed = min(needed, self.label.heightForWidth(self.label.width()))
            self.label.setText(shown)
            held = max(held, needed)
        if held != self.label.minimumHeight():
            self.label.setMinimumHeight(held)

    def _label_width(self) -> int:
        """The text's width once the hidden (so not laid out) banner shows: the width of its
        column less the banner's margins and the button's room."""
        column = self.parentWidget().layout() if self.parentWidget() is not None else None
        if column is None:
            return self.label.width()
        layout = self.layout()
        margins = layout.contentsMargins()
        room = max(self.button.minimumWidth(), self.button.sizeHint().width())
        width = column.contentsRect().width() - margins.left() - margins.right()
        width -= 2 * self.frameWidth() + layout.spacing() + room
        return max(width, self.label.minimumWidth())

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.colours is None:
            return
        bg, fg = self.colours
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(fg), 1))
        painter.setBrush(QColor(bg))
        # Half a pixel in, so the one-pixel border falls on whole pixels.
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)

    def _scheme_applied(self) -> None:
        # Light/dark switched while the banner shows: re-colour it for the new palette.
        if self.label.text():
            action = self.button.text() if not self.button.isHidden() else None
            self.show_message(self.kind, self.label.text(), action)

    @property
    def text(self) -> str:
        return self.label.text() if self.isVisibleTo(self.parentWidget()) else ""


class StatusBadge(QLabel):
    """A thread status ("deployed") on its Flowdock colour ("green")."""

    def __init__(self, value: str = "", colour: str = "grey", parent: QWidget | None = None):
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.set_status(value, colour)

    def set_status(self, value: str, colour: str) -> None:
        self.value, self.colour = value, colour
        self.setVisible(bool(value))
        self.setText(value)
        background = STATUS_COLOURS.get(colour, STATUS_COLOURS["grey"])
        self.setStyleSheet(
            f"QLabel {{ background: {background}; color: {status_text_colour(colour)};"
            " border-radius: 8px; padding: 1px 8px; font-weight: 600; }"
        )
        self.setAccessibleName(f"Status: {value} ({colour})" if value else "No status")


def badge_html(value: str, colour: str) -> str:
    """The same badge as inline HTML, for rich-text previews."""
    from html import escape

    background = STATUS_COLOURS.get(colour, STATUS_COLOURS["grey"])
    return (
        f'<span style="background:{background};color:{status_text_colour(colour)};'
        f'font-weight:600;">&nbsp;{escape(value)}&nbsp;</span>'
    )


class ElidedLabel(QLabel):
    """One line of status text that never widens its window: too long a text is cut with
    "…" to the space there is, and the whole text is in the tooltip and the accessible name.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        # Ignored: the label takes what its layout gives, and asks for nothing wider.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)
        self._full = ""
        self.set_full_text(text)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self.setAccessibleName(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        shown = self.fontMetrics().elidedText(
            self._full, Qt.TextElideMode.ElideRight, max(self.width(), 40)
        )
        if shown != super().text():
            super().setText(shown)
