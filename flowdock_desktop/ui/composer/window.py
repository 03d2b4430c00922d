"""ComposerWindow: write, preview and send thread messages as one of the person's integrations.

The window lays out the panels and hands each concern to a small controller: integrations,
drafts, templates, threads, the outbox and the banner. What it keeps for itself is choosing an
integration and sending.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QGuiApplication,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from flowdock_desktop.api.messages import PayloadError
from flowdock_desktop.api.validation import describe_errors
from flowdock_desktop.auth.recorded import recorded_name
from flowdock_desktop.compose import FormState
from flowdock_desktop.compose.presenters import outbox_names
from flowdock_desktop.problems import NextStep, Problem, explain_and_report
from flowdock_desktop.store.integrations import Integration
from flowdock_desktop.ui import collector
from flowdock_desktop.ui.composer.banner import BannerAction, BannerController, BannerReason
from flowdock_desktop.ui.composer.drafts import DraftsController
from flowdock_desktop.ui.composer.form import MessageForm
from flowdock_desktop.ui.composer.integrations import IntegrationsController, IntegrationsView
from flowdock_desktop.ui.composer.integrations_panel import IntegrationList
from flowdock_desktop.ui.composer.outbox import OutboxController
from flowdock_desktop.ui.composer.outbox_panel import OutboxPanel
from flowdock_desktop.ui.composer.preview import PreviewPane
from flowdock_desktop.ui.composer.request_log import RequestLog
from flowdock_desktop.ui.composer.send import SendController
from flowdock_desktop.ui.composer.templates import TemplateBar, TemplatesController
from flowdock_desktop.ui.composer.threads import ThreadsController
from flowdock_desktop.ui.composer.threads_panel import ThreadsPanel
from flowdock_desktop.ui.composer.views import ANNOUNCEMENT, FULL, ViewsController, ViewSwitch
from flowdock_desktop.ui.first_paint import ReportsFirstPaint, after_first_paint
from flowdock_desktop.ui.help_actions import add_help_actions, open_team_inbox
from flowdock_desktop.ui.reconnect import (
    WAITS_LEAD,
    refuse_send,
    show_flow_token_state,
    try_keyring_again,
    waits_for_reconnect,
)
from flowdock_desktop.ui.tasks import QUIT_WAIT_MS, run_task
from flowdock_desktop.ui.widgets import (
    Banner,
    ElidedLabel,
    keep_focus_place,
    show_built,
    tab_mnemonics_enter,
)

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog

    from flowdock_desktop.context import AppContext
    from flowdock_desktop.sending import SendResult, SendService
    from flowdock_desktop.ui.composer.announcement import AnnouncementForm

log = logging.getLogger(__name__)

#: Background starts waiting for the window to load (``after_loaded``) run anyway after this.
LOAD_FALLBACK_MS = 2000

#: The outbox and the threads are read again this long after a send ends: not in the pass
#: that shows its result and may start the next send, whose work their readers' workers would
#: compete with for the interpreter lock; and at most once in this time, however many end.
AFTER_SEND_MS = 150
#: How long Send waits for the signed-in person's name when it is the form's only gap: the
#: look-up normally answers within a moment of the window showing its message.


def _scrolling(widget: QWidget | None) -> QScrollArea:
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    # Not a Tab stop of its own (it shows no focus); it still scrolls to the field Tab reaches.
    scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    if widget is not None:
        scroll.setWidget(widget)
    return scroll


class ComposerWindow(ReportsFirstPaint, QMainWindow):
    """The composer: integrations (left), the message (centre), preview and more (right).

    Signals:
        ``add_integration_requested``: the person wants to set up an integration (app.py opens
        the wizard); also offered after an integration was removed in Flowdock.
        ``reconnect_requested(str)``: Reconnect for an integration whose flow token is gone
        (``ui/reconnect.py``).
        ``message_sent(object)``: a ``SendResult`` once a message reached Flowdock.
        ``delivery_finished(list)``: outcomes of each background outbox run (tests wait on it).
        ``message_shown``: once, when the window shows its integration's message (the draft or
        a fresh one) or that it has none, painted; the background starts (``after_loaded``)
        come after it (or ``LOAD_FALLBACK_MS`` after the window was made when loading never
        ends).
    Attributes: ``form`` (the full form), ``announcement`` (the Announcement view, built when
    first asked for: shown, or used), ``preview``,
    ``integrations_panel``, ``threads_panel``, ``outbox_panel``, ``request_log``, ``banner``
    (the widget) and ``banners`` (its controller), ``send_button``, ``outbox_label``,
    ``template_box``, ``service`` (made when first asked for), the controllers
    ``integrations``, ``drafts``, ``templates``, ``threads``, ``outbox``, and the menus
    ``file_menu``, ``view_menu`` and ``help_menu`` (other parts of the app add their entries
    there).
    Timers (milliseconds) are parameters so tests can shorten them.
    """

    add_integration_requested = Signal()
    reconnect_requested = Signal(str)
    message_sent = Signal(object)
    delivery_finished = Signal(list)
    message_shown = Signal()

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
        self._service: SendService | None = None
        self.integration: Integration | None = None
        self._wanted_id = integration_id
        self._fresh_pending = False
        self._form_focused_once = False  # the first draft or template puts the cursor in
        # Background starts that wait until the window shows its message (``after_loaded``).
        self._loaded = False
        self._waiting_for_load: list[Callable[[], object]] = []
        QTimer.singleShot(LOAD_FALLBACK_MS, self, self._release_loaded)
        # A paused collector (the app's start) stays paused until the message shows.
        collector.hold()
        self.setWindowTitle("Flowdock Desktop — Composer")
        self._build()
        self._build_menus()
        self._fit_to_screen()

        self.banners = BannerController(self.banner, self)
        show_error = self._show_error
        self.integrations = IntegrationsController(
            context,
            lambda: self.service,
            self.integrations_panel,
            banner=self.banners,
            show_error=show_error,
            dialog_parent=self,
        )
        self.drafts = DraftsController(
            context.drafts, self.form.state, delay_ms=draft_delay_ms, parent=self
        )
        self.templates = TemplatesController(
            context.templates,
            self.template_bar,
            state=self.form.state,
            set_state=self._set_state,
            banner=self.banners,
            show_error=show_error,
            explain=lambda error: self._explain(error).text,
            dialog_parent=self,
        )
        self.threads = ThreadsController(
            lambda: self.service,
            self.threads_panel,
            show_error=show_error,
            refresh_ms=thread_refresh_ms,
            start_after=self.after_loaded,
            parent=self,
        )
        self.views = ViewsController(
            self.form,
            lambda: self.announcement,
            self.stack,
            self.view_switch.group,
            self.view_actions,
            settings=context.settings,
            banner=self.banners,
            parent=self,
        )
        self.sender = SendController(
            lambda: self.service,
            self.send_button,
            self.progress,
            banner=self.banners,
            show_error=show_error,
            parent=self,
        )
        self.outbox = OutboxController(
            lambda: self.service,
            self.outbox_label,
            self.outbox_panel,
            busy=lambda: self.sender.busy,
            show_error=show_error,
            interval_ms=outbox_interval_ms,
            parent=self,
        )
        self.request_log.follow(context.exchange_hooks)
        self._preview_timer = QTimer(self, singleShot=True, interval=preview_delay_ms)
        self._preview_timer.timeout.connect(self._refresh_preview)
        self._after_send = QTimer(self, singleShot=True, interval=AFTER_SEND_MS)
        self._after_send.timeout.connect(self._read_again_after_send)
        self._threads_stale = False
        self._wire()

        self._refresh_preview()
        self.templates.reload()
        self.reload_integrations()
        # The outbox is read once the message shows: its store's modules (and the footer's
        # line) are not needed to paint the message.
        self.after_loaded(self.outbox.refresh)

    def after_loaded(self, callback: Callable[[], object]) -> None:
        """Call ``callback`` on the GUI thread once the window has painted and shows its
        integration's message (the draft or a fresh one; or no integration to show), or
        ``LOAD_FALLBACK_MS`` after it was made when loading never ends; never once the window
        is gone.

        For background starts that load large modules on a worker (the sign-in code,
        keyring backends, the stream's client): started at the first paint they held the GIL
        while the window still read its integrations and draft, and the message appeared
        that much later."""
        if self._loaded:
            after_first_paint(self, callback, owner=self)
        else:
            self._waiting_for_load.append(callback)

    def _release_loaded(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        collector.release()
        if self.isVisible():
            # The message just set is laid out and painted now: left to the event loop, it
            # would come after the zero timers below, whose background starts then hold the
            # GIL while the window paints it.
            QApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
            QApplication.sendPostedEvents(self, QEvent.Type.UpdateRequest)
        self.message_shown.emit()
        waiting, self._waiting_for_load = self._waiting_for_load, []
        for callback in waiting:
            after_first_paint(self, callback, owner=self)

    @property
    def service(self) -> SendService:
        """The sending service, made the first time a controller or a test asks for it: a
        send, the outbox's first read or the threads' first list, all after the message shows
        (and the retry policy's module with it)."""
        if self._service is None:
            from flowdock_desktop.sending import SendService

            self._service = SendService(self.context)
        return self._service

    # -- building -----------------------------------------------------------------------------

    def _build(self) -> None:
        self.integrations_panel = IntegrationList()
        self.form = MessageForm()
        # The Announcement view (about 40 widgets, each refreshed on every edit of the form)
        # is built the first time it is asked for (``announcement``): most starts show the
        # full form. Its page holds its place in the stack and in the focus chain meanwhile.
        self._announcement: AnnouncementForm | None = None
        self._editable = True
        self.banner = Banner()
        self.send_button = QPushButton("Send")
        self.send_button.setAccessibleName("Send message")
        self.send_button.setToolTip("Send (Ctrl+Enter)")
        self.send_button.setDefault(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy indicator
        self.progress.setMaximumWidth(100)
        # Its room stays while hidden: showing it for each send re-lays nothing out.
        policy = self.progress.sizePolicy()
        policy.setRetainSizeWhenHidden(True)
        self.progress.setSizePolicy(policy)
        self.progress.setVisible(False)
        self.progress.setAccessibleName("Sending")
        self.outbox_label = ElidedLabel()
        self.outbox_label.setObjectName("outbox-state")

        self.view_switch = ViewSwitch()
        self.template_bar = TemplateBar()
        self.template_box = self.template_bar.box
        header = QHBoxLayout()
        header.addWidget(self.view_switch)
        header.addStretch(1)

        self.stack = QStackedWidget()
        self._announcement_page = _scrolling(None)
        self.stack.addWidget(self._announcement_page)
        self.stack.addWidget(_scrolling(self.form))

        centre = QWidget()
        c = QVBoxLayout(centre)
        c.setContentsMargins(6, 6, 6, 6)
        c.addLayout(header)
        c.addWidget(self.template_bar)
        c.addWidget(self.banner)
        c.addWidget(self.stack, 1)
        footer = QHBoxLayout()
        footer.addWidget(self.outbox_label, 1)
        footer.addWidget(self.progress)
        footer.addWidget(self.send_button)
        c.addLayout(footer)

        self.preview = PreviewPane()
        self.threads_panel = ThreadsPanel()
        self.outbox_panel = OutboxPanel()
        self.request_log = RequestLog()
        self.right_tabs = QTabWidget()
        self.right_tabs.setUsesScrollButtons(True)
        self.right_tabs.addTab(self.preview, "Message")
        self.right_tabs.addTab(self.threads_panel, "Threads")  # Alt+R is Reconnect's
        self.right_tabs.addTab(self.outbox_panel, "&Outbox")
        self.right_tabs.addTab(self.request_log, "Re&quest log")
        tab_mnemonics_enter(self.right_tabs)

        # Narrow screens: every pane can shrink, the form scrolls, and the side panes can be
        # dragged shut; nothing asks for more than a 1,024-pixel screen has.
        for pane, minimum in ((self.integrations_panel, 150), (self.right_tabs, 240)):
            pane.setMinimumWidth(minimum)
            pane.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        centre.setMinimumWidth(400)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.integrations_panel)
        self.splitter.addWidget(centre)
        self.splitter.addWidget(self.right_tabs)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self.splitter.setCollapsible(1, False)
        self.setCentralWidget(self.splitter)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self).activated.connect(self.send)

    @property
    def announcement(self) -> AnnouncementForm:
        """The Announcement view, built (bound to the full form) the first time it is asked
        for."""
        if self._announcement is None:
            from flowdock_desktop.ui.composer.announcement import AnnouncementForm

            view = AnnouncementForm(self.form)
            view.set_editable(self._editable)
            self._announcement_page.setWidget(view)
            # Tab goes through it where its page is, not after the side tabs.
            keep_focus_place(view, after=self._announcement_page)
            self._announcement = view
        return self._announcement

    def _build_menus(self) -> None:
        self.file_menu = self.menuBar().addMenu("&File")
        add = self.file_menu.addAction("&Add integration…")
        add.triggered.connect(self.add_integration_requested)
        save = self.file_menu.addAction("Save as &template…")
        save.triggered.connect(lambda: self.templates.ask_and_save())
        send = self.file_menu.addAction("&Send")
        send.setShortcut(QKeySequence("Ctrl+Return"))
        send.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # the window's own shortcut
        send.triggered.connect(self.send)
        self.file_menu.addSeparator()
        close = self.file_menu.addAction("&Close")
        # Every key the platform has for it: on some, Ctrl+F4 comes first and Ctrl+W second.
        close.setShortcuts(QKeySequence.StandardKey.Close)
        close.triggered.connect(self.close)
        # Every window closes as it would by itself (a draft is kept, a wizard with typed
        # details asks first); the app ends when the last one has.
        quit_app = self.file_menu.addAction("&Quit")
        # Spelled out: the standard Quit key is Ctrl+Q on Linux desktops (and Cmd+Q on a Mac,
        # which Qt maps Ctrl to) but none on Windows or without a desktop's theme.
        quit_app.setShortcut(QKeySequence("Ctrl+Q"))
        quit_app.triggered.connect(QApplication.closeAllWindows)

        self.view_menu = self.menuBar().addMenu("Vie&w")
        group = QActionGroup(self)
        self.view_actions: dict[str, QAction] = {}
        for mode, text, keys in (
            (ANNOUNCEMENT, "&Announcement", "Ctrl+1"),
            (FULL, "&Full message", "Ctrl+2"),
        ):
            action = self.view_menu.addAction(text)
            action.setCheckable(True)
            action.setShortcut(QKeySequence(keys))
            group.addAction(action)
            self.view_actions[mode] = action

        self.help_menu = self.menuBar().addMenu("&Help")
        add_help_actions(self, self.help_menu)
        about = self.help_menu.addAction("&About Flowdock Desktop…")
        about.triggered.connect(self.show_about)

    def _fit_to_screen(self) -> None:
        """Open at 1280x820, or as large as a smaller screen allows."""
        screen = self.screen() or QGuiApplication.primaryScreen()
        room = screen.availableGeometry() if screen is not None else None
        width, height = 1280, 820
        if room is not None:
            width, height = min(width, room.width()), min(height, room.height())
        self.resize(width, height)
        self.splitter.setSizes([width * 2 // 11, width * 5 // 11, width * 4 // 11])

    def _wire(self) -> None:
        self.send_button.clicked.connect(self.send)
        self.form.changed.connect(self._preview_timer.start)
        self.form.changed.connect(self.drafts.edited)
        self.preview.payload_edited.connect(self._json_edited)
        self.preview.reveal_requested.connect(self._reveal_token)
        self.integrations.loaded.connect(self._integrations_loaded)
        self.integrations.setup_requested.connect(self.add_integration_requested)
        self.integrations.resent.connect(lambda _: self.outbox.deliver(ignore_backoff=True))
        self.integrations_panel.selected.connect(self.select_integration)
        self.templates.loaded.connect(self._templates_loaded)
        self.templates.applied.connect(lambda _: self._focus_the_form())
        self.threads.listed.connect(self.form.set_thread_choices)
        self.threads.changed.connect(self._preview_timer.start)
        self.threads.update_ready.connect(self._load_thread)
        self.sender.sent.connect(self._sent)
        self.sender.refused.connect(self.views.mark)
        self.sender.gone.connect(self._integration_gone)
        self.sender.waits_for_reconnect.connect(self._waits_for_reconnect)
        self.sender.finished.connect(self._send_finished)
        # The Outbox tab and the footer say what became of the message as the banner does.
        self.sender.outcome.connect(lambda result: self.outbox.show_result(result.item))
        self.outbox.delivered.connect(self._delivered)
        self.outbox.load_requested.connect(self._load_payload)
        self.right_tabs.currentChanged.connect(self._tab_changed)
        b = self.banners
        b.on(BannerAction.ADD_INTEGRATION, self.add_integration_requested.emit)
        b.on(BannerAction.SET_UP_AGAIN, self.add_integration_requested.emit)
        b.on(BannerAction.SIGN_IN, self.add_integration_requested.emit)
        b.on(BannerAction.RETRY, self._retry_now)
        # The selected integration's team inbox: the banner is cleared on switching, so it is
        # the one that just sent.
        b.on(BannerAction.OPEN_INBOX, lambda: open_team_inbox(self))
        b.on(BannerAction.RECONNECT, self._reconnect)
        b.on(BannerAction.TRY_KEYRING, lambda: try_keyring_again(self))

    def show_about(self) -> QDialog:
        """The About dialog, with "Copy diagnostics" for support requests."""
        from flowdock_desktop.ui.about import AboutDialog

        dialog = AboutDialog(self.context, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    @property
    def view(self) -> str:
        return self.views.mode

    def set_view(self, mode: str) -> None:
        """Show the Announcement view or the full form (both edit the same message)."""
        self.views.show(mode)

    # -- integrations -------------------------------------------------------------------------

    @property
    def integration_id(self) -> str | None:
        return self.integration.id if self.integration else self._wanted_id

    @integration_id.setter
    def integration_id(self, value: str | None) -> None:
        # app.py sets this before reload_integrations() to bring an integration forward.
        self._wanted_id = value

    @property
    def _draft_ready(self) -> bool:
        return self.drafts.ready

    def reload_integrations(self) -> None:
        """Read the integrations again (after the wizard added one, say)."""
        self.integrations.current_id = self._wanted_id
        self.integrations.reload()

    def integration_removed(self, integration_id: str) -> None:
        """Removed from its settings dialog (``ui/integration_settings.py``): the flow token
        the sending service keeps in memory goes too, and the list is read again."""
        if self._service is not None:
            self._service.forget_kept_flow_token(integration_id)
        self.reload_integrations()

    def _integrations_loaded(self, view: IntegrationsView) -> None:
        self.outbox.names = outbox_names(
            [*view.all, *(removed for removed, _ in view.groups.replaced)]
        )
        wanted = view.find(self._wanted_id)
        if wanted is None:
            # Set up again: show the replacement; otherwise the first working one.
            replacement = next(
                (new for old, new in view.groups.replaced if old.id == self._wanted_id), None
            )
            wanted = replacement or next(iter(view.all), None)
        if wanted is None:
            self._show_nothing()
            return
        self.select_integration(wanted.id)
        show_flow_token_state(self, view.all)
        self.integrations.offer_resend()

    def _reconnect(self) -> None:
        if self.integration is not None:
            self.reconnect_requested.emit(self.integration.id)

    def _show_nothing(self) -> None:
        self.integration = None
        self._wanted_id = None
        self.drafts.forget_current()
        self.threads.show_integration(None)
        self._show_state()
        self.banners.show(
            "info",
            "Set up an integration to start posting.",
            BannerReason.NO_INTEGRATION,
            BannerAction.ADD_INTEGRATION,
        )
        self._release_loaded()

    def select_integration(self, integration_id: str) -> None:
        found = self.integrations.view.find(integration_id)
        if found is None:
            return
        changed = self.integration is None or found.id != self.integration.id
        self.integration, self._wanted_id = found, found.id
        self.integrations.current_id = found.id
        if changed:
            # Another integration: nothing of the previous one stays on screen.
            self.banners.clear()
            self.preview.reveal_token.setChecked(False)
            self.threads.show_integration(found.id)
            self.drafts.load(found.id, self._draft_loaded)
        self._show_state()

    def _show_state(self) -> None:
        integration = self.integration
        self.preview.set_target(integration.api_url if integration else "", None)
        active = integration is not None and integration.is_active
        self.form.set_editable(active)
        self._editable = active
        if self._announcement is not None:
            self._announcement.set_editable(active)
        self.send_button.setEnabled(active and not self.sender.busy)
        if integration is None:
            self.setWindowTitle("Flowdock Desktop — Composer")
            return
        self.setWindowTitle(
            f"{integration.source_name} → {integration.organization_name} / "
            f"{integration.flow_name} — Flowdock Desktop"
        )
        if not active:
            self._show_removed(None)
        else:
            self.banners.clear(BannerReason.REMOVED, BannerReason.NO_INTEGRATION)

    def _show_removed(self, text: str | None) -> None:
        name = self.integration.source_name if self.integration else "This integration"
        self.banners.show(
            "error",
            text
            or f"“{name}” was removed in Flowdock, so it can no longer post. Its flow token and "
            "sent history were deleted from this computer. Set it up again to keep posting.",
            BannerReason.REMOVED,
            BannerAction.SET_UP_AGAIN,
        )

    # -- the form -----------------------------------------------------------------------------

    def _set_state(self, state: FormState) -> None:
        self.form.set_state(state)
        self.views.adapt()

    def _fill_in_the_author(self) -> None:
        """An empty author's name becomes the signed-in person's, as the profile records it:
        read from the settings in memory, with no keyring look-up, so it is in the form when
        the message shows and a Send pressed at once has it."""
        name = recorded_name(self.context.settings)
        if name and not self.form.state().author_name:
            self.form.apply(lambda state: setattr(state, "author_name", name))

    def _draft_loaded(self, draft: dict[str, Any] | None) -> None:
        if draft:
            self._set_state(FormState.from_dict(draft, previous=self.form.state()))
            self._focus_the_form()
        else:
            self._start_fresh()
        self._fill_in_the_author()
        # Loaded: the window and the modules it brought stay as long as it is open.
        collector.settle()
        self._release_loaded()

    def _start_fresh(self) -> None:
        """No draft: a fresh message from the first template, the cursor where to type."""
        author = self.form.state()
        self._set_state(
            FormState(author_name=author.author_name, author_avatar=author.author_avatar)
        )
        first = self.templates.first()
        self._fresh_pending = first is None
        if first is not None:
            self.templates.apply(first.name, {})
        self._focus_the_form()

    def _focus_the_form(self) -> None:
        """The cursor to where to type; but once the window has opened, not while the person
        is choosing in the integrations list: the arrow keys there go on through the list
        (and F2 and Delete act on it)."""
        if self._form_focused_once and self.integrations_panel.list.hasFocus():
            return
        self._form_focused_once = True
        self.views.focus_first_empty()

    def _templates_loaded(self) -> None:
        first = self.templates.first()
        if self._fresh_pending and self.drafts.ready and first is not None:
            self._fresh_pending = False
            self.templates.apply(first.name, {})

    def apply_template(self, name: str, values: dict[str, str]) -> bool:
        """Fill the form from a template with its placeholders replaced by ``values``."""
        return self.templates.apply(name, values)

    def _refresh_preview(self) -> None:
        payload = self.form.payload()
        key = payload.get("external_thread_id") or payload.get("thread_id")
        # Posting to a known thread: the card also shows where it stands in the flow now.
        current = self.threads.current_for(key if isinstance(key, str) else None)
        self.preview.show_payload(payload, current)

    def _json_edited(self, data: dict[str, Any]) -> None:
        try:
            state = FormState.from_payload(data, previous=self.form.state())
        except ValueError as exc:
            self.preview.json_message.show_error(getattr(exc, "user_message", None) or str(exc))
            return
        self.form.set_state(state)
        self.form.show_errors(self.form.errors())

    def _load_payload(self, payload: dict[str, Any]) -> None:
        """An outbox message goes back into the form to be fixed and sent again."""
        try:
            state = FormState.from_payload(payload, previous=self.form.state())
        except PayloadError as exc:
            # Stored by something other than this form (an older version, the command line):
            # the form cannot show it, and the form is left as it was.
            self.banners.show(
                "error",
                "This message cannot be loaded into the form ("
                + "; ".join(describe_errors(exc.field_errors).splitlines())
                + "). It stays in the outbox: retry or discard it there.",
            )
            return
        self.views.show(FULL, remember=False)
        self.form.set_state(state)
        self.banners.show(
            "info",
            "The message is in the form. Fix it and send it as a new message; discard the old "
            "one in the Outbox tab when you no longer need it.",
        )

    def _load_thread(self, key: str, thread: Any) -> None:
        self.views.show(FULL, remember=False)
        self.form.set_state(FormState.from_thread(key, thread, previous=self.form.state()))
        self.right_tabs.setCurrentWidget(self.preview)
        self.form.title.setFocus()

    def update_thread(self, view: Any) -> None:
        """Load a thread's current state into the form, ready for a new activity."""
        self.threads.update_thread(view)

    def _reveal_token(self, on: bool) -> None:
        integration = self.integration
        if not on or integration is None:
            self.preview.set_target(integration.api_url if integration else "", None)
            return
        context = self.context
        run_task(
            # The store opened on the worker too: opening it may ask D-Bus, or the keyring.
            lambda: context.credentials.get_flow_token(integration.id),
            owner=self,
            on_done=lambda token: self.preview.set_target(integration.api_url, token),
            on_error=self._show_error,
        )

    # -- sending ------------------------------------------------------------------------------

    def send(self) -> None:
        """Check the form, then enqueue and deliver the message in the background."""
        integration = self.integration
        if self.sender.busy or integration is None:
            return
        if not integration.is_active:
            self._show_removed(None)
            return
        if not self.preview.flush_json():
            self.right_tabs.setCurrentWidget(self.preview)
            self.preview.show_json()
            self.banners.show(
                "error",
                "Not sent: the JSON tab's text is not a message the form can take. Fix it as "
                "its message says, or change the form to start the JSON again from the form.",
                BannerReason.ERROR,
            )
            return
        errors = self.form.errors()
        if errors:
            self.views.mark(errors)
            return
        if refuse_send(self):  # its flow token is gone: it could only fail
            return
        self.drafts.flush()
        self.sender.send(integration, self.form.payload())

    def _send_finished(self) -> None:
        self.send_button.setEnabled(self.integration is not None and self.integration.is_active)
        if not self._after_send.isActive():  # never postponed by the next send ending
            self._after_send.start()

    def _sent(self, result: SendResult) -> None:
        self.drafts.clear(result.item.integration_id)
        self.message_sent.emit(result)
        self.threads.sent_here(result.item.uuid)
        self._threads_stale = True  # read again with the outbox, a moment after the send

    def _read_again_after_send(self) -> None:
        self.outbox.refresh()
        if self._threads_stale:
            self._threads_stale = False
            self.threads.refresh()

    def _integration_gone(self, text: str | None) -> None:
        self.reload_integrations()
        if self.integration is not None:
            self.integration = dataclasses.replace(self.integration, state="removed")
        self._show_state()
        self._show_removed(
            (text or "This integration was removed in Flowdock.")
            + " Its flow token and sent history were deleted from this computer."
        )

    def _waits_for_reconnect(self, result: SendResult) -> None:
        if not waits_for_reconnect(self, {result.item.integration_id}, WAITS_LEAD):
            # Another integration was chosen meanwhile: no Reconnect to offer for this one.
            self.banners.show("warning", f"Not sent yet: {result.error}", BannerReason.QUEUED)

    def _retry_now(self) -> None:
        self.banners.show("info", "Trying again…", BannerReason.QUEUED)
        self.outbox.deliver(ignore_backoff=True)

    def _delivered(self, outcomes: list[Any]) -> None:
        current = self.integration.id if self.integration else None
        gone = [o for o in outcomes if o.result == "gone"]
        mine = [o for o in gone if o.item.integration_id == current]
        if mine:
            self._integration_gone(mine[0].error)
        elif gone:
            self.reload_integrations()
        waiting = {o.item.integration_id for o in outcomes if o.needs_reconnect}
        if waiting:
            waits_for_reconnect(self, waiting)
        sent = sum(1 for o in outcomes if o.result == "sent" and o.item.integration_id == current)
        if sent:
            if self.banners.reason is BannerReason.QUEUED:
                text = (
                    "The waiting message was sent."
                    if sent == 1
                    else f"The {sent} waiting messages were sent."
                )
                self.banners.show("success", text, BannerReason.SENT)
            self.threads.refresh()
        self.delivery_finished.emit(outcomes)

    # -- threads ------------------------------------------------------------------------------

    def _tab_changed(self, index: int) -> None:
        page = self.right_tabs.widget(index)
        if page is self.threads_panel:
            self.threads.refresh()
        elif page in (self.outbox_panel, self.request_log) and not page.built:
            # Built when first shown (most starts never show them); Tab goes through them
            # where their tab is.
            page.build()
            show_built(page)
            keep_focus_place(page)

    def refresh_threads(self) -> None:
        self.threads.refresh()

    # -- errors -------------------------------------------------------------------------------

    def _explain(self, error: BaseException) -> Problem:
        # The words the command line prints for the same error (a full disk, a locked
        # keyring, a server's refusal); a bug also leaves a crash report, named in the text.
        problem = explain_and_report(error, self.context.profile.log_dir)
        if problem.unexpected:
            log.error("composer task failed", exc_info=error)
        return problem

    def _show_error(self, error: BaseException) -> None:
        problem = self._explain(error)
        signed_out = problem.next_step is NextStep.SIGN_IN
        self.banners.show(
            "error", problem.text, BannerReason.ERROR, BannerAction.SIGN_IN if signed_out else None
        )

    # -- lifecycle ----------------------------------------------------------------------------

    def closeEvent(self, event: Any) -> None:
        # Quitting mid-delivery: the message being posted is let finish and recorded (the app
        # waits for it, bounded, before the profile closes); nothing more is started.
        self.outbox.stop()
        self.sender.stop()
        self.threads.stop()
        self.preview.flush_json()  # JSON typed a moment ago goes into the draft with the form
        self.drafts.flush()
        self.request_log.unfollow()
        # Off the GUI thread: closing waits for a post under way, so as not to cut it.
        if self._service is not None:
            service = self._service
            run_task(lambda: service.close(wait=QUIT_WAIT_MS / 1000), owner=None)
        super().closeEvent(event)
