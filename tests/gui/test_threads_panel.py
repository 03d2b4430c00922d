"""The Threads tab's list is redrawn only when a row changes: the stream and every send hand
it the same threads again, and the person's place in a long list must stay put."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt

from flowdock_desktop.sending import ThreadView
from flowdock_desktop.store.history import ThreadSummary
from flowdock_desktop.ui.composer.threads_panel import CHANGED_MARK, ThreadsPanel

pytestmark = pytest.mark.gui


def _view(n: int, count: int = 1) -> ThreadView:
    return ThreadView(
        ThreadSummary(
            integration_id="i1",
            key=f"deploy-{n}",
            external_thread_id=f"deploy-{n}",
            thread_id=None,
            title=f"Deploy {n}",
            status_value="ok",
            status_color="green",
            last_event="activity",
            last_sent_at=1_700_000_000.0 + n,
            message_count=count,
        )
    )


def test_the_same_listing_again_keeps_the_place_and_a_change_shows(qtbot):
    panel = ThreadsPanel()
    qtbot.addWidget(panel)
    panel.resize(500, 300)
    panel.show()
    qtbot.waitExposed(panel)
    views = [_view(n) for n in range(60)]
    panel.set_threads(views)
    bar = panel.tree.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    panel.tree.setCurrentItem(panel.tree.topLevelItem(40))
    bar.setValue(bar.maximum())
    place = bar.value()

    panel.set_threads([dataclasses.replace(v) for v in views])  # equal, not the same objects
    assert bar.value() == place
    assert panel.current() is not None and panel.current().key == "deploy-40"

    # One thread got another message and is marked changed: its row says so, changed where
    # it is (the list is not rebuilt, so the place in it stays).
    before = panel.tree.topLevelItem(40)
    views[40] = _view(40, count=2)
    panel.set_threads(views, changed={"deploy-40"})
    row = panel.tree.topLevelItem(40)
    assert row is before and bar.value() == place
    assert row.text(1) == f"{CHANGED_MARK} Deploy 40"
    assert row.font(1).bold() and row.toolTip(1) == "Deploy 40 (changed since you last looked)"
    assert row.text(3) == "2"  # under "Msgs"
    assert panel.current() is not None and panel.current().key == "deploy-40"

    # Looked at: the mark goes from the same row.
    panel.set_threads(views)
    assert row.text(1) == "Deploy 40" and not row.font(1).bold()
    assert row.toolTip(1) == "Deploy 40"  # the whole title, which a narrow panel cuts

    # A new thread comes first: the list is built again, the chosen thread still chosen.
    panel.set_threads([_view(99), *views])
    assert panel.tree.topLevelItemCount() == 61
    assert panel.tree.topLevelItem(0).text(1) == "Deploy 99"
    assert panel.current() is not None and panel.current().key == "deploy-40"


@pytest.mark.parametrize("title", ["Backups", "The quarterly deploy of every service we run"])
def test_listed_before_it_shows_every_column_fits_the_narrow_tab(qtbot, title):
    """Found walking at 1,024x700: threads listed while the tab was hidden (from the local
    history, at start) left the list a few pixels wider than the tab, behind a scroll bar.
    The last column's wanted width was read from its section, which the list stretches."""
    panel = ThreadsPanel()
    qtbot.addWidget(panel)
    view = dataclasses.replace(
        _view(1),
        summary=dataclasses.replace(
            _view(1).summary, title=title, status_value="announcement", status_color="blue"
        ),
    )
    panel.set_threads([view])  # listed before the panel is ever shown
    panel.resize(356, 300)  # the Threads tab's width at 1,024x700
    panel.show()
    qtbot.waitExposed(panel)
    tree, header = panel.tree, panel.tree.header()
    qtbot.waitUntil(lambda: tree.horizontalScrollBar().maximum() == 0)
    assert header.sectionViewportPosition(4) + header.sectionSize(4) <= tree.viewport().width()
    assert header.sectionSize(4) >= tree.sizeHintForColumn(4)  # the time whole


def test_at_1024x700_fields_get_a_share_and_the_status_colour_is_a_dot_not_a_fill(qtbot):
    """Found by the lead at 1,024x700: the Fields column was left a few pixels ("S…"), and a
    thread's status filled its cell in its colour, which looked like a chosen row. The
    fields now share the room with the title, the status gives up what it has beyond a
    quarter of the list, and the colour is a dot before the status, which keeps the list's
    own colours; every cut cell is whole in its tooltip."""
    from PySide6.QtGui import QPalette

    from flowdock_desktop.api.models import Thread
    from flowdock_desktop.ui.theme import STATUS_COLOURS

    fields = "Services: api, web, worker, scheduler, mailer"
    remote = Thread.from_json(
        {
            "title": "The quarterly production deploy of every service",
            "status": {"value": "announcement", "color": "blue"},
            "fields": [{"label": "Services", "value": "api, web, worker, scheduler, mailer"}],
            "activities": 1,
        }
    )
    panel = ThreadsPanel()
    qtbot.addWidget(panel)
    panel.set_threads([dataclasses.replace(_view(1), remote=remote)])
    panel.resize(356, 300)  # the Threads tab's width at 1,024x700
    panel.show()
    qtbot.waitExposed(panel)
    tree, header = panel.tree, panel.tree.header()
    qtbot.waitUntil(lambda: tree.horizontalScrollBar().maximum() == 0)
    row = tree.topLevelItem(0)
    width = tree.viewport().width()

    # Title and Fields, both too long for the room, have half of it each.
    assert header.sectionSize(2) < tree.sizeHintForColumn(2)  # cut …
    assert row.toolTip(2) == fields  # … and whole in its tooltip
    assert abs(header.sectionSize(2) - header.sectionSize(1)) <= 1
    assert header.sectionSize(2) >= width // 5
    # The status is cut to a quarter of the list, whole in its tooltip.
    assert header.sectionSize(0) <= width // 4 < tree.sizeHintForColumn(0)
    assert row.toolTip(0) == "announcement"
    assert header.sectionSize(3) >= tree.sizeHintForColumn(3)  # the count whole
    assert header.sectionSize(4) >= tree.sizeHintForColumn(4)  # the time whole
    # Their short headings, which leave that room, say it in full in their tooltips.
    heading = tree.headerItem()
    assert [heading.toolTip(3), heading.toolTip(4)] == ["Messages in the thread", "Last update"]

    # The colour: a dot before the text; the cell keeps the list's colours.
    assert row.background(0).style() == Qt.BrushStyle.NoBrush
    assert row.foreground(0).style() == Qt.BrushStyle.NoBrush
    dot = row.icon(0).pixmap(tree.iconSize()).toImage()
    assert dot.width() <= 16
    centre = dot.pixelColor(dot.width() // 2, dot.height() // 2)
    assert centre.name() == STATUS_COLOURS["blue"]
    picture = tree.viewport().grab().toImage()
    cell = tree.visualItemRect(row)
    right_of_the_text = picture.pixelColor(header.sectionSize(0) - 3, cell.center().y())
    assert right_of_the_text == tree.palette().color(QPalette.ColorRole.Base)
