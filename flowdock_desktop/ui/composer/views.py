"""ViewsController: the Announcement view or the full form, and marking problems in the one
in use (the "Fix the marked fields" banner goes once nothing is marked)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QPushButton, QStackedWidget, QWidget

from flowdock_desktop.api.validation import FieldErrors
from flowdock_desktop.store.profile import Settings
from flowdock_desktop.ui.composer.banner import BannerController, BannerReason
from flowdock_desktop.ui.composer.form import MessageForm
from flowdock_desktop.ui.tasks import run_task

if TYPE_CHECKING:
    from flowdock_desktop.ui.composer.announcement import AnnouncementForm

log = logging.getLogger(__name__)

#: The two ways to write a message, as stored in the settings.
ANNOUNCEMENT, FULL = "announcement", "full"
VIEW_SETTING = "composer_view"


class ViewSwitch(QWidget):
    """Two toggle buttons side by side: "Announcement" and "Full message".

    Attributes: ``group`` (a QButtonGroup whose buttons carry their mode in ``mode``).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        self.group = QButtonGroup(self)
        for mode, text, tip in (
            (ANNOUNCEMENT, "Announcement", "Title, text and status only (Ctrl+1)"),
            (FULL, "Full message", "Every part of the message (Ctrl+2)"),
        ):
            button = QPushButton(text)
            button.setCheckable(True)
            button.setToolTip(tip)
            button.setAccessibleName(f"Write {text.lower()}")
            button.setProperty("mode", mode)
            self.group.addButton(button)
            layout.addWidget(button)


class ViewsController(QObject):
    """Switches between the views in ``stack`` (page 0 the Announcement view, page 1 the
    full form), keeps the toggle ``buttons`` and menu ``actions`` in step, remembers the
    choice in ``settings`` (written in the background) and shows problems in the view in use.
    ``announcement`` gives the Announcement view, which it builds when first asked for: it
    is asked for only when that view is shown or in use.
    """

    def __init__(
        self,
        form: MessageForm,
        announcement: Callable[[], AnnouncementForm],
        stack: QStackedWidget,
        buttons: QButtonGroup,
        actions: dict[str, QAction],
        *,
        settings: Settings,
        banner: BannerController,
        parent: QObject,
    ) -> None:
        super().__init__(parent)
        self.form, self._announcement = form, announcement
        self._stack, self._buttons, self._actions = stack, buttons, actions
        self._settings = settings
        self._wanted = ""
        self._writing = False
        self._banner = banner
        buttons.buttonClicked.connect(lambda button: self.show(button.property("mode")))
        for mode, action in actions.items():
            action.triggered.connect(lambda _=False, m=mode: self.show(m))
        form.validated.connect(self._revalidated)
        self.show(settings.get(VIEW_SETTING) or FULL, remember=False)

    @property
    def announcement(self) -> AnnouncementForm:
        return self._announcement()

    @property
    def mode(self) -> str:
        return ANNOUNCEMENT if self._stack.currentIndex() == 0 else FULL

    def current(self) -> AnnouncementForm | MessageForm:
        return self.announcement if self.mode == ANNOUNCEMENT else self.form

    def show(self, mode: str, *, remember: bool = True) -> None:
        """Show the Announcement view or the full form (both edit the same message)."""
        mode = ANNOUNCEMENT if mode == ANNOUNCEMENT else FULL
        if mode == ANNOUNCEMENT:
            self.form.apply(lambda state: state.as_announcement())
            self.announcement  # noqa: B018 (built, in its page, before the page shows)
        self._stack.setCurrentIndex(0 if mode == ANNOUNCEMENT else 1)
        for button in self._buttons.buttons():
            button.setChecked(button.property("mode") == mode)
        self._actions[mode].setChecked(True)
        if remember:
            self._remember(mode)
            self.focus_first_empty()

    def _remember(self, mode: str) -> None:
        """Keep the view for the next start, on a worker: one write at a time, the last
        choice last (two writes in flight could end in either order, and a quick switch back
        and forth then remembered the view left, not the one chosen)."""
        self._wanted = mode
        if self._writing:
            return  # written once the write in flight ends
        self._writing = True
        settings = self._settings
        run_task(
            lambda: settings.set(VIEW_SETTING, mode),
            owner=self,
            on_done=lambda _: self._written(mode),
            on_error=lambda error: self._not_written(mode, error),
        )

    def _not_written(self, mode: str, error: BaseException) -> None:
        # Not worth a window: the next start opens the Full message view.
        log.warning("the composer's view was not remembered: %s", type(error).__name__)
        self._written(mode)

    def _written(self, mode: str) -> None:
        self._writing = False
        if self._wanted != mode:
            self._remember(self._wanted)

    def adapt(self) -> None:
        """A new message arrived in the form (a draft, a template): fit it to the view."""
        if self.mode == ANNOUNCEMENT:
            self.form.apply(lambda state: state.as_announcement())

    def focus_first_empty(self) -> None:
        widget = self.current().first_empty_widget()
        if widget is not None and widget.isEnabled():
            widget.setFocus()

    def mark(self, errors: FieldErrors, extra: str = "") -> None:
        """Show every problem by its field in the view in use, and say so in the banner.

        Problems the Announcement view has no field for bring up the full form."""
        self.form.touch_all()
        unplaced = self.form.show_errors(errors)
        if self.mode == ANNOUNCEMENT and self.announcement.show_errors(errors):
            self.show(FULL, remember=False)
        text = "Fix the marked fields, then send again."
        if unplaced:
            text += " " + " ".join(unplaced)
        self._banner.show("error", text + extra, BannerReason.FIX_FIELDS)
        widget: QWidget | None = self.current().first_error_widget()
        if widget is not None:
            widget.setFocus()

    def _revalidated(self) -> None:
        """Typing paused: once no field is marked any more, the banner goes too."""
        if self._banner.reason is not BannerReason.FIX_FIELDS:
            return
        if self.mode == ANNOUNCEMENT:
            self.announcement.show_errors(self.form.errors())
        if self.current().first_error_widget() is None:
            self._banner.clear(BannerReason.FIX_FIELDS)
