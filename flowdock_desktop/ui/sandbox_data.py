"""Starting the embedded sandbox from the GUI, and the window shown when its data file cannot
be used."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox, QPushButton, QWidget

if TYPE_CHECKING:
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.sandbox.state.errors import DataFileError
    from flowdock_desktop.ui.tasks import TaskHandle

log = logging.getLogger(__name__)

MOVE_ASIDE = "&Move it aside and start a fresh sandbox"
CONTINUE = "Continue &without the sandbox"


class DamagedSandboxBox(QMessageBox):
    """Says which data file the embedded sandbox cannot use and why, and offers to move it
    aside (kept, renamed) and start from fresh demo data. ``move_button`` accepts; Esc or
    ``continue_button`` leaves the file alone."""

    def __init__(self, error: DataFileError, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("damagedSandbox")
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle("Flowdock Desktop")
        self.setText("The embedded sandbox cannot start.")
        self.setInformativeText(
            f"Its data file {error.path} {error.problem}. Nothing was changed in it.\n\n"
            "Moving it aside keeps the file under a new name next to it and starts the "
            "sandbox with fresh demo data; integrations set up against the old data will "
            "need to be set up again."
        )
        self.move_button: QPushButton = self.addButton(
            MOVE_ASIDE, QMessageBox.ButtonRole.AcceptRole
        )
        self.continue_button: QPushButton = self.addButton(
            CONTINUE, QMessageBox.ButtonRole.RejectRole
        )
        self.setDefaultButton(self.move_button)
        self.setEscapeButton(self.continue_button)


def start_embedded_sandbox(context: AppContext, parent: QWidget | None = None) -> str:
    """Start the embedded sandbox; when its data file is unusable, ask whether to move it
    aside and start fresh. Returns the base URL; re-raises when the person declines."""
    from flowdock_desktop.sandbox.state.errors import DataFileError
    from flowdock_desktop.sandbox.state.schema import move_aside

    try:
        return context.start_embedded_sandbox()
    except DataFileError as error:
        box = DamagedSandboxBox(error, parent)
        box.exec()
        if box.clickedButton() is not box.move_button:
            raise
        move_aside(error.path)
    return context.start_embedded_sandbox()


def start_embedded_sandbox_in_background(
    context: AppContext,
    on_started: Callable[[str], object] | None = None,
    parent: QWidget | None = None,
) -> TaskHandle:
    """Start the embedded sandbox on a worker, so the first window shows without waiting
    for it; ``on_started(url)`` runs on the GUI thread once it serves. An unusable data file
    gets the same question as ``start_embedded_sandbox`` (then a fresh start, again in the
    background); a busy port is left for the wizard's Server page to explain."""
    from flowdock_desktop.ui.tasks import run_task

    def failed(error: BaseException) -> None:
        # Imported here: the sandbox's storage package (asyncio with it) is the worker's to
        # load, not the GUI thread's while the first window paints.
        from flowdock_desktop.sandbox.state.errors import DataFileError
        from flowdock_desktop.sandbox.state.schema import move_aside

        if isinstance(error, DataFileError):
            box = DamagedSandboxBox(error, parent)
            box.exec()
            if box.clickedButton() is box.move_button:
                move_aside(error.path)
                start_embedded_sandbox_in_background(context, on_started, parent)
                return
        log.warning("embedded sandbox did not start: %s", error)

    return run_task(
        context.start_embedded_sandbox, owner=parent, on_done=on_started, on_error=failed
    )
