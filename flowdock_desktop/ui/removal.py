"""Asking before an integration is removed: how many of its messages are not sent yet (read in
the background), and the question that says so, shared by the composer's "Remove…" and the
integration settings' "Remove integration…"."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flowdock_desktop.compose.presenters import count
from flowdock_desktop.ui.tasks import TaskHandle, run_task

if TYPE_CHECKING:
    from PySide6.QtCore import QObject
    from PySide6.QtWidgets import QWidget

    from flowdock_desktop.context import AppContext
    from flowdock_desktop.store.integrations import Integration

#: What removing an integration would delete unsent: everything not sent yet, whatever it
#: waits for.
NOT_SENT_STATES = ("queued", "sending", "failed", "gone")


def count_not_sent(
    context: AppContext,
    integration_id: str,
    *,
    owner: QObject,
    on_counted: Callable[[int], Any],
    on_error: Callable[[BaseException], Any],
) -> TaskHandle:
    """Count the integration's messages not sent yet, off the GUI thread."""
    return run_task(
        lambda: len(context.outbox.list(integration_id, NOT_SENT_STATES)),
        owner=owner,
        on_done=on_counted,
        on_error=on_error,
    )


def removal_question(
    integration: Integration, unsent: int, *, in_flowdock: bool
) -> tuple[str, str]:
    """(title, text) of the question before removing ``integration``, which has ``unsent``
    messages not sent. ``in_flowdock``: its source is deleted in Flowdock too, not only
    forgotten on this computer."""
    name = integration.source_name
    lost = f" Its {count(unsent, 'message')} not sent will be deleted too." if unsent else ""
    if not integration.is_active:
        return (
            "Forget the removed integration",
            f"Forget “{name}”, which was removed in Flowdock?{lost}",
        )
    if in_flowdock:
        return (
            "Remove integration",
            f"Remove “{name}” from {integration.flow_name}? The source is deleted in Flowdock "
            f"and its flow token stops working; its drafts and history here are deleted.{lost}",
        )
    return (
        "Remove integration",
        f"Forget “{name}” on this computer? Its flow token, drafts and history here are "
        f"deleted.{lost} The source stays in Flowdock until removed there.",
    )


def confirm_removal(
    parent: QWidget, integration: Integration, unsent: int, *, in_flowdock: bool
) -> bool:
    """Ask the question; True when the person says Yes. With messages to lose, Enter keeps
    them: deleting them takes a deliberate Yes."""
    from PySide6.QtWidgets import QMessageBox  # its Qt types are made when a box first shows

    title, text = removal_question(integration, unsent, in_flowdock=in_flowdock)
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    default = QMessageBox.StandardButton.No if unsent else QMessageBox.StandardButton.Yes
    answer = QMessageBox.question(parent, title, text, buttons, default)
    return answer == QMessageBox.StandardButton.Yes
