"""The composer window end to end against a real sandbox: compose, preview, send, follow up."""

from __future__ import annotations

import json

import httpx
import pytest
from person import (
    WAIT,
    answer_question,
    closed,
    focused,
    open_save_dialog,
    press,
    press_mnemonic,
    retype,
    tab_to,
    type_over,
    type_text,
)
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMessageBox, QTreeWidget

from flowdock_desktop.sandbox import seed
from flowdock_desktop.testing import arm_fault, messages_by_uuid
from flowdock_desktop.testing import connect_demo_source as make_integration
from flowdock_desktop.ui.composer import ComposerWindow

pytestmark = pytest.mark.gui


@pytest.fixture
def context(composer_context, no_faults):
    return composer_context


@pytest.fixture
def open_window(open_composer):
    return open_composer


def fill(qtbot, window: ComposerWindow, *, status: str = "deploying", colour: str = "yellow"):
    form = window.form
    retype(qtbot, form.title, "started deploying version 1.4")
    retype(qtbot, form.thread_title, "Production deploys")
    retype(qtbot, form.status_value, status)
    qtbot.mouseClick(form.swatches.buttons[colour], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(form.fields.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(form.fields.rows[0][1], "Service")
    qtbot.keyClicks(form.fields.rows[0][2], "api")
    qtbot.keyClicks(form.body.edit, "Release notes: **faster** <script>alert(1)</script>")
    retype(qtbot, form.tags, "deploy, prod")


def listed(window: ComposerWindow, integration_id: str):
    """The integration list's row for ``integration_id``."""
    rows = window.integrations_panel.list
    return next(
        rows.item(i)
        for i in range(rows.count())
        if rows.item(i).data(Qt.ItemDataRole.UserRole) == integration_id
    )


def shown_json(window: ComposerWindow) -> dict:
    return json.loads(window.preview.json_edit.toPlainText())


def posted_bodies(window: ComposerWindow) -> list[dict]:
    """Bodies of POST /messages from the request log (already redacted)."""
    return [
        json.loads(e["request_body"])
        for e in window.request_log.entries
        if e["method"] == "POST" and e["url"].endswith("/messages")
    ]


def send(qtbot, window: ComposerWindow):
    with qtbot.waitSignal(window.message_sent, timeout=WAIT) as blocker:
        qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_compose_preview_send_and_follow_up(qtbot, context, sandbox, open_window, screenshot):
    integration, _ = make_integration(context, sandbox.base_url)
    window = open_window(integration.id)
    assert window.form.author_name.text() == seed.DEMO_USER_NAME  # from the signed-in profile
    screenshot(window, "composer-empty")

    fill(qtbot, window)
    form = window.form
    assert form.external_thread_id.text() == "production-deploys"  # suggested
    qtbot.waitUntil(lambda: "Production deploys" in window.preview.json_edit.toPlainText())
    payload = shown_json(window)
    assert payload["thread"]["status"] == {"value": "deploying", "color": "yellow"}
    assert "<script" not in json.dumps(payload)
    assert "<strong>faster</strong>" in payload["thread"]["body"]
    preview_html = window.preview.browser.toHtml()
    assert "<script" not in preview_html and "deploying" in preview_html
    assert "•••" in window.preview.curl_edit.toPlainText()
    screenshot(window, "composer-filled")

    result = send(qtbot, window)

    # Exactly one message reached the sandbox, and it is what the JSON tab showed.
    stored = messages_by_uuid(sandbox, result.uuid)
    assert len(stored) == 1
    body = posted_bodies(window)[-1]
    assert body.pop("flow_token") == "•••"  # the log is redacted
    assert body.pop("uuid") == result.uuid
    assert body == payload
    assert stored[0]["thread"]["status"] == {"value": "deploying", "color": "yellow"}
    assert "Sent to Acme / Main" in window.banner.text

    # The threads panel shows the status the sandbox holds.
    window.right_tabs.setCurrentWidget(window.threads_panel)
    panel = window.threads_panel
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: panel.views and panel.views[0].remote is not None, timeout=WAIT)
    assert panel.tree.topLevelItem(0).text(0) == "deploying"
    assert "Service: api" in panel.tree.topLevelItem(0).text(2)
    screenshot(window, "composer-after-sending")

    # "Update this thread" loads its state; a new status goes to the same thread.
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    qtbot.waitUntil(lambda: "started deploying" in panel.timeline.toPlainText(), timeout=WAIT)
    qtbot.mouseClick(panel.update_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.thread_title.text() == "Production deploys", timeout=WAIT)
    assert form.title.text() == "" and form.status_value.text() == "deploying"
    assert form.fields.values() == [("Service", "api")]
    qtbot.keyClicks(form.title, "finished the deploy")
    form.status_value.clear()
    qtbot.keyClicks(form.status_value, "deployed")
    qtbot.mouseClick(form.swatches.buttons["green"], Qt.MouseButton.LeftButton)
    second = send(qtbot, window)
    thread_id = stored[0]["thread_id"]
    assert messages_by_uuid(sandbox, second.uuid)[0]["thread_id"] == thread_id
    thread = messages_by_uuid(sandbox, second.uuid)[0]["thread"]
    assert thread["status"] == {"value": "deployed", "color": "green"}
    qtbot.waitUntil(lambda: panel.tree.topLevelItem(0).text(0) == "deployed", timeout=WAIT)
    # And the sandbox's team inbox page shows the thread with its new, green badge.
    inbox = httpx.get(f"{sandbox.base_url}/app/acme/main").text
    assert "Production deploys" in inbox
    assert 'class="badge status-green"' in inbox and "deployed" in inbox


def test_ctrl_enter_sends(qtbot, context, sandbox, open_window):
    integration, _ = make_integration(context, sandbox.base_url)
    window = open_window(integration.id)
    fill(qtbot, window)
    window.activateWindow()
    window.form.title.setFocus()
    with qtbot.waitSignal(window.message_sent, timeout=WAIT) as blocker:
        qtbot.keyClick(window.form.title, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert len(messages_by_uuid(sandbox, blocker.args[0].uuid)) == 1


def _composer_with_the_keyring_held(qtbot, context, integration_id, monkeypatch):
    """A composer opened while every look-up of the sign-in waits (as a slow or locked
    keyring would hold it); ``release()`` lets them answer."""
    import threading

    answer = threading.Event()
    signed_in = context.session

    def slow_session():
        answer.wait(WAIT / 1000)
        return signed_in()

    monkeypatch.setattr(context, "session", slow_session)
    window = ComposerWindow(context, integration_id, draft_delay_ms=50, preview_delay_ms=10)
    qtbot.addWidget(window)
    shown: list[str] = []
    window.message_shown.connect(lambda: shown.append(window.form.author_name.text()))
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: shown != [], timeout=WAIT)
    return window, shown[0], answer.set


def test_the_authors_name_is_there_when_the_message_shows_and_send_goes_at_once(
    qtbot, context, sandbox, monkeypatch
):
    integration, _ = make_integration(context, sandbox.base_url)
    window, author_when_shown, release = _composer_with_the_keyring_held(
        qtbot, context, integration.id, monkeypatch
    )
    try:
        # From the profile's record of the sign-in: no keyring look-up to wait for.
        assert author_when_shown == seed.DEMO_USER_NAME
        qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=WAIT)
        QTest.keyClicks(QApplication.focusWidget(), "Deployed the fix")
        with qtbot.waitSignal(window.message_sent, timeout=WAIT) as sent:
            QTest.keyClick(
                QApplication.focusWidget(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
            )
        stored = messages_by_uuid(sandbox, sent.args[0].uuid)
        assert [m["author"]["name"] for m in stored] == [seed.DEMO_USER_NAME]
        assert "Deployed the fix" in json.dumps(stored[0])  # typed where the cursor was
    finally:
        release()


def test_with_nobody_signed_in_send_marks_the_authors_name_at_once(
    qtbot, context, sandbox, monkeypatch
):
    from flowdock_desktop.auth.recorded import ACCOUNT_SETTING

    integration, _ = make_integration(context, sandbox.base_url)
    context.settings.remove(ACCOUNT_SETTING)  # as after signing out
    window, author_when_shown, release = _composer_with_the_keyring_held(
        qtbot, context, integration.id, monkeypatch
    )
    try:
        assert author_when_shown == ""
        qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=WAIT)
        QTest.keyClicks(QApplication.focusWidget(), "Deployed the fix")
        QTest.keyClick(
            QApplication.focusWidget(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier
        )
        # Nothing to wait for: the field is marked, with what to fix, and nothing is queued.
        assert window.form.message_for("author.name").is_error
        assert "author name" in window.form.message_for("author.name").text()
        assert window.service.pending(integration.id) == []
    finally:
        release()


def test_every_validation_message_is_shown_by_its_field(qtbot, context, sandbox, open_window):
    integration, _ = make_integration(context, sandbox.base_url)
    window = open_window(integration.id)
    form = window.form
    form.author_name.clear()
    qtbot.keyClicks(form.author_avatar, "not a url")
    retype(qtbot, form.status_value, "open")
    qtbot.mouseClick(form.swatches.buttons[""], Qt.MouseButton.LeftButton)  # no colour
    qtbot.mouseClick(form.fields.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(form.fields.rows[0][2], "value without label")
    qtbot.mouseClick(form.actions.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(form.actions.rows[0][1], "Diff")
    qtbot.keyClicks(form.actions.rows[0][2], "ftp://example.com")
    qtbot.mouseClick(form.event.buttons["discussion"], Qt.MouseButton.LeftButton)  # needs text
    form.title.clear()  # the event's default title ("commented"), cleared as a person might
    qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)

    expected = {
        "author.name": "The author name can't be blank.",
        "author.avatar": "The avatar URL must be an http:// or https:// address.",
        "title": "The title can't be blank.",
        "body": "The message text can't be blank.",
        "thread.title": "The thread title can't be blank.",
        "external_thread_id": "The external thread id can't be blank (or give thread_id).",
        "thread.status.color": "The status colour can't be blank.",
        "thread.fields.0.label": "The field 1 label can't be blank.",
        "thread.actions.0.url": "The action 1 URL must be an http:// or https:// address.",
    }
    for key, text in expected.items():
        message = form.message_for(key)
        assert message.is_error, key
        assert text in message.text(), (key, message.text())
    assert "Fix the marked fields" in window.banner.text
    # Focus goes to the first problem in the order the form shows its fields.
    assert form.first_error_widget() is form.thread_title
    assert window.focusWidget() is form.thread_title
    assert context.outbox.list(integration.id) == []

    # Fixing a field clears its message as the person types.
    qtbot.keyClicks(form.title, "opened")
    qtbot.waitUntil(lambda: not form.message_for("title").is_error, timeout=WAIT)


def test_json_tab_and_form_stay_in_step(qtbot, context, sandbox, open_window):
    integration, _ = make_integration(context, sandbox.base_url)
    window = open_window(integration.id)
    fill(qtbot, window)
    qtbot.waitUntil(lambda: "Production deploys" in window.preview.json_edit.toPlainText())

    # JSON -> form
    data = shown_json(window)
    data["title"] = "rolled back"
    data["thread"]["status"] = {"value": "failed", "color": "red"}
    data["thread"]["fields"].append({"label": "Version", "value": "1.3"})
    data["thread"]["body"] = "<p>Kept <b>HTML</b></p><script>x()</script>"
    window.preview.json_edit.setPlainText(json.dumps(data))
    # A threads listing arrives before the edit's pause is over: the preview is made again
    # from the form, and must not write over the JSON about to change the form.
    window.threads.changed.emit()
    qtbot.wait(50)
    qtbot.waitUntil(lambda: window.form.title.text() == "rolled back", timeout=WAIT)
    assert window.form.swatches.colour() == "red"
    assert window.form.fields.values() == [("Service", "api"), ("Version", "1.3")]
    assert window.form.body.mode() == "html"
    assert "<script" not in json.dumps(window.form.payload())

    # form -> JSON
    window.form.title.clear()
    qtbot.keyClicks(window.form.title, "redeployed")
    qtbot.waitUntil(lambda: shown_json(window)["title"] == "redeployed", timeout=WAIT)

    # Broken JSON is explained and does not touch the form.
    window.preview.json_edit.setPlainText('{"title": ')
    qtbot.waitUntil(lambda: window.preview.json_message.is_error, timeout=WAIT)
    assert "not valid JSON" in window.preview.json_message.text()
    assert window.form.title.text() == "redeployed"
    window.preview.json_edit.setPlainText('{"event": "activity", "colour": 1}')
    qtbot.waitUntil(lambda: "unknown field" in window.preview.json_message.text(), timeout=WAIT)


def test_server_faults_keep_it_queued_then_deliver_once(qtbot, context, sandbox, open_window):
    integration, _ = make_integration(context, sandbox.base_url)
    window = open_window(integration.id)
    fill(qtbot, window)
    arm_fault(sandbox, count=1, status=503, path_prefix="/messages")
    arm_fault(sandbox, count=1, drop=True, path_prefix="/messages")

    shown: list[str] = []
    original = window.banner.show_message
    window.banner.show_message = lambda kind, text, action=None, **more: (
        shown.append(text),
        original(kind, text, action, **more),
    )
    qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any("Not sent yet" in t for t in shown), timeout=WAIT)
    assert any("kept in the outbox" in t for t in shown)
    uuid = context.outbox.list(integration.id)[0].uuid
    # The timer-driven outbox retries in the background until the server takes it.
    qtbot.waitUntil(lambda: context.outbox.count_pending() == 0, timeout=WAIT)
    qtbot.waitUntil(lambda: "The waiting message was sent." in shown, timeout=WAIT)
    assert len(messages_by_uuid(sandbox, uuid)) == 1
    qtbot.waitUntil(lambda: "Outbox empty" in window.outbox_label.full_text(), timeout=WAIT)
    errors = [e for e in window.request_log.entries if e.get("status") == 503 or "error" in e]
    assert errors  # the failed attempts are in the request log


def test_the_form_is_made_read_only_and_editable_again(qtbot):
    """A removed integration's form is read-only; an active one's is editable again. Choosing
    an active integration leaves alone what the form itself turned off (the Markdown buttons
    while the text is HTML)."""
    from flowdock_desktop.ui.composer.form import MessageForm

    form = MessageForm()
    qtbot.addWidget(form)
    editors = (form.title, form.thread_title, form.body.edit, form.fields.add_button)
    form.set_editable(False)
    assert not any(w.isEnabled() for w in (*editors, form.swatches))
    form.set_editable(True)
    assert all(w.isEnabled() for w in (*editors, form.swatches))
    text = form.message_body
    assert text.tools and all(b.isEnabled() for b in text.tools.values())
    text.format.setChecked(True)  # HTML: no Markdown formatting
    assert not any(b.isEnabled() for b in text.tools.values())
    form.set_editable(True)
    assert not any(b.isEnabled() for b in text.tools.values())
    assert all(w.isEnabled() for w in editors)


def test_removed_integration_is_explained_and_can_be_set_up_again(
    qtbot, context, sandbox, open_window, screenshot
):
    integration, source = make_integration(context, sandbox.base_url)
    window = open_window(integration.id)
    fill(qtbot, window)
    sandbox.state.delete_source_by_id(source.id)
    qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "removed in Flowdock" in window.banner.text, timeout=WAIT)
    assert window.banner.button.text() == "Set it up again"
    assert not window.send_button.isEnabled()
    assert not window.form.title.isEnabled()
    assert context.credentials.get_flow_token(integration.id) is None
    assert context.integrations.get(integration.id).state == "removed"
    qtbot.waitUntil(
        lambda: "removed in Flowdock" in listed(window, integration.id).text(), timeout=WAIT
    )
    panel = window.integrations_panel
    assert panel.list.item(0).text() == "Removed in Flowdock"  # grouped under a heading
    assert panel.remove_button.text() == "Forget…" and panel.setup_again_button.isVisible()
    screenshot(window, "composer-removed-integration")
    with qtbot.waitSignal(window.add_integration_requested, timeout=WAIT):
        qtbot.mouseClick(window.banner.button, Qt.MouseButton.LeftButton)


def test_a_flow_token_check_begun_before_the_removal_does_not_offer_reconnect(
    qtbot, context, sandbox, open_window, monkeypatch
):
    """The check for lost flow tokens reads the integrations when the window shows; the
    send that finds the integration removed deletes its token. A check that read the list
    before that must not replace "Set it up again" with "needs sign-in: Reconnect"."""
    from flowdock_desktop.ui import reconnect

    # Each offer made, and whether the window then held the integration as lacking its token.
    offered: list[bool] = []
    offer = reconnect._offer

    def counted(window, *lead):
        shown = offer(window, *lead)
        offered.append(window.integration.id in window.integrations.needs_sign_in)
        return shown

    monkeypatch.setattr(reconnect, "_offer", counted)
    integration, source = make_integration(context, sandbox.base_url)
    window = open_window(integration.id)
    qtbot.waitUntil(lambda: offered == [False], timeout=WAIT)  # the window's own check
    fill(qtbot, window)
    before = context.integrations.list()  # as a check reads it: still working
    sandbox.state.delete_source_by_id(source.id)
    # (Send asks too, before sending: one more offer, the token not yet found missing.)
    qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "removed in Flowdock" in window.banner.text, timeout=WAIT)
    reconnect.show_flow_token_state(window, before)
    qtbot.waitUntil(lambda: True in offered, timeout=WAIT)  # the stale check's answer
    assert "removed in Flowdock" in window.banner.text
    assert window.banner.button.text() == "Set it up again"
    assert "removed in Flowdock" in listed(window, integration.id).text()


def test_draft_is_saved_and_restored(qtbot, context, sandbox, open_window):
    integration, _ = make_integration(context, sandbox.base_url)
    window = open_window(integration.id)
    fill(qtbot, window)
    qtbot.waitUntil(
        lambda: (
            (context.drafts.load(integration.id) or {}).get("thread_title") == "Production deploys"
        ),
        timeout=WAIT,
    )
    window.close()
    again = open_window(integration.id)
    assert again.form.title.text() == "started deploying version 1.4"
    assert again.form.swatches.colour() == "yellow"
    assert again.form.fields.values() == [("Service", "api")]
    assert "**faster**" in again.form.body.text()


def test_ctrl_q_quits_and_keeps_what_was_typed_as_the_draft(qtbot, context, sandbox, open_window):
    integration, _ = make_integration(context, sandbox.base_url)
    window = open_window(integration.id)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=WAIT)
    press_mnemonic(qtbot, "i")
    type_over(qtbot, "Typed just before quitting")
    press(qtbot, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)  # File > Quit
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=WAIT)
    qtbot.waitUntil(
        lambda: (
            (context.drafts.load(integration.id) or {}).get("thread_title")
            == "Typed just before quitting"
        ),
        timeout=WAIT,
    )


def test_templates_apply_and_save(qtbot, context, sandbox, open_window):
    integration, _ = make_integration(context, sandbox.base_url)
    window = open_window(integration.id)
    window.apply_template("Announcement", {"title": "Office move", "message": "We *move*."})
    form = window.form
    assert form.thread_title.text() == "Office move"
    assert form.swatches.colour() == "blue"
    qtbot.waitUntil(lambda: "<em>move</em>" in window.preview.json_edit.toPlainText())
    dialog = open_save_dialog(qtbot)  # File > Save as template…, by keys
    type_text(qtbot, "My note")
    press(qtbot, Qt.Key.Key_Return)  # written in the background
    qtbot.waitUntil(lambda: closed(dialog), timeout=WAIT)
    qtbot.waitUntil(lambda: context.templates.get("My note") is not None, timeout=WAIT)
    assert context.templates.get("My note").fields["thread_title"] == "Office move"
    qtbot.waitUntil(lambda: window.template_box.findData("My note") >= 0, timeout=WAIT)


def test_help_menu_opens_about_with_version(qtbot, context, sandbox, open_window, screenshot):
    from flowdock_desktop import __version__

    integration, _ = make_integration(context, sandbox.base_url)
    window = open_window(integration.id)
    menus = {action.text().replace("&", ""): action for action in window.menuBar().actions()}
    about_action = next(
        action for action in menus["Help"].menu().actions() if "About" in action.text()
    )
    about_action.trigger()
    dialog = next(w for w in window.findChildren(QDialog) if w.isVisible())
    qtbot.waitExposed(dialog)
    assert __version__ in dialog.findChild(QLabel, "about-title").text()
    screenshot(dialog, "about")


def test_refused_message_stays_in_the_outbox_until_retried_or_discarded(
    qtbot, context, sandbox, open_window, screenshot, monkeypatch
):
    integration, _ = make_integration(context, sandbox.base_url)
    window = open_window(integration.id)
    fill(qtbot, window)
    # The server refuses the next two posts outright (a 400 is not retried by itself).
    arm_fault(sandbox, count=2, status=400, path_prefix="/messages")
    qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: context.outbox.list(integration.id, ("failed",)) != [], timeout=WAIT)
    first = context.outbox.list(integration.id, ("failed",))[0]
    qtbot.waitUntil(window.send_button.isEnabled, timeout=WAIT)
    qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: len(context.outbox.list(integration.id, ("failed",))) == 2, timeout=WAIT
    )
    second = next(i for i in context.outbox.list(integration.id, ("failed",)) if i.id != first.id)

    panel = window.outbox_panel
    window.right_tabs.setCurrentWidget(panel)
    window.outbox.refresh()  # the panel may still show the second one being sent

    def rows() -> list[str]:
        return [panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount())]

    qtbot.waitUntil(lambda: rows() == ["refused", "refused"], timeout=WAIT)
    assert not panel.retry_button.isEnabled()  # nothing chosen yet
    assert not panel.details.isVisible()
    panel.tree.setCurrentItem(panel.tree.topLevelItem(1))
    assert panel.details.text() == (
        "“Production deploys: started deploying version 1.4” was not sent. The server rejected "
        "the message: "
        "Sandbox fault. Retry it, or load it into the form to fix it."
    )
    screenshot(window, "composer-outbox-refused")

    # Retry the first: it is sent, once.
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    qtbot.mouseClick(panel.retry_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(messages_by_uuid(sandbox, first.uuid)) == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1, timeout=WAIT)

    # Load the second into the form, then discard it (after confirming).
    panel.tree.setCurrentItem(panel.tree.topLevelItem(0))
    window.form.thread_title.clear()
    qtbot.mouseClick(panel.load_button, Qt.MouseButton.LeftButton)
    assert window.form.thread_title.text() == "Production deploys"
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    qtbot.mouseClick(panel.discard_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: context.outbox.get(second.id) is None, timeout=WAIT)
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 0, timeout=WAIT)
    assert messages_by_uuid(sandbox, second.uuid) == []


@pytest.mark.parametrize(
    ("fault", "banner_kind", "rows_after", "footer"),
    [
        ({"status": 400}, "error", ["refused"], "1 refused: see the Outbox tab"),
        ({"status": 503, "count": 50}, "warning", ["waiting"], "1 waiting to be sent"),
        (None, "success", [], "Outbox empty"),
    ],
    ids=["refused", "queued", "sent"],
)
def test_the_outbox_tab_says_what_became_of_a_send_when_the_banner_does(
    qtbot, context, sandbox, open_window, monkeypatch, fault, banner_kind, rows_after, footer
):
    """Found by the lead at 1,024x700: a refused message's row said "sending" for about two
    seconds after the banner said it was refused, because a reading of the outbox begun
    during the send landed after its result. Here one reading lands during the send (the row
    says "sending"), a second is held on its worker until the banner has shown the result,
    and every later one until the end: the row must say what the banner says, and go on
    saying it when the held reading lands."""
    import threading

    integration, _ = make_integration(context, sandbox.base_url)
    window = open_window(integration.id, size=(1024, 700))
    panel = window.outbox_panel
    fill(qtbot, window)
    press_mnemonic(qtbot, "o")
    qtbot.waitUntil(lambda: panel.built and panel.isVisible(), timeout=WAIT)

    def rows() -> list[str]:
        return [panel.tree.topLevelItem(i).text(0) for i in range(panel.tree.topLevelItemCount())]

    held, release, later = threading.Event(), threading.Event(), threading.Event()
    holding = threading.Event()  # set: the next reading is the held one, the rest wait longer
    service = window.service
    read = service.unfinished

    def pending(*args, **kwargs):
        items = read(*args, **kwargs)
        if holding.is_set():
            if not held.is_set():
                held.set()
                release.wait(WAIT / 1000)
            else:
                later.wait(WAIT / 1000)
        return items

    monkeypatch.setattr(service, "unfinished", pending)

    def after_the_reading(record):
        def wait_then_record(*args, **kwargs):
            held.wait(WAIT / 1000)
            return record(*args, **kwargs)

        return wait_then_record

    outbox = context.outbox
    for name in ("mark_sent", "mark_failed", "mark_retry"):
        # The send records the server's answer only once the held reading has read the
        # message as "sending".
        monkeypatch.setattr(outbox, name, after_the_reading(getattr(outbox, name)))
    if fault is not None:
        arm_fault(sandbox, path_prefix="/messages", **fault)
    try:
        qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: [i.state for i in outbox.list(integration.id)] == ["sending"], timeout=WAIT
        )
        window.outbox.refresh()
        qtbot.waitUntil(lambda: rows() == ["sending"], timeout=WAIT)
        holding.set()
        stale = window.outbox.refresh()
        qtbot.waitUntil(lambda: window.banner.kind == banner_kind, timeout=WAIT)
        assert rows() == rows_after
        assert window.outbox_label.full_text().startswith(footer)
        release.set()
        qtbot.waitUntil(lambda: stale.done, timeout=WAIT)
        # What the held reading had ("sending") was not shown.
        assert rows() == rows_after
        assert window.outbox_label.full_text().startswith(footer)
    finally:
        release.set()
        later.set()


def test_a_reading_during_which_a_send_is_refused_lists_the_message_once(
    qtbot, context, sandbox, open_window, monkeypatch
):
    """Found in a suite run: the footer said "2 refused" after one message was refused. A
    reading of the outbox asked for the waiting messages (the message was "sending"), then,
    the send refused meanwhile, for the refused ones: it was in both, and the send's result
    then made both copies "refused". Here the send records its refusal between the
    reading's start and end, and the result is shown only after the reading has landed."""
    import threading

    integration, _ = make_integration(context, sandbox.base_url)
    window = open_window(integration.id)
    fill(qtbot, window)
    outbox = context.outbox
    holding, started = threading.Event(), threading.Event()
    recorded, landed = threading.Event(), threading.Event()
    read_list, record = outbox.list, outbox.mark_failed

    def list_(*args, **kwargs):
        items = read_list(*args, **kwargs)
        if holding.is_set():
            holding.clear()  # only the reading started below waits
            started.set()
            recorded.wait(WAIT / 1000)
        return items

    def mark_failed(*args, **kwargs):
        started.wait(WAIT / 1000)  # the message is "sending" until the reading has begun
        item = record(*args, **kwargs)
        recorded.set()
        landed.wait(WAIT / 1000)  # the send's result is shown after the reading
        return item

    monkeypatch.setattr(outbox, "list", list_)
    monkeypatch.setattr(outbox, "mark_failed", mark_failed)
    window.outbox.items_changed.connect(lambda _items: landed.set() if recorded.is_set() else None)
    arm_fault(sandbox, path_prefix="/messages", status=400)
    try:
        qtbot.mouseClick(window.send_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: [i.state for i in read_list(integration.id)] == ["sending"], timeout=WAIT
        )
        holding.set()
        window.outbox.refresh()
        qtbot.waitUntil(lambda: window.banner.kind == "error", timeout=WAIT)
        assert landed.is_set()  # the reading landed before the result, as the race had it
        assert [item.id for item in window.outbox_panel.items] == [
            item.id for item in read_list(integration.id)
        ]
        assert window.outbox_label.full_text().startswith("1 refused: see the Outbox tab")
    finally:
        started.set()
        recorded.set()
        landed.set()


def test_the_outbox_and_request_log_tabs_are_built_when_first_shown(
    qtbot, context, sandbox, open_window
):
    """Most starts never show these tabs: their widgets are made when each is first shown
    (Alt+O, Alt+Q), with what they were given meanwhile: the waiting message, the requests."""
    integration, _ = make_integration(context, sandbox.base_url)
    refused = context.outbox.enqueue(integration.id, {"event": "activity", "title": "a"})
    context.db.execute("UPDATE outbox SET state = 'failed' WHERE id = ?", (refused.id,))
    window = open_window(integration.id)
    outbox, log = window.outbox_panel, window.request_log
    qtbot.waitUntil(lambda: [i.id for i in outbox.items] == [refused.id], timeout=WAIT)
    qtbot.waitUntil(lambda: log.entries != [], timeout=WAIT)  # the author's name, asked for
    assert outbox.findChildren(QTreeWidget) == [] and log.findChildren(QTreeWidget) == []

    press_mnemonic(qtbot, "o")  # &Outbox
    assert window.right_tabs.currentWidget() is outbox
    assert outbox.tree.topLevelItemCount() == 1
    assert outbox.tree.topLevelItem(0).text(0) == "refused"
    # The keyboard is in the list, as after Tab into it: its first message is the chosen one.
    assert focused() is outbox.tree
    assert outbox.current().id == refused.id
    assert outbox.discard_button.isVisible() and outbox.discard_button.isEnabled()

    press_mnemonic(qtbot, "q")  # Re&quest log
    assert window.right_tabs.currentWidget() is log
    assert log.tree.topLevelItemCount() == len(log.entries)
    assert log.tree.topLevelItem(0).text(2) == log.entries[0]["url"]
    assert log.entries[0]["url"] in log.detail.toPlainText()  # the first, chosen


def test_a_damaged_or_unreadable_outbox_message_is_explained_and_can_be_discarded(
    qtbot, context, sandbox, open_window, monkeypatch, screenshot
):
    """A damaged data file can leave an outbox row whose message cannot be read, or one this
    form cannot show: the tab says so, offers only what can work, and nothing else breaks."""
    integration, _ = make_integration(context, sandbox.base_url)
    damaged = context.outbox.enqueue(integration.id, {"event": "activity", "title": "a"})
    odd = context.outbox.enqueue(integration.id, {"event": "activity", "title": "b"})
    context.db.execute(
        "UPDATE outbox SET state = 'failed', payload = ? WHERE id = ?",
        ('{"event": "ac', damaged.id),
    )
    context.db.execute(
        "UPDATE outbox SET state = 'failed', payload = ? WHERE id = ?",
        ('{"event": "activity", "shape": "not this form\'s"}', odd.id),
    )
    window = open_window(integration.id)
    panel = window.outbox_panel
    window.right_tabs.setCurrentWidget(panel)
    window.outbox.refresh()

    def row(item_id: int):
        tree = panel.tree
        return next(
            tree.topLevelItem(i)
            for i in range(tree.topLevelItemCount())
            if tree.topLevelItem(i).data(0, Qt.ItemDataRole.UserRole) == item_id
        )

    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 2, timeout=WAIT)
    shown = row(damaged.id)
    assert (shown.text(0), shown.text(1)) == ("damaged", "(damaged message)")
    assert "damaged" in shown.text(5) and "discard it" in shown.text(5)
    panel.tree.setCurrentItem(shown)
    assert not panel.retry_button.isEnabled() and not panel.load_button.isEnabled()
    assert panel.discard_button.isEnabled()
    # The whole reason shows under the list, wrapped (the Problem column is often cut off).
    assert panel.details.isVisible() and "discard it" in panel.details.text()
    screenshot(window, "composer-outbox-damaged")

    # One the form cannot show: loading it says why and leaves the form as it was.
    panel.tree.setCurrentItem(row(odd.id))
    before = window.form.state()
    qtbot.mouseClick(panel.load_button, Qt.MouseButton.LeftButton)
    assert window.banner.kind == "error"
    assert "cannot be loaded into the form" in window.banner.text and "shape" in window.banner.text
    assert window.form.state() == before
    assert context.outbox.get(odd.id) is not None

    panel.tree.setCurrentItem(row(damaged.id))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    qtbot.mouseClick(panel.discard_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: context.outbox.get(damaged.id) is None, timeout=WAIT)
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1, timeout=WAIT)


def test_a_person_finds_a_damaged_message_and_discards_it_by_keys(
    qtbot, context, sandbox, open_window
):
    """At 1,024x700, by keys alone: Alt+O for the Outbox tab, Tab to the list, Down to the
    message, its story under the list; Discard's question answered with Esc first (nothing
    goes), then with Discard."""
    integration, _ = make_integration(context, sandbox.base_url)
    item = context.outbox.enqueue(integration.id, {"event": "activity", "title": "Deployed"})
    context.db.execute("UPDATE outbox SET payload = ? WHERE id = ?", ('{"event": "act', item.id))
    window = open_window(integration.id, size=(1024, 700))
    panel = window.outbox_panel

    press_mnemonic(qtbot, "o")
    qtbot.waitUntil(lambda: window.right_tabs.currentWidget() is panel, timeout=WAIT)
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1, timeout=WAIT)
    tab_to(qtbot, panel.tree)
    press(qtbot, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: panel.current() is not None, timeout=WAIT)
    assert panel.details.isVisible()
    assert panel.details.text() == (
        "This message's stored text is damaged and cannot be sent; discard it."
    )
    # Within the window: the whole story is on screen, not cut off at its edge.
    shown = panel.details.mapTo(window, panel.details.rect().bottomRight())
    assert window.rect().contains(shown)
    assert not panel.retry_button.isEnabled() and not panel.load_button.isEnabled()

    asked: list[str] = []
    tab_to(qtbot, panel.discard_button)
    QTimer.singleShot(0, lambda: answer_question(qtbot, asked, None))
    press(qtbot, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: len(asked) == 1 and QApplication.activeModalWidget() is None)
    assert context.outbox.get(item.id) is not None  # Esc: nothing discarded
    # The window manager gives the window back its activation (offscreen has none to do it);
    # the focus is where it was, on Discard….
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is panel.discard_button, timeout=WAIT)

    QTimer.singleShot(0, lambda: answer_question(qtbot, asked, QMessageBox.StandardButton.Discard))
    press_mnemonic(qtbot, "c")  # Dis&card…
    qtbot.waitUntil(lambda: context.outbox.get(item.id) is None, timeout=WAIT)
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 0, timeout=WAIT)
    assert "Discard this message" in asked[1]
    assert not panel.details.isVisible()


def test_the_outbox_read_again_leaves_the_keyboard_focus_where_it_was(
    qtbot, context, sandbox, open_window
):
    """The tab reads the outbox every few seconds (here every 50 ms): a person who has
    Tabbed to Discard… keeps their place whether the list changed or not."""
    integration, _ = make_integration(context, sandbox.base_url)
    first = context.outbox.enqueue(integration.id, {"event": "activity", "title": "One"})
    context.db.execute("UPDATE outbox SET state = 'failed' WHERE id = ?", (first.id,))
    window = open_window(integration.id, size=(1024, 700))
    panel = window.outbox_panel
    press_mnemonic(qtbot, "o")
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1, timeout=WAIT)
    tab_to(qtbot, panel.tree)
    press(qtbot, Qt.Key.Key_Down)
    tab_to(qtbot, panel.discard_button)

    reads: list[object] = []
    window.outbox.items_changed.connect(reads.append)
    qtbot.waitUntil(lambda: len(reads) >= 3, timeout=WAIT)  # the same list, read again
    assert focused() is panel.discard_button
    second = context.outbox.enqueue(integration.id, {"event": "activity", "title": "Two"})
    context.db.execute("UPDATE outbox SET state = 'failed' WHERE id = ?", (second.id,))
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 2, timeout=WAIT)  # changed
    qtbot.waitUntil(lambda: len(reads) >= 6, timeout=WAIT)
    assert focused() is panel.discard_button
    assert panel.current().id == first.id


def _columns_within_the_list(tree: QTreeWidget) -> None:
    """No horizontal scroll bar, and every column's right edge inside the visible list."""
    header = tree.header()
    last = tree.columnCount() - 1
    assert tree.horizontalScrollBar().maximum() == 0
    assert header.sectionViewportPosition(last) + header.sectionSize(last) <= (
        tree.viewport().width()
    )
    for column in range(tree.columnCount()):
        assert header.sectionSize(column) >= header.minimumSectionSize()


def test_at_1024x700_the_outbox_tab_shows_every_column_and_cuts_long_cells_short(
    qtbot, context, sandbox, open_window, screenshot
):
    """Found walking at 1,024x700: the Outbox tab showed only State and Title; Tries, Next try
    and the Problem were behind a horizontal scroll bar, and an empty outbox had one too. Now
    every column is within the tab: the state, the tries and the next try whole, the title,
    integration and problem cut with "…" and whole in their tooltips."""
    integration, _ = make_integration(context, sandbox.base_url)
    window = open_window(integration.id, size=(1024, 700))
    panel = window.outbox_panel
    press_mnemonic(qtbot, "o")  # the Outbox tab, empty
    qtbot.waitUntil(lambda: window.right_tabs.currentWidget() is panel, timeout=WAIT)
    qtbot.waitUntil(panel.tree.isVisible, timeout=WAIT)
    qtbot.waitUntil(lambda: panel.tree.horizontalScrollBar().maximum() == 0, timeout=WAIT)
    _columns_within_the_list(panel.tree)

    title = "The quarterly production deploy of every service in the eastern region"
    problem = (
        "The server rejected the message: the thread's external link must be an address "
        "that starts with http:// or https://; fix it in the form and send it again."
    )
    item = context.outbox.enqueue(
        integration.id,
        {"event": "activity", "title": "deployed", "thread": {"title": title}},
    )
    context.db.execute(
        "UPDATE outbox SET state = 'failed', attempts = 3, last_error = ? WHERE id = ?",
        (problem, item.id),
    )
    tree, header = panel.tree, panel.tree.header()
    qtbot.waitUntil(lambda: tree.topLevelItemCount() == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: tree.horizontalScrollBar().maximum() == 0, timeout=WAIT)
    _columns_within_the_list(tree)
    row = tree.topLevelItem(0)
    assert [row.text(0), row.text(3)] == ["refused", "3"]
    for whole in (0, 3, 4):  # the state, the tries and the next try (none: refused)
        assert header.sectionSize(whole) >= tree.sizeHintForColumn(whole)
    name = window.outbox.names[integration.id]
    for column, text in ((1, f"{title}: deployed"), (2, name), (5, problem)):
        assert row.text(column) == text
        assert header.sectionSize(column) < tree.sizeHintForColumn(column)  # cut …
        assert row.toolTip(column) == text  # … and whole in its tooltip
    # Title and Problem have the same share, the integration half as much.
    assert abs(header.sectionSize(1) - header.sectionSize(5)) <= 1
    assert header.sectionSize(2) < header.sectionSize(1)
    tree.setCurrentItem(row)
    screenshot(window, "composer-outbox-1024x700")


def test_a_loaded_composer_is_kept_out_of_full_collections(context, sandbox, open_window):
    """A full garbage collection must not walk the window and all that was loaded before it
    (tens of milliseconds on the GUI thread, mid-send): once loaded, they are frozen."""
    import gc

    integration, _ = make_integration(context, sandbox.base_url)
    window = open_window(integration.id)
    # gc.get_objects() lists only what later collections walk; frozen objects are left out.
    assert not any(o is window for o in gc.get_objects())
    assert not any(o is window.form for o in gc.get_objects())
    assert gc.get_freeze_count() > len(gc.get_objects())


def test_at_1024x700_the_threads_tab_shows_every_column_and_cuts_long_titles_short(
    qtbot, context, sandbox, open_composer, screenshot
):
    """Found walking at 1,024x700: the Threads list was wider than its tab, so the time of
    the last update was behind a horizontal scroll bar. The count and the time of the last
    update now keep their width; a long title (and the fields, and a long status) are cut
    with "…" and whole in the tooltip."""
    integration, _ = make_integration(context, sandbox.base_url)
    window = open_composer(integration.id, size=(1024, 700))
    title = "The quarterly production deploy of every service in the eastern region"
    service = window.service
    payload = {
        "event": "activity",
        "title": "deployed",
        "author": {"name": "Release bot"},
        "external_thread_id": "quarterly",
        "thread": {
            "title": title,
            "status": {"value": "announcement", "color": "blue"},
            "fields": [{"label": "Services", "value": "api, web, worker, scheduler, mailer"}],
        },
    }
    assert service.send(integration.id, payload).state == "sent"
    window.refresh_threads()
    panel = window.threads_panel
    tabs = window.right_tabs.tabBar()  # the Threads tab, clicked as a person does
    where = tabs.tabRect(window.right_tabs.indexOf(panel)).center()
    qtbot.mouseClick(tabs, Qt.MouseButton.LeftButton, pos=where)
    qtbot.waitUntil(panel.isVisible, timeout=WAIT)
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: panel.views[0].remote is not None, timeout=WAIT)
    tree, header = panel.tree, panel.tree.header()

    def right_edge(column: int) -> int:
        return header.sectionViewportPosition(column) + header.sectionSize(column)

    qtbot.waitUntil(lambda: right_edge(4) <= tree.viewport().width(), timeout=WAIT)
    row = tree.topLevelItem(0)
    assert header.sectionSize(4) >= tree.sizeHintForColumn(4)  # the time whole
    assert header.sectionSize(3) >= tree.sizeHintForColumn(3)  # the count whole
    assert header.sectionSize(1) < tree.sizeHintForColumn(1)  # the title cut …
    assert row.toolTip(1) == title  # … and whole in its tooltip
    assert tree.horizontalScrollBar().maximum() == 0
    screenshot(window, "composer-threads-1024x700")
