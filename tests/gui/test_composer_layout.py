"""The composer on small and large screens: it fits 1,024x700, long texts never widen it, the
form scrolls under the wheel, and Status is in view without scrolling."""

from __future__ import annotations

import logging

import pytest
from person import WAIT, painted_background, press
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QScrollArea, QWidget

from flowdock_desktop.testing import arm_fault
from flowdock_desktop.testing import connect_demo_source as make_integration

pytestmark = pytest.mark.gui

SMALL = (1024, 700)
LARGE = (1680, 1050)


def inside(widget: QWidget, area: QScrollArea) -> bool:
    """Whether ``widget`` is wholly in the part of ``area`` on screen."""
    top_left = widget.mapTo(area.viewport(), QPoint(0, 0))
    return (
        top_left.y() >= 0
        and top_left.y() + widget.height() <= area.viewport().height()
        and top_left.x() >= 0
        and top_left.x() + widget.width() <= area.viewport().width()
    )


def wheel(widget: QWidget, notches: int = -3) -> None:
    """Turn the mouse wheel over ``widget`` (negative: towards the person, scrolling down),
    through the window system as a real wheel would."""
    top = widget.window()
    centre = widget.mapTo(top, QPoint(widget.width() // 2, widget.height() // 2))
    QTest.wheelEvent(top.windowHandle(), QPointF(centre), QPoint(0, 120 * notches))


def test_a_long_problem_never_widens_the_window_past_a_1024_screen(
    qtbot, composer_context, sandbox, open_composer, no_faults, screenshot, caplog
):
    caplog.set_level(logging.INFO)
    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id, size=SMALL)
    assert window.minimumSizeHint().width() <= SMALL[0]
    assert window.width() == SMALL[0]

    # One message refused outright, a second kept waiting by a server that keeps failing:
    # the footer then has a lot to say, and the banner too.
    window.views.show("full")
    window.form.thread_title.setFocus()
    press(qtbot, Qt.Key.Key_End)
    qtbot.keyClicks(window.form.thread_title, "A thread with a long name to make the texts long")
    arm_fault(sandbox, count=1, status=400, path_prefix="/messages")
    window.send()
    qtbot.waitUntil(lambda: "refused" in window.outbox_label.full_text(), timeout=WAIT)
    arm_fault(sandbox, count=1000, status=503, path_prefix="/messages")
    qtbot.waitUntil(window.send_button.isEnabled, timeout=WAIT)
    window.send()
    qtbot.waitUntil(lambda: "waiting" in window.outbox_label.full_text(), timeout=WAIT)
    qtbot.waitUntil(lambda: "last problem" in window.outbox_label.full_text(), timeout=WAIT)
    QApplication.processEvents()

    footer = window.outbox_label
    assert window.width() == SMALL[0]
    assert window.minimumSizeHint().width() <= SMALL[0]
    assert footer.text() != footer.full_text() and footer.text().endswith("…")  # cut to fit
    # Cut, it still says what needs the person and where to look.
    assert footer.text().startswith("1 refused: see the Outbox tab")
    assert footer.toolTip() == footer.full_text()  # the whole text on hover...
    assert any(footer.full_text() in r.getMessage() for r in caplog.records)  # ...and logged
    for pane in (window.integrations_panel, window.right_tabs, window.send_button):
        left = pane.mapTo(window, QPoint(0, 0)).x()
        assert pane.width() > 0 and left + pane.width() <= window.width(), pane
    screenshot(window, "composer-1024x700-long-problem")


def test_status_is_in_view_and_the_wheel_scrolls_the_form(
    qtbot, composer_context, sandbox, open_composer
):
    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id, size=SMALL)
    window.views.show("full")
    form = window.form
    area = window.stack.currentWidget()
    assert isinstance(area, QScrollArea)
    assert inside(form.status_value, area) and inside(form.swatches, area)

    bar = area.verticalScrollBar()
    assert bar.maximum() > 0  # the details below need scrolling at this size
    # A text box full enough to scroll itself hands the wheel on once it reached its end.
    thread_body = form.body.edit
    thread_body.setPlainText("\n".join(f"line {n}" for n in range(40)))
    own = thread_body.verticalScrollBar()
    own.setValue(own.maximum())
    for widget in (
        form.message_body.edit.viewport(),
        form.title,
        form.event.buttons["activity"],
        form.body.format,
        thread_body.viewport(),
    ):
        area.ensureWidgetVisible(widget, 0, 0)  # the pointer over it, as a person has it
        if bar.value() == bar.maximum():
            bar.setValue(bar.maximum() - 60)
        before = bar.value()
        wheel(widget)
        assert bar.value() > before, widget


def test_the_composer_at_a_large_size(qtbot, composer_context, sandbox, open_composer, screenshot):
    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id, size=LARGE)
    window.views.show("full")
    assert window.width() == LARGE[0]
    # The room goes to the form and the preview, not to the integration list.
    assert window.integrations_panel.width() < window.right_tabs.width()
    screenshot(window, "composer-large")
    window.views.show("announcement")
    screenshot(window, "composer-announcement-large")


def test_notices_follow_a_switch_between_light_and_dark(
    qtbot, qapp, composer_context, sandbox, open_composer
):
    from flowdock_desktop.ui.theme import apply_theme
    from flowdock_desktop.ui.widgets import Banner

    integration, _ = make_integration(composer_context, sandbox.base_url)
    window = open_composer(integration.id, size=SMALL)
    window.banners.show("warning", "Something to know.")
    light_bg, _, dark_bg, _ = Banner._COLOURS["warning"]
    apply_theme(qapp, "light")  # no change: the banner keeps its light colours
    assert painted_background(window.banner) == light_bg
    apply_theme(qapp, "dark")
    qtbot.waitUntil(lambda: painted_background(window.banner) == dark_bg, timeout=WAIT)
    apply_theme(qapp, "light")
    qtbot.waitUntil(lambda: painted_background(window.banner) == light_bg, timeout=WAIT)
