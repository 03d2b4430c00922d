"""The composer's Outbox tab: messages waiting to be sent, refused, or left by a removed
integration, with what the person can do about each."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
)

from flowdock_desktop.compose.presenters import outbox_heading, outbox_waits_for, sent_by
from flowdock_desktop.ui.column_fit import ColumnFit

if TYPE_CHECKING:
    from PySide6.QtWidgets import QTreeWidgetItem

    from flowdock_desktop.store.outbox import OutboxItem, WaitsFor


class OutboxPanel(QWidget):
    """Messages not sent yet, or refused, with what the person can do about each.

    Nothing leaves the outbox without the person: a refused message stays until they retry
    it, load it into the form to fix it, or discard it.
    Signals: ``send_now_requested``, ``retry_requested(int)``, ``load_requested(int)``,
    ``discard_requested(int)`` (outbox item ids).
    Its widgets (``note``, ``tree``, the buttons) are made by ``build``, which the window calls
    when the tab is first shown; until then ``set_items`` only keeps the items.
    """

    send_now_requested = Signal()
    retry_requested = Signal(int)
    load_requested = Signal(int)
    discard_requested = Signal(int)

    # The title (what the person wrote) next to the state: on a 1,024-pixel screen the tab is
    # narrow, and the integration (most people have one) is what can be cut.
    COLUMNS = ("State", "Title", "Integration", "Tries", "Next try", "Problem")
    # Each heading in full in its tooltip: the narrow tab cuts the integration's.
    _HEADING_TIPS = ("State", "Title", "Integration", "Tries so far", "Next try", "Problem")
    _STATE_WORDS: ClassVar[dict[str, str]] = {
        "queued": "waiting",
        "sending": "sending",
        "failed": "refused",
        "gone": "integration removed",
    }
    # A waiting message that time alone will not send says what will, in its state's
    # tooltip (and, at a glance, in Next try instead of a time).
    _WAITS_FOR_WORDS: ClassVar[dict[str, str]] = {
        "reconnect": "waiting for Reconnect",
        "keyring": "waiting for the keyring",
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: list[OutboxItem] = []
        self._names: dict[str, str] = {}
        self.built = False

    def build(self) -> None:
        """Make the tab's widgets and show the items kept so far (once)."""
        if self.built:
            return
        # Python types (and enums) made only for a tab that is shown: not at start.
        from PySide6.QtWidgets import QHeaderView

        self.built = True
        layout = QVBoxLayout(self)
        self.note = QLabel("Messages waiting to be sent, and those the server refused.")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(list(self.COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setAccessibleName("Outbox")
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, tip in enumerate(self._HEADING_TIPS):
            self.tree.headerItem().setToolTip(column, tip)
        # Every column within the tab, as narrow as it is at 1,024x700: Tries keeps its whole
        # width; when the text columns do not fit, State and Next try give up what they have
        # beyond a quarter (a little more for "on Reconnect") of the list, and Title and
        # Problem share what is left, the integration (most people have one) half as much.
        self._columns = ColumnFit(self.tree, capped={0: 1 / 4, 4: 0.3}, shared={1: 2, 2: 1, 5: 2})
        self._columns.watch()  # built as the tab shows: its header's type is made already
        layout.addWidget(self.tree, 1)
        # The chosen message's whole story, wrapped: the Problem column is often cut off.
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAccessibleName("What happened to the chosen message")
        layout.addWidget(self.details)
        bar = QHBoxLayout()
        self.send_now_button = QPushButton("Send now")
        self.send_now_button.setAccessibleName("Send waiting messages now")
        self.retry_button = QPushButton("Retry")
        self.retry_button.setAccessibleName("Retry the refused message")
        # No Alt+letter, like Send now and Retry: R is Reconnect's and K "Try the keyring
        # again"'s, in the notices over a message that waits for either; the other letters of
        # its name are taken by the form. Tab reaches it.
        self.load_button = QPushButton("Back to form")
        self.load_button.setAccessibleName("Load the message into the form to fix it")
        self.discard_button = QPushButton("Dis&card…")
        self.discard_button.setAccessibleName("Discard the message")
        for button in (
            self.send_now_button,
            self.retry_button,
            self.load_button,
            self.discard_button,
        ):
            bar.addWidget(button)
        bar.addStretch(1)
        layout.addLayout(bar)
        self.send_now_button.clicked.connect(self.send_now_requested)
        self.retry_button.clicked.connect(lambda: self._emit(self.retry_requested))
        self.load_button.clicked.connect(lambda: self._emit(self.load_requested))
        self.discard_button.clicked.connect(lambda: self._emit(self.discard_requested))
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())
        self._show_items(None)

    def set_items(self, items: list[OutboxItem], names: dict[str, str]) -> None:
        if items == self.items and names == self._names:
            return  # read again every few seconds: the same list is not rebuilt
        current = self.current()
        self.items, self._names = list(items), dict(names)
        if self.built:
            self._show_items(current)

    def _show_items(self, current: OutboxItem | None) -> None:
        # While the list is rebuilt nothing is chosen: the buttons are not told so, or the one
        # with the keyboard focus would be disabled for a moment and Qt would move the focus
        # elsewhere (a person Tabbing to Discard… would lose their place at each reading).
        self.tree.blockSignals(True)
        try:
            self._fill(current)
        finally:
            self.tree.blockSignals(False)
        self._update_buttons()

    def _fill(self, current: OutboxItem | None) -> None:
        from PySide6.QtWidgets import QTreeWidgetItem  # made with the first row, as above

        waits = outbox_waits_for(self.items)
        self.tree.clear()
        for item in self.items:
            row = QTreeWidgetItem()
            row.setData(0, Qt.ItemDataRole.UserRole, item.id)
            self._show_cells(row, item, waits)
            self.tree.addTopLevelItem(row)
            if current is not None and current.id == item.id:
                self.tree.setCurrentItem(row)
        self._columns.measure(range(len(self.COLUMNS)))

    def _show_cells(
        self, row: QTreeWidgetItem, item: OutboxItem, waits: dict[int, WaitsFor]
    ) -> None:
        """One message's cells, each whole in its tooltip (a narrow tab cuts them short)."""
        waiting_for = waits.get(item.id)
        whole_state = self._state_words(item, waiting_for)
        cells = [
            # "waiting" alone for one that waits for Reconnect or the keyring: Next try says
            # what sends it, and the whole words are the tooltip.
            "waiting" if waiting_for is not None else whole_state,
            outbox_heading(item),
            self._names.get(item.integration_id, "(removed integration)"),
            str(item.attempts),
            _next_try(item, waits),
            item.last_error or "",
        ]
        for column, text in enumerate(cells):
            row.setText(column, text)
            row.setToolTip(column, text)
        row.setToolTip(0, whole_state)

    def show_item(self, item: OutboxItem) -> bool:
        """One message as a send just left it: its row says so at once (a sent one's row
        goes), the other rows are left as they are, and the columns keep their widths until
        the next reading. False when nothing shown changed."""
        kept = item.state != "sent"
        index = next((n for n, shown in enumerate(self.items) if shown.id == item.id), None)
        if index is None and not kept:
            return False  # sent before any reading listed it: the most common send
        if index is None:
            self.items.append(item)
        elif kept:
            self.items[index] = item
        else:
            del self.items[index]
        if self.built:
            self._show_row(item, index, kept)
        return True

    def _show_row(self, item: OutboxItem, index: int | None, kept: bool) -> None:
        from PySide6.QtWidgets import QTreeWidgetItem

        # Rows are in the order of ``items`` (``_fill``): the item's index is its row's.
        self.tree.blockSignals(True)  # as in ``_show_items``: the focus keeps its place
        try:
            if not kept:
                self.tree.takeTopLevelItem(index)
            else:
                row = self.tree.topLevelItem(index) if index is not None else None
                if row is None:
                    row = QTreeWidgetItem()
                    row.setData(0, Qt.ItemDataRole.UserRole, item.id)
                    self.tree.addTopLevelItem(row)
                self._show_cells(row, item, outbox_waits_for(self.items))
        finally:
            self.tree.blockSignals(False)
        self._update_buttons()

    def _state_words(self, item: OutboxItem, waiting_for: WaitsFor | None) -> str:
        if item.damaged:
            return "damaged"
        if waiting_for is not None:
            return self._WAITS_FOR_WORDS[waiting_for]
        return self._STATE_WORDS.get(item.state, item.state)

    def current(self) -> OutboxItem | None:
        if not self.built:
            return None  # never shown: nothing chosen
        row = self.tree.currentItem()
        if row is None:
            return None
        item_id = row.data(0, Qt.ItemDataRole.UserRole)
        return next((item for item in self.items if item.id == item_id), None)

    def _emit(self, signal: Signal) -> None:
        item = self.current()
        if item is not None:
            signal.emit(item.id)

    def _update_buttons(self) -> None:
        item = self.current()
        self.send_now_button.setEnabled(any(i.state == "queued" for i in self.items))
        # A damaged message (its stored text unreadable) can only be discarded.
        readable = item is not None and not item.damaged
        self.retry_button.setEnabled(readable and item.state == "failed")
        self.load_button.setEnabled(readable)
        self.discard_button.setEnabled(item is not None and item.state != "sending")
        self.details.setText("" if item is None else _story(item, outbox_waits_for(self.items)))
        self.details.setVisible(item is not None)


def _next_try(item: OutboxItem, waits: dict[int, WaitsFor]) -> str:
    """The "Next try" cell: the time, or what sends a message that time alone will not."""
    if item.state != "queued":
        return ""
    if item.id in waits:
        return sent_by(waits[item.id])
    return time.strftime("%H:%M:%S", time.localtime(item.next_attempt_at))


def _story(item: OutboxItem, waits: dict[int, WaitsFor]) -> str:
    """What happened to an outbox message, in a sentence or two."""
    problem = (item.last_error or "").strip()
    if problem and problem[-1] not in ".!?":
        problem += "."
    if item.damaged:
        return problem
    title = f"“{outbox_heading(item)}”"
    if item.state == "queued":
        if item.id in waits:
            text = f"{title} waits to be sent {sent_by(waits[item.id])}."
        else:
            text = f"{title} waits to be sent; next try at {_next_try(item, waits)}."
        return f"{text} Last try: {problem}" if problem else text
    if item.state == "sending":
        return f"{title} is being sent now."
    if item.state == "failed":
        return f"{title} was not sent. {problem} Retry it, or load it into the form to fix it."
    if item.state == "gone":
        return f"{title} cannot be sent: its integration was removed. {problem}".strip()
    return f"{title}: {item.state}. {problem}".strip()
