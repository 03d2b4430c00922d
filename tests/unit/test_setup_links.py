"""Setup and configuration links in every form Flowdock (and the desktop scheme) used."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowdock_desktop.setup_links import (
    ConfigurationLink,
    SetupLink,
    SetupLinkError,
    link_kind,
    parse_configuration_link,
    parse_link,
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
        ("https://app.example.com/setup?flow=has%20space", "not a valid flow id"),
        ("https://app.example.com/setup?flow=has space", "spaces"),
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


def test_a_setup_link_may_name_its_application():
    link = parse_setup_link(
        "flowdock-desktop://setup?flow=abc&client_id=my-app&flow_url=https://api.x.test/flows/o/f"
    )
    assert (link.client_id, link.api_url, link.flow_path) == ("my-app", "https://api.x.test", "o/f")
    with pytest.raises(SetupLinkError, match="client ID"):
        parse_setup_link("flowdock-desktop://setup?flow=abc&client_id=" + "x" * 300)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("flowdock-desktop://setup?flow=a", "setup"),
        ("FLOWDOCK-DESKTOP:configure?integration_id=3", "configure"),
        ("https://a.test/c?source=3", "configure"),
        ("https://a.test/c?flow=x&source_url=https://a.test/flows/o/f/sources/3", "configure"),
        ("https://a.test/s?flow=x", "setup"),
        ("deadbeef", "setup"),
    ],
)
def test_link_kind(text, kind):
    assert link_kind(text) == kind
    parsed = parse_link(text)
    assert isinstance(parsed, ConfigurationLink if kind == "configure" else SetupLink)


@pytest.mark.parametrize("digits", ["\u0663", "\uff13", "\u0967", "3\u0663"])
def test_source_ids_are_ascii_digits_only(digits):
    # int() reads Arabic-Indic, fullwidth and Devanagari digits; a source id never has them.
    with pytest.raises(SetupLinkError, match="not a valid source id"):
        parse_configuration_link(f"flowdock-desktop://configure?integration_id={digits}")


@pytest.mark.parametrize(
    "text",
    [
        "http://[::1/?flow=x",
        "https://example.com\uff0fsetup?flow=x",
        "https://e.com:99999/?flow=x",
        "https://e.com/s?" + "&".join(f"p{i}=1" for i in range(65)),
        "https://e.com/s?flow=x\u200b",
        "https://e.com/s?flow=\udcff",
        "https://e.com/s?flow=x&flow_url=http://[::1/flows/a/b",
    ],
)
def test_malformed_links_are_refused_in_plain_words(text):
    for parse in (parse_setup_link, parse_configuration_link):
        with pytest.raises(SetupLinkError) as caught:
            parse(text)
        assert "Traceback" not in str(caught.value) and str(caught.value).endswith(".")
