"""Page 3: sign in through the system browser, with the loopback listener waiting for it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget, QWizard

from flowdock_desktop.auth import browser
from flowdock_desktop.auth.errors import SignInCancelled, SignInError, TokenEndpointError
from flowdock_desktop.store.servers import KnownServers
from flowdock_desktop.ui.tasks import CancelToken, run_task
from flowdock_desktop.ui.widgets import labelled_field
from flowdock_desktop.ui.wizard.base import WizardPage

if TYPE_CHECKING:
    from flowdock_desktop.auth.oauth import SignInFlow
    from flowdock_desktop.auth.session import Session
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.ui.reconnect import KeyringSetAside
    from flowdock_desktop.ui.wizard.state import WizardState


class SignInPage(WizardPage):
    """Page 3: one button opens the browser; shows the wait, a paste-in field and Cancel.

    Attributes useful to tests: ``flow`` (the running ``SignInFlow`` or None),
    ``sign_in_button``, ``status_label``, ``paste_edit``, ``paste_button``.
    """

    #: Seconds the listener waits for the browser before giving up.
    timeout: float = 300.0

    def __init__(self, context: AppContext, state: WizardState) -> None:
        super().__init__(
            context,
            state,
            "Sign in",
            "Sign in to the server in your browser and approve Flowdock Desktop. This window "
            "comes back by itself when you are done.",
        )
        self.sign_in_button = QPushButton("&Sign in with the browser")
        self.sign_in_button.setAccessibleName("Sign in with the browser")
        self.sign_in_button.clicked.connect(self.start_sign_in)
        self.other_account_button = QPushButton("Use &another account")
        self.other_account_button.setAccessibleName("Use another account")
        self.other_account_button.clicked.connect(self._use_another_account)
        self.other_account_button.setVisible(False)
        buttons = QWidget()
        row = QHBoxLayout(buttons)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.sign_in_button)
        row.addWidget(self.other_account_button)
        row.addStretch(1)
        self.body.addWidget(buttons)

        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName("Sign-in status")
        self.body.addWidget(self.status_label)

        self.copy_button = QPushButton("C&opy link")
        self.copy_button.setAccessibleName("Copy sign-in link")
        self.copy_button.clicked.connect(self._copy_link)
        self.copy_button.setEnabled(False)
        # Shown only while there is a sign-in link to copy; its own width, not the page's.
        self.copy_button.setVisible(False)
        row.insertWidget(2, self.copy_button)

        self.paste_edit = QLineEdit()
        self.paste_edit.setPlaceholderText("http://127.0.0.1:8765/callback?code=…  or the code")
        self.paste_button = QPushButton("&Use this address")
        self.paste_button.setAccessibleName("Use pasted address")
        self.paste_button.clicked.connect(self._use_pasted)
        self.paste_edit.returnPressed.connect(self._use_pasted)
        paste_row = QWidget()
        paste_layout = QHBoxLayout(paste_row)
        paste_layout.setContentsMargins(0, 0, 0, 0)
        paste_layout.addWidget(self.paste_edit, 1)
        paste_layout.addWidget(self.paste_button)
        self.paste_box, self.paste_message = labelled_field(
            "&Paste the address from your browser", paste_row, accessible="Pasted address"
        )
        self.paste_edit.setAccessibleName("Pasted address")
        self.paste_box.setVisible(False)
        self.body.addWidget(self.paste_box)

        self.flow: SignInFlow | None = None
        self._url = ""
        self._elapsed = QElapsedTimer()
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self._tick)

    # -- page life --------------------------------------------------------------------------

    def first_field(self) -> QWidget | None:
        # Enter starts the sign-in; once signed in, Enter is Next.
        return self.sign_in_button if self.sign_in_button.isVisibleTo(self) else None

    def initializePage(self) -> None:
        self.banner.clear()
        if self.state.signed_in_here():
            self._show_signed_in(reused=True)
            self.setup_wizard().sign_in_checked()
            return
        self.state.session = None
        self._show_idle()
        self._look_for_sign_in()

    def _look_for_sign_in(self, *, retry_keyring: bool = False) -> None:
        """Offer an earlier sign-in for this server and app for reuse, and say how the
        keyring stands (a keyring read: off the GUI thread); ``retry_keyring``: first try a
        keyring set aside (locked) again, as "Try the keyring again" asks."""
        context, api_url, client_id = self.context, self.state.api_url, self.state.client_id

        def existing() -> tuple[Session | None, str | None, KeyringSetAside | None]:
            from flowdock_desktop.ui.reconnect import keyring_set_aside

            # Opening the keyring may ask D-Bus for the Secret Service: never on the GUI thread.
            # It is read before the sign-in makes tokens: a locked one is found (and may ask
            # to be unlocked) now, and the page says so before the browser opens.
            if retry_keyring:
                context.credentials.retry()
            session = context.session()
            credentials = context.credentials
            credentials.check()
            warning, set_aside = credentials.warning, keyring_set_aside(credentials)
            if (
                session is not None
                and session.account.api_url == (api_url or "").rstrip("/")
                and session.account.client_id == client_id
            ):
                return session, warning, set_aside
            return None, warning, set_aside

        run_task(
            existing,
            owner=self,
            on_done=lambda found: self._offer_existing(found, retried=retry_keyring),
        )

    def _try_keyring_again(self) -> None:
        from flowdock_desktop.ui.reconnect import TRYING_KEYRING

        self.show_info("info", TRYING_KEYRING)
        self._look_for_sign_in(retry_keyring=True)

    def _offer_existing(
        self,
        result: tuple[Session | None, str | None, KeyringSetAside | None],
        *,
        retried: bool = False,
    ) -> None:
        from flowdock_desktop.ui.reconnect import KEYRING_BACK, STILL_SET_ASIDE, TRY_KEYRING

        session, keyring_warning, set_aside = result
        if keyring_warning:
            self.state.keyring_persistent = False
        elif retried:
            self.state.keyring_persistent = True
        self.state.keyring_set_aside = set_aside
        idle = not self.working and self.state.session is None
        if set_aside is not None and idle:
            # Locked: said before signing in, with a way to go on once it is unlocked.
            self._banner_action = self._try_keyring_again
            lead = STILL_SET_ASIDE if retried else ""
            self.banner.show_message("warning", lead + set_aside.warning, TRY_KEYRING)
        elif keyring_warning and idle:
            # Told before signing in: the tokens will last only as long as this run.
            self.show_info("warning", keyring_warning)
        elif retried and idle:
            self.show_info("success", KEYRING_BACK)
        if session is not None and not self.working and self.state.session is None:
            self.state.session = session
            self._show_signed_in(reused=True)
        self.setup_wizard().sign_in_checked()

    def isComplete(self) -> bool:
        return not self.working and self.state.signed_in_here()

    # -- sign-in ----------------------------------------------------------------------------

    def start_sign_in(self) -> None:
        """Open the browser at the authorize page and wait (in the background) for the answer."""
        self.cancel_work()
        self.banner.clear()
        self.paste_message.clear_message()
        self.state.session = None
        # Loaded already by the background look-up for an earlier sign-in (initializePage).
        from flowdock_desktop.auth.oauth import SignInFlow
        from flowdock_desktop.auth.session import start_session

        flow = SignInFlow(self.state.oauth_app(), timeout=self.timeout)
        self.flow = flow
        self._url = ""
        context = self.context
        app = self.state.oauth_app()
        is_sandbox = self.state.demo is not None
        name = self.state.application_name or None

        def work(token: CancelToken, progress: Any) -> Session:
            url = flow.start()
            # Registered after start(): a cancel that came earlier still closes the listener.
            token.on_cancel(flow.cancel)
            opened = browser.open_browser(url)
            progress((url, opened))
            tokens = flow.wait()
            session = start_session(
                context.profile,
                context.credentials,
                app,
                tokens,
                redirect_uri=flow.redirect_uri,
            )
            # It worked: offer this server and application first next time.
            KnownServers(context.db).remember_sign_in(app, is_sandbox=is_sandbox, name=name)
            return session

        self.run(
            work,
            "Waiting for your browser…",
            self._signed_in,
            self._failed,
            with_token=True,
            with_progress=True,
            on_progress=self._started,
        )
        self._elapsed.start()
        self._ticker.start()
        self.sign_in_button.setEnabled(False)
        self.other_account_button.setVisible(False)
        self.status_label.setText("Starting the sign-in…")
        self.paste_box.setVisible(True)
        self.paste_edit.clear()
        # Disabling the sign-in button gave its focus to the next widget in the chain: Back,
        # where a second Enter (the browser is slow to appear, say) left the page and ended
        # the sign-in. The paste field is the keyboard's next step instead; Enter there with
        # nothing pasted says what the field is for.
        self.paste_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def _started(self, value: tuple[str, bool]) -> None:
        url, opened = value
        self._url = url
        self.copy_button.setEnabled(True)
        self.copy_button.setVisible(True)
        if not opened:
            self.show_info(
                "warning",
                "No browser could be opened. Press Copy link, open it in a browser, then paste "
                "the address the browser ends on below.",
            )
        self._tick()

    def _tick(self) -> None:
        if not self.working:
            self._ticker.stop()
            return
        seconds = self._elapsed.elapsed() // 1000
        self.busy.label.setText(
            f"Waiting for your browser… {seconds} s. Approve Flowdock Desktop there."
        )
        self.status_label.setText(
            "Your browser shows the server's sign-in page. If it did not open, use Copy link."
        )

    def _copy_link(self) -> None:
        if self._url:
            QGuiApplication.clipboard().setText(self._url)
            self.status_label.setText("The sign-in link is on the clipboard.")

    def _use_pasted(self) -> None:
        flow = self.flow
        text = self.paste_edit.text()
        if flow is None or not self.working:
            self.paste_message.show_error("Press Sign in first, then paste the address here.")
            return
        from flowdock_desktop.auth.oauth import parse_pasted

        try:
            parse_pasted(text)
        except SignInError as exc:
            self.paste_message.show_error(str(exc))
            return
        self.paste_message.show_hint("Checking the code…")

        def pasted_failed(error: BaseException) -> None:
            if isinstance(error, SignInError) and not isinstance(error, SignInCancelled):
                self.paste_message.show_error(str(error))

        # complete_from_pasted hands the code to the waiting sign-in; its result arrives there.
        run_task(lambda: flow.complete_from_pasted(text), owner=self, on_error=pasted_failed)

    def _signed_in(self, session: Session) -> None:
        self._ticker.stop()
        self.flow = None
        self.state.session = session
        self._show_signed_in(reused=False)
        self.setup_wizard().sign_in_checked()
        # The person is still in their browser: the wizard comes back to the front, with
        # Next ready for Enter (desktops that refuse a window the focus flash it instead).
        wizard = self.setup_wizard()
        wizard.raise_()
        wizard.activateWindow()

    def _failed(self, error: BaseException) -> None:
        self._ticker.stop()
        self.flow = None
        self._show_idle()
        if isinstance(error, TokenEndpointError) and error.error == "invalid_client":
            # Trying again would send the same secret: the fix is on the Application page.
            self.setup_wizard().back_to_application(rejected_secret=self.state.client_secret)
            return
        self.show_error(self.explain(error).text, "&Try again", self.start_sign_in)

    def on_cancelled(self) -> None:
        self._ticker.stop()
        flow, self.flow = self.flow, None
        if flow is not None:
            # The task's cancel callback does this too; doing it here as well frees the port
            # even when the cancel raced the listener's start.
            flow.cancel()
        self._show_idle()
        self.status_label.setText("Sign-in cancelled. Press Sign in to start again.")

    def _use_another_account(self) -> None:
        self.state.session = None
        self.completeChanged.emit()
        self.start_sign_in()

    # -- views ------------------------------------------------------------------------------

    def _show_idle(self) -> None:
        self.sign_in_button.setEnabled(True)
        self.sign_in_button.setVisible(True)
        self.other_account_button.setVisible(False)
        self.copy_button.setEnabled(False)
        self.copy_button.setVisible(False)
        self.paste_box.setVisible(False)
        self.status_label.setText("Press Sign in; your browser opens the server's sign-in page.")
        # Enter starts the sign-in (Next is not available yet), so the keyboard path is short.
        # With the button as the timer's context, a page closed meanwhile cancels the call.
        QTimer.singleShot(0, self.sign_in_button, self.sign_in_button.setFocus)
        self.completeChanged.emit()

    def _show_signed_in(self, *, reused: bool) -> None:
        session = self.state.session
        assert session is not None
        who = session.account.display_name
        self.sign_in_button.setVisible(False)
        self.other_account_button.setVisible(True)
        self.copy_button.setEnabled(False)
        self.copy_button.setVisible(False)
        self.paste_box.setVisible(False)
        self.show_info("success", f"Signed in as {who}")
        self.status_label.setText(
            "You were already signed in here. Press Next to use this account."
            if reused
            else "Press Next to choose the flow."
        )
        self.completeChanged.emit()
        # The sign-in button just disappeared, and Qt gave its focus to the next widget in the
        # chain (Back, say). Hand it to Next now that completeChanged has enabled it, so an
        # Enter pressed at once goes forward; once more after QWizard's own focus moves.
        wizard = self.wizard()
        if wizard is not None:
            next_button = wizard.button(QWizard.WizardButton.NextButton)
            next_button.setFocus(Qt.FocusReason.OtherFocusReason)
            QTimer.singleShot(0, next_button, next_button.setFocus)
