"""``SetupWizard``: the pages in order, the buttons, and what happens when it ends."""

from __future__ import annotations

import importlib
from enum import IntEnum
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget, QWizard

from flowdock_desktop.ui.first_paint import ReportsFirstPaint
from flowdock_desktop.ui.wizard.base import WizardPage
from flowdock_desktop.ui.wizard.state import WizardState

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

    from flowdock_desktop.context import AppContext
    from flowdock_desktop.store.integrations import Integration
    from flowdock_desktop.ui.wizard.application_page import ApplicationPage
    from flowdock_desktop.ui.wizard.confirm_page import ConfirmPage
    from flowdock_desktop.ui.wizard.done_page import DonePage
    from flowdock_desktop.ui.wizard.flow_page import FlowPage
    from flowdock_desktop.ui.wizard.name_page import NamePage
    from flowdock_desktop.ui.wizard.server_page import ServerPage
    from flowdock_desktop.ui.wizard.signin_page import SignInPage


class PageId(IntEnum):
    """The wizard's pages, in order."""

    SERVER = 0
    APPLICATION = 1
    SIGN_IN = 2
    FLOW = 3
    NAME = 4
    CONFIRM = 5
    DONE = 6


#: Each page's module (in this package) and class: a page is imported and built when the
#: wizard first needs it, so the first window shows without the later pages' code.
_PAGE_CLASSES: dict[PageId, tuple[str, str]] = {
    PageId.SERVER: ("server_page", "ServerPage"),
    PageId.APPLICATION: ("application_page", "ApplicationPage"),
    PageId.SIGN_IN: ("signin_page", "SignInPage"),
    PageId.FLOW: ("flow_page", "FlowPage"),
    PageId.NAME: ("name_page", "NamePage"),
    PageId.CONFIRM: ("confirm_page", "ConfirmPage"),
    PageId.DONE: ("done_page", "DonePage"),
}


class SetupWizard(ReportsFirstPaint, QWizard):
    """Sets up one integration: server, application, sign-in, flow, name, confirm, done.

    Signals:
      ``integration_created(str)``: a source was created; the local integration id.
      ``open_composer_requested(str)``: the person chose "Open composer" for that integration.
    Attributes: ``context``, ``state`` (``WizardState``), and one attribute per page
    (``server_page``, ``application_page``, ``sign_in_page``, ``flow_page``, ``name_page``,
    ``confirm_page``, ``done_page``); ``discard_question`` (the open "Discard what you
    typed?" box, or None).

    Pages are built when first needed (shown next, or asked for by attribute or
    ``page_for``), so the first page appears without building the rest; ``pages()`` lists
    those built so far.

    Keyboard: each page opens with the cursor in its first field. Esc while a page works
    (signing in, creating the source) stops only that work; otherwise Esc, Cancel and closing
    the window ask before throwing away what was typed.
    """

    integration_created = Signal(str)
    open_composer_requested = Signal(str)

    def __init__(
        self,
        context: AppContext,
        *,
        setup_link: str | None = None,
        api_url: str | None = None,
        reconnect: Integration | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.state = WizardState(reconnect=reconnect)
        self.setWindowTitle(
            f"Reconnect “{reconnect.source_name}”"
            if reconnect is not None
            else "Set up a Flowdock integration"
        )
        if reconnect is not None:
            api_url = reconnect.api_url
            self.state.source_name = reconnect.source_name
        self._auto_sign_in_started = False
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        # The Done page follows a commit page: Qt would show "< Back" there, always disabled.
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.HaveCustomButton1, False)
        self.setButtonText(QWizard.WizardButton.CustomButton1, "Set up &another")
        self._cancel_text = self.buttonText(QWizard.WizardButton.CancelButton)
        self.button(QWizard.WizardButton.CustomButton1).setAccessibleName("Set up another")
        self.customButtonClicked.connect(self._custom_button)
        self._built: dict[PageId, WizardPage] = {}
        self.page_for(PageId.SERVER)
        self.setStartId(PageId.SERVER)
        link = None
        if setup_link:
            from flowdock_desktop.setup_links import parse_setup_link

            self.application_page.set_setup_link(setup_link)
            try:
                link = parse_setup_link(setup_link)
            except ValueError:
                link = None  # the Application page explains what is wrong with it
        # Start from the server asked for (signing in again), the link's, or the one used last.
        server = api_url or (link.api_url if link is not None else None) or context.api_url
        if server:
            self.server_page.use_server(server)
        if link is not None and link.client_id:
            self.state.wanted_client_id = link.client_id
        self.discard_question: QMessageBox | None = None
        self.currentIdChanged.connect(self._page_changed)
        self.resize(640, 520)

    # -- pages, built when first needed -----------------------------------------------------

    def page_for(self, page_id: PageId) -> WizardPage:
        """The page with this id, imported and built on first use."""
        page = self._built.get(page_id)
        if page is None:
            module_name, class_name = _PAGE_CLASSES[page_id]
            module = importlib.import_module(f"{__package__}.{module_name}")
            page = getattr(module, class_name)(self.context, self.state)
            self._built[page_id] = page
            self.setPage(page_id, page)
            page.completeChanged.connect(self._work_changed)
        return page

    def pages(self) -> list[WizardPage]:
        """The pages built so far, in order."""
        return [self._built[page_id] for page_id in sorted(self._built)]

    @property
    def server_page(self) -> ServerPage:
        return self.page_for(PageId.SERVER)  # type: ignore[return-value]

    @property
    def application_page(self) -> ApplicationPage:
        return self.page_for(PageId.APPLICATION)  # type: ignore[return-value]

    @property
    def sign_in_page(self) -> SignInPage:
        return self.page_for(PageId.SIGN_IN)  # type: ignore[return-value]

    @property
    def flow_page(self) -> FlowPage:
        return self.page_for(PageId.FLOW)  # type: ignore[return-value]

    @property
    def name_page(self) -> NamePage:
        return self.page_for(PageId.NAME)  # type: ignore[return-value]

    @property
    def confirm_page(self) -> ConfirmPage:
        return self.page_for(PageId.CONFIRM)  # type: ignore[return-value]

    @property
    def done_page(self) -> DonePage:
        return self.page_for(PageId.DONE)  # type: ignore[return-value]

    # -- navigation -------------------------------------------------------------------------

    def nextId(self) -> int:
        """The page after the current one, by id; it need not be built yet (see
        ``validateCurrentPage``). Reconnecting skips the flow and the name."""
        current = self.currentId()
        if current < 0 or current >= PageId.DONE:
            return -1
        if self.state.reconnect is not None and current == PageId.SIGN_IN:
            return PageId.CONFIRM  # the flow and the name are the integration's own
        return current + 1

    def validateCurrentPage(self) -> bool:
        # QWizard.next() asks this first, then switches to nextId(): build that page now.
        if not super().validateCurrentPage():
            return False
        following = self.nextId()
        if following != -1:
            self.page_for(PageId(following))
        return True

    # -- reconnecting: only the steps needed ------------------------------------------------

    def _advance_reconnect(self) -> None:
        """Go on by itself through pages that need nothing from the person."""
        page = self.currentPage()
        if self.state.reconnect is None or not isinstance(page, WizardPage) or page.working:
            return
        if self.currentId() in (PageId.SERVER, PageId.APPLICATION) and page.isComplete():
            self.next()  # a page with something missing (a secret no keyring kept) waits

    def sign_in_checked(self) -> None:
        """The sign-in page knows whether someone is signed in (called by the page)."""
        if self.state.reconnect is None or self.currentId() != PageId.SIGN_IN:
            return
        if self.state.signed_in_here():
            self.next()
        elif not self.sign_in_page.working and not self._auto_sign_in_started:
            self._auto_sign_in_started = True
            self.sign_in_page.start_sign_in()

    def back_to(self, page_id: PageId) -> bool:
        """Go back page by page to ``page_id`` (what was typed stays); True when there."""
        while self.currentId() > page_id and len(self.visitedIds()) > 1:
            before = self.currentId()
            self.back()
            if self.currentId() == before:
                break
        return self.currentId() == page_id

    def go_to_sign_in(self) -> None:
        """Back to the sign-in page (expired sign-in, missing permission) and start it."""
        if self.back_to(PageId.SIGN_IN):
            self.state.session = None
            self.sign_in_page.start_sign_in()

    def back_to_application(self, *, rejected_secret: str) -> None:
        """The server refused the client secret: back to it, with its field marked."""
        if self.back_to(PageId.APPLICATION):
            self.application_page.mark_secret_rejected(rejected_secret)

    def set_up_another(self) -> None:
        """Start again at the flow page, keeping the server, application and sign-in."""
        self.state.flow = None
        self.state.sources = []
        self.state.result = None
        self.state.setup_link = None
        self.application_page.link_edit.clear()
        self.name_page.name_edit.clear()
        self.setStartId(PageId.FLOW if self.state.session is not None else PageId.SERVER)
        self.restart()

    def _custom_button(self, which: int) -> None:
        if which == QWizard.WizardButton.CustomButton1.value:
            self.set_up_another()

    def _page_changed(self, page_id: int) -> None:
        done = page_id == PageId.DONE
        self.setOption(QWizard.WizardOption.HaveCustomButton1, done)
        # Once the integration is made there is nothing to cancel: the button only closes,
        # and says so (a person feared "Cancel" would undo what was just set up).
        self.setButtonText(
            QWizard.WizardButton.CancelButton, "Close" if done else self._cancel_text
        )
        page = self.currentPage()
        if isinstance(page, WizardPage):
            # After QWizard has finished showing the page, which moves the focus itself.
            QTimer.singleShot(0, page, page.focus_first_field)
            if self.state.reconnect is not None:
                QTimer.singleShot(0, page, self._advance_reconnect)
        self._work_changed()

    def _work_changed(self) -> None:
        # One Cancel while something runs: the page's own (which stops only that work).
        page = self.currentPage()
        working = isinstance(page, WizardPage) and page.working
        if self.testOption(QWizard.WizardOption.NoCancelButton) != working:
            self.setOption(QWizard.WizardOption.NoCancelButton, working)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        page = self.currentPage()
        if (
            event.key() == Qt.Key.Key_Escape
            and isinstance(page, WizardPage)
            and page.working
            and self.discard_question is None
        ):
            page.cancel_work()
            event.accept()
            return
        super().keyPressEvent(event)

    # -- ending -----------------------------------------------------------------------------

    def accept(self) -> None:
        result = self.state.result
        if self.currentId() == PageId.DONE and result is not None:
            self.open_composer_requested.emit(result.integration.id)
        self._stop_all()
        super().accept()

    def reject(self) -> None:
        """Esc, Cancel or closing the window: ask first when typed details would be lost."""
        if self.discard_question is not None:
            return
        if self.state.result is None and any(p.has_typed_input() for p in self.pages()):
            self._ask_before_discarding()
            return
        self.discard()

    def discard(self) -> None:
        """Close without asking, stopping whatever runs."""
        self._stop_all()
        super().reject()

    def _ask_before_discarding(self) -> None:
        from PySide6.QtWidgets import QMessageBox  # its Qt type and enums: when first asked

        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Discard what you typed?",
            "Close the setup wizard? The server, application details and client secret you "
            "typed are not kept.",
            parent=self,
        )
        box.setObjectName("discard-question")
        discard = box.addButton("&Discard and close", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("&Keep editing", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)

        had_focus = QApplication.focusWidget()

        def answered() -> None:
            self.discard_question = None
            if box.clickedButton() is discard:
                self.discard()
            else:
                # Back where the person was typing, once the question has gone.
                QTimer.singleShot(0, self, lambda: self._refocus(had_focus))
            box.deleteLater()

        box.finished.connect(answered)
        self.discard_question = box
        box.open()

    def _refocus(self, widget: QWidget | None) -> None:
        self.activateWindow()
        if widget is not None and shiboken6.isValid(widget) and widget.isVisible():
            widget.setFocus(Qt.FocusReason.OtherFocusReason)
        else:
            page = self.currentPage()
            if isinstance(page, WizardPage):
                page.focus_first_field()

    def _stop_all(self) -> None:
        # Cancelling also stops a waiting sign-in, so its loopback port is free again.
        for page in self.pages():
            page.cancel_work()
