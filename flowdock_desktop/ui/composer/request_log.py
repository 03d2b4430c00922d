"""The composer's Request log tab: every request and answer, with secrets already hidden."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
)


class _ExchangeRelay(QObject):
    """Carries redacted entries from worker threads to the GUI thread."""

    exchange = Signal(dict)


class RequestLog(QWidget):
    """Every request the composer made, with status, timing, headers and bodies — redacted.

    Fed with ``Exchange.redacted()`` dictionaries, which already have every secret hidden.
    Its widgets (``tree``, ``detail``, ``clear_button``) are made by ``build``, which the
    window calls when the tab is first shown; until then entries are only kept.
    """

    MAX_ENTRIES = 500

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entries: list[dict[str, Any]] = []
        self.built = False

    def build(self) -> None:
        """Make the tab's widgets and list the entries kept so far (once)."""
        if self.built:
            return
        # Python types (and enums) made only for a tab that is shown: not at start.
        from PySide6.QtWidgets import QHeaderView

        self.built = True
        layout = QVBoxLayout(self)
        split = QSplitter(Qt.Orientation.Vertical)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Time", "Method", "URL", "Status", "ms"])
        self.tree.setRootIsDecorated(False)
        self.tree.setAccessibleName("Requests")
        # The URL column takes the room there is and cuts long addresses in the middle; the
        # whole address is in its tooltip and in the details below.
        self.tree.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.tree.header()
        header.setStretchLastSection(False)
        for column in (0, 1, 3, 4):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setAccessibleName("Request details")
        split.addWidget(self.tree)
        split.addWidget(self.detail)
        layout.addWidget(split, 1)
        self.clear_button = QPushButton("Clear log")
        self.clear_button.setAccessibleName("Clear request log")
        layout.addWidget(self.clear_button)
        self.clear_button.clicked.connect(self.clear)
        self.tree.currentItemChanged.connect(self._show_current)
        for entry in self.entries:
            self._add_row(entry)

    def add(self, entry: dict[str, Any]) -> None:
        entry = dict(entry, logged_at=time.time())
        self.entries.append(entry)
        if len(self.entries) > self.MAX_ENTRIES:
            self.entries.pop(0)
            if self.built:
                self.tree.takeTopLevelItem(0)
        if self.built:
            self._add_row(entry)

    def _add_row(self, entry: dict[str, Any]) -> None:
        from PySide6.QtWidgets import QTreeWidgetItem  # made with the first row, as above

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
        item.setToolTip(2, entry.get("url", ""))
        self.tree.addTopLevelItem(item)
        if self.tree.currentItem() is None:
            self.tree.setCurrentItem(item)

    def follow(self, hooks: list[Callable[[Any], None]]) -> None:
        """Log every exchange reported to ``hooks`` (the context calls them on worker
        threads; entries reach this widget queued, on the GUI thread)."""
        # The relay has no parent: a worker thread may still be emitting on it while this
        # widget is destroyed, so it lives as long as the hook that uses it. Qt drops the
        # queued entries for a receiver that is gone.
        relay = _ExchangeRelay()
        relay.exchange.connect(self.add)

        def hook(exchange: Any) -> None:
            relay.exchange.emit(exchange.redacted())

        hooks.append(hook)
        self._following = (hooks, hook)

    def unfollow(self) -> None:
        hooks, hook = getattr(self, "_following", ([], None))
        if hook in hooks:
            hooks.remove(hook)

    def clear(self) -> None:
        self.entries.clear()
        if self.built:
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
