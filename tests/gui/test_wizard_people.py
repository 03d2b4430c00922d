"""Acceptance: the wizard walked by the people it is for, at the keyboard, from a fresh profile.

- a newcomer pressing only Enter, at 1,024x700, then starting the app again;
- an integrator who registers their own application on the sandbox's applications page (over
  HTTP, as its form does), sets it up once by typing, then uses a setup link from that page;
- the same integrator pasting a wrong client secret.

Keys go to ``QApplication.focusWidget()``; nothing is set on a widget directly.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from person import press_mnemonic, type_over
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QPalette, QTextDocumentFragment
from PySide6.QtWidgets import QApplication, QRadioButton, QStyle, QStyleOptionButton
from wizard_support import (
    MESSAGE_FOR_LATER,
    WAIT,
    composer_on_a_small_screen,
    enter_until,
    focused,
    press,
    register_application,
    send_by_keys,
    start_server,
    start_wizard,
    type_text,
)

from flowdock_desktop.auth.credentials import NO_KEYRING_WARNING
from flowdock_desktop.context import AppContext
from flowdock_desktop.sandbox import seed
from flowdock_desktop.sandbox.server import SandboxServer
from flowdock_desktop.store.profile import Profile
from flowdock_desktop.testing import messages_by_uuid
from flowdock_desktop.ui.app import WindowRouter
from flowdock_desktop.ui.wizard import PageId, SetupWizard

pytestmark = pytest.mark.gui


@pytest.fixture
def theirs() -> Iterator[SandboxServer]:
    """The integrator's server (a sandbox of its own, not the app's embedded one)."""
    server = start_server()
    yield server
    server.stop()


def _setup_link(server: SandboxServer, app_id: str, flow_path: str) -> str:
    """The applications page's "Start setup" for a flow: where the browser is sent."""
    org, flow = flow_path.split("/")
    flow_id = server.state.find_flow_by_path(org, flow)
    answer = httpx.get(
        f"{server.base_url}/oauth/applications/{app_id}/setup",
        params={"flow": flow_id},
        follow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303
    return answer.headers["location"]


def _choose_their_server(qtbot, wizard: SetupWizard, server: SandboxServer) -> None:
    """Alt+A (Another server), Tab, the address typed, Enter: on to the Application page."""
    qtbot.keyClick(focused(), "a", Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(wizard.server_page.url_choice.isChecked, timeout=WAIT)
    press(qtbot, Qt.Key.Key_Tab)
    assert focused() is wizard.server_page.url_edit
    type_text(qtbot, server.base_url)
    enter_until(qtbot, wizard, PageId.APPLICATION)
    assert focused() is wizard.application_page.client_id_edit


def _type_application(qtbot, client_id: str, secret: str, callback: str) -> None:
    """The Application page's fields as a person fills them: Tab from one to the next (past
    the secret's Show check box)."""
    type_text(qtbot, client_id)
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, secret)
    press(qtbot, Qt.Key.Key_Tab)  # the Show check box
    press(qtbot, Qt.Key.Key_Tab)
    type_text(qtbot, callback)


def _sources(server: SandboxServer, flow_path: str) -> list[dict]:
    flow_id = server.state.find_flow_by_path(*flow_path.split("/"))
    return server.state.flow_sources(flow_id, server.base_url)


def _without_keyring() -> None:
    """No usable keyring (the ``profile_dir`` fixture restores its own): secrets live in the
    process only, as the app keeps them then."""
    import keyring
    from keyring.backends import fail

    from flowdock_desktop.auth import credentials as credentials_module

    keyring.set_keyring(fail.Keyring())
    credentials_module._fallback._items.clear()


def _quit(context: AppContext) -> None:
    """The app quits (its sandbox left running for the next start): without a keyring, the
    secrets it held go with it."""
    from flowdock_desktop.auth import credentials as credentials_module

    context.sandbox = None
    context.close()
    credentials_module._fallback._items.clear()


def _first_composer_by_enter(qtbot, context: AppContext):
    """A fresh profile's first start: the wizard by Enter to its end, then the composer."""
    router = WindowRouter(context)
    wizard = start_wizard(context, qtbot)
    enter_until(qtbot, wizard, PageId.DONE)
    wizard.accept()
    return composer_on_a_small_screen(qtbot, router)


def _composer_after_a_restart(qtbot, profile_dir, server: SandboxServer):
    """The second start: the same profile, the sandbox still running, the composer the
    router opens at 1,024x700. Returns the new context (the caller closes it) and the window."""
    again = AppContext(Profile.resolve(profile_dir))
    again.sandbox = server
    try:
        return again, composer_on_a_small_screen(qtbot, WindowRouter(again))
    except BaseException:
        again.close()
        raise


def _signing_in_by_enter(context: AppContext, qtbot):
    """The wizard walked by Enter to the sign-in page, and Enter there: the browser is out
    (the scripted one, which does not approve by itself). Returns the wizard and the page."""
    wizard = start_wizard(context, qtbot)
    enter_until(qtbot, wizard, PageId.SIGN_IN)
    page = wizard.sign_in_page
    assert focused() is page.sign_in_button
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(page.copy_button.isEnabled, timeout=WAIT)
    return wizard, page


def test_enter_pressed_twice_on_sign_in_waits_for_the_browser_and_a_pasted_address_signs_in(
    qtbot, profile_dir, scripted_browser
):
    """Found walking `make run` under a real X server with real key presses: Enter on Sign in
    with the browser, and Enter again while the browser was still coming, went back to the
    Application page and ended the sign-in (the disabled button had handed the focus to
    Back). The focus now goes to the paste field, where a second Enter says what it is for,
    and the address the browser ended on, typed there, signs in."""
    scripted_browser.enabled = False  # the browser opens, but nobody approves in it yet
    context = AppContext(Profile.resolve(profile_dir))
    context.sandbox = start_server()
    try:
        wizard, page = _signing_in_by_enter(context, qtbot)
        assert focused() is page.paste_edit

        press(qtbot, Qt.Key.Key_Return)  # again, impatient
        assert wizard.currentId() == PageId.SIGN_IN and page.working
        assert page.paste_message.is_error
        assert "Paste the address your browser ended on" in page.paste_message.text()

        # The address the browser ends on after approving, typed where the cursor is.
        answer = httpx.get(scripted_browser.urls[-1], follow_redirects=False, timeout=10)
        type_text(qtbot, answer.headers["location"])
        press(qtbot, Qt.Key.Key_Return)
        qtbot.waitUntil(page.isComplete, timeout=WAIT)
        enter_until(qtbot, wizard, PageId.FLOW)
        wizard.discard()
    finally:
        context.close()


def test_approved_in_the_browser_the_wizard_comes_back_to_the_front_ready_for_enter(
    qtbot, profile_dir, scripted_browser
):
    """The person approves in their browser, which has the front; the wizard comes back to
    the front by itself, with Next ready for Enter."""
    from PySide6.QtWidgets import QWidget, QWizard

    scripted_browser.enabled = False  # the test plays the browser below
    context = AppContext(Profile.resolve(profile_dir))
    context.sandbox = start_server()
    try:
        wizard, page = _signing_in_by_enter(context, qtbot)
        the_browser = QWidget()
        qtbot.addWidget(the_browser)
        the_browser.show()
        the_browser.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is the_browser, timeout=WAIT)
        httpx.get(scripted_browser.urls[-1], follow_redirects=True, timeout=10)  # approved

        qtbot.waitUntil(page.isComplete, timeout=WAIT)
        qtbot.waitUntil(lambda: QApplication.activeWindow() is wizard, timeout=WAIT)
        qtbot.waitUntil(
            lambda: focused() is wizard.button(QWizard.WizardButton.NextButton), timeout=WAIT
        )
        press(qtbot, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: wizard.currentId() == PageId.FLOW, timeout=WAIT)
        wizard.discard()
    finally:
        context.close()


def test_a_flow_found_by_typing_part_of_its_name_is_chosen_for_enter(
    qtbot, profile_dir, scripted_browser, screenshot
):
    """Found walking the app under a real X server: on the Flow page, typing "main" left only
    Main in the list but chose nothing (the preselected flow was filtered out), so Next was
    greyed and Enter did nothing. The filter's first flow is now chosen; a filter matching
    nothing says so, and Enter stays on the page."""
    context = AppContext(Profile.resolve(profile_dir))
    context.sandbox = start_server()
    try:
        wizard = start_wizard(context, qtbot)
        enter_until(qtbot, wizard, PageId.FLOW)
        page = wizard.flow_page
        qtbot.waitUntil(lambda: page.selected_flow() is not None, timeout=WAIT)
        assert focused() is page.filter_edit

        type_text(qtbot, "nothing like it")
        qtbot.waitUntil(lambda: page.selected_flow() is None, timeout=WAIT)
        assert page.banner.kind == "warning"
        assert page.banner.text == "No flow matches “nothing like it”. Change the filter."
        screenshot(wizard, "wizard-4-no-flow-matches")
        press(qtbot, Qt.Key.Key_Return)
        assert wizard.currentId() == PageId.FLOW

        type_over(qtbot, "main")
        qtbot.waitUntil(lambda: page.selected_flow() is not None, timeout=WAIT)
        assert page.selected_flow().path == "acme/main"
        assert not page.banner.text  # the warning went with the filter that caused it
        press(qtbot, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: wizard.currentId() == PageId.NAME, timeout=WAIT)
        assert wizard.state.flow.path == "acme/main"
        wizard.discard()
    finally:
        context.close()


def test_newcomer_presses_only_enter_then_starts_again(qtbot, profile_dir, scripted_browser):
    context = AppContext(Profile.resolve(profile_dir))
    context.sandbox = start_server()
    try:
        wizard = start_wizard(context, qtbot)
        enter_until(qtbot, wizard, PageId.DONE)
        created = context.integrations.list()
        assert [(i.source_name, i.flow_path) for i in created] == [
            ("Flowdock Desktop", "acme/announcements")
        ]
        wizard.accept()
        sandbox_url = context.sandbox.base_url
    finally:
        context.close()

    # Started again (same profile, same keyring): the integration is there, and Add… starts
    # from the sandbox and the demo application again, with nothing to type.
    again = AppContext(Profile.resolve(profile_dir))
    again.sandbox = start_server()
    again.api_url = again.sandbox.base_url  # the embedded sandbox, on its (new) port
    try:
        assert [i.source_name for i in again.integrations.list()] == ["Flowdock Desktop"]
        wizard = WindowRouter(again).show_wizard()
        qtbot.addWidget(wizard)
        assert wizard.server_page.sandbox_choice.isChecked()
        enter_until(qtbot, wizard, PageId.SIGN_IN)
        assert wizard.application_page.client_id_edit.text() == "sandbox-client-id"
        wizard.discard()
    finally:
        again.close()
    assert sandbox_url


def test_integrator_sets_up_their_own_application_then_uses_a_setup_link(
    qtbot, profile_dir, scripted_browser, theirs
):
    mine = register_application(theirs, "CI reporter")

    # First run: their server and application, typed once.
    context = AppContext(Profile.resolve(profile_dir))
    context.sandbox = start_server()  # the app's embedded one, not used by the integrator
    try:
        wizard = start_wizard(context, qtbot)
        assert focused() is wizard.server_page.sandbox_choice
        _choose_their_server(qtbot, wizard, theirs)
        _type_application(qtbot, mine["client_id"], mine["secret"], mine["callback"])
        press(qtbot, Qt.Key.Key_Tab)
        assert focused() is wizard.application_page.name_edit
        assert focused().text() == ""  # the demo application's name went with its client id
        type_text(qtbot, "CI reporter")
        enter_until(qtbot, wizard, PageId.NAME)
        qtbot.waitUntil(lambda: wizard.name_page.isComplete(), timeout=WAIT)
        # The default source name is the application's name.
        assert wizard.name_page.name_edit.text() == "CI reporter"
        enter_until(qtbot, wizard, PageId.DONE)
        first = _sources(theirs, "acme/announcements")
        assert [(s["name"], s["application"]["name"]) for s in first] == [
            ("CI reporter", "CI reporter")
        ]
        wizard.accept()
    finally:
        context.close()

    # Later (a restart): "Start setup" on the applications page hands the app a setup link.
    link = _setup_link(theirs, mine["id"], "acme/main")
    context = AppContext(Profile.resolve(profile_dir))
    context.sandbox = start_server()
    try:
        wizard = start_wizard(context, qtbot, link=link)
        # Their server and their application, not the embedded sandbox's demo.
        assert wizard.server_page.url_choice.isChecked()
        assert wizard.server_page.url_edit.text() == theirs.base_url
        enter_until(qtbot, wizard, PageId.SIGN_IN)
        page = wizard.application_page
        assert page.client_id_edit.text() == mine["client_id"]
        assert page.secret_edit.text() == mine["secret"]  # from the keyring
        assert page.callback_edit.text() == mine["callback"]
        assert not page.app_list_box.isHidden()
        assert page.app_box.currentText() == f"CI reporter ({mine['client_id']})"
        enter_until(qtbot, wizard, PageId.NAME)
        assert wizard.flow_page.selected_flow().path == "acme/main"
        qtbot.waitUntil(lambda: wizard.name_page.isComplete(), timeout=WAIT)
        assert wizard.name_page.name_edit.text() == "CI reporter"
        enter_until(qtbot, wizard, PageId.DONE)
        assert [s["application"]["name"] for s in _sources(theirs, "acme/main")] == ["CI reporter"]
        assert len(context.integrations.list()) == 2
    finally:
        wizard.discard()
        context.close()


def test_an_application_name_nobody_typed_is_learned_from_the_server(
    qtbot, profile_dir, scripted_browser, theirs
):
    """The server names the application only in the first source it creates: from then on
    (here, a setup link for another flow) new sources are proposed under that name, and a
    link naming the application starts from its server, not from the one used last."""
    from flowdock_desktop.store.servers import KnownServers

    mine = register_application(theirs, "Nightly builds")
    context = AppContext(Profile.resolve(profile_dir))
    context.sandbox = start_server()
    try:
        wizard = start_wizard(context, qtbot)
        _choose_their_server(qtbot, wizard, theirs)
        # and no application name
        _type_application(qtbot, mine["client_id"], mine["secret"], mine["callback"])
        enter_until(qtbot, wizard, PageId.DONE)
        known = KnownServers(context.db).application(theirs.base_url, mine["client_id"])
        assert known is not None and known.name == "Nightly builds"
        wizard.accept()
    finally:
        context.close()

    # Since then the embedded sandbox was used; now a link names the application by its
    # client id and the flow by its id alone (no server in it).
    flow_id = theirs.state.find_flow_by_path("acme", "main")
    link = f"flowdock-desktop://setup?flow={flow_id}&client_id={mine['client_id']}"
    context = AppContext(Profile.resolve(profile_dir))
    context.sandbox = start_server()
    context.api_url = context.sandbox.base_url
    context.settings.set("embedded_sandbox_url", context.sandbox.base_url)
    try:
        wizard = start_wizard(context, qtbot, link=link)
        page = wizard.server_page
        qtbot.waitUntil(lambda: page.url_choice.isChecked(), timeout=WAIT)
        assert page.url_edit.text() == theirs.base_url  # the application's own server
        enter_until(qtbot, wizard, PageId.NAME)
        assert wizard.application_page.app_box.currentText().startswith("Nightly builds (")
        assert wizard.flow_page.selected_flow().path == "acme/main"
        qtbot.waitUntil(lambda: wizard.name_page.isComplete(), timeout=WAIT)
        assert wizard.name_page.name_edit.text() == "Nightly builds"
    finally:
        wizard.discard()
        context.close()


def test_a_wrong_client_secret_is_found_before_the_browser(
    qtbot, profile_dir, scripted_browser, theirs, screenshot
):
    mine = register_application(theirs, "CI reporter")
    context = AppContext(Profile.resolve(profile_dir))
    context.sandbox = start_server()
    try:
        wizard = start_wizard(context, qtbot)
        _choose_their_server(qtbot, wizard, theirs)
        page = wizard.application_page
        _type_application(qtbot, mine["client_id"], "not-the-secret", mine["callback"])
        press(qtbot, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: page.secret_message.is_error, timeout=WAIT)
        assert wizard.currentId() == PageId.APPLICATION
        assert "did not accept this client secret" in page.secret_message.text()
        assert scripted_browser.urls == []  # no browser was opened for it
        qtbot.waitUntil(lambda: QApplication.focusWidget() is page.secret_edit, timeout=WAIT)
        screenshot(wizard, "wizard-2-secret-refused")
        # Typing the right one clears the marks at once; Enter then goes on.
        type_text(qtbot, mine["secret"])
        assert not page.secret_message.is_error and page.banner.text == ""
        enter_until(qtbot, wizard, PageId.FLOW)
    finally:
        wizard.discard()
        context.close()


def test_no_keyring_first_run_then_restart_offers_reconnect(
    qtbot, profile_dir, scripted_browser, screenshot
):
    import keyring
    from keyring.backends import fail

    from flowdock_desktop.auth import credentials as credentials_module
    from flowdock_desktop.ui.composer import ComposerWindow

    def quit_app() -> None:
        # Without a keyring, secrets live in the process: quitting is what forgets them.
        credentials_module._fallback._items.clear()

    keyring.set_keyring(fail.Keyring())  # no usable keyring (the fixture restores its own)
    quit_app()
    context = AppContext(Profile.resolve(profile_dir))
    server = context.sandbox = start_server()
    try:
        wizard = start_wizard(context, qtbot)
        note = wizard.server_page.keyring_note
        qtbot.waitUntil(note.isVisible, timeout=WAIT)  # said on the first page, up front
        assert "kept only until Flowdock Desktop quits" in note.text()
        assert "How to install a keyring" in note.text()
        screenshot(wizard, "wizard-1-no-keyring")
        # One text for it, on every page that says it (the first page adds the link): the
        # first page's words differed from the sign-in and last pages'.
        said: dict[PageId, str] = {}

        def note_words(page_id: PageId) -> None:
            if page_id in said:
                return  # read when the page first showed
            page = wizard.page(page_id)
            if page_id == PageId.SERVER:
                said[page_id] = QTextDocumentFragment.fromHtml(note.text()).toPlainText()
            elif page_id == PageId.SIGN_IN:
                qtbot.waitUntil(lambda: "keyring" in page.banner.text, timeout=WAIT)
                said[page_id] = page.banner.text

        enter_until(qtbot, wizard, PageId.CONFIRM, on_page=note_words)
        assert "in memory until it quits" in wizard.confirm_page.summary_label.text()
        enter_until(qtbot, wizard, PageId.DONE)
        said[PageId.DONE] = wizard.done_page.banner.text
        assert said[PageId.SERVER] == f"{NO_KEYRING_WARNING} How to install a keyring"
        assert said[PageId.SIGN_IN] == said[PageId.DONE] == NO_KEYRING_WARNING
        integration = context.integrations.list()[0]
        wizard.accept()
    finally:
        context.sandbox = None  # the server lives on, as the embedded one's data file would
        context.close()
    quit_app()

    again = AppContext(Profile.resolve(profile_dir))
    again.sandbox = server
    router = WindowRouter(again)
    try:
        composer = router.show_start()
        assert isinstance(composer, ComposerWindow)
        qtbot.addWidget(composer)
        items = composer.integrations_panel.list
        qtbot.waitUntil(
            lambda: items.count() == 1 and "needs sign-in" in items.item(0).text(), timeout=WAIT
        )
        qtbot.waitUntil(composer.banner.button.isVisible, timeout=WAIT)
        assert "needs sign-in" in composer.banner.text
        assert composer.banner.button.text() == "&Reconnect"
        screenshot(composer, "composer-needs-sign-in")

        qtbot.mouseClick(composer.banner.button, Qt.MouseButton.LeftButton)  # one click
        wizard = router.windows[-1]
        assert isinstance(wizard, SetupWizard) and wizard.state.reconnect is not None
        qtbot.addWidget(wizard)
        qtbot.waitUntil(lambda: wizard.currentId() == PageId.DONE, timeout=3 * WAIT)
        # Only the steps needed: signed in again (the browser opened once), no flow or name.
        assert PageId.FLOW not in wizard.visitedIds()
        assert PageId.NAME not in wizard.visitedIds()
        assert len(scripted_browser.urls) == 2  # the first run's sign-in and this one
        assert "Reconnected “Flowdock Desktop”" in wizard.done_page.result_label.text()
        after = again.integrations.get(integration.id)  # the same integration, kept
        assert after.source_id != integration.source_id
        assert again.credentials.get_flow_token(integration.id)
        live = server.state.flow_sources(integration.flow_id, server.base_url)
        assert [(s["id"], s["name"]) for s in live] == [(after.source_id, "Flowdock Desktop")]
        wizard.accept()
        qtbot.waitUntil(lambda: "working" in items.item(0).text(), timeout=WAIT)
        qtbot.waitUntil(lambda: "needs sign-in" not in composer.banner.text, timeout=WAIT)
    finally:
        again.sandbox = None
        again.close()
        server.stop()
        quit_app()


def test_no_keyring_fresh_profile_sends_by_keys_in_dark_and_the_view_survives_a_restart(
    qtbot, qapp, profile_dir, scripted_browser
):
    """This round's changes walked as a person, at 1,024x700 in the dark theme, without a
    keyring: what they see while a message goes (the form under the notice moves once),
    the unchosen option they can still see, and the view they chose after a second start."""
    from flowdock_desktop.ui.theme import apply_theme
    from tests.gui.test_widgets import _contrast

    _without_keyring()
    apply_theme(qapp, "dark")
    context = AppContext(Profile.resolve(profile_dir))
    server = context.sandbox = start_server()
    try:
        router = WindowRouter(context)
        wizard = router.show_start()
        assert isinstance(wizard, SetupWizard)
        qtbot.addWidget(wizard)
        wizard.resize(1024, 700)
        wizard.activateWindow()
        qtbot.waitUntil(lambda: QApplication.focusWidget() is not None, timeout=WAIT)
        enter_until(qtbot, wizard, PageId.DONE)
        wizard.accept()

        composer = composer_on_a_small_screen(qtbot, router)

        # Ctrl+2: the full form; the unchosen "Discussion" option is plain to see in the dark.
        press(qtbot, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: composer.views.mode == "full", timeout=WAIT)
        discussion = next(
            b for b in composer.form.findChildren(QRadioButton) if "Discussion" in b.text()
        )
        option = QStyleOptionButton()
        option.initFrom(discussion)
        ring = discussion.style().subElementRect(
            QStyle.SubElement.SE_RadioButtonIndicator, option, discussion
        )
        image = discussion.grab().toImage()
        window_colour = composer.palette().color(QPalette.ColorRole.Window)
        outline = max(
            _contrast(image.pixelColor(x, y), window_colour)
            for x in range(ring.left(), ring.right() + 1)
            for y in range(ring.top(), ring.bottom() + 1)
        )
        assert outline >= 3.0

        # Typed into whatever has focus, sent with Ctrl+Enter: the banner appears and the
        # form under it moves once, not again when "Sending…" becomes "Sent to …".
        # The author's name is the signed-in person's, in the form as the message shows.
        assert composer.form.author_name.text() == seed.DEMO_USER_NAME
        press_mnemonic(qtbot, "i")
        type_over(qtbot, "Dark theme check")
        press_mnemonic(qtbot, "t")
        type_over(qtbot, "checked the dark theme")
        form_top = composer.stack.mapTo(composer, QPoint(0, 0)).y()
        moves: list[int] = []
        with qtbot.waitSignal(composer.message_sent, timeout=WAIT) as sent:
            press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
            assert composer.banner.text == "Sending…"
            qtbot.waitUntil(lambda: composer.stack.mapTo(composer, QPoint(0, 0)).y() > form_top)
            moves.append(composer.stack.mapTo(composer, QPoint(0, 0)).y())
        qtbot.waitUntil(lambda: composer.banner.text.startswith("Sent to "), timeout=WAIT)
        moves.append(composer.stack.mapTo(composer, QPoint(0, 0)).y())
        assert moves[0] == moves[1]  # "Sent to … as message …" needed no more room
        assert not composer.progress.isVisible()
        stored = messages_by_uuid(server, sent.args[0].uuid)[0]
        assert stored["title"] == "checked the dark theme"

        # Ctrl+1: the Announcement view, the last choice, is what the next start opens.
        press(qtbot, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(
            lambda: context.settings.get("composer_view") == "announcement", timeout=WAIT
        )
        composer.close()
    finally:
        _quit(context)

    again, composer = _composer_after_a_restart(qtbot, profile_dir, server)
    try:
        assert composer.views.mode == "announcement"
    finally:
        again.close()
        server.stop()
        apply_theme(qapp, "light")


def test_no_keyring_fresh_profile_sends_at_once_then_finds_a_refused_message_after_a_restart(
    qtbot, profile_dir, scripted_browser
):
    """The fifth round's changes walked as a person without a keyring, at 1,024x700: a
    message sent the moment the composer shows (the author's name is not typed: it comes from
    the sign-in), one the server refuses found in the Outbox tab by keys with its whole
    reason on screen, and after a second start still there, discarded with Alt+C. After the
    restart the author's name is still the person's, though the sign-in's tokens went with the
    keyring: the profile records who signed in."""
    from person import answer_question, read_first_outbox_message, tab_to
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from flowdock_desktop.testing import arm_fault

    _without_keyring()
    context = AppContext(Profile.resolve(profile_dir))
    server = context.sandbox = start_server()

    def outbox_rows(composer) -> list[str]:
        tree = composer.outbox_panel.tree
        return [tree.topLevelItem(i).text(1) for i in range(tree.topLevelItemCount())]

    def outbox_states(composer) -> list[str]:
        tree = composer.outbox_panel.tree
        return [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]

    def title_shown_whole(composer) -> bool:
        """The Title column ends inside the list as it shows on the screen."""
        tree = composer.outbox_panel.tree
        header = tree.header()
        return header.sectionViewportPosition(1) + header.sectionSize(1) <= (
            tree.viewport().width()
        )

    try:
        composer = _first_composer_by_enter(qtbot, context)

        # Typed and sent at once, without waiting to see the author's name appear.
        stored = send_by_keys(qtbot, composer, server, "Office news", "Lunch is at noon")
        assert [m["author"]["name"] for m in stored] == [seed.DEMO_USER_NAME]
        assert stored[0]["title"] == "Lunch is at noon"

        # The next one is refused; the Outbox tab says why, in full, within the screen.
        arm_fault(server, count=1, status=400, path_prefix="/messages")
        press_mnemonic(qtbot, "t")
        type_over(qtbot, "Lunch moved to one")
        press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: composer.banner.kind == "error", timeout=WAIT)
        panel = composer.outbox_panel
        press_mnemonic(qtbot, "o")
        # Said at once, as the banner does: no reading of the outbox is waited for.
        assert outbox_rows(composer) == ["Office news: Lunch moved to one"]
        assert outbox_states(composer) == ["refused"]
        assert title_shown_whole(composer)  # at 1,024x700, beside the state
        details = read_first_outbox_message(qtbot, panel)
        assert details.startswith("“Office news: Lunch moved to one” was not sent.")
        corner = panel.details.mapTo(composer, panel.details.rect().bottomRight())
        assert composer.rect().contains(corner)
        composer.close()
    finally:
        _quit(context)

    again, composer = _composer_after_a_restart(qtbot, profile_dir, server)
    try:
        assert composer.form.author_name.text() == seed.DEMO_USER_NAME
        panel = composer.outbox_panel
        press_mnemonic(qtbot, "o")
        # Nothing was lost over the restart: the refused message waits for the person.
        qtbot.waitUntil(
            lambda: outbox_rows(composer) == ["Office news: Lunch moved to one"], timeout=WAIT
        )
        tab_to(qtbot, panel.tree)
        press(qtbot, Qt.Key.Key_Down)
        qtbot.waitUntil(lambda: panel.current() is not None, timeout=WAIT)
        asked: list[str] = []
        QTimer.singleShot(
            0, lambda: answer_question(qtbot, asked, QMessageBox.StandardButton.Discard)
        )
        press_mnemonic(qtbot, "c")  # Dis&card…
        qtbot.waitUntil(lambda: outbox_rows(composer) == [], timeout=WAIT)
        assert asked and "Discard this message" in asked[0]
        # Only the refused one went: the sent one stays, as the history's entry.
        assert [i.payload["title"] for i in again.outbox.list()] == ["Lunch is at noon"]
        composer.close()
    finally:
        again.close()
        server.stop()


def test_no_keyring_a_message_queued_over_a_restart_waits_for_reconnect_then_goes_by_itself(
    qtbot, profile_dir, scripted_browser, screenshot
):
    """Without a keyring, a message that could not go before the app quit meets, after the
    restart, an integration without its flow token. It is not refused: the Outbox tab shows it
    waiting, its Problem saying to press Reconnect, and the footer counts it as waiting. The
    person reconnects by keys (Alt+R), and it is sent without Retry or Send now, though its
    backoff had minutes to run."""
    from person import duplicate_mnemonics, read_first_outbox_message, tab_to, texts_shown

    from flowdock_desktop.testing import arm_fault

    _without_keyring()
    context = AppContext(Profile.resolve(profile_dir))
    server = context.sandbox = start_server()
    # Once the server has failed, the message is not tried again before the app quits.
    context.outbox.base_delay = context.outbox.max_delay = 600.0
    try:
        composer = _first_composer_by_enter(qtbot, context)
        integration = composer.integration
        arm_fault(server, count=1, status=503, path_prefix="/messages")
        press_mnemonic(qtbot, "i")
        type_over(qtbot, "Release")
        press_mnemonic(qtbot, "t")
        type_over(qtbot, "Version 2 is out")
        press(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: composer.banner.text.startswith("Not sent yet"), timeout=WAIT)
        (queued,) = context.outbox.list(states=("queued",))
        composer.close()
    finally:
        _quit(context)

    again = AppContext(Profile.resolve(profile_dir))
    again.sandbox = server
    # The attempt after the restart backs off for minutes: only Reconnect can send it in time.
    again.outbox.base_delay = again.outbox.max_delay = 600.0
    states_seen: set[str] = set()
    try:
        router = WindowRouter(again)
        composer = composer_on_a_small_screen(qtbot, router)
        composer.outbox.items_changed.connect(
            lambda items: states_seen.update(i.state for i in items)
        )
        panel = composer.outbox_panel

        def row() -> list[str]:
            tree = panel.tree
            if tree.topLevelItemCount() != 1:
                return []
            return [tree.topLevelItem(0).text(c) for c in range(tree.columnCount())]

        # The Outbox tab, by keys; "Send now" tries the message now, as a person would.
        press_mnemonic(qtbot, "o")
        qtbot.waitUntil(lambda: row()[:2] == ["waiting", "Release: Version 2 is out"], timeout=WAIT)
        tab_to(qtbot, panel.send_now_button)
        press(qtbot, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: "press Reconnect" in (row() or [""])[-1], timeout=WAIT)
        # At a glance, time alone will not send it: no time its backoff gives (ten minutes
        # away) but Reconnect, which sends it at once; the state's tooltip says it in full.
        assert row()[0] == "waiting"
        assert panel.tree.topLevelItem(0).toolTip(0) == "waiting for Reconnect"
        assert row()[4] == "on Reconnect"
        assert "Set the integration up again" not in row()[-1]
        footer = composer.outbox_label.full_text()
        assert footer.startswith("1 waiting to be sent (1 for Reconnect)"), footer
        assert "next try" not in footer, footer
        assert "refused" not in footer
        kept = again.outbox.get(queued.id)
        assert kept.state == "queued" and kept.next_attempt_at > again.outbox.now() + 60
        qtbot.waitUntil(lambda: composer.banner.button.text() == "&Reconnect", timeout=WAIT)
        details = read_first_outbox_message(qtbot, panel)
        assert details.startswith("“Release: Version 2 is out” waits to be sent on Reconnect."), (
            details
        )
        assert "press Reconnect" in details and "next try" not in details
        screenshot(composer, "composer-outbox-waits-for-reconnect")
        # Alt+R is Reconnect's alone, with a message chosen in the Outbox tab too.
        assert duplicate_mnemonics(composer) == {}

        # Alt+R: Reconnect; the wizard signs in again (the browser approves) and is done.
        shown = texts_shown(composer.banner.label)
        press_mnemonic(qtbot, "r")
        qtbot.waitUntil(lambda: isinstance(router.windows[-1], SetupWizard), timeout=WAIT)
        wizard = router.windows[-1]
        qtbot.addWidget(wizard)
        assert wizard.state.reconnect is not None
        assert wizard.state.reconnect.id == integration.id
        qtbot.waitUntil(lambda: wizard.currentId() == PageId.DONE, timeout=3 * WAIT)

        # Sent by itself, once, with the uuid it was queued with.
        qtbot.waitUntil(lambda: len(messages_by_uuid(server, queued.uuid)) == 1, timeout=WAIT)
        qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 0, timeout=WAIT)
        qtbot.waitUntil(
            lambda: composer.outbox_label.full_text() == "Outbox empty: all sent.", timeout=WAIT
        )
        assert messages_by_uuid(server, queued.uuid)[0]["title"] == "Version 2 is out"
        assert again.outbox.get(queued.id).state == "sent"
        assert "failed" not in states_seen  # never refused on the way
        qtbot.waitUntil(lambda: composer.banner.text == "The waiting message was sent.")
        # A real Reconnect keeps its own words (the keyring's return has others).
        reconnected = (
            f"“{integration.source_name}” is reconnected: sending what waited in the outbox…"
        )
        assert reconnected in shown, shown
        press(qtbot, Qt.Key.Key_Return)  # "Open composer"
        qtbot.waitUntil(lambda: not wizard.isVisible(), timeout=WAIT)
        qtbot.waitUntil(lambda: "needs sign-in" not in composer.banner.text, timeout=WAIT)
        composer.close()
    finally:
        _quit(again)
        server.stop()


def test_no_keyring_reconnected_from_its_settings_what_waited_goes_when_the_composer_opens(
    qtbot, profile_dir, scripted_browser
):
    """Reconnect also starts from the integration's settings (a configuration link), with no
    composer open. What waited for the flow token is due as soon as the wizard is done, so
    "Open composer" sends it at the composer's first round, not minutes later when its
    backoff would end."""
    from flowdock_desktop.sending import SendService
    from flowdock_desktop.ui.integration_settings import IntegrationSettingsDialog

    _without_keyring()
    context = AppContext(Profile.resolve(profile_dir))
    server = context.sandbox = start_server()
    try:
        wizard = start_wizard(context, qtbot)
        enter_until(qtbot, wizard, PageId.DONE)
        wizard.accept()
        integration = context.integrations.list()[0]
    finally:
        _quit(context)

    again = AppContext(Profile.resolve(profile_dir))
    again.sandbox = server
    again.outbox.base_delay = again.outbox.max_delay = 600.0
    try:
        # After the restart a delivery (`outbox --flush`, say) met the missing flow token.
        item = again.outbox.enqueue(integration.id, {**MESSAGE_FOR_LATER})
        with SendService(again) as service:
            (outcome,) = service.flush()
        assert (outcome.result, outcome.needs_reconnect) == ("retry", True)
        assert again.outbox.get(item.id).next_attempt_at > again.outbox.now() + 60

        router = WindowRouter(again)
        dialog = router.show_configure(again.integrations.get(integration.id))
        assert isinstance(dialog, IntegrationSettingsDialog)
        qtbot.addWidget(dialog)
        dialog.activateWindow()
        qtbot.waitUntil(dialog.reconnect_button.isVisible, timeout=WAIT)
        assert "is sent then" in dialog.banner.text
        press_mnemonic(qtbot, "c")  # Re&connect
        qtbot.waitUntil(lambda: isinstance(router.windows[-1], SetupWizard), timeout=WAIT)
        wizard = router.windows[-1]
        qtbot.addWidget(wizard)
        qtbot.waitUntil(lambda: wizard.currentId() == PageId.DONE, timeout=3 * WAIT)
        assert again.outbox.get(item.id).next_attempt_at <= again.outbox.now()

        qtbot.waitUntil(lambda: focused().window() is wizard, timeout=WAIT)
        press(qtbot, Qt.Key.Key_Return)  # &Open composer
        # Recorded as sent (a moment after the server stored it), and stored once.
        qtbot.waitUntil(lambda: again.outbox.get(item.id).state == "sent", timeout=WAIT)
        assert len(messages_by_uuid(server, item.uuid)) == 1
        composer = router._composer()
        qtbot.addWidget(composer)
        qtbot.waitUntil(lambda: composer._draft_ready, timeout=WAIT)
        composer.close()
    finally:
        _quit(again)
        server.stop()
