"""Fitting a list's columns to its width, for the composer's narrow tabs (Threads, Outbox):
short columns keep their whole width, long text columns share what is left, and cut cells
end in "…" (their whole text is the cell's tooltip, which each panel sets)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from PySide6.QtWidgets import QTreeWidget


def share_widths(
    wanted: Sequence[int],
    width: int,
    least: int,
    capped: Mapping[int, float],
    shared: Mapping[int, int],
) -> list[int]:
    """Each column's width within ``width``, given the width each ``wanted`` for its whole
    contents.

    Columns neither ``capped`` nor ``shared`` keep what they want. When the ``shared`` ones
    do not fit in what is left, each ``capped`` column gives up what it has beyond its part
    of ``width`` (a fraction), and the ``shared`` ones divide what is left by their weights:
    one that wants less than its part keeps its whole width and the others share the rest
    (any odd pixel goes to the first). No capped or shared column is narrower than ``least``.
    """
    widths = list(wanted)

    def room() -> int:
        return width - sum(w for column, w in enumerate(widths) if column not in shared)

    if sum(wanted[column] for column in shared) <= room():
        return widths
    for column, part in capped.items():
        widths[column] = max(min(wanted[column], int(width * part)), least)
    left = room()
    if sum(wanted[column] for column in shared) <= left or left <= 0:
        return widths
    sharing = dict(shared)
    while sharing:
        weights = sum(sharing.values())
        narrow = [c for c, weight in sharing.items() if wanted[c] <= left * weight // weights]
        if not narrow:
            break
        for column in narrow:
            widths[column] = wanted[column]
            left -= wanted[column]
            del sharing[column]
    weights = sum(sharing.values())
    parts = {column: left * weight // weights for column, weight in sharing.items()}
    if parts:
        parts[next(iter(parts))] += left - sum(parts.values())
    for column, part in parts.items():
        widths[column] = part
    for column in shared:
        widths[column] = max(widths[column], least)
    return widths


class ColumnFit(QObject):
    """Keeps a tree's columns within its width as its rows and its width change.

    The panel calls ``measure(columns)`` after their cells changed and ``shown()`` from its
    ``showEvent``: nothing is fitted (and no Qt type made) while the list was never shown, as
    the composer's hidden tabs are at start. From the first fitting on, the header is watched
    and every change of the list's width (the window resized, a vertical scroll bar) shares
    the columns out again, from the widths last measured, without measuring every row again.

    The list's width is its header's, never its viewport's: asking a view for its viewport
    made PySide resolve the plain QWidget it returns against every widget class, creating
    some seventy of their enum types on the spot (19 ms of the GUI thread, mid-send).
    """

    def __init__(
        self,
        tree: QTreeWidget,
        *,
        capped: Mapping[int, float],
        shared: Mapping[int, int],
    ) -> None:
        super().__init__(tree)
        self._tree = tree
        self._capped = dict(capped)
        self._shared = dict(shared)
        # Each column's width for its whole contents, as last measured.
        self._wanted = [0] * tree.columnCount()
        self._unfitted: set[int] = set()  # measured since the columns were last fitted
        self._watching = False

    def measure(self, columns: Iterable[int]) -> None:
        """Size ``columns`` to their contents; fit them to the list's width if it shows."""
        for column in columns:
            self._tree.resizeColumnToContents(column)
            self._unfitted.add(column)
        if self._tree.isVisible():
            self._fit_measured()

    def shown(self) -> None:
        """The list shows: fit what was measured while it was hidden."""
        if self._unfitted:
            self._fit_measured()

    def watch(self) -> None:
        """Watch the header from now on, for a panel built as it is shown (its header's type
        made already): the list fits itself when it shows and when its width changes, with
        no ``shown`` call."""
        if not self._watching:
            self._watching = True
            self._tree.header().installEventFilter(self)

    def _fit_measured(self) -> None:
        header = self._tree.header()
        last = len(self._wanted) - 1
        for column in self._unfitted:
            if column == last:
                # The last section is stretched to the list's width, which is not what its
                # contents want: ask its hints (as resizeColumnToContents did).
                wanted = max(self._tree.sizeHintForColumn(column), header.sectionSizeHint(column))
            else:
                wanted = header.sectionSize(column)
            self._wanted[column] = wanted
        self._unfitted.clear()
        self.watch()
        self._fit()

    def _fit(self) -> None:
        header = self._tree.header()
        widths = share_widths(
            self._wanted, header.width(), header.minimumSectionSize(), self._capped, self._shared
        )
        # Only the capped and shared columns: the others have their measured widths already.
        for column in (*self._capped, *self._shared):
            if header.sectionSize(column) != widths[column]:
                self._tree.setColumnWidth(column, widths[column])

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The list showed, or its visible width changed (the panel resized, a vertical scroll
        # bar came or went): share it out again.
        kind = event.type()
        if kind in (QEvent.Type.Resize, QEvent.Type.Show) and self._tree.isVisible():
            if self._unfitted:
                self._fit_measured()
            elif any(self._wanted):
                self._fit()
        return super().eventFilter(watched, event)
