"""Pages 4 to 7: choose the flow, name the source, confirm, and see what was created."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
    QWizard,
)

from flowdock_desktop.api.models import Flow, Source
from flowdock_desktop.api.validation import SOURCE_NAME_MAX_LENGTH, validate_source_name
from flowdock_desktop.connect import (
    DEFAULT_SOURCE_NAME,
    ConnectCancelled,
    ConnectError,
    ConnectResult,
    create_integration,
    find_flow,
    flow_summary,
    group_flows,
    matching_sources,
    reconnect_integration,
    suggest_source_name,
)
from flowdock_desktop.store.servers import KnownServers
from flowdock_desktop.ui.tasks import CancelToken
from flowdock_desktop.ui.widgets import labelled_field
from flowdock_desktop.ui.wizard.base import WizardPage

if TYPE_CHECKING:
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.store.integrations import Integration
    from flowdock_desktop.ui.wizard.state import WizardState

_FLOW_ROLE = Qt.ItemDataRole.UserRole


class FlowPage(WizardPage):
    """Page 4: the person's flows grouped by organization, with a filter; or the setup link's."""

    def __init__(self, context: AppContext, state: WizardState) -> None:
        super().__init__(
            context, state, "Flow", "Choose the flow whose team inbox the source posts to."
        )
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText("Type to filter flows")
        self.filter_edit.setClearButtonEnabled(True)
        box, _ = labelled_field("&Filter", self.filter_edit, accessible="Filter flows")
        self.body.addWidget(box)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Flow", "Address"])
        self.tree.setAccessibleName("Flows by organization")
        self.tree.setRootIsDecorated(True)
        self.tree.setMinimumHeight(180)
        self.body.addWidget(self.tree)
        self.filter_edit.textChanged.connect(self._apply_filter)
        self.filter_edit.installEventFilter(self)
        self.tree.currentItemChanged.connect(self._selection_changed)
        self.tree.itemDoubleClicked.connect(self._double_clicked)
        self._loaded_for: str | None = None

    def first_field(self) -> QWidget:
        return self.filter_edit

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Up and Down in the filter move through the flows, so typing part of a name and
        # pressing Down (or just Enter) picks one without leaving the field.
        if (
            watched is self.filter_edit
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down)
        ):
            self._step_selection(1 if event.key() == Qt.Key.Key_Down else -1)
            return True
        return super().eventFilter(watched, event)

    def _step_selection(self, step: int) -> None:
        flows = [
            self.tree.topLevelItem(i).child(j)
            for i in range(self.tree.topLevelItemCount())
            for j in range(self.tree.topLevelItem(i).childCount())
        ]
        visible = [item for item in flows if not item.isHidden()]
        if not visible:
            return
        current = self.tree.currentItem()
        index = visible.index(current) + step if current in visible else 0
        self.tree.setCurrentItem(visible[max(0, min(index, len(visible) - 1))])

    def initializePage(self) -> None:
        account = self.state.session.account if self.state.session else None
        key = f"{account.key if account else ''}|{self.state.setup_link}"
        if self._loaded_for == key and self.tree.topLevelItemCount():
            return  # Back then Next: keep the list and the choice
        self.load()

    def load(self) -> None:
        self.banner.clear()
        self.tree.clear()
        context, link = self.context, self.state.setup_link

        def work() -> tuple[list[Flow], Flow | None, str | None]:
            with context.user_client() as client:
                flows = client.list_flows()
                linked, problem = None, None
                if link is not None:
                    try:
                        linked = find_flow(client, setup_link=link)
                    except ConnectError as exc:
                        problem = str(exc)
                return flows, linked, problem

        self.run(
            work, "Loading your flows…", self._loaded, lambda e: self.show_failure(e, self.load)
        )

    def _loaded(self, result: tuple[list[Flow], Flow | None, str | None]) -> None:
        flows, linked, problem = result
        account = self.state.session.account if self.state.session else None
        self._loaded_for = f"{account.key if account else ''}|{self.state.setup_link}"
        if linked is not None and all(f.id != linked.id for f in flows):
            flows = [*flows, linked]
        self.tree.clear()
        preselect = linked or self.state.flow
        chosen: QTreeWidgetItem | None = None
        first: QTreeWidgetItem | None = None
        for org_name, items in group_flows(flows):
            org_item = QTreeWidgetItem([org_name, ""])
            org_item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(org_item)
            for flow in items:
                item = QTreeWidgetItem([flow.name or flow.path, flow.path])
                item.setData(0, _FLOW_ROLE, flow)
                item.setToolTip(0, f"{flow.name} in {org_name}")
                org_item.addChild(item)
                if preselect is not None and flow.id == preselect.id:
                    chosen = item
                first = first or item
            org_item.setExpanded(True)
        self.tree.resizeColumnToContents(0)
        if problem:
            self.show_error(problem + " You can still choose a flow below.")
        elif not flows:
            self.show_info(
                "warning", "You are not a member of any flow yet. Join one in Flowdock first."
            )
        elif linked is not None:
            self.show_info("info", f"The setup link chose the flow {linked.name}.")
        # Something is always chosen, so Next works from the keyboard at once.
        if chosen is not None or first is not None:
            self.tree.setCurrentItem(chosen or first)
        self._apply_filter(self.filter_edit.text())
        self.completeChanged.emit()

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for i in range(self.tree.topLevelItemCount()):
            org_item = self.tree.topLevelItem(i)
            org_match = needle in org_item.text(0).casefold()
            visible = 0
            for j in range(org_item.childCount()):
                child = org_item.child(j)
                match = (
                    not needle
                    or org_match
                    or needle in child.text(0).casefold()
                    or needle in child.text(1).casefold()
                )
                child.setHidden(not match)
                visible += match
            org_item.setHidden(visible == 0)
        current = self.tree.currentItem()
        if current is not None and current.isHidden():
            self.tree.setCurrentItem(None)
        self.completeChanged.emit()

    def selected_flow(self) -> Flow | None:
        item = self.tree.currentItem()
        if item is None or item.isHidden():
            return None
        flow = item.data(0, _FLOW_ROLE)
        return flow if isinstance(flow, Flow) else None

    def select_flow(self, path: str) -> bool:
        """Select a flow by ``org/flow``; True when found (keyboard-free helper for callers)."""
        items = self.tree.findItems(
            path, Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive, 1
        )
        if not items:
            return False
        self.tree.setCurrentItem(items[0])
        return True

    def _selection_changed(self, *_: Any) -> None:
        self.completeChanged.emit()

    def _double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        if isinstance(item.data(0, _FLOW_ROLE), Flow):
            self.wizard().next()

    def isComplete(self) -> bool:
        return not self.working and self.selected_flow() is not None

    def validatePage(self) -> bool:
        flow = self.selected_flow()
        if flow is None:
            return False
        if self.state.flow is None or self.state.flow.id != flow.id:
            self.state.sources = []
        self.state.flow = flow
        return True


class NamePage(WizardPage):
    """Page 5: the source's name, suggested, validated, and checked against existing sources."""

    def __init__(self, context: AppContext, state: WizardState) -> None:
        super().__init__(
            context,
            state,
            "Source name",
            "The source names what posts into the flow, so several sources can be told apart.",
        )
        self.name_edit = QLineEdit()
        self.name_edit.setMaxLength(SOURCE_NAME_MAX_LENGTH + 20)
        box, self.name_message = labelled_field(
            "Source na&me",
            self.name_edit,
            hint=f"Up to {SOURCE_NAME_MAX_LENGTH} characters",
            accessible="Source name",
        )
        self.body.addWidget(box)
        self.name_edit.textChanged.connect(self._validate)
        self._suggested = ""
        self._checked_flow: str | None = None

    def first_field(self) -> QWidget:
        return self.name_edit

    def has_typed_input(self) -> bool:
        text = self.name_edit.text().strip()
        return bool(text) and text != self._suggested

    def initializePage(self) -> None:
        flow = self.state.flow
        assert flow is not None
        if self._checked_flow != flow.id:
            self.load()
        else:
            self._validate()

    def load(self) -> None:
        flow = self.state.flow
        assert flow is not None
        self.banner.clear()
        context = self.context

        def work() -> tuple[Flow, list[Source]]:
            with context.user_client() as client:
                # The flow's own resource lists its members, for the confirmation.
                full = client.get_flow(flow.org_name, flow.parameterized_name or "")
                return full, client.list_sources(flow.org_name, flow.parameterized_name or "")

        self.run(
            work,
            f"Checking the sources of {flow.name}…",
            self._loaded,
            lambda e: self.show_failure(e, self.load),
        )
        self._validate()

    def _loaded(self, result: tuple[Flow, list[Source]]) -> None:
        full, sources = result
        self.state.flow = full
        self.state.sources = sources
        self._checked_flow = full.id
        text = self.name_edit.text()
        if not text or text == self._suggested:
            # Only a name nobody typed is replaced; one typed while the sources loaded stays.
            self._suggested = suggest_source_name(sources, self._base_name())
            self.name_edit.setText(self._suggested)
            if self.name_edit.hasFocus():
                self.name_edit.selectAll()
        self._validate()

    def _base_name(self) -> str:
        # Sources are named after the application that posts (the sandbox's demo application
        # is "Flowdock Desktop"); one whose name is not known yet gets that name too.
        return self.state.application_name or DEFAULT_SOURCE_NAME

    def _validate(self) -> None:
        name = self.name_edit.text()
        problems = validate_source_name(name)
        if problems:
            self.name_message.show_error(
                "Enter a name for the source."
                if not name.strip()
                else f"The name {'; '.join(problems)}."
            )
        else:
            same = matching_sources(self.state.sources, name)
            if same:
                app = same[0].application.name if same[0].application else None
                self.name_message.show_hint(
                    f"Warning: this flow already has a source named “{same[0].name}”"
                    + (f" from {app}" if app else "")
                    + ". A second one with the same name is hard to tell apart."
                )
            else:
                self.name_message.clear_message()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return not self.working and not validate_source_name(self.name_edit.text())

    def validatePage(self) -> bool:
        if validate_source_name(self.name_edit.text()):
            return False
        self.state.source_name = self.name_edit.text().strip()
        return True


class ConfirmPage(WizardPage):
    """Page 6: what will be created, where; Create makes the source (cancellable)."""

    def __init__(self, context: AppContext, state: WizardState) -> None:
        super().__init__(context, state, "Confirm", "Check what will be created.")
        form = QFormLayout()
        self.flow_label = QLabel()
        self.org_label = QLabel()
        self.access_label = QLabel()
        self.members_label = QLabel()
        for title, label in (
            ("Flow:", self.flow_label),
            ("Organization:", self.org_label),
            ("Access:", self.access_label),
            ("Members:", self.members_label),
        ):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            label.setAccessibleName(title.rstrip(":"))
            form.addRow(title, label)
        self.body.addLayout(form)
        self.summary_label = QLabel()
        self.summary_label.setWordWrap(True)
        self.summary_label.setAccessibleName("What will be created")
        self.body.addWidget(self.summary_label)
        self.setCommitPage(True)
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Create source")
        self._passed = False

    def initializePage(self) -> None:
        self.banner.clear()
        integration = self.state.reconnect
        if integration is not None:
            self._show_reconnect(integration)
            return
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Create source")
        flow = self.state.flow
        assert flow is not None
        info = flow_summary(flow)
        self.flow_label.setText(str(info["flow"]))
        self.org_label.setText(str(info["organization"]))
        self.access_label.setText(
            _ACCESS_WORDS.get(str(info["access_mode"]), str(info["access_mode"]))
        )
        self.members_label.setText(str(info["members"]))
        where = (
            "in memory until it quits (there is no system keyring), so after a restart it "
            "has to be reconnected"
            if self.state.keyring_persistent is False
            else "in your system keyring"
        )
        self.summary_label.setText(
            f"A source named “{self.state.source_name}” will be added to the team inbox of "
            f"{info['flow']} ({info['organization']}). Flowdock Desktop keeps its flow token "
            f"{where} to post as this source."
        )

    def _show_reconnect(self, integration: Integration) -> None:
        self.flow_label.setText(integration.flow_name)
        self.org_label.setText(integration.organization_name)
        self.access_label.setText("")
        self.members_label.setText("")
        self.setButtonText(QWizard.WizardButton.CommitButton, "&Reconnect")
        self.summary_label.setText(
            f"“{integration.source_name}” lost its flow token on this computer, so it cannot "
            f"post. A new source of that name is made in {integration.flow_name} "
            f"({integration.organization_name}) and the old one removed; its messages waiting "
            "in the outbox, history and draft stay."
        )
        self.create()  # Reconnect was already pressed: nothing left to choose here

    def isComplete(self) -> bool:
        return not self.working

    def validatePage(self) -> bool:
        if self._passed:
            self._passed = False
            return True
        if not self.working:
            self.create()
        return False

    def create(self) -> None:
        self.banner.clear()
        context, state = self.context, self.state
        flow, name = state.flow, state.source_name
        assert flow is not None or state.reconnect is not None
        user_id = state.session.account.user_id if state.session else None

        api_url, client_id = state.api_url or "", state.client_id
        reconnecting = state.reconnect

        def work(token: CancelToken, progress: Any) -> ConnectResult:
            if reconnecting is not None:
                with context.user_client() as client:
                    return reconnect_integration(
                        client,
                        reconnecting,
                        credentials=context.credentials,
                        integrations=context.integrations,
                        cancel=token,
                        progress=progress,
                    )
            with context.user_client() as client:
                result = create_integration(
                    client,
                    flow,
                    name,
                    credentials=context.credentials,
                    integrations=context.integrations,
                    account_user_id=user_id,
                    cancel=token,
                    progress=progress,
                )
            # The server's answer names the application: new sources default to that name.
            application = result.source.application
            if application is not None and application.name:
                KnownServers(context.db).name_application(api_url, client_id, application.name)
            return result

        self.run(
            work,
            "Reconnecting…" if reconnecting is not None else "Creating the source…",
            self._created,
            self._failed,
            with_token=True,
            with_progress=True,
            on_progress=lambda text: self.busy.label.setText(str(text)),
        )

    def _created(self, result: ConnectResult) -> None:
        self.state.result = result
        self._passed = True
        self.setup_wizard().integration_created.emit(result.integration.id)
        self.wizard().next()

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, ConnectCancelled):
            self.show_info("info", str(error))
        elif isinstance(error, ConnectError):
            self.show_error(str(error), "&Try again", self.create)
        else:
            self.show_failure(error, self.create)

    def on_cancelled(self) -> None:
        self.show_info("info", "Cancelled. Nothing was created.")


_ACCESS_WORDS = {
    "organization": "Everyone in the organization can join",
    "link": "Anyone with the invitation link can join",
    "invitation": "Invited people only",
}


class DonePage(WizardPage):
    """Page 7: what was created, with "Open composer" (Finish) and "Set up another"."""

    def __init__(self, context: AppContext, state: WizardState) -> None:
        super().__init__(context, state, "Done", "The integration is ready.")
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setAccessibleName("What was created")
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.body.addWidget(self.result_label)
        self.setFinalPage(True)
        self.setButtonText(QWizard.WizardButton.FinishButton, "&Open composer")

    def initializePage(self) -> None:
        result = self.state.result
        assert result is not None
        integration = result.integration
        where = (
            "Its flow token is stored in your keyring; it is never shown."
            if result.token_persistent
            else "Its flow token is kept in memory until Flowdock Desktop quits; it is never shown."
        )
        done = "Reconnected" if self.state.reconnect is not None else "Created the source"
        self.result_label.setText(
            f"{done} “{integration.source_name}” in {integration.flow_name} "
            f"({integration.organization_name}). {where} Open the composer to post"
            + (" again." if self.state.reconnect is not None else " your first message.")
        )
        if not result.token_persistent:
            self.show_info("warning", self.context.credentials.warning or "")
        else:
            self.banner.clear()
