"""ComposerWindow: write, preview and send thread messages as one of the person's integrations."""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from flowdock_desktop.api.errors import FlowdockError, GoneError, ValidationError
from flowdock_desktop.compose import FormState
from flowdock_desktop.sending import SendResult, SendService, ThreadListing, ThreadView
from flowdock_desktop.store.integrations import Integration
from flowdock_desktop.ui.account import add_help_actions
from flowdock_desktop.ui.composer.form import MessageForm
from flowdock_desktop.ui.composer.live import ThreadsFollower
from flowdock_desktop.ui.composer.panels import (
    IntegrationList,
    OutboxPanel,
    RequestLog,
    ThreadsPanel,
)
from flowdock_desktop.ui.composer.preview import PreviewPane
from flowdock_desktop.ui.reconnect import show_flow_token_state
from flowdock_desktop.ui.tasks import TaskHandle, run_task
from flowdock_desktop.ui.widgets import Banner

if TYPE_CHECKING:
    from flowdock_desktop.context import AppContext

log = logging.getLogger(__name__)


class _ExchangeRelay(QObject):
    """Carries redacted request-log entries from worker threads to the GUI thread."""

    exchange = Signal(dict)


class PlaceholderDialog(QDialog):
    """Asks for the values of a template's ``{placeholders}``."""

    def __init__(self, template_name: str, names: tuple[str, ...], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Use template “{template_name}”")
        layout = QFormLayout(self)
        self.edits: dict[str, QLineEdit] = {}
        for name in names:
            edit = QLineEdit()
            edit.setAccessibleName(name.replace("_", " "))
            layout.addRow(name.replace("_", " ").capitalize() + ":", edit)
            self.edits[name] = edit
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addRow(buttons)

    def values(self) -> dict[str, str]:
        return {name: edit.text() for name, edit in self.edits.items()}


class ComposerWindow(QMainWindow):
    """The composer: integrations (left), the message form (centre), preview and more (right).

    Signals:
        ``add_integration_requested``: the person wants to set up an integration (app.py opens
        the wizard); also offered after an integration was removed in Flowdock.
        ``reconnect_requested(str)``: Reconnect for an integration whose flow token is gone
        (``ui/reconnect.py``).
        ``message_sent(object)``: a ``SendResult`` once a message reached Flowdock.
        ``delivery_finished(list)``: outcomes of each background outbox run (tests wait on it).
    Attributes: ``form``, ``preview``, ``integrations_panel``, ``threads_panel``,
    ``request_log``, ``banner``, ``send_button``, ``outbox_label``, ``service``.
    Timers (milliseconds) are parameters so tests can shorten them.
    """

    add_integration_requested = Signal()
    reconnect_requested = Signal(str)
    message_sent = Signal(object)
    delivery_finished = Signal(list)

    def __init__(
        self,
        context: AppContext,
        integration_id: str | None = None,
        *,
        outbox_interval_ms: int = 2000,
        thread_refresh_ms: int = 30_000,
        draft_delay_ms: int = 700,
        preview_delay_ms: int = 120,
    ) -> None:
        super().__init__()
        self.context = context
        self.service = SendService(context)
        self.integration_id: str | None = integration_id
        self.integration: Integration | None = None
        self._integrations: list[Integration] = []
        self._sending: TaskHandle | None = None
        self._delivering: TaskHandle | None = None
        self._draft_ready = False
        self._flow_token_revealed: str | None = None
        self.setWindowTitle("Flowdock Desktop — Composer")
        self.resize(1280, 820)
        self._build()
        self._build_menus()

        # Request log: the context calls hooks on worker threads; the relay queues to us.
        self._relay = _ExchangeRelay(self)
        self._relay.exchange.connect(self.request_log.add)
        relay = self._relay

        def hook(exchange: Any) -> None:
            if shiboken6.isValid(relay):
                relay.exchange.emit(exchange.redacted())

        self._exchange_hook = hook
        context.exchange_hooks.append(hook)

        self._preview_timer = QTimer(self, singleShot=True, interval=preview_delay_ms)
        self._preview_timer.timeout.connect(self._refresh_preview)
        self._draft_timer = QTimer(self, singleShot=True, interval=draft_delay_ms)
        self._draft_timer.timeout.connect(self._save_draft)
        self._outbox_timer = QTimer(self, interval=outbox_interval_ms)
        self._outbox_timer.timeout.connect(self.deliver_in_background)
        self._outbox_timer.start()
        self._threads_timer = QTimer(self, interval=thread_refresh_ms)
        self._threads_timer.timeout.connect(self._refresh_threads_if_visible)
        self._threads_timer.start()
        # The flow's stream keeps the Threads tab and the thread card current; while it is
        # not live, the timer above checks the server instead.
        self.threads_follower = ThreadsFollower(self.service, self.threads_panel, self)
        self.threads_follower.changed.connect(self._preview_timer.start)
        self.threads_follower.live_changed.connect(self._live_changed)

        self.form.changed.connect(self._preview_timer.start)
        self.form.changed.connect(self._form_changed)
        self.preview.payload_edited.connect(self._json_edited)
        self.preview.reveal_requested.connect(self._reveal_token)
        self.integrations_panel.selected.connect(self.select_integration)
        self.integrations_panel.add_requested.connect(self.add_integration_requested)
        self.integrations_panel.rename_requested.connect(self._rename)
        self.integrations_panel.remove_requested.connect(self._remove)
        self.threads_panel.refresh_requested.connect(self.refresh_threads)
        self.outbox_panel.send_now_requested.connect(
            lambda: self.deliver_in_background(ignore_backoff=True)
        )
        self.outbox_panel.retry_requested.connect(self._retry_item)
        self.outbox_panel.load_requested.connect(self._load_item)
        self.outbox_panel.discard_requested.connect(self._discard_item)
        self.threads_panel.thread_selected.connect(self._load_timeline)
        self.threads_panel.update_requested.connect(self.update_thread)
        self.banner.action_clicked.connect(self._banner_action)
        self._banner_next: str | None = None

        self._refresh_preview()
        self.reload_integrations()
        self._load_author_default()
        self._refresh_outbox_label()

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.integrations_panel = IntegrationList()
        self.form = MessageForm()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        self.banner = Banner()
        self.send_button = QPushButton("&Send")
        self.send_button.setAccessibleName("Send message")
        self.send_button.setToolTip("Send (Ctrl+Enter)")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.send)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy indicator
        self.progress.setMaximumWidth(140)
        self.progress.setVisible(False)
        self.progress.setAccessibleName("Sending")
        self.outbox_label = QLabel()
        self.outbox_label.setAccessibleName("Outbox state")
        self.template_box = QComboBox()
        self.template_box.setAccessibleName("Template")
        self.apply_template_button = QPushButton("Use &template")
        self.save_template_button = QPushButton("Save as t&emplate…")
        self.apply_template_button.clicked.connect(self._apply_template_clicked)
        self.save_template_button.clicked.connect(self._save_template_clicked)

        centre = QWidget()
        c = QVBoxLayout(centre)
        templates = QHBoxLayout()
        label = QLabel("Te&mplates:")
        label.setBuddy(self.template_box)
        templates.addWidget(label)
        templates.addWidget(self.template_box, 1)
        templates.addWidget(self.apply_template_button)
        templates.addWidget(self.save_template_button)
        c.addLayout(templates)
        c.addWidget(self.banner)
        c.addWidget(scroll, 1)
        bar = QHBoxLayout()
        bar.addWidget(self.outbox_label, 1)
        bar.addWidget(self.progress)
        bar.addWidget(self.send_button)
        c.addLayout(bar)

        self.preview = PreviewPane()
        self.threads_panel = ThreadsPanel()
        self.request_log = RequestLog()
        self.right_tabs = QTabWidget()
        self.right_tabs.addTab(self.preview, "Message")
        self.right_tabs.addTab(self.threads_panel, "T&hreads")
        self.outbox_panel = OutboxPanel()
        self.right_tabs.addTab(self.outbox_panel, "Out&box")
        self.right_tabs.addTab(self.request_log, "Re&quest log")
        self.right_tabs.currentChanged.connect(self._tab_changed)

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.integrations_panel)
        split.addWidget(centre)
        split.addWidget(self.right_tabs)
        split.setSizes([240, 560, 480])
        self.setCentralWidget(split)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(self.send)
        self.setTabOrder(self.integrations_panel.list, self.form.thread_title)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        add = file_menu.addAction("&Add integration…")
        add.triggered.connect(self.add_integration_requested)
        send = file_menu.addAction("&Send")
        send.setShortcut(QKeySequence("Ctrl+Return"))
        send.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # the window's own shortcut
        send.triggered.connect(self.send)
        file_menu.addSeparator()
        close = file_menu.addAction("&Close")
        close.setShortcut(QKeySequence.StandardKey.Close)
        close.triggered.connect(self.close)
        help_menu = self.menuBar().addMenu("&Help")
        add_help_actions(self, help_menu)
        about = help_menu.addAction("&About Flowdock Desktop…")
        about.triggered.connect(self.show_about)

    def show_about(self) -> QDialog:
        """The About dialog, with "Copy diagnostics" for support requests."""
        from flowdock_desktop.ui.about import AboutDialog

        dialog = AboutDialog(self.context, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    # -- integrations -------------------------------------------------------------------------

    def reload_integrations(self) -> None:
        """Read the integrations again (after the wizard added one, say)."""
        run_task(
            lambda: (self.context.integrations.list(), self.context.templates.list()),
            owner=self,
            on_done=self._integrations_loaded,
            on_error=self._show_error,
        )

    def _integrations_loaded(self, result: tuple[list[Integration], list[Any]]) -> None:
        integrations, templates = result
        self._integrations = integrations
        self.template_box.clear()
        for template in templates:
            suffix = "" if template.builtin else " (yours)"
            self.template_box.addItem(template.name + suffix, template.name)
        self.integrations_panel.set_integrations(integrations, self.integration_id)
        if not integrations:
            self.integration_id = None
            self.integration = None
            self._show_state()
            self.banner.show_message(
                "info", "Set up an integration to start posting.", "Add integration"
            )
            self._banner_next = "add"
        elif self.integration_id not in {i.id for i in integrations}:
            self.select_integration(integrations[0].id)
        else:
            self.select_integration(self.integration_id)
        show_flow_token_state(self, integrations)

    def select_integration(self, integration_id: str) -> None:
        found = next((i for i in self._integrations if i.id == integration_id), None)
        if found is None:
            return
        changed = integration_id != (self.integration.id if self.integration else None)
        self.integration_id = integration_id
        self.integration = found
        self._show_state()
        if changed:
            self._flow_token_revealed = None
            self.preview.reveal_token.setChecked(False)
            self._draft_ready = False
            run_task(
                lambda: self.context.drafts.load(integration_id),
                owner=self,
                on_done=lambda draft: self._draft_loaded(integration_id, draft),
                on_error=self._show_error,
            )
            self.refresh_threads()
            self.threads_follower.follow(integration_id)

    def _show_state(self) -> None:
        integration = self.integration
        self.preview.set_target(integration.api_url if integration else "", None)
        active = integration is not None and integration.is_active
        self.form.set_editable(active)
        self.send_button.setEnabled(active and self._sending is None)
        if integration is None:
            self.setWindowTitle("Flowdock Desktop — Composer")
            return
        self.setWindowTitle(
            f"{integration.source_name} → {integration.organization_name} / "
            f"{integration.flow_name} — Flowdock Desktop"
        )
        if not active:
            self._show_removed(None)
        elif self._banner_next == "setup":
            self.banner.clear()
            self._banner_next = None

    def _show_removed(self, text: str | None) -> None:
        name = self.integration.source_name if self.integration else "This integration"
        self.banner.show_message(
            "error",
            text
            or f"“{name}” was removed in Flowdock, so it can no longer post. Its flow token and "
            "sent history were deleted from this computer. Set it up again to keep posting.",
            "Set it up again",
        )
        self._banner_next = "setup"

    def _rename(self, integration_id: str) -> None:
        current = next((i for i in self._integrations if i.id == integration_id), None)
        if current is None:
            return
        name, ok = QInputDialog.getText(
            self, "Rename integration", "Name shown here:", text=current.source_name
        )
        if ok and name.strip():
            run_task(
                lambda: self.context.integrations.rename(integration_id, name),
                owner=self,
                on_done=lambda _: self.reload_integrations(),
                on_error=self._show_error,
            )

    def _remove(self, integration_id: str, *, confirm: bool = True) -> None:
        current = next((i for i in self._integrations if i.id == integration_id), None)
        if current is None:
            return
        if confirm:
            answer = QMessageBox.question(
                self,
                "Remove integration",
                f"Forget “{current.source_name}” on this computer? Its flow token, drafts and "
                "history here are deleted. The source stays in Flowdock until removed there.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        if self.integration_id == integration_id:
            self.integration_id = None
            self.integration = None
        run_task(
            lambda: self.service.remove_integration(integration_id),
            owner=self,
            on_done=lambda _: self.reload_integrations(),
            on_error=self._show_error,
        )

    # -- form, preview, drafts ----------------------------------------------------------------

    def _load_author_default(self) -> None:
        def who() -> str | None:
            session = self.context.session()
            return (session.account.name or session.account.nick) if session else None

        def done(name: str | None) -> None:
            if name and not self.form.author_name.text():
                self.form.author_name.setText(name)

        run_task(who, owner=self, on_done=done, on_error=lambda _: None)

    def _draft_loaded(self, integration_id: str, draft: dict[str, Any] | None) -> None:
        if integration_id != self.integration_id:
            return
        if draft:
            self.form.set_state(FormState.from_dict(draft, previous=self.form.state()))
        self._draft_ready = True

    def _form_changed(self) -> None:
        if self._draft_ready:
            self._draft_timer.start()

    def _save_draft(self) -> None:
        if self.integration is None or not self.integration.is_active:
            return
        integration_id, state = self.integration.id, self.form.state().to_dict()
        run_task(
            lambda: self.context.drafts.save(integration_id, state),
            owner=self,
            on_error=lambda exc: log.warning("draft not saved: %s", type(exc).__name__),
        )

    def _refresh_preview(self) -> None:
        payload = self.form.payload()
        key = payload.get("external_thread_id") or payload.get("thread_id")
        current = self.threads_follower.current_for(key if isinstance(key, str) else None)
        self.preview.show_payload(payload, current)

    def _json_edited(self, data: dict[str, Any]) -> None:
        try:
            self.form.set_state(FormState.from_payload(data, previous=self.form.state()))
        except FlowdockError as exc:
            self.preview.json_message.show_error(exc.user_message)
            return
        except ValueError as exc:
            self.preview.json_message.show_error(str(exc))
            return
        errors = self.form.errors()
        self.form.show_errors(errors)

    def _reveal_token(self, on: bool) -> None:
        if not on or self.integration is None:
            self.preview.set_target(self.integration.api_url if self.integration else "", None)
            return
        integration = self.integration
        run_task(
            lambda: self.context.credentials.get_flow_token(integration.id),
            owner=self,
            on_done=lambda token: self.preview.set_target(integration.api_url, token),
            on_error=self._show_error,
        )

    # -- templates ----------------------------------------------------------------------------

    def _apply_template_clicked(self) -> None:
        name = self.template_box.currentData()
        if not name:
            return
        template = self.context.templates.get(name)
        if template is None:
            return
        values: dict[str, str] = {}
        if template.placeholders:
            dialog = PlaceholderDialog(template.name, template.placeholders, self)
            if dialog.exec() != QDialog.DialogCode.Accepted:
                return
            values = dialog.values()
        self.apply_template(name, values)

    def apply_template(self, name: str, values: dict[str, str]) -> None:
        """Fill the form from a template with its placeholders replaced by ``values``."""
        template = self.context.templates.get(name)
        if template is None:
            return
        self.form.set_state(
            FormState.from_dict(template.render(values), previous=self.form.state())
        )

    def _save_template_clicked(self) -> None:
        name, ok = QInputDialog.getText(self, "Save as template", "Template name:")
        if ok and name.strip():
            self.save_template(name)

    def save_template(self, name: str) -> None:
        fields = self.form.state().template_fields()
        try:
            self.context.templates.save(name, fields, overwrite=False)
        except ValueError as exc:
            self.banner.show_message("error", str(exc))
            return
        self.banner.show_message("success", f"Saved the template “{name.strip()}”.")
        self.reload_integrations()

    # -- sending ------------------------------------------------------------------------------

    def send(self) -> None:
        """Check the form, then enqueue and deliver the message in the background."""
        if self._sending is not None or self.integration is None:
            return
        if not self.integration.is_active:
            self._show_removed(None)
            return
        errors = self.form.errors()
        if errors:
            self.form.touch_all()
            unplaced = self.form.show_errors(errors)
            text = "Fix the marked fields, then send again."
            if unplaced:
                text += " " + " ".join(unplaced)
            self.banner.show_message("error", text)
            self._banner_next = None
            widget = self.form.first_error_widget()
            if widget is not None:
                widget.setFocus()
            return
        integration_id, payload = self.integration.id, self.form.payload()
        self.banner.show_message("info", "Sending…")
        self._banner_next = None
        self.progress.setVisible(True)
        self.send_button.setEnabled(False)
        self._draft_timer.stop()
        self._sending = run_task(
            lambda: self.service.send(integration_id, payload),
            owner=self,
            on_done=self._sent,
            on_error=self._send_failed,
        )

    def _send_done(self) -> None:
        self._sending = None
        self.progress.setVisible(False)
        self.send_button.setEnabled(self.integration is not None and self.integration.is_active)
        self._refresh_outbox_label()

    def _sent(self, result: SendResult) -> None:
        self._send_done()
        if result.state == "sent":
            where = ""
            if self.integration is not None:
                where = f" to {self.integration.organization_name} / {self.integration.flow_name}"
            self.banner.show_message("success", f"Sent{where}.")
            integration_id = result.item.integration_id
            run_task(lambda: self.context.drafts.clear(integration_id), owner=self)
            self.message_sent.emit(result)
            self.threads_follower.sent_here(result.item.uuid)
            self.refresh_threads()
        elif result.state in ("queued", "sending"):
            self.banner.show_message(
                "warning",
                f"Not sent yet: {result.error} It is kept in the outbox and sent automatically "
                "when the server answers again.",
                "Try now",
            )
            self._banner_next = "retry"
        elif result.state == "gone":
            self._integration_gone(result.error)
        else:
            self.banner.show_message(
                "error", f"Not sent: {result.error} Fix the message and send again."
            )

    def _send_failed(self, error: BaseException) -> None:
        self._send_done()
        if isinstance(error, ValidationError):
            self.form.touch_all()
            unplaced = self.form.show_errors(error.field_errors)
            self.banner.show_message(
                "error", "Fix the marked fields, then send again. " + " ".join(unplaced)
            )
        elif isinstance(error, GoneError):
            self._integration_gone(error.user_message)
        else:
            self._show_error(error)

    def _integration_gone(self, text: str | None) -> None:
        self.reload_integrations()
        if self.integration is not None:
            self.integration = dataclasses.replace(self.integration, state="removed")
        self.form.set_editable(False)
        self.send_button.setEnabled(False)
        self._show_removed(
            (text or "This integration was removed in Flowdock.")
            + " Its flow token and sent history were deleted from this computer."
        )

    # -- the outbox in the background ---------------------------------------------------------

    def deliver_in_background(self, *, ignore_backoff: bool = False) -> None:
        """Run one ``deliver_due`` unless one is running (the timer calls this)."""
        if self._delivering is not None or self._sending is not None:
            return

        def work() -> tuple[list[Any], list[Any], list[Any]]:
            outcomes = self.service.deliver_due(ignore_backoff=ignore_backoff)
            return outcomes, self.service.pending(), self.service.problems()

        self._delivering = run_task(
            work, owner=self, on_done=self._delivered, on_error=self._delivery_failed
        )

    def _delivered(self, result: tuple[list[Any], list[Any], list[Any]]) -> None:
        self._delivering = None
        outcomes, pending, problems = result
        self._set_outbox_label(pending, problems)
        if any(o.result == "gone" for o in outcomes):
            if self.integration and any(
                o.item.integration_id == self.integration.id and o.result == "gone"
                for o in outcomes
            ):
                self._integration_gone(next(o.error for o in outcomes if o.result == "gone"))
            else:
                self.reload_integrations()
        sent_here = [
            o
            for o in outcomes
            if o.result == "sent" and o.item.integration_id == self.integration_id
        ]
        if sent_here:
            if self._banner_next == "retry":
                self.banner.show_message("success", "The waiting message was sent.")
                self._banner_next = None
            self.refresh_threads()
        self.delivery_finished.emit(outcomes)

    def _delivery_failed(self, error: BaseException) -> None:
        self._delivering = None
        log.warning("outbox delivery failed: %s", type(error).__name__)

    def _refresh_outbox_label(self) -> None:
        run_task(
            lambda: (self.service.pending(), self.service.problems()),
            owner=self,
            on_done=lambda r: self._set_outbox_label(*r),
            on_error=lambda _: None,
        )

    def _set_outbox_label(self, pending: list[Any], problems: list[Any]) -> None:
        parts = []
        if pending:
            due = min(i.next_attempt_at for i in pending)
            wait = max(0, round(due - time.time()))
            last = next((i.last_error for i in pending if i.last_error), None)
            text = f"{len(pending)} waiting to be sent"
            if wait:
                text += f" · next try in {wait} s"
            if last:
                text += f" · last problem: {last}"
            parts.append(text)
        failed = [i for i in problems if i.state == "failed"]
        if failed:
            parts.append(f"{len(failed)} not sent (refused): {failed[-1].last_error}")
        gone = [i for i in problems if i.state == "gone"]
        if gone:
            parts.append(f"{len(gone)} not sent: the integration was removed in Flowdock")
        self.outbox_label.setText(" — ".join(parts) if parts else "Outbox empty: all sent.")
        self.outbox_label.setToolTip(self.outbox_label.text())
        names = {i.id: f"{i.flow_path} / {i.source_name}" for i in self._integrations}
        self.outbox_panel.set_items([*pending, *problems], names)

    def _retry_item(self, item_id: int) -> None:
        outbox = self.context.outbox

        def work() -> None:
            outbox.requeue(item_id)

        run_task(
            work,
            owner=self,
            on_done=lambda _: self.deliver_in_background(ignore_backoff=True),
            on_error=self._show_error,
        )

    def _load_item(self, item_id: int) -> None:
        item = next((i for i in self.outbox_panel.items if i.id == item_id), None)
        if item is None:
            return
        self.form.set_state(FormState.from_payload(item.payload, previous=self.form.state()))
        self.banner.show_message(
            "info",
            "The message is in the form. Fix it and send it as a new message; discard the old "
            "one in the Outbox tab when you no longer need it.",
        )

    def _discard_item(self, item_id: int) -> None:
        answer = QMessageBox.question(
            self,
            "Discard message",
            "Discard this message for good? It has not been sent and cannot be recovered.",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer != QMessageBox.StandardButton.Discard:
            return
        run_task(
            lambda: self.context.outbox.discard(item_id),
            owner=self,
            on_done=lambda _: self._refresh_outbox_label(),
            on_error=self._show_error,
        )

    # -- threads ------------------------------------------------------------------------------

    def _tab_changed(self, index: int) -> None:
        if self.right_tabs.widget(index) is self.threads_panel:
            self.refresh_threads()

    def _live_changed(self, live: bool) -> None:
        # Live: the stream says what changes. Otherwise the timer asks the server.
        if live:
            self._threads_timer.stop()
        elif not self._threads_timer.isActive():
            self._threads_timer.start()

    def _refresh_threads_if_visible(self) -> None:
        if self.threads_panel.isVisible():
            self.refresh_threads()

    def refresh_threads(self) -> None:
        if self.integration is None:
            self.threads_panel.set_threads([], None)
            self.threads_follower.follow(None)
            return
        integration_id = self.integration.id
        run_task(
            lambda: self.service.threads(integration_id),
            owner=self,
            on_done=lambda listing: self._threads_loaded(integration_id, listing),
            on_error=self._threads_failed,
        )

    def _threads_loaded(self, integration_id: str, listing: ThreadListing) -> None:
        if integration_id != self.integration_id:
            return
        self.threads_follower.show_listing(listing.threads, listing.note)
        self.threads_follower.follow(integration_id)  # again, after a sign-in say
        self.form.set_thread_choices(
            [(v.key, v.title or v.key) for v in listing.threads if v.external_thread_id]
        )

    def _threads_failed(self, error: BaseException) -> None:
        self.threads_panel.note.setText(getattr(error, "user_message", None) or str(error))

    def _load_timeline(self, view: ThreadView) -> None:
        if self.integration is None or not view.thread_id:
            self.threads_panel.show_timeline([], "This thread has no Flowdock id yet.")
            return
        integration_id, thread_id = self.integration.id, view.thread_id
        run_task(
            lambda: self.service.thread_messages(integration_id, thread_id),
            owner=self,
            on_done=lambda messages: self.threads_panel.show_timeline(messages, None, thread_id),
            on_error=lambda e: self.threads_panel.show_timeline(
                [], getattr(e, "user_message", None) or str(e)
            ),
        )

    def update_thread(self, view: ThreadView) -> None:
        """Load the thread's current state into the form, ready for a new activity."""
        if view.remote is not None:
            self._load_thread(view.key, view.remote)
            return
        if self.integration is None or not view.thread_id:
            # Only the local history is known: keep its title and status.
            from flowdock_desktop.api.messages import Status
            from flowdock_desktop.api.models import Thread

            status = (
                Status(view.status_value, view.status_color or "grey")
                if view.status_value
                else None
            )
            self._load_thread(view.key, Thread(title=view.title, status=status))
            return
        integration_id, thread_id = self.integration.id, view.thread_id
        run_task(
            lambda: self.service.thread(integration_id, thread_id),
            owner=self,
            on_done=lambda thread: self._load_thread(view.key, thread),
            on_error=self._show_error,
        )
        self.right_tabs.setCurrentWidget(self.preview)

    def _load_thread(self, key: str, thread: Any) -> None:
        self.form.set_state(FormState.from_thread(key, thread, previous=self.form.state()))
        self.form.title.setFocus()

    # -- banner and errors --------------------------------------------------------------------

    def _banner_action(self) -> None:
        action, self._banner_next = self._banner_next, None
        if action in ("add", "setup"):
            self.add_integration_requested.emit()
        elif action == "retry":
            self.banner.show_message("info", "Trying again…")
            self.deliver_in_background(ignore_backoff=True)
        elif action == "signin":
            self.add_integration_requested.emit()
        elif action == "reconnect" and self.integration_id:
            self.reconnect_requested.emit(self.integration_id)

    def _show_error(self, error: BaseException) -> None:
        text = getattr(error, "user_message", None)
        if text is None:
            log.error("composer task failed", exc_info=error)
            text = "Something went wrong. Try again; if it keeps happening, see the log."
        action = "Sign in again" if "sign in" in text.lower() else None
        self.banner.show_message("error", text, action)
        self._banner_next = "signin" if action else None

    # -- lifecycle ----------------------------------------------------------------------------

    def closeEvent(self, event: Any) -> None:
        self._outbox_timer.stop()
        self._threads_timer.stop()
        self.threads_follower.stop()
        if self._draft_timer.isActive():
            self._draft_timer.stop()
            self._save_draft()
        if self._exchange_hook in self.context.exchange_hooks:
            self.context.exchange_hooks.remove(self._exchange_hook)
        # Off the GUI thread: closing waits for connections that may still be busy.
        service = self.service
        run_task(service.close, owner=None)
        super().closeEvent(event)
