"""Every control a person can reach has a name a screen reader can say, on every screen."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

from flowdock_desktop.context import AppContext
from flowdock_desktop.store.profile import Profile
from flowdock_desktop.testing import connect_demo_source as make_integration
from flowdock_desktop.ui.composer import ComposerWindow
from flowdock_desktop.ui.wizard import PageId, SetupWizard

pytestmark = pytest.mark.gui

CONTROLS = (QAbstractButton, QLineEdit, QPlainTextEdit, QTextEdit, QComboBox, QAbstractItemView)


def _inside_combo_box(widget: QWidget) -> bool:
    parent = widget.parent()
    while parent is not None:
        if isinstance(parent, QComboBox):
            return True
        parent = parent.parent()
    return False


def _unnamed(root: QWidget) -> list[str]:
    missing = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or widget.focusPolicy() == Qt.FocusPolicy.NoFocus:
            continue
        if widget.isHidden():
            continue  # shown later with its name (a banner's action button, say)
        if _inside_combo_box(widget):
            continue  # the combo box carries the name; this is its editor or popup list
        if widget.parent() is not None and type(widget.parent()).__name__ in (
            "QScrollBar",
            "QTabBar",
        ):
            continue
        name = widget.accessibleName()
        if not name and isinstance(widget, QAbstractButton):
            name = widget.text().replace("&", "")
        if not name.strip():
            missing.append(f"{type(widget).__name__} {widget.objectName()!r}")
    return missing


def test_every_wizard_page_names_its_controls(qtbot, profile_dir):
    with AppContext(Profile.resolve(profile_dir)) as context:
        wizard = SetupWizard(context)
        qtbot.addWidget(wizard)
        missing = {}
        for page_id in PageId:
            page = wizard.page_for(page_id)
            found = _unnamed(page)
            if found:
                missing[type(page).__name__] = found
        assert missing == {}


def test_the_composer_names_its_controls(qtbot, profile_dir, sandbox):
    with AppContext(Profile.resolve(profile_dir)) as context:
        integration, _ = make_integration(context, sandbox.base_url)
        window = ComposerWindow(context, integration.id)
        qtbot.addWidget(window)
        window.show()
        # Field rows and actions appear when added: add one of each so they are checked too.
        form = window.form
        form.fields.add_button.click()
        if hasattr(form, "actions"):
            form.actions.add_button.click()
        assert _unnamed(window) == []
