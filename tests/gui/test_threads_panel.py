"""The Threads tab's list is redrawn only when a row changes: the stream and every send hand
it the same threads again, and the person's place in a long list must stay put."""

from __future__ import annotations

import dataclasses

import pytest

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
    assert row.text(3) == "2"  # under "Messages"
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
