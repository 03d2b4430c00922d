"""Pages 1 and 2: which server, and which OAuth application to sign in with."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QWidget,
)

from flowdock_desktop.api.errors import FlowdockError
from flowdock_desktop.auth.constants import OOB_REDIRECT_URI
from flowdock_desktop.connect import ServerInfo, probe_server, validate_server_url
from flowdock_desktop.setup_links import SetupLinkError, parse_setup_link
from flowdock_desktop.ui.widgets import FieldMessage, labelled_field
from flowdock_desktop.ui.wizard.base import WizardPage

if TYPE_CHECKING:
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.ui.wizard.state import WizardState


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
        self.sandbox_choice.toggled.connect(self._choice_changed)
        self.url_edit.textChanged.connect(self._url_changed)
        self._passed = False
        self._preset_url = ""
        self._choice_changed()

    def use_server(self, url: str) -> None:
        """Preselect another server (command line ``--api-url`` or a known server)."""
        self.url_choice.setChecked(True)
        self.url_edit.setText(url)
        self._preset_url = url

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
        url, _ = validate_server_url(self.url_edit.text())
        return url is not None

    def validatePage(self) -> bool:
        if self._passed:
            self._passed = False
            return True
        if self.working:
            return False
        self.banner.clear()
        if self.sandbox_choice.isChecked():
            context = self.context

            def start() -> ServerInfo:
                return probe_server(context.start_embedded_sandbox())

            self.run(start, "Starting the sandbox…", self._reached, self._failed)
        else:
            url, _ = validate_server_url(self.url_edit.text())
            if url is None:
                return False
            self.run(lambda: probe_server(url), f"Contacting {url}…", self._reached, self._failed)
        return False

    def _reached(self, info: ServerInfo) -> None:
        state = self.state
        if state.api_url != info.api_url:
            # Another server: an earlier sign-in and flow choice no longer apply.
            state.session = None
            state.flow = None
        state.api_url = info.api_url
        state.demo = info.demo
        self.context.api_url = info.api_url
        self._passed = True
        self.wizard().next()

    def _failed(self, error: BaseException) -> None:
        if isinstance(error, FlowdockError):
            text = error.user_message
        elif isinstance(error, OSError) and getattr(error, "port", None):
            port = error.port  # type: ignore[attr-defined]
            text = (
                f"The sandbox could not start: another program is using port {port} on this "
                "computer. Close that program and try again, or start Flowdock Desktop with "
                f"FLOWDOCK_DESKTOP_SANDBOX_PORT set to a free port (for example {port + 1})."
            )
        elif isinstance(error, OSError):
            text = f"The sandbox could not start ({error.strerror or error}). Try again."
        else:
            text = f"Something went wrong: {error}. Try again."
        self.show_error(text, "&Try again", self._retry)

    def _retry(self) -> None:
        self.wizard().next()


def _callback_problem(value: str) -> str | None:
    """What is wrong with a callback URI for a desktop app, or None."""
    from urllib.parse import urlsplit

    text = value.strip()
    if not text:
        return "Enter the callback URI registered for your application."
    if text == OOB_REDIRECT_URI:
        return None
    parts = urlsplit(text)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        return (
            "Use a loopback address such as http://127.0.0.1:8765/callback (the app listens "
            f"there for the browser), or {OOB_REDIRECT_URI} to paste the code yourself."
        )
    try:
        port = parts.port
    except ValueError:
        return "The port in the callback URI is not a number between 1 and 65535."
    if port is None:
        return "Add a port to the callback URI, e.g. http://127.0.0.1:8765/callback."
    return None


class ApplicationPage(WizardPage):
    """Page 2: client id, client secret (masked), callback URI and an optional setup link."""

    def __init__(self, context: AppContext, state: WizardState) -> None:
        super().__init__(
            context,
            state,
            "Application",
            "The OAuth application registered with the server for Flowdock Desktop.",
        )
        self.client_id_edit = QLineEdit()
        box, self.client_id_message = labelled_field("Client &ID", self.client_id_edit)
        self.body.addWidget(box)

        self.secret_edit = QLineEdit()
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.show_secret = QCheckBox("&Show")
        self.show_secret.setAccessibleName("Show client secret")
        self.show_secret.toggled.connect(self._toggle_secret)
        row = QWidget()
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(self.secret_edit, 1)
        row_layout.addWidget(self.show_secret)
        box, self.secret_message = labelled_field("Client s&ecret", row)
        self.secret_edit.setAccessibleName("Client secret")
        box.findChild(QLabel).setBuddy(self.secret_edit)
        self.body.addWidget(box)

        self.callback_edit = QLineEdit()
        box, self.callback_message = labelled_field(
            "&Callback URI",
            self.callback_edit,
            hint="Exactly as registered, e.g. http://127.0.0.1:8765/callback",
        )
        self.body.addWidget(box)

        self.link_edit = QLineEdit()
        self.link_edit.setPlaceholderText("Optional: the setup link Flowdock gave for a flow")
        box, self.link_message = labelled_field(
            "Setup &link (optional)", self.link_edit, accessible="Setup link"
        )
        self.body.addWidget(box)

        self.prefill_note = QLabel()
        self.prefill_note.setWordWrap(True)
        self.body.addWidget(self.prefill_note)
        self._prefilled: dict[str, str] = {}
        for edit in self._edits().values():
            edit.textChanged.connect(self._validate)
        self.setTabOrder(self.client_id_edit, self.secret_edit)
        self.setTabOrder(self.secret_edit, self.show_secret)
        self.setTabOrder(self.show_secret, self.callback_edit)
        self.setTabOrder(self.callback_edit, self.link_edit)

    def _edits(self) -> dict[str, QLineEdit]:
        return {
            "client_id": self.client_id_edit,
            "secret": self.secret_edit,
            "callback": self.callback_edit,
            "link": self.link_edit,
        }

    def first_field(self) -> QWidget:
        return self.client_id_edit

    def has_typed_input(self) -> bool:
        return any(
            edit.text().strip() and edit.text() != self._prefilled.get(key)
            for key, edit in self._edits().items()
        )

    def _toggle_secret(self, shown: bool) -> None:
        mode = QLineEdit.EchoMode.Normal if shown else QLineEdit.EchoMode.Password
        self.secret_edit.setEchoMode(mode)

    def set_setup_link(self, text: str) -> None:
        self.link_edit.setText(text)
        self._prefilled["link"] = text

    def initializePage(self) -> None:
        demo = self.state.demo
        if demo is not None:
            values = {
                "client_id": demo.client_id,
                "secret": demo.client_secret,
                "callback": demo.redirect_uri,
            }
            edits = {
                "client_id": self.client_id_edit,
                "secret": self.secret_edit,
                "callback": self.callback_edit,
            }
            for key, edit in edits.items():
                # Fill only what the person has not typed themselves (Back/Next keep it).
                if not edit.text() or edit.text() == self._prefilled.get(key):
                    edit.setText(values[key])
                    self._prefilled[key] = values[key]
            self.prefill_note.setText(
                "Prefilled with the sandbox's demo application. Press Next to continue."
            )
        else:
            self.prefill_note.setText(
                "Find these on the server's application page (Settings → Applications)."
            )
        self._validate()

    def _field_problems(self) -> dict[str, str | None]:
        problems: dict[str, str | None] = {
            "client_id": None,
            "secret": None,
            "callback": _callback_problem(self.callback_edit.text()),
            "link": None,
        }
        client_id = self.client_id_edit.text().strip()
        if not client_id:
            problems["client_id"] = "Enter the client ID of your application."
        elif any(ch.isspace() for ch in client_id):
            problems["client_id"] = "A client ID has no spaces; check what was pasted."
        if not self.secret_edit.text().strip():
            problems["secret"] = "Enter the client secret of your application."
        if self.link_edit.text().strip():
            try:
                parse_setup_link(self.link_edit.text())
            except SetupLinkError as exc:
                problems["link"] = str(exc)
        return problems

    def _validate(self) -> None:
        problems = self._field_problems()
        messages: dict[str, FieldMessage] = {
            "client_id": self.client_id_message,
            "secret": self.secret_message,
            "callback": self.callback_message,
            "link": self.link_message,
        }
        for key, message in messages.items():
            if problems[key]:
                message.show_error(problems[key] or "")
            else:
                message.clear_message()
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return not any(self._field_problems().values())

    def validatePage(self) -> bool:
        if any(self._field_problems().values()):
            return False
        state = self.state
        client_id = self.client_id_edit.text().strip()
        changed = (client_id, self.callback_edit.text().strip()) != (
            state.client_id,
            state.redirect_uri,
        )
        state.client_id = client_id
        state.client_secret = self.secret_edit.text().strip()
        state.redirect_uri = self.callback_edit.text().strip()
        link = self.link_edit.text().strip()
        state.setup_link = parse_setup_link(link) if link else None
        if changed:
            state.session = None
        return True
