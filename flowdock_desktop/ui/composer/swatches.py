"""A thread's status: its value, and Flowdock's ten colours (and none) as one radio group."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPaintEvent, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from flowdock_desktop.api.validation import STATUS_COLORS
from flowdock_desktop.ui.theme import STATUS_COLOURS, status_text_colour

#: The swatch that means "no colour chosen".
NONE = ""


class Swatch(QRadioButton):
    """One colour as a round radio button: filled in its colour, ringed with a tick when
    chosen, and framed in the highlight colour while it has the keyboard focus."""

    SIZE = 26

    def __init__(self, colour: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colour = colour
        words = colour or "none"
        self.setAccessibleName(f"Status colour {words}")
        self.setToolTip(words)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def sizeHint(self) -> QSize:
        return QSize(self.SIZE, self.SIZE)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def hitButton(self, pos) -> bool:  # the whole square, not only Qt's indicator
        return self.rect().contains(pos)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        group = self.parentWidget()
        if not (isinstance(group, ColourSwatches) and group.key_pressed(self, event.key())):
            super().keyPressEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        # Drawn once per look and kept: the whole form repaints when a notice above it
        # appears, and eleven antialiased swatches drawn afresh were a third of that.
        palette = self.palette()
        ratio = self.devicePixelRatioF()
        look = (
            self.colour,
            self.isChecked(),
            self.hasFocus(),
            self.isEnabled(),
            self.width(),
            self.height(),
            ratio,
            palette.color(QPalette.ColorRole.Highlight).rgba(),
            palette.color(QPalette.ColorRole.Mid).rgba(),
            palette.color(QPalette.ColorRole.WindowText).rgba(),
        )
        picture = _drawn.get(look)
        if picture is None:
            if len(_drawn) > 256:  # a handful of looks per colour; never grows for long
                _drawn.clear()
            picture = _drawn[look] = self._draw(palette, ratio)
        painter = QPainter(self)
        painter.drawPixmap(0, 0, picture)
        painter.end()

    def _draw(self, palette: QPalette, ratio: float) -> QPixmap:
        picture = QPixmap(round(self.width() * ratio), round(self.height() * ratio))
        picture.setDevicePixelRatio(ratio)
        picture.fill(Qt.GlobalColor.transparent)
        painter = QPainter(picture)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if not self.isEnabled():
            painter.setOpacity(0.35)
        outer = QRectF(self.rect()).adjusted(1.5, 1.5, -1.5, -1.5)
        if self.hasFocus():
            pen = QPen(palette.color(QPalette.ColorRole.Highlight), 2, Qt.PenStyle.SolidLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(outer, 6, 6)
        inner = outer.adjusted(4, 4, -4, -4)
        text = palette.color(QPalette.ColorRole.WindowText)
        if self.colour:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
            painter.setBrush(QColor(STATUS_COLOURS[self.colour]))
            painter.drawEllipse(inner)
        else:  # none: an empty circle with a slash
            painter.setPen(QPen(text, 1.2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(inner)
            painter.drawLine(inner.bottomLeft() + _nudge(2, -2), inner.topRight() + _nudge(-2, 2))
        if self.isChecked():
            painter.setPen(QPen(text, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(inner.adjusted(-2.5, -2.5, 2.5, 2.5))
            if self.colour:
                tick = QColor(status_text_colour(self.colour))
                painter.setPen(QPen(tick, 2))
                c = inner.center()
                painter.drawPolyline(
                    [c + _nudge(-4, 0), c + _nudge(-1, 3), c + _nudge(4, -3)]  # ✓
                )
        painter.end()
        return picture


#: Each swatch look drawn so far (colour, state, size, scale and palette) -> its picture.
_drawn: dict[tuple[object, ...], QPixmap] = {}


def _nudge(x: float, y: float) -> QPointF:
    return QPointF(x, y)


class ColourSwatches(QWidget):
    """Flowdock's status colours as a keyboard-friendly radio group.

    Tab reaches the group once (on the chosen colour), the arrow keys move round the colours
    and choose as they go (Home and End: first and last), a click chooses one; "none" clears
    the colour. The focused swatch is framed in the highlight colour.
    Signals: ``changed``. Attributes: ``buttons`` (colour -> Swatch, "" for none).
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Status colour")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: dict[str, Swatch] = {}
        for colour in (NONE, *STATUS_COLORS):
            button = Swatch(colour)
            self.group.addButton(button)
            self.buttons[colour] = button
            layout.addWidget(button)
        layout.addStretch(1)
        self.buttons[NONE].setChecked(True)
        self._one_tab_stop()
        self.group.buttonToggled.connect(self._toggled)

    def _toggled(self, button: Swatch, on: bool) -> None:
        if on:
            self._one_tab_stop()
            self.changed.emit()

    def _one_tab_stop(self) -> None:
        # Tab lands on the chosen colour only; the others are reached with the arrow keys.
        for button in self.buttons.values():
            tab = Qt.FocusPolicy.StrongFocus if button.isChecked() else Qt.FocusPolicy.ClickFocus
            button.setFocusPolicy(tab)

    def key_pressed(self, swatch: Swatch, key: int) -> bool:
        """A key pressed on one of the swatches: True when it moved the choice."""
        order = list(self.buttons.values())
        steps = {
            Qt.Key.Key_Right: 1,
            Qt.Key.Key_Down: 1,
            Qt.Key.Key_Left: -1,
            Qt.Key.Key_Up: -1,
            Qt.Key.Key_Home: -order.index(swatch),
            Qt.Key.Key_End: len(order) - 1 - order.index(swatch),
        }
        step = steps.get(key)
        if step is None:
            return False
        # Like any radio group: the arrows move round the colours and choose as they go.
        target = order[(order.index(swatch) + step) % len(order)]
        target.setChecked(True)
        target.setFocus(Qt.FocusReason.TabFocusReason)
        return True

    def colour(self) -> str:
        checked = self.group.checkedButton()
        return checked.colour if isinstance(checked, Swatch) else NONE

    def set_colour(self, colour: str) -> None:
        button = self.buttons.get(colour or NONE, self.buttons[NONE])
        if button.isChecked():
            return
        self.group.blockSignals(True)
        button.setChecked(True)
        self.group.blockSignals(False)
        self._one_tab_stop()


class StatusEditor(QWidget):
    """A status value on one line and its colour as swatches under it. The label's mnemonic
    (and the focus) lands in the value. Attributes: ``value``, ``swatches``."""

    def __init__(self, name: str, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.value = QLineEdit()
        self.value.setPlaceholderText(placeholder)
        self.value.setAccessibleName(name)
        self.swatches = ColourSwatches()
        layout.addWidget(self.value)
        layout.addWidget(self.swatches)
        self.setFocusProxy(self.value)
