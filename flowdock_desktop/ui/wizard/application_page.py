"""Page 2: which OAuth application to sign in with: one used before, the sandbox's, or another."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from flowdock_desktop.auth.constants import DEFAULT_SCOPES, OOB_REDIRECT_URI
from flowdock_desktop.connect import DEFAULT_SOURCE_NAME
from flowdock_desktop.setup_links import SetupLinkError, parse_setup_link
from flowdock_desktop.ui.widgets import FieldMessage, labelled_field
from flowdock_desktop.ui.wizard.base import WizardPage

if TYPE_CHECKING:
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.ui.wizard.state import WizardState

#: The last entry of the application list: fields left empty for one not used here before.
ANOTHER_APPLICATION = "Another application…"

SECRET_REJECTED = (
    "The server did not accept this client secret (or client ID). Copy the secret again from "
    "the server's application page and paste it here."
)


def callback_problem(value: str) -> str | None:
    """What is wrong with a callback URI for a desktop app, or None."""
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
    """Page 2: the application list (used before), client id, secret (masked), callback URI,
    the application's name and an optional setup link.

    Next asks the server whether it accepts the client id and secret before any browser opens;
    a refused secret stays on this page with its field marked.
    """

    def __init__(self, context: AppContext, state: WizardState) -> None:
        super().__init__(
            context,
            state,
            "Application",
            "The OAuth application registered with the server for Flowdock Desktop.",
        )
        self.app_box = QComboBox()
        self.app_box.setMinimumContentsLength(30)
        self.app_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.app_list_box, _ = labelled_field(
            "&Application",
            self.app_box,
            hint="Applications used before on this server keep their secret in your keyring",
        )
        self.app_list_box.setVisible(False)
        self.body.addWidget(self.app_list_box)
        self.app_box.activated.connect(self._application_chosen)

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

        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("What the server calls it, e.g. CI reporter")
        box, self.name_message = labelled_field(
            "Application na&me (optional)",
            self.name_edit,
            hint="New sources are named after the application",
            accessible="Application name",
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
        self._rejected_secret: str | None = None
        for edit in self._edits().values():
            edit.textChanged.connect(self._validate)
        self.client_id_edit.textChanged.connect(self._client_id_changed)
        self.setTabOrder(self.app_box, self.client_id_edit)
        self.setTabOrder(self.client_id_edit, self.secret_edit)
        self.setTabOrder(self.secret_edit, self.show_secret)
        self.setTabOrder(self.show_secret, self.callback_edit)
        self.setTabOrder(self.callback_edit, self.name_edit)
        self.setTabOrder(self.name_edit, self.link_edit)
        self._passed = False

    def _edits(self) -> dict[str, QLineEdit]:
        return {
            "client_id": self.client_id_edit,
            "secret": self.secret_edit,
            "callback": self.callback_edit,
            "name": self.name_edit,
            "link": self.link_edit,
        }

    # -- keyboard --------------------------------------------------------------------------

    def first_field(self) -> QWidget:
        if self._rejected_secret is not None or (
            self.client_id_edit.text() and not self.secret_edit.text()
        ):
            return self.secret_edit  # the one field left to fill (or to fix)
        if not self.app_list_box.isHidden():
            return self.app_box
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

    # -- the application list --------------------------------------------------------------

    def _choices(self) -> list[tuple[str, dict[str, str]]]:
        """``(label, field values)`` for each application to offer, best guess first."""
        state = self.state
        choices = []
        for app in state.known_applications:
            demo = state.demo is not None and app.client_id == state.demo.client_id
            secret = state.known_secrets.get(app.client_id) or (
                state.demo.client_secret if demo and state.demo else ""
            )
            values = {
                "client_id": app.client_id,
                "secret": secret,
                "callback": app.redirect_uri or (state.demo.redirect_uri if demo else ""),
                "name": app.name or (DEFAULT_SOURCE_NAME if demo else ""),
            }
            choices.append((app.label, values))
        demo = state.demo
        if demo is not None and all(v["client_id"] != demo.client_id for _, v in choices):
            choices.append(
                (
                    f"The sandbox's demo application ({demo.client_id})",
                    {
                        "client_id": demo.client_id,
                        "secret": demo.client_secret,
                        "callback": demo.redirect_uri,
                        "name": DEFAULT_SOURCE_NAME,
                    },
                )
            )
        choices.append(
            (ANOTHER_APPLICATION, {"client_id": "", "secret": "", "callback": "", "name": ""})
        )
        return choices

    def initializePage(self) -> None:
        choices = self._choices()
        self.app_box.clear()
        for label, values in choices:
            self.app_box.addItem(label, values)
        # A list only helps once there is something to choose between besides "another".
        self.app_list_box.setVisible(len(choices) > 2 or bool(self.state.known_applications))
        wanted = self.state.wanted_client_id
        index = next(
            (i for i, (_, v) in enumerate(choices) if wanted and v["client_id"] == wanted), 0
        )
        if wanted and index == 0 and choices[0][1]["client_id"] != wanted:
            # Asked for by a setup link but never used here: start from its client id.
            values = {**choices[-1][1], "client_id": wanted}
            self.app_box.setCurrentIndex(len(choices) - 1)
            self._fill(values, only_untouched=True)
        else:
            self.app_box.setCurrentIndex(index)
            self._fill(choices[index][1], only_untouched=True)
        self._validate()

    def _application_chosen(self, index: int) -> None:
        values = self.app_box.itemData(index)
        if isinstance(values, dict):
            self._fill(values, only_untouched=False)
            self._validate()
            self.focus_first_field()

    def _client_id_changed(self, text: str) -> None:
        # Another client id than the chosen application's: its name no longer fits.
        chosen = self.app_box.currentData()
        if (
            isinstance(chosen, dict)
            and text.strip() != chosen.get("client_id")
            and self.name_edit.text() == self._prefilled.get("name")
        ):
            self.name_edit.clear()
            self._prefilled["name"] = ""

    def _fill(self, values: dict[str, str], *, only_untouched: bool) -> None:
        for key, value in values.items():
            edit = self._edits()[key]
            # Back/Next keep what the person typed; choosing from the list replaces it.
            if only_untouched and edit.text() and edit.text() != self._prefilled.get(key):
                continue
            edit.setText(value)
            self._prefilled[key] = value

    # -- checking ------------------------------------------------------------------------

    def _field_problems(self) -> dict[str, str | None]:
        problems: dict[str, str | None] = {
            "client_id": None,
            "secret": None,
            "callback": callback_problem(self.callback_edit.text()),
            "name": None,
            "link": None,
        }
        client_id = self.client_id_edit.text().strip()
        if not client_id:
            problems["client_id"] = "Enter the client ID of your application."
        elif any(ch.isspace() for ch in client_id):
            problems["client_id"] = "A client ID has no spaces; check what was pasted."
        secret = self.secret_edit.text().strip()
        if not secret:
            problems["secret"] = "Enter the client secret of your application."
        elif self._rejected_secret is not None and secret == self._rejected_secret:
            problems["secret"] = SECRET_REJECTED
        if len(self.name_edit.text()) > 100:
            problems["name"] = "Keep the application's name under 100 characters."
        if self.link_edit.text().strip():
            try:
                parse_setup_link(self.link_edit.text())
            except SetupLinkError as exc:
                problems["link"] = str(exc)
        return problems

    def _validate(self) -> None:
        rejected = self._rejected_secret
        if rejected is not None and self.secret_edit.text().strip() != rejected:
            # A new secret (or id): the old refusal no longer applies.
            self._rejected_secret = None
            self.banner.clear()
        demo = self.state.demo
        if demo is not None and self.client_id_edit.text().strip() == demo.client_id:
            note = "The sandbox's demo application is ready to use: press Next to continue."
        else:
            note = "Find these on the server's application page (Settings → Applications)."
        self.prefill_note.setText(note)
        problems = self._field_problems()
        messages: dict[str, FieldMessage] = {
            "client_id": self.client_id_message,
            "secret": self.secret_message,
            "callback": self.callback_message,
            "name": self.name_message,
            "link": self.link_message,
        }
        for key, message in messages.items():
            if problems[key]:
                message.show_error(problems[key] or "")
            else:
                message.clear_message()
        self.completeChanged.emit()

    def mark_secret_rejected(self, secret: str | None = None) -> None:
        """The server refused the secret: say so at the field and put the cursor there."""
        self._rejected_secret = (secret if secret is not None else self.secret_edit.text()).strip()
        self.show_info("error", "The server refused the client secret: fix the marked field.")
        self._validate()
        self.focus_first_field()

    def isComplete(self) -> bool:
        return not self.working and not any(self._field_problems().values())

    def validatePage(self) -> bool:
        if self._passed:
            self._passed = False
            return True
        if self.working or any(self._field_problems().values()):
            return False
        from flowdock_desktop.auth.oauth import OAuthApp, check_client_credentials

        app = OAuthApp(
            api_url=self.state.api_url or "",
            client_id=self.client_id_edit.text().strip(),
            client_secret=self.secret_edit.text().strip(),
            redirect_uri=self.callback_edit.text().strip(),
            scopes=DEFAULT_SCOPES,
        )
        self.banner.clear()
        self.run(
            lambda: check_client_credentials(app),
            "Checking the client ID and secret with the server…",
            lambda accepted: self._checked(accepted, app.client_secret),
            lambda _error: self._checked(None, app.client_secret),
        )
        return False

    def _checked(self, accepted: bool | None, secret: str) -> None:
        if accepted is False:
            self.mark_secret_rejected(secret)
            return
        self._rejected_secret = None
        self._save_choice()
        self._passed = True
        self.wizard().next()

    def _save_choice(self) -> None:
        state = self.state
        client_id = self.client_id_edit.text().strip()
        changed = (client_id, self.callback_edit.text().strip()) != (
            state.client_id,
            state.redirect_uri,
        )
        state.client_id = client_id
        state.client_secret = self.secret_edit.text().strip()
        state.redirect_uri = self.callback_edit.text().strip()
        state.application_name = self.name_edit.text().strip()
        link = self.link_edit.text().strip()
        state.setup_link = parse_setup_link(link) if link else None
        if changed:
            state.session = None
