"""Links reach the setup or configure command in every documented form, and a bad one is one
plain-words line and exit status 2 before any window (or Qt) starts."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from flowdock_desktop import cli
from flowdock_desktop.cli import build_parser, route_link
from flowdock_desktop.problems import EXIT_NO_DISPLAY
from flowdock_desktop.ui import app as gui_app

SETUP = "flowdock-desktop://setup?flow=abc"
CONFIGURE = "flowdock-desktop://configure?integration_id=3&flow=abc"
HTTPS_CONFIGURE = "https://app.example.com/flowdock/configure?integration_id=3&flow=abc"


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        ([SETUP], ["setup", SETUP]),
        ([CONFIGURE], ["configure", CONFIGURE]),
        (
            ["--profile", "/p", "FLOWDOCK-DESKTOP://setup/?flow=x"],
            ["--profile", "/p", "setup", "FLOWDOCK-DESKTOP://setup/?flow=x"],
        ),
        (["--sandbox", SETUP], ["--sandbox", "setup", SETUP]),
        (["https://x.test/setup?flow=abc"], ["setup", "https://x.test/setup?flow=abc"]),
        ([HTTPS_CONFIGURE], ["configure", HTTPS_CONFIGURE]),
        # The README's forms: the command is already there, so nothing is inserted.
        (["setup", SETUP], ["setup", SETUP]),
        (["configure", CONFIGURE], ["configure", CONFIGURE]),
        (["--profile", "/p", "configure", CONFIGURE], ["--profile", "/p", "configure", CONFIGURE]),
        (["connect", "--setup-link", SETUP, "--name", "x"], None),
        (["flows"], ["flows"]),
        ([], []),
    ],
)
def test_links_are_routed(argv, expected):
    assert route_link(argv) == (argv if expected is None else expected)


@pytest.mark.parametrize(
    ("argv", "command", "value"),
    [
        ([SETUP], "setup", SETUP),
        (["setup", SETUP], "setup", SETUP),
        ([CONFIGURE], "configure", CONFIGURE),
        (["configure", CONFIGURE], "configure", CONFIGURE),
        ([HTTPS_CONFIGURE], "configure", HTTPS_CONFIGURE),
    ],
)
def test_every_form_parses_as_its_command(argv, command, value):
    args = build_parser().parse_args(route_link(argv))
    assert args.command == command
    assert value in (getattr(args, "setup_link", None), getattr(args, "configuration_link", None))


@pytest.fixture
def gui_starts(monkeypatch):
    """Records what would start the GUI, instead of starting it."""
    started: list[dict] = []

    def fake_run_gui(**kwargs):
        started.append(kwargs)
        return 0

    monkeypatch.setattr(gui_app, "run_gui", fake_run_gui)
    return started


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            status = cli.main(argv)
        except SystemExit as exc:  # argparse's own refusals
            status = int(exc.code or 0)
    return status, err.getvalue()


def test_valid_links_start_the_gui_with_the_link(gui_starts):
    assert _run([SETUP]) == (0, "")
    assert _run(["setup", SETUP]) == (0, "")
    assert gui_starts == [
        {"setup_link": SETUP, "sandbox": False},
        {"setup_link": SETUP, "sandbox": False},
    ]


def test_configure_link_for_an_unknown_integration_is_refused_before_the_gui(gui_starts):
    status, err = _run(["configure", CONFIGURE])
    assert status == 2
    assert "No integration for source 3" in err and len(err.splitlines()) == 1
    assert gui_starts == []


def test_configure_link_for_a_known_integration_opens_its_settings(
    gui_starts, add_sample_integration
):
    from flowdock_desktop.context import AppContext

    with AppContext() as context:
        add_sample_integration(context.integrations, source_id=3, flow_id="abc")
    assert _run([CONFIGURE]) == (0, "")
    assert gui_starts == [{"configuration_link": CONFIGURE}]


# Each bad link of the issue, in the form a person would use it.
BAD_LINKS = [
    (["http://[::1/?flow=x"], "square brackets"),
    (["setup", "http://[::1/?flow=x"], "square brackets"),
    (["setup", "https://example.com\uff0fsetup?flow=x"], "fullwidth"),
    (["setup", "https://e.com/s?" + "&".join(f"p{i}=1" for i in range(65)) + "&flow=x"], "64"),
    (["configure", ""], "empty"),
    (["configure", "https://e.com/configure"], "does not name an integration"),
    (["configure", "flowdock-desktop://configure?integration_id=\u0663"], "not a valid source"),
    (["flowdock-desktop://configure?integration_id=\u0663\u0664"], "not a valid source"),
    (["setup", ""], "empty"),
    (["setup", "flowdock-desktop://configure?integration_id=3"], "not a setup link"),
]


@pytest.mark.parametrize(("argv", "words"), BAD_LINKS)
def test_bad_links_are_one_line_and_exit_2(argv, words, gui_starts):
    status, err = _run(argv)
    assert status == 2
    assert len(err.splitlines()) == 1 and words in err
    assert err.startswith("flowdock-desktop: ")
    assert gui_starts == []


def _real_cli(argv: list[str], *, display: bool, profile) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    if display:
        env["QT_QPA_PLATFORM"] = "offscreen"
    env["FLOWDOCK_DESKTOP_HOME"] = str(profile)
    return subprocess.run(
        [sys.executable, "-m", "flowdock_desktop", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize("display", [False, True], ids=["no-display", "display"])
@pytest.mark.parametrize(
    ("argv", "words"), [BAD_LINKS[0], BAD_LINKS[2], BAD_LINKS[4], BAD_LINKS[5], BAD_LINKS[7]]
)
def test_the_real_program_refuses_bad_links_before_qt(argv, words, display, profile_dir):
    """Without a display Qt would abort the process (signal 6): the link is refused first."""
    result = _real_cli(argv, display=display, profile=profile_dir)
    assert result.returncode == 2, result.stderr
    assert words in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="X11/Wayland sessions")
@pytest.mark.parametrize(
    "argv",
    [[], ["setup", "https://example.com/setup?flow=abc"], ["flowdock-desktop://setup?flow=abc"]],
    ids=["bare", "setup-link", "desktop-link"],
)
def test_a_good_link_without_a_display_is_plain_words_not_an_abort(argv, profile_dir):
    """Qt aborts (signal 6) when it finds no screen; the person reads why and what to do."""
    result = _real_cli(argv, display=False, profile=profile_dir)
    assert result.returncode == EXIT_NO_DISPLAY, result.stderr
    assert "no display" in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


link_text = st.one_of(
    st.text(max_size=120),
    st.builds(
        lambda prefix, rest: prefix + rest,
        st.sampled_from(
            [
                "flowdock-desktop://setup?",
                "flowdock-desktop://configure?integration_id=",
                "https://app.example.com/setup?flow=",
                "https://app.example.com/configure?source_url=",
                "http://[",
                "https://",
            ]
        ),
        st.text(max_size=120),
    ),
)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=link_text, form=st.sampled_from(["bare", "setup", "configure", "connect"]))
def test_any_text_in_any_link_argument_is_a_window_or_one_plain_line(text, form, gui_starts):
    if text.startswith("-"):
        text = " " + text  # an option to argparse, not a link: argparse's own business
    if form == "bare" and not text.strip():
        text = "flowdock-desktop://" + text
    # A bare word that names a command (hypothesis found "outbox") runs that command.
    assume(not (form == "bare" and text in _command_names()))
    argv = {
        "bare": [text],
        "setup": ["setup", text],
        "configure": ["configure", text],
        "connect": ["connect", "--setup-link", text, "--name", "CI bot"],
    }[form]
    before = len(gui_starts)
    status, err = _run(argv)
    assert "Traceback" not in err
    if len(gui_starts) > before:
        assert status == 0 and err == ""
    elif form == "bare" and route_link(argv)[0] not in ("setup", "configure"):
        assert status == 2  # not a link at all: argparse names the unknown command
    else:
        # A refused link is a usage error (2); connect with a usable link finds nobody
        # signed in (1).
        assert status == (1 if form == "connect" and _usable_setup_link(text) else 2), err
        assert len(err.splitlines()) == 1, err
        assert err.startswith("flowdock-desktop: ")


def _command_names() -> set[str]:
    parser = build_parser()
    return {
        name
        for action in parser._subparsers._group_actions  # argparse keeps them only here
        for name in action.choices
    }


def _usable_setup_link(text: str) -> bool:
    from flowdock_desktop.setup_links import SetupLinkError, parse_setup_link

    try:
        parse_setup_link(text)
    except SetupLinkError:
        return False
    return True
