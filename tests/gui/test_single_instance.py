"""A second start of the app hands its link to the running one instead of opening twice."""

from __future__ import annotations

import pytest

from flowdock_desktop.ui.single_instance import SingleInstance

pytestmark = pytest.mark.gui


def test_second_start_hands_its_link_to_the_first(qtbot, tmp_path):
    running = SingleInstance(str(tmp_path / "profile"))
    assert running.listen()
    try:
        second = SingleInstance(str(tmp_path / "profile"))
        with qtbot.waitSignal(running.message_received, timeout=5000) as got:
            assert second.send_to_running("flowdock-desktop://setup?flow=abc")
        assert got.args == ["flowdock-desktop://setup?flow=abc"]
        # Another profile is another app: nobody listens there.
        assert not SingleInstance(str(tmp_path / "other")).send_to_running("x", timeout_ms=200)
    finally:
        running.close()


def test_a_left_over_channel_from_a_crashed_copy_is_taken_over(qtbot, tmp_path):
    crashed = SingleInstance(str(tmp_path / "profile"))
    assert crashed.listen()
    crashed.close()  # gone, as after a crash (on Unix the socket file may remain)
    fresh = SingleInstance(str(tmp_path / "profile"))
    assert not fresh.send_to_running("", timeout_ms=200)
    assert fresh.listen()
    fresh.close()


def test_router_opens_a_handed_over_link(qtbot, profile_dir, sandbox):
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.store.profile import Profile
    from flowdock_desktop.ui.app import WindowRouter
    from flowdock_desktop.ui.wizard import SetupWizard

    with AppContext(Profile.resolve(profile_dir)) as context:
        router = WindowRouter(context)
        router.handle_message("flowdock-desktop://setup?flow=abcdef0123456789")
        wizard = router.windows[-1]
        qtbot.addWidget(wizard)
        assert isinstance(wizard, SetupWizard)
        assert "abcdef0123456789" in wizard.application_page.link_edit.text()
        router.handle_message("")  # "come forward": no new window
        assert router.windows == [wizard]


def test_a_link_arriving_in_pieces_is_put_together(qtbot, tmp_path):
    from PySide6.QtNetwork import QLocalSocket

    running = SingleInstance(str(tmp_path / "profile"))
    assert running.listen()
    client = QLocalSocket()
    try:
        client.connectToServer(running.name)
        assert client.waitForConnected(2000)
        with qtbot.waitSignal(running.message_received, timeout=5000) as got:
            client.write(b"flowdock-desktop://setup")
            client.flush()
            qtbot.wait(50)
            client.write(b"?flow=abc\n")
            client.flush()
        assert got.args == ["flowdock-desktop://setup?flow=abc"]
    finally:
        client.abort()
        running.close()
