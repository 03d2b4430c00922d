"""IntegrationsController: the integration list, renaming, removing, forgetting, and moving a
removed integration's unsent messages to the one set up in its place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from flowdock_desktop.compose.presenters import (
    IntegrationGroups,
    count,
    group_integrations,
    unsent_after_setup_text,
)
from flowdock_desktop.compose.replacement import UNSENT_STATES, resend_unsent
from flowdock_desktop.store.integrations import Integration
from flowdock_desktop.ui.composer.banner import BannerAction, BannerController, BannerReason
from flowdock_desktop.ui.composer.integrations_panel import IntegrationList
from flowdock_desktop.ui.reconnect import NEEDS_SIGN_IN, KeyringSetAside
from flowdock_desktop.ui.removal import confirm_removal, count_not_sent
from flowdock_desktop.ui.tasks import run_task

if TYPE_CHECKING:
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.sending import SendService


@dataclass
class IntegrationsView:
    """What the list shows: the groups, and how many messages each integration has unsent
    (removed ones only: theirs cannot go anywhere by themselves)."""

    groups: IntegrationGroups
    unsent: dict[str, int] = field(default_factory=dict)

    @property
    def all(self) -> list[Integration]:
        return [*self.groups.active, *self.groups.removed]

    def find(self, integration_id: str | None) -> Integration | None:
        return next((i for i in self.all if i.id == integration_id), None)


class IntegrationsController(QObject):
    """Reads the integrations in the background and acts on the list's buttons.

    Signals: ``loaded(object)`` (an ``IntegrationsView``), ``setup_requested`` (the person
    wants the setup wizard), ``resent(int)`` (how many messages went to a new source).
    The list is read from ``context``; ``service()`` is the window's sending service, asked
    for only to remove an integration or resend its messages.
    """

    loaded = Signal(object)
    setup_requested = Signal()
    resent = Signal(int)

    def __init__(
        self,
        context: AppContext,
        service: Callable[[], SendService],
        panel: IntegrationList,
        *,
        banner: BannerController,
        show_error: Callable[[BaseException], Any],
        dialog_parent: QWidget,
    ) -> None:
        super().__init__(dialog_parent)
        self._context = context
        self._service = service
        self.panel = panel
        self._show_error = show_error
        self._banner = banner
        self._parent = dialog_parent
        self.view = IntegrationsView(IntegrationGroups([], [], []))
        self.current_id: str | None = None
        self.needs_sign_in: set[str] = set()
        #: Set when the keyring is locked (or failing): ``ui/reconnect.py`` fills it in.
        self.keyring: KeyringSetAside | None = None
        #: Those lacking their flow token when the keyring opened again, until they are read
        #: anew: one found then was behind the keyring, not reconnected (``ui/reconnect.py``).
        self.behind_keyring: set[str] = set()
        panel.add_requested.connect(self.setup_requested)
        panel.setup_again_requested.connect(lambda _: self.setup_requested.emit())
        panel.rename_requested.connect(self.rename)
        panel.remove_requested.connect(self.remove)
        banner.on(BannerAction.RESEND, self.resend_all)

    def reload(self) -> None:
        context = self._context

        def read() -> IntegrationsView:
            integrations = context.integrations.list()
            unsent = {
                i.id: len(context.outbox.list(i.id, UNSENT_STATES))
                for i in integrations
                if not i.is_active
            }
            return IntegrationsView(group_integrations(integrations), unsent)

        run_task(read, owner=self, on_done=self._loaded, on_error=self._show_error)

    def _loaded(self, view: IntegrationsView) -> None:
        self.view = view
        self._show()
        self.loaded.emit(view)

    def _show(self) -> None:
        view = self.view
        word = self.keyring.word if self.keyring is not None else NEEDS_SIGN_IN
        self.panel.set_integrations(
            view.groups, self.current_id, view.unsent, self.needs_sign_in, missing_word=word
        )

    def mark_needs_sign_in(
        self, integration_ids: set[str], keyring: KeyringSetAside | None = None
    ) -> None:
        """These integrations lack their flow token: lost, or behind a keyring that is set
        aside (``keyring``; ``ui/reconnect.py`` finds both)."""
        if integration_ids != self.needs_sign_in or keyring != self.keyring:
            self.needs_sign_in = set(integration_ids)
            self.keyring = keyring
            self._show()

    def rename(self, integration_id: str) -> None:
        current = self.view.find(integration_id)
        if current is None:
            return
        from PySide6.QtWidgets import QInputDialog  # its Qt types load when first asked for

        from flowdock_desktop.api.validation import validate_source_name

        label, name = "Name shown here:", current.source_name
        while True:  # asked again, saying what to fix, until the name will do or Cancel
            name, ok = QInputDialog.getText(self._parent, "Rename integration", label, text=name)
            if not ok:
                return
            problems = validate_source_name(name)
            if not problems:
                break
            label = (
                f"The name {'; '.join(problems)}. Type another, or press Cancel to keep "
                f"“{current.source_name}”.\n\nName shown here:"
            )
        integrations = self._context.integrations
        run_task(
            lambda: integrations.rename(integration_id, name),
            owner=self,
            on_done=lambda _: self.reload(),
            on_error=self._show_error,
        )

    def remove(self, integration_id: str, *, confirm: bool = True) -> None:
        """Forget the integration here (its flow token, drafts, history, unsent messages),
        once the person has said yes to a question that counts what is not sent yet."""
        current = self.view.find(integration_id)
        if current is None:
            return
        if not confirm:
            self._forget(integration_id)
            return
        count_not_sent(
            self._context,
            integration_id,
            owner=self,
            on_counted=lambda unsent: self._ask_then_forget(current, unsent),
            on_error=self._show_error,
        )

    def _ask_then_forget(self, current: Integration, unsent: int) -> None:
        if self.view.find(current.id) is None:
            return  # gone meanwhile
        if confirm_removal(self._parent, current, unsent, in_flowdock=False):
            self._forget(current.id)

    def _forget(self, integration_id: str) -> None:
        if self.current_id == integration_id:
            self.current_id = None
        service = self._service()
        run_task(
            lambda: service.remove_integration(integration_id),
            owner=self,
            on_done=lambda _: self.reload(),
            on_error=self._show_error,
        )

    def replaced_with_unsent(self) -> list[tuple[Integration, Integration, int]]:
        """(removed, replacement, unsent) for each integration set up again whose unsent
        messages wait for the person's decision."""
        return [
            (removed, replacement, self.view.unsent[removed.id])
            for removed, replacement in self.view.groups.replaced
            if self.view.unsent.get(removed.id)
        ]

    def offer_resend(self) -> None:
        """When an integration set up again leaves unsent messages behind, offer to send
        them through the new one (unless the banner says something more pressing)."""
        waiting = self.replaced_with_unsent()
        if not waiting or self._banner.reason not in (BannerReason.NONE, BannerReason.INFO):
            return
        removed, replacement, unsent = waiting[0]
        self._banner.show(
            "warning",
            unsent_after_setup_text(removed, replacement, unsent),
            BannerReason.UNSENT_AFTER_SETUP,
            BannerAction.RESEND,
        )

    def resend_all(self) -> None:
        for removed, replacement, _ in self.replaced_with_unsent():
            self.resend(removed.id, replacement.id)

    def resend(self, removed_id: str, replacement_id: str) -> None:
        """Queue the removed integration's unsent messages through its replacement."""
        service = self._service()

        def done(moved: list[Any]) -> None:
            self._banner.show(
                "info",
                f"{count(len(moved), 'message')} queued through the new source, each in a "
                "new thread.",
            )
            self.resent.emit(len(moved))
            self.reload()

        run_task(
            lambda: resend_unsent(service, removed_id, replacement_id),
            owner=self,
            on_done=done,
            on_error=self._show_error,
        )
