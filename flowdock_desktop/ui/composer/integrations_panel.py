"""The composer's integration list: working integrations, and removed ones grouped apart."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from flowdock_desktop.compose.presenters import IntegrationGroups, count
from flowdock_desktop.store.integrations import Integration
from flowdock_desktop.ui.reconnect import NEEDS_SIGN_IN


def integration_state(
    integration: Integration, needs_sign_in: Collection[str] = (), missing_word: str = NEEDS_SIGN_IN
) -> str:
    """The words under an integration's name saying whether it can post; ``missing_word`` for
    one in ``needs_sign_in`` (its flow token is gone, or behind a locked keyring)."""
    if not integration.is_active:
        return "removed in Flowdock"
    if integration.id in needs_sign_in:
        return missing_word  # see ui/reconnect.py
    return "working"


class IntegrationList(QWidget):
    """The person's integrations: flow, organization, source name and whether it still works.

    Removed integrations sit under their own heading, where they can be set up again or
    forgotten; one that was set up again is not listed (its replacement is).
    Signals: ``selected(str)`` (integration id), ``add_requested``, ``rename_requested(str)``,
    ``remove_requested(str)`` (forget it here; for a removed one, forget it and its unsent
    messages), ``setup_again_requested(str)``.
    """

    selected = Signal(str)
    add_requested = Signal()
    rename_requested = Signal(str)
    remove_requested = Signal(str)
    setup_again_requested = Signal(str)

    ID_ROLE = Qt.ItemDataRole.UserRole
    ACTIVE_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._needs_sign_in: Collection[str] = ()
        self._missing_word = NEEDS_SIGN_IN
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("I&ntegrations")
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        self.list = QListWidget()
        self.list.setAccessibleName("Integrations")
        self.list.setWordWrap(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setMinimumWidth(150)
        self.list.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        title.setBuddy(self.list)
        layout.addWidget(title)
        layout.addWidget(self.list, 1)
        self.add_button = QPushButton("Add…")
        self.rename_button = QPushButton("Rename…")
        self.remove_button = QPushButton("Remove…")
        self.setup_again_button = QPushButton("Set it up again…")
        for button, name in (
            (self.add_button, "Add integration"),
            (self.rename_button, "Rename integration"),
            (self.remove_button, "Remove integration"),
            (self.setup_again_button, "Set the removed integration up again"),
        ):
            button.setAccessibleName(name)
        # Two to a row, so a narrow list still shows every button's whole text.
        grid = QGridLayout()
        grid.setSpacing(4)
        grid.addWidget(self.add_button, 0, 0)
        grid.addWidget(self.rename_button, 0, 1)
        grid.addWidget(self.remove_button, 1, 0)
        grid.addWidget(self.setup_again_button, 2, 0, 1, 2)
        layout.addLayout(grid)
        self.list.currentItemChanged.connect(self._current_changed)
        self.add_button.clicked.connect(self.add_requested)
        self.rename_button.clicked.connect(lambda: self._emit_for(self.rename_requested))
        self.remove_button.clicked.connect(lambda: self._emit_for(self.remove_requested))
        self.setup_again_button.clicked.connect(lambda: self._emit_for(self.setup_again_requested))
        # The desktop's keys for the chosen entry, while the list has the focus (Delete typed
        # in a field of the form must not remove anything): F2 renames, Delete removes.
        for keys, button, words in (
            (QKeySequence(Qt.Key.Key_F2), self.rename_button, "Rename the chosen integration"),
            (QKeySequence.StandardKey.Delete, self.remove_button, "Remove the chosen integration"),
        ):
            shortcut = QShortcut(keys, self.list)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(button.click)  # nothing when the button is disabled
            button.setToolTip(
                f"{words} ({shortcut.key().toString(QKeySequence.SequenceFormat.NativeText)})"
            )
        self._update_buttons()

    def set_integrations(
        self,
        groups: IntegrationGroups,
        current: str | None,
        unsent: dict[str, int] | None = None,
        needs_sign_in: Collection[str] = (),
        *,
        missing_word: str = NEEDS_SIGN_IN,
    ) -> None:
        """Show ``groups``; ``unsent`` counts each removed integration's messages not sent,
        ``needs_sign_in`` names those whose flow token is gone (said as ``missing_word``)."""
        unsent = unsent or {}
        self._needs_sign_in = needs_sign_in
        self._missing_word = missing_word
        self.list.blockSignals(True)
        self.list.clear()
        chosen = None
        for heading, members in (("", groups.active), ("Removed in Flowdock", groups.removed)):
            if heading and members:
                self.list.addItem(self._heading(heading))
            for integration in members:
                item = self._item(integration, unsent.get(integration.id, 0))
                self.list.addItem(item)
                if integration.id == current:
                    chosen = item
        self.list.blockSignals(False)
        if chosen is None:
            chosen = next(
                (
                    self.list.item(i)
                    for i in range(self.list.count())
                    if self.list.item(i).data(self.ID_ROLE)
                ),
                None,
            )
        if chosen is not None:
            self.list.setCurrentItem(chosen)
            if chosen.data(self.ID_ROLE) == current:
                self._update_buttons()
        else:
            self._update_buttons()

    def _heading(self, text: str) -> QListWidgetItem:
        item = QListWidgetItem(text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)  # a heading, not something to choose
        font = item.font()
        font.setBold(True)
        item.setFont(font)
        return item

    def _item(self, integration: Integration, unsent: int) -> QListWidgetItem:
        lines = [
            integration.source_name,
            f"{integration.organization_name} / {integration.flow_name} · "
            f"{integration_state(integration, self._needs_sign_in, self._missing_word)}",
        ]
        if unsent:
            lines.append(f"{count(unsent, 'message')} not sent")
        item = QListWidgetItem("\n".join(lines))
        item.setData(self.ID_ROLE, integration.id)
        item.setData(self.ACTIVE_ROLE, integration.is_active)
        item.setToolTip(f"Posts to {integration.flow_path} on {integration.api_url}")
        item.setData(Qt.ItemDataRole.AccessibleTextRole, ", ".join(lines))
        if not integration.is_active:
            item.setForeground(self.palette().placeholderText())
        return item

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(self.ID_ROLE) if item is not None else None

    def _current_changed(self, current: QListWidgetItem | None, _: Any) -> None:
        self._update_buttons()
        if current is not None and current.data(self.ID_ROLE):
            self.selected.emit(current.data(self.ID_ROLE))

    def _emit_for(self, signal: Signal) -> None:
        current = self.current_id()
        if current:
            signal.emit(current)

    def _update_buttons(self) -> None:
        item = self.list.currentItem()
        has = item is not None and bool(item.data(self.ID_ROLE))
        active = has and bool(item.data(self.ACTIVE_ROLE))
        self.rename_button.setEnabled(active)
        self.remove_button.setEnabled(has)
        self.remove_button.setText("Remove…" if active or not has else "Forget…")
        self.remove_button.setAccessibleName(
            "Remove integration" if active or not has else "Forget the removed integration"
        )
        self.setup_again_button.setVisible(has and not active)
