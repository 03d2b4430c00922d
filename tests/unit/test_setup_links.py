"""Setup and configuration links in every form Flowdock (and the desktop scheme) used."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowdock_desktop.setup_links import (
    SetupLinkError,
    parse_configuration_link,
    parse_setup_link,
)


def test_appended_flow_parameter():
    link = parse_setup_link("https://app.example.com/flowdock/setup?flow=deadbeef01")
    assert link.flow_id == "deadbeef01"
    assert link.flow_path is None


def test_filled_template_with_flow_url():
    link = parse_setup_link(
        "https://app.example.com/flowdock/setup?flow=abc123&flow_url="
        "http%3A%2F%2F127.0.0.1%3A5555%2Fflows%2Facme%2Fmain"
    )
    assert link.flow_id == "abc123"
    assert link.api_url == "http://127.0.0.1:5555"
    assert link.flow_path == "acme/main"


def test_v1_prefix_is_not_part_of_the_server():
    link = parse_setup_link("https://x.test/s?flow_url=https://api.example.com/v1/flows/a/b")
    assert (link.api_url, link.flow_path, link.flow_id) == ("https://api.example.com", "a/b", None)


def test_desktop_scheme_and_bare_id():
    assert parse_setup_link("flowdock-desktop://setup?flow=f00d").flow_id == "f00d"
    assert parse_setup_link("  acme:main ").flow_id == "acme:main"


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("https://app.example.com/setup?flow={flow_id}", "placeholder {flow_id}"),
        ("https://app.example.com/setup", "does not name a flow"),
        ("https://app.example.com/setup?flow=has space", "not a valid flow id"),
        ("ftp://example.com/?flow=x", "starts with"),
        ("flowdock-desktop://configure?integration_id=3", "not a setup link"),
        ("https://x.test/?flow_url=https://example.com/nothing", "not a Flowdock flow address"),
    ],
)
def test_unusable_setup_links_say_why(text, words):
    with pytest.raises(SetupLinkError) as caught:
        parse_setup_link(text)
    assert words in str(caught.value)


def test_configuration_link_forms():
    link = parse_configuration_link("flowdock-desktop://configure?integration_id=7&flow=deadbeef")
    assert (link.source_id, link.flow_id) == (7, "deadbeef")
    link = parse_configuration_link(
        "https://app.example.com/flowdock/configure?source=3&source_url="
        "http%3A%2F%2F127.0.0.1%3A9%2Fflows%2Facme%2Fmain%2Fsources%2F3"
    )
    assert (link.source_id, link.api_url, link.org_slug) == (3, "http://127.0.0.1:9", "acme")
    only_url = parse_configuration_link(
        "https://a.test/c?source_url=https://api.example.com/flows/o/f/sources/12"
    )
    assert only_url.source_id == 12


@pytest.mark.parametrize(
    "text",
    [
        "https://a.test/configure?flow=x",
        "https://a.test/configure?integration_id=abc",
        "https://a.test/configure?integration_id=-3",
        "https://a.test/configure?integration_id={source_id}",
    ],
)
def test_unusable_configuration_links(text):
    with pytest.raises(SetupLinkError):
        parse_configuration_link(text)


@given(st.text(max_size=300))
def test_any_text_parses_or_says_why(text):
    for parse in (parse_setup_link, parse_configuration_link):
        try:
            parse(text)
        except SetupLinkError as exc:
            assert str(exc)
