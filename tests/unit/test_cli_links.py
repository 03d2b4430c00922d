"""Links the desktop hands to the app (its URL scheme) reach the setup or configure command."""

from __future__ import annotations

import pytest

from flowdock_desktop.cli import build_parser, route_link


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["flowdock-desktop://setup?flow=abc"], ["setup", "flowdock-desktop://setup?flow=abc"]),
        (
            ["flowdock-desktop://configure?integration_id=3&flow=abc"],
            ["configure", "flowdock-desktop://configure?integration_id=3&flow=abc"],
        ),
        (
            ["--profile", "/p", "FLOWDOCK-DESKTOP://setup/?flow=x"],
            ["--profile", "/p", "setup", "FLOWDOCK-DESKTOP://setup/?flow=x"],
        ),
        (["flows"], ["flows"]),
        ([], []),
    ],
)
def test_links_are_routed(argv, expected):
    assert route_link(argv) == expected


def test_routed_link_parses_as_the_setup_command():
    args = build_parser().parse_args(route_link(["flowdock-desktop://setup?flow=abc"]))
    assert args.command == "setup"
