"""The composer's Threads tab: threads the integration posted to, whether they changed since
the person last looked, whether live updates run, and one thread's timeline."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QTreeWidget,
    QVBoxLayout,
    QWidget,
)

from flowdock_desktop.api.html import html_to_text, sanitize_body, sanitize_title
from flowdock_desktop.ui.column_fit import ColumnFit
from flowdock_desktop.ui.theme import STATUS_COLOURS

if TYPE_CHECKING:
    from PySide6.QtWidgets import QTreeWidgetItem

    from flowdock_desktop.api.models import Message
    from flowdock_desktop.sending import ThreadView


def _when(value: datetime | float | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value).astimezone()
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def _short_when(value: datetime | float | None, today: datetime) -> str:
    """The list's Updated column, short for a narrow panel: the time alone ``today``, the day
    and time this year, else the date (``_when`` in full is the cell's tooltip)."""
    if value is None:
        return ""
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value).astimezone()
    value = value.astimezone()
    if value.date() == today.date():
        return value.strftime("%H:%M")
    if value.year == today.year:
        return f"{value.day} {value.strftime('%b %H:%M')}"
    return value.strftime("%Y-%m-%d")


#: Marks a thread that changed since the person last looked at it.
CHANGED_MARK = "●"

#: The status colour's dot before the status, in the list: the size it is shown at.
STATUS_DOT = QSize(10, 10)


def _status_dot(colour: str) -> QIcon:
    """A round dot of a Flowdock status colour, with a thin grey rim that keeps the dark
    colours visible on a dark list; drawn once per colour (large: Qt scales it down)."""
    icon = _dots.get(colour)
    if icon is None:
        picture = QPixmap(40, 40)
        picture.fill(Qt.GlobalColor.transparent)
        painter = QPainter(picture)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(128, 128, 128, 170), 3))
        painter.setBrush(QColor(STATUS_COLOURS[colour]))
        painter.drawEllipse(QRectF(2, 2, 36, 36))
        painter.end()
        icon = _dots[colour] = QIcon(picture)
    return icon


_dots: dict[str, QIcon] = {}


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

    # Short headings for the numbers, whose columns would otherwise be as wide as their
    # headings: the room goes to the title and the fields (the whole words are the
    # headings' tooltips).
    COLUMNS = ("Status", "Title", "Fields", "Msgs", "Updated")
    _HEADING_TIPS = ("", "", "", "Messages in the thread", "Last update")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.views: list[ThreadView] = []
        self._rows: list[tuple[Any, ...]] = []  # what the list shows, row by row
        self._headings_explained = False  # the short headings' tooltips (``_rebuild``)
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
        self.refresh_button = QPushButton("Refresh")
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
        self.tree.setIconSize(STATUS_DOT)
        # Every column within the panel, as narrow as it is at 1,024x700: Msgs and Updated
        # keep their whole width; when Title and Fields do not fit, Status gives up what it
        # has beyond a quarter of the list, and Title and Fields share what is left, half
        # each (the shorter one whole and the other the rest).
        self._columns = ColumnFit(self.tree, capped={0: 1 / 4}, shared={1: 1, 2: 1})
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
        """Show ``views``; those whose key is in ``changed`` carry a mark and bold titles.

        The list is rebuilt only when a row would look different: the stream and every send
        hand over the same threads again, and a rebuild re-measures every column."""
        self.views = list(views)
        today = datetime.now().astimezone()  # once per listing, not once per row
        rows = [self._row(view, view.key in changed, today) for view in views]
        if rows != self._rows:
            if [row[0] for row in rows] == [row[0] for row in self._rows]:
                self._update(rows)  # the same threads in the same order: after a send, say
            else:
                self._rebuild(rows)
            self._rows = rows
        note_text = note or ("" if views else "Nothing sent from this integration yet.")
        if note_text != self.note.text():
            self.note.setText(note_text)
        self.update_button.setEnabled(self.current() is not None)

    @staticmethod
    def _row(view: ThreadView, changed: bool, today: datetime) -> tuple[Any, ...]:
        """What one thread's row shows: its key, cells, status colour and changed mark."""
        fields = ""
        if view.remote is not None:
            fields = "; ".join(
                f"{html_to_text(f.label)}: {html_to_text(f.value)}" for f in view.remote.fields
            )
        title = view.title or view.key
        if changed:
            title = f"{CHANGED_MARK} {title}"
        when = view.updated_at or view.last_sent_at
        cells = (
            view.status_value or "",
            title,
            fields,
            str(view.activity_count),  # under "Msgs": the number says it
            _short_when(when, today),
        )
        return view.key, cells, view.status_color, changed, _when(when)

    @staticmethod
    def _fill(item: QTreeWidgetItem, row: tuple[Any, ...]) -> None:
        key, cells, colour, changed, when = row
        for column, text in enumerate(cells):
            item.setText(column, text)
        # The status colour as a dot before the status, not the cell filled with it: a filled
        # cell (blue, most often) looked like the chosen row.
        item.setIcon(0, _status_dot(colour) if colour in STATUS_COLOURS else QIcon())
        item.setToolTip(0, cells[0])  # cut when the list is short of room
        font = item.font(1)
        font.setBold(changed)
        item.setFont(1, font)
        # The whole title, which a narrow panel cuts short.
        whole = cells[1].removeprefix(f"{CHANGED_MARK} ")
        item.setToolTip(1, f"{whole} (changed since you last looked)" if changed else whole)
        item.setToolTip(2, cells[2])
        item.setToolTip(4, when)
        item.setData(0, Qt.ItemDataRole.UserRole, key)

    def _update(self, rows: list[tuple[Any, ...]]) -> None:
        """Change the rows that look different where they are: no rebuild, and only the
        columns whose text changed are measured again (a send changes one row's count and
        time; rebuilding and measuring every column took up to 8 ms of the GUI thread)."""
        columns: set[int] = set()
        for index, (before, after) in enumerate(zip(self._rows, rows, strict=True)):
            if before != after:
                self._fill(self.tree.topLevelItem(index), after)
                pairs = enumerate(zip(before[1], after[1], strict=True))
                columns.update(column for column, (old, new) in pairs if old != new)
        self._columns.measure(sorted(columns))

    def _rebuild(self, rows: list[tuple[Any, ...]]) -> None:
        # Its Python type is made with the first row (after the window shows its message).
        from PySide6.QtWidgets import QTreeWidgetItem

        if not self._headings_explained:
            # Here, not at start: the header's item is of the rows' Python type.
            self._headings_explained = True
            for column, tip in enumerate(self._HEADING_TIPS):
                self.tree.headerItem().setToolTip(column, tip)
        item = self.tree.currentItem()
        current_key = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        self.tree.blockSignals(True)
        self.tree.clear()
        chosen = None
        for row in rows:
            item = QTreeWidgetItem()
            self._fill(item, row)
            self.tree.addTopLevelItem(item)
            if row[0] == current_key:
                chosen = item
        if chosen is not None:
            # The same thread stays chosen: quietly, as nothing was chosen anew.
            self.tree.setCurrentItem(chosen)
        self.tree.blockSignals(False)
        self._columns.measure(range(len(self.COLUMNS)))

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self._columns.shown()

    def clear(self) -> None:
        """Forget the shown threads, timeline and names (another integration was chosen)."""
        self.views = []
        self._rows = []
        self.people = {}
        self.tree.clear()
        self.note.setText("")
        self.live_note.setText("")
        self.update_button.setEnabled(False)
        self.show_timeline(None)

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
