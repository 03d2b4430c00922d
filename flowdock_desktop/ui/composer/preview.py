"""The preview side of the composer: the thread card, the editable JSON, the curl command."""

from __future__ import annotations

import json
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from flowdock_desktop.api.html import html_to_text, sanitize_body, sanitize_title
from flowdock_desktop.api.messages import PayloadError, ThreadMessage
from flowdock_desktop.compose.payload import curl_command
from flowdock_desktop.compose.presenters import count
from flowdock_desktop.ui.theme import follow_scheme
from flowdock_desktop.ui.widgets import FieldMessage, badge_html, tab_mnemonics_enter

if TYPE_CHECKING:
    from flowdock_desktop.api.models import Thread


def card_html(
    payload: dict[str, Any],
    *,
    border: str = "#d0d7de",
    muted: str = "#6e7781",
    current: Thread | None = None,
) -> str:
    """The thread card as Flowdock's team inbox showed it, from a payload; sanitised HTML.

    Every piece of user text is escaped or passed through the same nh3 rules the sender
    uses, so what the preview shows is what could be sent: never a script. ``current`` is
    the thread as the flow shows it now (kept up to date by the stream), shown above what
    this message would make of it.
    """
    thread = payload.get("thread") if isinstance(payload.get("thread"), dict) else {}
    author = payload.get("author") if isinstance(payload.get("author"), dict) else {}

    def text(value: Any) -> str:
        return value if isinstance(value, str) else ""

    # A framed card, as in the team inbox; Qt's rich text draws borders on tables only.
    parts = [
        f'<table width="100%" cellspacing="0" cellpadding="12" border="1" '
        f'style="border-color:{border}; border-style:solid"><tr><td>'
    ]
    if current is not None:
        parts.append(_current_html(current, muted))
    status = thread.get("status") if isinstance(thread.get("status"), dict) else None
    heading = sanitize_title(text(thread.get("title"))) or "<i>(thread title)</i>"
    parts.append(f'<p style="font-size:large;margin:0"><b>{heading}</b>')
    if status and text(status.get("value")):
        parts.append(" " + badge_html(text(status.get("value")), text(status.get("color"))))
    parts.append("</p>")
    event = text(payload.get("event")) or "activity"
    name = escape(text(author.get("name"))) or "<i>(author)</i>"
    title = sanitize_title(text(payload.get("title"))) or "<i>(title)</i>"
    verb = "commented" if event == "discussion" else ""
    parts.append(f"<p style='margin:6px 0'><b>{name}</b> {title} {verb}</p>")
    if text(payload.get("body")):
        parts.append(f"<blockquote>{sanitize_body(text(payload['body']))}</blockquote>")
    fields = thread.get("fields") if isinstance(thread.get("fields"), list) else []
    rows = [
        f"<tr><td><b>{escape(text(f.get('label')))}</b>&nbsp;&nbsp;</td>"
        f"<td>{sanitize_title(text(f.get('value')))}</td></tr>"
        for f in fields
        if isinstance(f, dict)
    ]
    if rows:
        parts.append("<table cellspacing='2'>" + "".join(rows) + "</table>")
    if text(thread.get("body")):
        parts.append(f"<div>{sanitize_body(text(thread['body']))}</div>")
    links = []
    actions = thread.get("actions") if isinstance(thread.get("actions"), list) else []
    for action in actions:
        if isinstance(action, dict) and text(action.get("name")):
            links.append(_link(text(action.get("url")), text(action["name"])))
    if text(thread.get("external_url")):
        links.append(_link(text(thread["external_url"]), "Open"))
    if links:
        parts.append("<p>" + " · ".join(links) + "</p>")
    tags = payload.get("tags") if isinstance(payload.get("tags"), list) else []
    if tags:
        parts.append("<p>" + " ".join(f"#{escape(str(t))}" for t in tags) + "</p>")
    event_words = "Discussion" if event == "discussion" else "Activity"
    parts.append(
        f"<p style='color:{muted}; font-size:small'>{event_words} · posted through the "
        "integration's flow token</p>"
    )
    parts.append("</td></tr></table>")
    return "".join(parts)


def _current_html(thread: Thread, muted: str) -> str:
    """The line saying where the thread stands in the flow now."""
    status = thread.status
    badge = badge_html(html_to_text(status.value), status.color) if status else "no status"
    comments = thread.internal_comments + thread.external_comments
    when = ""
    if thread.updated_at is not None:
        when = f" · updated {thread.updated_at.astimezone():%H:%M:%S}"
    return (
        f"<p style='color:{muted}; font-size:small; margin:0 0 6px 0'>In the flow now: "
        f"</p><p style='margin:0 0 6px 0'>{badge} <span style='color:{muted}; "
        f"font-size:small'>{count(thread.activities, 'activity')}, {count(comments, 'comment')}"
        f"{when}</span></p>"
    )


def _link(url: str, label: str) -> str:
    # Through the title sanitiser, so only http(s)/mailto links survive.
    return sanitize_title(f'<a href="{escape(url, quote=True)}">{escape(label)}</a>')


class PreviewPane(QTabWidget):
    """Tabs showing the message three ways: as a card, as JSON (editable), as curl.

    Signals: ``payload_edited(dict)`` when the person edits the JSON into a valid shape.
    Attributes: ``browser`` (QTextBrowser), ``json_edit``, ``json_message`` (FieldMessage),
    ``curl_edit``, ``reveal_token`` (QCheckBox).
    """

    payload_edited = Signal(dict)
    reveal_requested = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Preview")
        self._payload: dict[str, Any] = {}
        self._current: Thread | None = None
        self._card_html = ""
        # What the JSON and curl views were last made from: the threads' listing after each
        # send refreshes the card alone, and the same payload needs neither made again.
        self._json_from: dict[str, Any] | None = None
        self._curl_from: tuple[str, str | None, dict[str, Any]] | None = None
        self._updating = False
        self._api_url = ""
        self._flow_token: str | None = None
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)

        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(False)
        self.browser.setOpenLinks(False)
        self.browser.setAccessibleName("Thread preview")
        self.addTab(self.browser, "&Preview")

        json_page = QWidget()
        layout = QVBoxLayout(json_page)
        self.json_edit = QPlainTextEdit()
        self.json_edit.setFont(mono)
        self.json_edit.setTabChangesFocus(True)
        self.json_edit.setAccessibleName("Message JSON")
        self.json_message = FieldMessage()
        layout.addWidget(self.json_edit)
        layout.addWidget(self.json_message)
        self.addTab(json_page, "&JSON")

        curl_page = QWidget()
        layout = QVBoxLayout(curl_page)
        self.curl_edit = QPlainTextEdit()
        self.curl_edit.setFont(mono)
        self.curl_edit.setReadOnly(True)
        self.curl_edit.setAccessibleName("curl command")
        self.reveal_token = QCheckBox("Show flow &token")
        self.reveal_token.setAccessibleName("Show flow token")
        self.copy_curl = QPushButton("&Copy command")
        self.copy_curl.setAccessibleName("Copy curl command")
        row = QHBoxLayout()
        row.addWidget(self.reveal_token)
        row.addStretch(1)
        row.addWidget(self.copy_curl)
        layout.addWidget(self.curl_edit)
        layout.addLayout(row)
        self.addTab(curl_page, "c&url")
        tab_mnemonics_enter(self)

        follow_scheme(self._scheme_applied)
        self._json_timer = QTimer(self, singleShot=True, interval=300)
        self._json_timer.timeout.connect(self._apply_json)
        self.json_edit.textChanged.connect(self._json_typed)
        self.reveal_token.toggled.connect(self.reveal_requested)
        self.copy_curl.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(self.curl_edit.toPlainText())
        )

    # -- form -> views ---------------------------------------------------------------------------

    def show_payload(self, payload: dict[str, Any], current: Thread | None = None) -> None:
        """Refresh every view from the form's payload (the JSON is left alone while typed in);
        ``current`` is the thread as the flow shows it now, when the message goes to a known
        thread."""
        self._payload, self._current = payload, current
        palette = self.browser.palette()
        html = card_html(
            payload,
            border=palette.color(QPalette.ColorRole.Mid).name(),
            muted=palette.color(QPalette.ColorRole.PlaceholderText).name(),
            current=current,
        )
        # The same card again (a send refreshes the threads, say): no new layout and paint.
        if html != self._card_html:
            self._card_html = html
            self.browser.setHtml(html)
        # While the person types JSON, their text stays; it is re-formatted once they leave it.
        # An edit not yet applied stays too, focused or not: the form it is about to change
        # would otherwise write over it first (a threads listing arriving, say).
        if (
            not self.json_edit.hasFocus()
            and not self._json_timer.isActive()
            and payload != self._json_from
        ):
            self.set_json_text(json.dumps(payload, indent=2, ensure_ascii=False))
            self._json_from = payload
        self._refresh_curl()

    def _scheme_applied(self) -> None:
        # The card's border and muted text take their colours from the palette when it is
        # made: made again in the colours of the scheme now applied.
        self.show_payload(self._payload, self._current)

    def set_json_text(self, text: str) -> None:
        if text != self.json_edit.toPlainText():
            self._updating = True
            self.json_edit.setPlainText(text)
            self._updating = False
        self.json_message.clear_message()

    def set_target(self, api_url: str, flow_token: str | None) -> None:
        """Where the curl command posts; ``flow_token`` only once the person revealed it."""
        self._api_url = api_url
        self._flow_token = flow_token
        self._refresh_curl()

    def _refresh_curl(self) -> None:
        token = self._flow_token if self.reveal_token.isChecked() else None
        made_from = (self._api_url, token, self._payload)
        if made_from == self._curl_from:
            return
        self._curl_from = made_from
        command = curl_command(self._api_url or "https://…", self._payload, token)
        if command != self.curl_edit.toPlainText():
            self.curl_edit.setPlainText(command)

    # -- JSON -> form ------------------------------------------------------------------------------

    def _json_typed(self) -> None:
        if not self._updating:
            self._json_from = None  # the person's text: made again (re-formatted) once they leave
            self._json_timer.start()

    def json_payload(self) -> dict[str, Any] | None:
        """The JSON tab's text as an object, or None (with a message) when it is not valid."""
        try:
            data = json.loads(self.json_edit.toPlainText())
        except ValueError as exc:
            line = getattr(exc, "lineno", None)
            where = f" on line {line}" if line else ""
            self.json_message.show_error(
                f"This is not valid JSON{where}: {exc.args[0].split(':')[0]}."
            )
            return None
        if not isinstance(data, dict):
            self.json_message.show_error("The message must be one JSON object: { … }.")
            return None
        try:
            ThreadMessage.from_payload(data)
        except PayloadError as exc:
            self.json_message.show_error(
                "Fix the JSON: "
                + "; ".join(f"{k} {', '.join(v)}" for k, v in exc.field_errors.items())
            )
            return None
        self.json_message.clear_message()
        return data

    def flush_json(self) -> bool:
        """Apply a JSON edit still waiting for its pause now (a send must not go out without
        it); False while the person's own JSON text is not a valid message, so the form is not
        what the JSON tab shows."""
        if self._json_timer.isActive():
            self._json_timer.stop()
            self._apply_json()
        return not (self._json_from is None and self.json_message.is_error)

    def show_json(self) -> None:
        """Bring the JSON tab forward with the cursor in its text."""
        self.setCurrentWidget(self.json_edit.parentWidget())
        self.json_edit.setFocus()

    def _apply_json(self) -> None:
        data = self.json_payload()
        if data is not None:
            self.payload_edited.emit(data)
