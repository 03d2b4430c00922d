"""problems.explain: every error family of the app in plain words, a next step and an exit."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from flowdock_desktop.api.errors import AuthenticationError, GoneError, NetworkError
from flowdock_desktop.auth.errors import KeyringUnavailable, SignInRequired
from flowdock_desktop.connect import ConnectCancelled, ConnectError
from flowdock_desktop.problems import (
    EXIT_DATA_RECOVERED,
    EXIT_FAILED,
    EXIT_INTERNAL,
    EXIT_PROFILE_NOT_WRITABLE,
    EXIT_USAGE,
    NextStep,
    explain,
    explain_briefly,
)
from flowdock_desktop.setup_links import SetupLinkError
from flowdock_desktop.store.errors import ProfileNotWritable, SchemaTooNewError
from flowdock_desktop.store.health import DamageReport, StoreDamaged


@pytest.mark.parametrize(
    ("error", "words", "step", "status"),
    [
        (NetworkError("Could not connect."), "Could not connect.", NextStep.TRY_AGAIN, 1),
        (AuthenticationError("Sign in again."), "Sign in again.", NextStep.SIGN_IN, 1),
        (GoneError("Removed in Flowdock."), "Removed", NextStep.SET_UP_AGAIN, 1),
        (SignInRequired(), "Your sign-in has expired", NextStep.SIGN_IN, 1),
        (KeyringUnavailable("Your keyring is locked."), "locked", NextStep.TRY_AGAIN, 1),
        (ConnectError("'x' is not a flow."), "is not a flow", NextStep.FIX_INPUT, 1),
        (ConnectCancelled(), "Cancelled. Nothing was created.", NextStep.NONE, 1),
        (SetupLinkError("That link has no flow."), "no flow", NextStep.FIX_INPUT, EXIT_USAGE),
        (
            ProfileNotWritable(Path("/p"), "the disk is full"),
            "cannot save to its profile folder /p: the disk is full. Free some disk space",
            NextStep.FIX_PROFILE,
            EXIT_PROFILE_NOT_WRITABLE,
        ),
        (
            StoreDamaged(DamageReport(Path("/p/data.sqlite3"), "missing", None)),
            "is missing, although this profile had data",
            NextStep.TRY_AGAIN,
            EXIT_DATA_RECOVERED,
        ),
        (SchemaTooNewError("Please update the app."), "update", NextStep.UPDATE_APP, 1),
        (
            OSError(errno.ENOSPC, "No space left on device", "/p/x"),
            "The disk is full (/p/x)",
            NextStep.FIX_PROFILE,
            EXIT_PROFILE_NOT_WRITABLE,
        ),
    ],
)
def test_known_errors(error, words, step, status):
    problem = explain(error)
    assert words in problem.text
    assert problem.next_step is step
    assert problem.exit_status == status
    assert not problem.unexpected


def test_anything_else_is_unexpected_and_names_only_its_type():
    problem = explain(ZeroDivisionError("flow_token=abc123def456 secret detail"))
    assert problem.unexpected and problem.exit_status == EXIT_INTERNAL
    assert "(ZeroDivisionError)" in problem.text
    assert "abc123" not in problem.text and "secret" not in problem.text
    assert problem.next_step is NextStep.REPORT
    assert EXIT_FAILED == 1


def test_a_status_line_gets_the_same_words_or_a_bug_named_only_as_one(caplog):
    offline = NetworkError("could not reach the server")
    assert explain_briefly(offline) == explain(offline).text

    with caplog.at_level("ERROR"):
        words = explain_briefly(ZeroDivisionError("flow_token=abc123def456"))
    assert words == "An unexpected error happened (its details are in the log)."
    logged = [r for r in caplog.records if r.name == "flowdock_desktop.problems"]
    assert [r.levelname for r in logged] == ["ERROR"]
