"""Page 1: which server: the embedded sandbox, or a Flowdock-compatible server's address."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QCompleter,
    QLabel,
    QLineEdit,
    QRadioButton,
    QWidget,
)

from flowdock_desktop.ui.first_paint import after_first_paint
from flowdock_desktop.ui.tasks import run_task
from flowdock_desktop.ui.widgets import labelled_field
from flowdock_desktop.ui.wizard.base import WizardPage

if TYPE_CHECKING:
    from flowdock_desktop.connect import ServerInfo
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.store.servers import KnownApplication
    from flowdock_desktop.ui.reconnect import KeyringSetAside
    from flowdock_desktop.ui.wizard.state import WizardState

# The first page shows before the API client, the models and the store's server list are
# imported: the modules this page checks and probes servers with load when first used.


#: Where to read how to get a keyring working (backends per system, Linux desktops).
KEYRING_HELP_URL = "https://pypi.org/project/keyring/"


class ServerPage(WizardPage):
    """Page 1: the embedded sandbox (default) or a Flowdock-compatible server's address.

    Next starts the sandbox or checks the server in the background, then moves on.
    """

    def __init__(self, context: AppContext, state: WizardState) -> None:
        super().__init__(
            context,
            state,
            "Server",
            "Flowdock itself was shut down in 2022. Try everything against the sandbox on this "
            "computer, or enter the address of a Flowdock-compatible server.",
        )
        self.sandbox_choice = QRadioButton("&Embedded sandbox on this computer (recommended)")
        self.sandbox_choice.setAccessibleName("Embedded sandbox")
        self.url_choice = QRadioButton("&Another Flowdock-compatible server")
        self.url_choice.setAccessibleName("Another server")
        group = QButtonGroup(self)
        group.addButton(self.sandbox_choice)
        group.addButton(self.url_choice)
        self.sandbox_choice.setChecked(True)
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("https://api.flowdock.example")
        url_box, self.url_message = labelled_field(
            "Server add&ress",
            self.url_edit,
            hint="The API address, e.g. https://api.example.com",
            accessible="Server address",
        )
        self.body.addWidget(self.sandbox_choice)
        self.body.addWidget(self.url_choice)
        self.body.addWidget(url_box)
        # Said up front, not after the source was made: without a keyring nothing secret
        # outlives this run.
        self.keyring_note = QLabel()
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setTextFormat(Qt.TextFormat.RichText)
        self.keyring_note.setOpenExternalLinks(True)
        self.keyring_note.setAccessibleName("No keyring")
        self.keyring_note.setVisible(False)
        self.body.addWidget(self.keyring_note)
        self.sandbox_choice.toggled.connect(self._choice_changed)
        self.url_edit.textChanged.connect(self._url_changed)
        self._passed = False
        self._preset_url = ""
        self._choice_changed()

    def use_server(self, url: str) -> None:
        """Preselect a server (signing in again, a setup link's, or the one used last).

        The embedded sandbox's own address selects the sandbox choice.
        """
        if url.rstrip("/") == (self.context.embedded_sandbox_url() or "").rstrip("/"):
            self.sandbox_choice.setChecked(True)
            return
        self.url_choice.setChecked(True)
        self.url_edit.setText(url)
        self._preset_url = url

    def initializePage(self) -> None:
        # Once the window has painted: opening the keyring (and, on a first start, the
        # database) loads modules on a worker that would otherwise compete with the paint.
        after_first_paint(self, self._look_up_known, owner=self)

    def _look_up_known(self) -> None:
        # Servers used before complete the address as it is typed (read off the GUI thread).
        context = self.context
        wanted = self.state.wanted_client_id

        def known() -> tuple[list[str], bool, list[str], KeyringSetAside | None]:
            from flowdock_desktop.store.servers import KnownServers
            from flowdock_desktop.ui.reconnect import keyring_set_aside

            servers = KnownServers(context.db)
            urls = [server.api_url for server in servers.servers()]
            # The servers where an application a setup link asks for was used, latest first.
            homes = [a.api_url for a in servers.applications() if wanted and a.client_id == wanted]
            # Opening the keyring may ask D-Bus for the Secret Service: here, not on the GUI.
            credentials = context.credentials
            return urls, credentials.persistent, homes, keyring_set_aside(credentials)

        run_task(known, owner=self, on_done=self._known, on_error=lambda _: None)

    def _known(self, found: tuple[list[str], bool, list[str], KeyringSetAside | None]) -> None:
        urls, keyring_works, homes, set_aside = found
        self.state.keyring_persistent = keyring_works
        self.state.keyring_set_aside = set_aside
        self._set_completions(urls)
        if homes and self._chosen_url() not in homes and not self.has_typed_input():
            # A setup link for an application used on another server than the one last
            # used (say the sandbox): start from the application's own server.
            self.use_server(homes[0])
        if not keyring_works:
            if set_aside is None:
                # The words the sign-in and last pages show too, and a link to go further.
                from flowdock_desktop.auth.credentials import NO_KEYRING_WARNING  # read in known()

                self.keyring_note.setText(
                    f'{html.escape(NO_KEYRING_WARNING)} <a href="{KEYRING_HELP_URL}">How to '
                    "install a keyring</a>"
                )
            else:  # there, but locked: its own words, not "no keyring was found"
                self.keyring_note.setText(html.escape(set_aside.warning))
                self.keyring_note.setAccessibleName(set_aside.word.capitalize())
            self.keyring_note.setVisible(True)

    def _chosen_url(self) -> str:
        from flowdock_desktop.store.integrations import normalize_api_url

        if self.sandbox_choice.isChecked():
            return normalize_api_url(self.context.embedded_sandbox_url() or "")
        return normalize_api_url(self.url_edit.text())

    def _set_completions(self, urls: list[str]) -> None:
        completer = QCompleter(urls, self.url_edit)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.url_edit.setCompleter(completer)

    def first_field(self) -> QWidget:
        return self.url_edit if self.url_choice.isChecked() else self.sandbox_choice

    def has_typed_input(self) -> bool:
        text = self.url_edit.text().strip()
        return self.url_choice.isChecked() and bool(text) and text != self._preset_url

    def _choice_changed(self) -> None:
        self.url_edit.setEnabled(self.url_choice.isChecked())
        self._url_changed()

    def _url_changed(self) -> None:
        if self.banner.kind == "error" and not self.working:
            # The server or address it was about has changed: the old error no longer applies.
            self.banner.clear()
        if self.url_choice.isChecked() and self.url_edit.text():
            from flowdock_desktop.connect import validate_server_url

            _, problem = validate_server_url(self.url_edit.text())
            if problem:
                self.url_message.show_error(problem)
            else:
                self.url_message.clear_message()
        elif self.url_choice.isChecked():
            self.url_message.show_hint("Enter the server's address.")
        else:
            self.url_message.clear_message()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        if self.working:
            return False
        if self.sandbox_choice.isChecked():
            return True
        from flowdock_desktop.connect import validate_server_url

        url, _ = validate_server_url(self.url_edit.text())
        return url is not None

    def validatePage(self) -> bool:
        if self._passed:
            self._passed = False
            return True
        if self.working:
            return False
        self.banner.clear()
        context = self.context
        from flowdock_desktop.connect import probe_server, validate_server_url

        if self.sandbox_choice.isChecked():

            def start() -> ServerWithApplications:
                return _with_applications(context, probe_server(context.start_embedded_sandbox()))

            self.run(start, "Starting the sandbox…", self._reached, self._failed)
        else:
            url, _ = validate_server_url(self.url_edit.text())
            if url is None:
                return False
            self.run(
                lambda: _with_applications(context, probe_server(url)),
                f"Contacting {url}…",
                self._reached,
                self._failed,
            )
        return False

    def _reached(self, found: ServerWithApplications) -> None:
        info, applications, secrets = found
        state = self.state
        if state.api_url != info.api_url:
            # Another server: an earlier sign-in and flow choice no longer apply.
            state.session = None
            state.flow = None
        state.api_url = info.api_url
        state.demo = info.demo
        state.known_applications = applications
        state.known_secrets = secrets
        self.context.api_url = info.api_url
        self._passed = True
        self.wizard().next()

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, OSError) and getattr(error, "port", None):
            port = error.port  # type: ignore[attr-defined]
            text = (
                f"The sandbox could not start: another program is using port {port} on this "
                "computer. Close that program and try again, or start Flowdock Desktop with "
                f"FLOWDOCK_DESKTOP_SANDBOX_PORT set to a free port (for example {port + 1})."
            )
        elif isinstance(error, OSError) and self.sandbox_choice.isChecked():
            text = f"The sandbox could not start: {self.explain(error).text}"
        else:
            text = self.explain(error).text
        self.show_error(text, "&Try again", self._retry)

    def _retry(self) -> None:
        self.wizard().next()


ServerWithApplications = tuple["ServerInfo", list["KnownApplication"], dict[str, str]]


def _with_applications(context: AppContext, info: ServerInfo) -> ServerWithApplications:
    """The applications used before on this server, with the client secrets the keyring has.

    Runs on the worker that checked the server: both the database and the keyring may wait.
    """
    from flowdock_desktop.store.servers import KnownServers

    applications = KnownServers(context.db).applications(info.api_url)
    secrets = {}
    for app in applications:
        secret = context.credentials.get_client_secret(info.api_url, app.client_id)
        if secret:
            secrets[app.client_id] = secret
    return info, applications, secrets
