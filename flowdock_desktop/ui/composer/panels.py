"""The composer's side panels: integrations, threads (with timeline), outbox, request log."""

from __future__ import annotations

import json
import time
from collections.abc import Collection
from datetime import datetime
from html import escape
from typing import Any, ClassVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from flowdock_desktop.api.html import html_to_text, sanitize_body, sanitize_title
from flowdock_desktop.api.models import Message
from flowdock_desktop.sending import ThreadView
from flowdock_desktop.store.integrations import Integration
from flowdock_desktop.store.outbox import OutboxItem
from flowdock_desktop.ui.theme import STATUS_COLOURS


class IntegrationList(QWidget):
    """The person's integrations: flow, organization, source name and whether it still works.

    Signals: ``selected(str)`` (integration id), ``add_requested``, ``rename_requested(str)``,
    ``remove_requested(str)``.
    """

    selected = Signal(str)
    add_requested = Signal()
    rename_requested = Signal(str)
    remove_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        title = QLabel("I&ntegrations")
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        self.list = QListWidget()
        self.list.setAccessibleName("Integrations")
        title.setBuddy(self.list)
        layout.addWidget(title)
        layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton("&Add…")
        self.rename_button = QPushButton("Rena&me…")
        self.remove_button = QPushButton("Remo&ve…")
        for button, name in (
            (self.add_button, "Add integration"),
            (self.rename_button, "Rename integration"),
            (self.remove_button, "Remove integration"),
        ):
            button.setAccessibleName(name)
            row.addWidget(button)
        layout.addLayout(row)
        self.list.currentItemChanged.connect(self._current_changed)
        self.add_button.clicked.connect(self.add_requested)
        self.rename_button.clicked.connect(lambda: self._emit_for(self.rename_requested))
        self.remove_button.clicked.connect(lambda: self._emit_for(self.remove_requested))
        self._update_buttons()

    def set_integrations(
        self,
        integrations: list[Integration],
        current: str | None,
        needs_sign_in: Collection[str] = (),
    ) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        chosen = None
        for integration in integrations:
            state = "working" if integration.is_active else "removed in Flowdock"
            if integration.is_active and integration.id in needs_sign_in:
                state = "needs sign-in"  # its flow token is gone: see ui/reconnect.py
            item = QListWidgetItem(
                f"{integration.source_name}\n"
                f"{integration.organization_name} / {integration.flow_name} · {state}"
            )
            item.setData(Qt.ItemDataRole.UserRole, integration.id)
            item.setToolTip(f"Posts to {integration.flow_path} on {integration.api_url}")
            item.setData(Qt.ItemDataRole.AccessibleTextRole, item.text().replace("\n", ", "))
            if not integration.is_active:
                item.setForeground(self.palette().placeholderText())
            self.list.addItem(item)
            if integration.id == current:
                chosen = item
        self.list.blockSignals(False)
        if chosen is None and self.list.count():
            chosen = self.list.item(0)
        if chosen is not None:
            self.list.setCurrentItem(chosen)
            if chosen.data(Qt.ItemDataRole.UserRole) == current:
                self._update_buttons()
        else:
            self._update_buttons()

    def current_id(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _current_changed(self, current: QListWidgetItem | None, _: Any) -> None:
        self._update_buttons()
        if current is not None:
            self.selected.emit(current.data(Qt.ItemDataRole.UserRole))

    def _emit_for(self, signal: Signal) -> None:
        current = self.current_id()
        if current:
            signal.emit(current)

    def _update_buttons(self) -> None:
        has = self.list.currentItem() is not None
        self.rename_button.setEnabled(has)
        self.remove_button.setEnabled(has)


def _when(value: datetime | float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value).astimezone()
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


#: Marks a thread that changed since the person last looked at it.
CHANGED_MARK = "●"


class ThreadsPanel(QWidget):
    """Threads the integration posted to, their status, and the selected one's timeline.

    Signals: ``refresh_requested``, ``thread_selected(object)`` (ThreadView),
    ``update_requested(object)`` (ThreadView: load its state into the form).
    Attributes: ``live_note`` (whether live updates run), ``people`` (names by user id, for
    comments in the timeline), ``timeline_thread_id``.
    """

    refresh_requested = Signal()
    thread_selected = Signal(object)
    update_requested = Signal(object)

    COLUMNS = ("Status", "Title", "Fields", "Activity", "Last update")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.views: list[ThreadView] = []
        self.people: dict[str, str] = {}
        self.timeline_thread_id: str | None = None
        self._timeline: list[Message] = []
        self._timeline_note: str | None = None
        layout = QVBoxLayout(self)
        self.live_note = QLabel()
        self.live_note.setWordWrap(True)
        self.live_note.setAccessibleName("Live updates")
        layout.addWidget(self.live_note)
        bar = QHBoxLayout()
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setAccessibleName("Refresh threads")
        self.update_button = QPushButton("&Update this thread")
        self.update_button.setAccessibleName("Update this thread")
        self.update_button.setEnabled(False)
        bar.addWidget(self.note, 1)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.update_button)
        layout.addLayout(bar)
        split = QSplitter(Qt.Orientation.Vertical)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(list(self.COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setAccessibleName("Threads")
        self.timeline = QTextBrowser()
        self.timeline.setOpenLinks(False)
        self.timeline.setAccessibleName("Thread timeline")
        split.addWidget(self.tree)
        split.addWidget(self.timeline)
        layout.addWidget(split, 1)
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.update_button.clicked.connect(self._update_clicked)
        self.tree.currentItemChanged.connect(self._current_changed)
        self.tree.itemActivated.connect(lambda *_: self._update_clicked())

    def set_threads(
        self,
        views: list[ThreadView],
        note: str | None = None,
        changed: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        """Show ``views``; those whose key is in ``changed`` carry a mark and bold titles."""
        current = self.current()
        self.views = list(views)
        self.tree.blockSignals(True)
        self.tree.clear()
        chosen = None
        for view in views:
            fields = ""
            if view.remote is not None:
                fields = "; ".join(
                    f"{html_to_text(f.label)}: {html_to_text(f.value)}" for f in view.remote.fields
                )
            title = view.title or view.key
            if view.key in changed:
                title = f"{CHANGED_MARK} {title}"
            item = QTreeWidgetItem(
                [
                    view.status_value or "",
                    title,
                    fields,
                    str(view.activity_count),
                    _when(view.updated_at or view.last_sent_at),
                ]
            )
            if view.status_color in STATUS_COLOURS:
                # The status cell in its Flowdock colour, as the badge elsewhere.
                from PySide6.QtGui import QBrush, QColor

                from flowdock_desktop.ui.theme import status_text_colour

                item.setBackground(0, QBrush(QColor(STATUS_COLOURS[view.status_color])))
                item.setForeground(0, QBrush(QColor(status_text_colour(view.status_color))))
            if view.key in changed:
                font = item.font(1)
                font.setBold(True)
                item.setFont(1, font)
                item.setToolTip(1, "Changed since you last looked")
            item.setData(0, Qt.ItemDataRole.UserRole, view.key)
            self.tree.addTopLevelItem(item)
            if current is not None and view.key == current.key:
                chosen = item
        if chosen is not None:
            # The same thread stays chosen: quietly, as nothing was chosen anew.
            self.tree.setCurrentItem(chosen)
        self.tree.blockSignals(False)
        for column in range(len(self.COLUMNS)):
            self.tree.resizeColumnToContents(column)
        self.note.setText(note or ("" if views else "Nothing sent from this integration yet."))
        self.update_button.setEnabled(self.current() is not None)

    def current(self) -> ThreadView | None:
        item = self.tree.currentItem()
        if item is None:
            return None
        key = item.data(0, Qt.ItemDataRole.UserRole)
        return next((v for v in self.views if v.key == key), None)

    def _current_changed(self, *_: Any) -> None:
        view = self.current()
        self.update_button.setEnabled(view is not None)
        if view is not None:
            self.thread_selected.emit(view)

    def _update_clicked(self) -> None:
        view = self.current()
        if view is not None:
            self.update_requested.emit(view)

    def show_timeline(
        self,
        messages: list[Message] | None,
        note: str | None = None,
        thread_id: str | None = None,
    ) -> None:
        """Show the thread's messages, newest last (sanitised HTML only)."""
        self.timeline_thread_id = thread_id
        self._timeline = list(messages or [])
        self._timeline_note = note
        self._render_timeline()

    def add_to_timeline(self, message: Message) -> None:
        """A new message of the thread shown (from the stream); others are ignored."""
        if message.thread_id is None or message.thread_id != self.timeline_thread_id:
            return
        if any(m.id == message.id for m in self._timeline if m.id is not None):
            return
        self._timeline.append(message)
        self._render_timeline()

    def _render_timeline(self) -> None:
        parts = []
        if self._timeline_note:
            parts.append(f"<p><i>{escape(self._timeline_note)}</i></p>")
        for message in self._timeline:
            if message.author is not None and message.author.name:
                author = message.author.name
            else:
                author = self.people.get(message.user or "", "someone")
            when = _when(message.created_at)
            # No status badge per message: each one embeds the thread's *current* state.
            if message.event in ("message", "comment") and isinstance(message.content, str):
                what = f"commented: {escape(message.content)}"
            else:
                what = sanitize_title(message.title or "") or escape(message.event or "")
            parts.append(f"<p><b>{escape(author)}</b> {what} <small>{escape(when)}</small>")
            if message.body:
                parts.append(f"<br>{sanitize_body(message.body)}")
            parts.append("</p>")
        self.timeline.setHtml(
            "".join(parts) or "<p><i>Choose a thread to see its messages.</i></p>"
        )
        bar = self.timeline.verticalScrollBar()
        bar.setValue(bar.maximum())  # newest last, and in view


class RequestLog(QWidget):
    """Every request the composer made, with status, timing, headers and bodies — redacted.

    Fed with ``Exchange.redacted()`` dictionaries, which already have every secret hidden.
    """

    MAX_ENTRIES = 500

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[dict[str, Any]] = []
        layout = QVBoxLayout(self)
        split = QSplitter(Qt.Orientation.Vertical)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Time", "Method", "URL", "Status", "ms"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAccessibleName("Requests")
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setAccessibleName("Request details")
        split.addWidget(self.tree)
        split.addWidget(self.detail)
        layout.addWidget(split, 1)
        self.clear_button = QPushButton("C&lear log")
        self.clear_button.setAccessibleName("Clear request log")
        layout.addWidget(self.clear_button)
        self.clear_button.clicked.connect(self.clear)
        self.tree.currentItemChanged.connect(self._show_current)

    def add(self, entry: dict[str, Any]) -> None:
        entry = dict(entry, logged_at=time.time())
        self.entries.append(entry)
        if len(self.entries) > self.MAX_ENTRIES:
            self.entries.pop(0)
            self.tree.takeTopLevelItem(0)
        status = entry.get("status")
        item = QTreeWidgetItem(
            [
                time.strftime("%H:%M:%S", time.localtime(entry["logged_at"])),
                entry.get("method", ""),
                entry.get("url", ""),
                str(status) if status is not None else "no answer",
                f"{entry.get('elapsed_ms', 0):.0f}",
            ]
        )
        self.tree.addTopLevelItem(item)
        if self.tree.currentItem() is None:
            self.tree.setCurrentItem(item)

    def clear(self) -> None:
        self.entries.clear()
        self.tree.clear()
        self.detail.clear()

    def _show_current(self, *_: Any) -> None:
        item = self.tree.currentItem()
        if item is None:
            return
        entry = self.entries[self.tree.indexOfTopLevelItem(item)]
        lines = [f"{entry.get('method')} {entry.get('url')}  (attempt {entry.get('attempt', 1)})"]
        lines += [f"{k}: {v}" for k, v in entry.get("request_headers", [])]
        lines += ["", entry.get("request_body") or "(no body)", ""]
        if "status" in entry:
            lines.append(f"HTTP {entry['status']} in {entry.get('elapsed_ms', 0):.0f} ms")
            lines += [f"{k}: {v}" for k, v in entry.get("response_headers", [])]
            lines += ["", entry.get("response_body") or "(no body)"]
        if entry.get("error"):
            lines += ["", f"Error: {entry['error']}"]
        self.detail.setPlainText("\n".join(str(line) for line in lines))

    def as_text(self) -> str:
        """Every entry as JSON lines (for tests and for copying into a support request)."""
        return "\n".join(json.dumps(e, ensure_ascii=False) for e in self.entries)


class OutboxPanel(QWidget):
    """Messages not sent yet, or refused, with what the person can do about each.

    Nothing leaves the outbox without the person: a refused message stays until they retry
    it, load it into the form to fix it, or discard it.
    Signals: ``send_now_requested``, ``retry_requested(int)``, ``load_requested(int)``,
    ``discard_requested(int)`` (outbox item ids).
    """

    send_now_requested = Signal()
    retry_requested = Signal(int)
    load_requested = Signal(int)
    discard_requested = Signal(int)

    COLUMNS = ("State", "Integration", "Title", "Tries", "Next try", "Problem")
    _STATE_WORDS: ClassVar[dict[str, str]] = {
        "queued": "waiting",
        "sending": "sending",
        "failed": "refused",
        "gone": "integration removed",
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.items: list[OutboxItem] = []
        layout = QVBoxLayout(self)
        self.note = QLabel("Messages waiting to be sent, and those the server refused.")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(list(self.COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setAccessibleName("Outbox")
        layout.addWidget(self.tree, 1)
        bar = QHBoxLayout()
        self.send_now_button = QPushButton("Send &now")
        self.send_now_button.setAccessibleName("Send waiting messages now")
        self.retry_button = QPushButton("Re&try")
        self.retry_button.setAccessibleName("Retry the refused message")
        self.load_button = QPushButton("&Load into form")
        self.load_button.setAccessibleName("Load the message into the form to fix it")
        self.discard_button = QPushButton("&Discard…")
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
        self._update_buttons()

    def set_items(self, items: list[OutboxItem], names: dict[str, str]) -> None:
        current = self.current()
        self.items = list(items)
        self.tree.clear()
        for item in self.items:
            next_try = (
                time.strftime("%H:%M:%S", time.localtime(item.next_attempt_at))
                if item.state == "queued"
                else ""
            )
            row = QTreeWidgetItem(
                [
                    self._STATE_WORDS.get(item.state, item.state),
                    names.get(item.integration_id, "(removed integration)"),
                    str(item.payload.get("title") or item.payload.get("event") or ""),
                    str(item.attempts),
                    next_try,
                    item.last_error or "",
                ]
            )
            row.setData(0, Qt.ItemDataRole.UserRole, item.id)
            row.setToolTip(5, item.last_error or "")
            self.tree.addTopLevelItem(row)
            if current is not None and current.id == item.id:
                self.tree.setCurrentItem(row)
        for column in range(len(self.COLUMNS) - 1):
            self.tree.resizeColumnToContents(column)
        self._update_buttons()

    def current(self) -> OutboxItem | None:
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
        self.retry_button.setEnabled(item is not None and item.state == "failed")
        self.load_button.setEnabled(item is not None)
        self.discard_button.setEnabled(item is not None and item.state != "sending")
