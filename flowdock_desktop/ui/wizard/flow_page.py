"""Page 4: the flow whose team inbox the source posts to (or the setup link's)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from flowdock_desktop.api.models import Flow
from flowdock_desktop.connect import (
    ConnectError,
    find_flow,
    group_flows,
)
from flowdock_desktop.ui.widgets import labelled_field
from flowdock_desktop.ui.wizard.base import WizardPage

if TYPE_CHECKING:
    from flowdock_desktop.context import AppContext
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
        visible = self._shown_flows()
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
        shown = self._shown_flows()
        current = self.tree.currentItem()
        if current not in shown:
            # The choice follows the filter: the first flow it leaves is chosen, so typing part
            # of a name and pressing Enter goes on with that flow.
            self.tree.setCurrentItem(shown[0] if shown else None)
        if needle and not shown and self.tree.topLevelItemCount():
            self.show_info("warning", f"No flow matches “{text.strip()}”. Change the filter.")
        elif self.banner.kind == "warning" and self.banner.text.startswith("No flow matches"):
            self.banner.clear()
        self.completeChanged.emit()

    def _shown_flows(self) -> list[QTreeWidgetItem]:
        """The flows the filter shows, top to bottom."""
        return [
            org.child(j)
            for org in (self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount()))
            for j in range(org.childCount())
            if not org.child(j).isHidden()
        ]

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
