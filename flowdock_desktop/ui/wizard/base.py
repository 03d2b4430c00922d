"""What every wizard page shares: a banner, a busy line with Cancel, background work."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from flowdock_desktop.ui.tasks import TaskHandle, run_task
from flowdock_desktop.ui.widgets import Banner

if TYPE_CHECKING:
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.problems import Problem
    from flowdock_desktop.ui.wizard.state import WizardState
    from flowdock_desktop.ui.wizard.wizard import SetupWizard

log = logging.getLogger(__name__)


class BusyLine(QWidget):
    """ "Doing X…" with an indeterminate progress bar and a Cancel button.

    The button has no mnemonic: Esc cancels the work, and while it runs this is the wizard's
    only Cancel (the wizard hides its own), so no letter is taken from the page's fields.

    Signals: ``cancel_clicked`` (the button's ``clicked``).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setMaximumWidth(140)
        self.bar.setAccessibleName("Working")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAccessibleName("Cancel")
        self.cancel_button.setToolTip("Stop this (Esc)")
        self.cancel_clicked = self.cancel_button.clicked
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)
        self.setVisible(False)

    def start(self, text: str) -> None:
        self.label.setText(text)
        self.setAccessibleName(text)
        self.setVisible(True)

    def stop(self) -> None:
        self.setVisible(False)


class WizardPage(QWizardPage):
    """A page with a ``Banner`` on top, a ``BusyLine`` at the bottom and one task at a time.

    Subclasses put their own widgets into ``self.body`` (a QVBoxLayout).
    """

    def __init__(self, context: AppContext, state: WizardState, title: str, subtitle: str = ""):
        super().__init__()
        self.context = context
        self.state = state
        self.setTitle(title)
        if subtitle:
            self.setSubTitle(subtitle)
        outer = QVBoxLayout(self)
        self.banner = Banner()
        outer.addWidget(self.banner)
        self.body = QVBoxLayout()
        outer.addLayout(self.body)
        outer.addStretch(1)
        self.busy = BusyLine()
        self.busy.cancel_clicked.connect(self.cancel_work)
        outer.addWidget(self.busy)
        self._task: TaskHandle | None = None
        self._banner_action: Callable[[], Any] | None = None
        self.banner.action_clicked.connect(self._on_banner_action)

    # -- keyboard and focus ------------------------------------------------------------------

    def first_field(self) -> QWidget | None:
        """Where the cursor starts when the page opens; None means the wizard's next button."""
        return None

    def has_typed_input(self) -> bool:
        """True when the person typed something here that closing the wizard would lose."""
        return False

    def focus_first_field(self) -> None:
        """Put the cursor in the first field (its text selected, so typing replaces it)."""
        widget = self.first_field()
        if widget is None or not widget.isVisibleTo(self) or not widget.isEnabled():
            wizard = self.wizard()
            if wizard is None:
                return
            which = (
                QWizard.WizardButton.CommitButton
                if self.isCommitPage()
                else QWizard.WizardButton.FinishButton
                if self.isFinalPage()
                else QWizard.WizardButton.NextButton
            )
            widget = wizard.button(which)
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        if isinstance(widget, QLineEdit):
            widget.selectAll()

    # -- helpers -----------------------------------------------------------------------------

    def setup_wizard(self) -> SetupWizard:
        return self.wizard()  # type: ignore[return-value]

    @property
    def working(self) -> bool:
        return self._task is not None

    def run(
        self,
        fn: Callable[..., Any],
        busy_text: str,
        on_done: Callable[[Any], Any],
        on_error: Callable[[BaseException], Any],
        *,
        with_token: bool = False,
        with_progress: bool = False,
        on_progress: Callable[[Any], Any] | None = None,
    ) -> TaskHandle:
        """Run ``fn`` in the background, showing ``busy_text`` with Cancel until it ends."""
        self.cancel_work()
        self.busy.start(busy_text)

        def finished(result: Any) -> None:
            self._end_task(handle)
            on_done(result)

        def failed(error: BaseException) -> None:
            self._end_task(handle)
            on_error(error)

        handle = run_task(
            fn,
            owner=self,
            on_done=finished,
            on_error=failed,
            on_progress=on_progress,
            with_token=with_token,
            with_progress=with_progress,
        )
        self._task = handle
        self.completeChanged.emit()
        return handle

    def _end_task(self, handle: TaskHandle) -> None:
        if self._task is handle:
            self._task = None
            self.busy.stop()
            self.completeChanged.emit()

    def cancel_work(self) -> None:
        """Stop the page's background work (results are then dropped)."""
        handle, self._task = self._task, None
        if handle is not None:
            handle.cancel()
            self.busy.stop()
            self.on_cancelled()
            self.completeChanged.emit()

    def on_cancelled(self) -> None:
        """Hook: the person (or leaving the page) cancelled the work."""

    def show_error(
        self, text: str, action: str | None = None, then: Callable[[], Any] | None = None
    ):
        self._banner_action = then
        self.banner.show_message("error", text, action if then else None)

    def show_info(self, kind: str, text: str) -> None:
        self._banner_action = None
        self.banner.show_message(kind, text)

    def _on_banner_action(self) -> None:
        action = self._banner_action
        if action is not None:
            action()

    def cleanupPage(self) -> None:  # Back: stop work, keep what was typed
        self.cancel_work()

    def show_failure(self, error: BaseException, retry: Callable[[], Any]) -> None:
        """Say what went wrong in the words the command line uses for it (``problems``), with
        the next step that fits: signing in again, or trying again."""
        from flowdock_desktop.auth.errors import SignInError
        from flowdock_desktop.problems import NextStep

        problem = self.explain(error)
        if problem.next_step is NextStep.SIGN_IN or isinstance(error, SignInError):
            self.show_error(problem.text, "Sign &in again", self.setup_wizard().go_to_sign_in)
        else:
            self.show_error(problem.text, "&Try again", retry)

    def explain(self, error: BaseException) -> Problem:
        """The plain words for ``error``; a bug also leaves a crash report, named in them."""
        from flowdock_desktop.problems import explain_and_report

        problem = explain_and_report(error, self.context.profile.log_dir)
        if problem.unexpected:
            log.error("wizard step failed", exc_info=error)
        return problem
