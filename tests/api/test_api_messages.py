"""Message builders: payload shape, round trip through JSON, and agreement with the validator."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowdock_desktop.api import validation
from flowdock_desktop.api.messages import (
    Author,
    PayloadError,
    Status,
    ThreadField,
    ThreadMessage,
    ThreadState,
    ViewAction,
    suggest_external_thread_id,
)

DEPLOY = ThreadMessage(
    event="activity",
    author=Author("Deploy bot", avatar="https://example.com/bot.png"),
    title="Deployed build 42",
    thread=ThreadState(
        title="Web deploys",
        body="<p>All good</p>",
        external_url="https://ci.example.com/web",
        status=Status("deployed", "green"),
        fields=(ThreadField("Version", "1.2.3"),),
        actions=(ViewAction("Logs", "https://ci.example.com/logs", description="Build log"),),
    ),
    external_thread_id="deploy-web",
    tags=("deploy",),
    uuid="b5a3f0c2",
)


def test_payload_matches_flowdock_json() -> None:
    assert DEPLOY.to_payload() == {
        "event": "activity",
        "author": {"name": "Deploy bot", "avatar": "https://example.com/bot.png"},
        "title": "Deployed build 42",
        "external_thread_id": "deploy-web",
        "thread": {
            "title": "Web deploys",
            "body": "<p>All good</p>",
            "external_url": "https://ci.example.com/web",
            "status": {"value": "deployed", "color": "green"},
            "fields": [{"label": "Version", "value": "1.2.3"}],
            "actions": [
                {
                    "@type": "ViewAction",
                    "name": "Logs",
                    "url": "https://ci.example.com/logs",
                    "description": "Build log",
                }
            ],
        },
        "tags": ["deploy"],
        "uuid": "b5a3f0c2",
    }
    assert "flow_token" not in DEPLOY.to_payload()
    assert DEPLOY.validate() == {}


def test_empty_fields_are_sent_so_a_thread_can_lose_them() -> None:
    message = ThreadMessage("activity", Author("a"), "t", ThreadState("T"), thread_id="x")
    thread = message.to_payload()["thread"]
    assert thread["fields"] == []
    assert thread["actions"] == []


def test_discussion_without_body_is_reported_by_the_shared_validator() -> None:
    message = ThreadMessage("discussion", Author("Ann"), "commented", ThreadState("T"), "k")
    assert message.validate() == {"body": [validation.BLANK]}


def test_bad_colour_and_missing_thread_key() -> None:
    message = ThreadMessage(
        "activity", Author(""), "t", ThreadState("T", status=Status("open", "pink"))
    )
    errors = message.validate()
    assert set(errors) == {"author.name", "external_thread_id", "thread.status.color"}


def test_from_payload_accepts_csv_tags() -> None:
    payload = DEPLOY.to_payload() | {"tags": "deploy, web"}
    assert ThreadMessage.from_payload(payload).tags == ("deploy", "web")


@pytest.mark.parametrize(
    ("payload", "key"),
    [
        ([], "base"),
        ({**DEPLOY.to_payload(), "flow_token": "x"}, "base"),
        ({**DEPLOY.to_payload(), "event": "message"}, "event"),
        ({**DEPLOY.to_payload(), "title": 5}, "title"),
        ({**DEPLOY.to_payload(), "author": "bot"}, "author"),
        ({**DEPLOY.to_payload(), "tags": {"a": 1}}, "tags"),
        ({**DEPLOY.to_payload(), "thread": {"title": "T", "fields": "x"}}, "thread.fields"),
        (
            {**DEPLOY.to_payload(), "thread": {"title": "T", "fields": [{"label": "a"}, 3]}},
            "thread.fields.1",
        ),
        (
            {
                **DEPLOY.to_payload(),
                "thread": {"title": "T", "actions": [{"@type": "UpdateAction", "name": "Go"}]},
            },
            "thread.actions.0.@type",
        ),
    ],
)
def test_from_payload_names_the_field_with_a_wrong_shape(payload: object, key: str) -> None:
    with pytest.raises(PayloadError) as caught:
        ThreadMessage.from_payload(payload)
    assert key in caught.value.field_errors


def test_from_payload_leaves_rule_checks_to_validate() -> None:
    message = ThreadMessage.from_payload({"event": "activity"})
    assert message.title == ""
    assert {"title", "author.name", "thread.title"} <= set(message.validate())


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Fix login bug", "fix-login-bug"),
        ("  Déjà vu: über crème!  ", "deja-vu-uber-creme"),
        ("PR #42 / v1.2", "pr-42-v1-2"),
        ("🙂🙂", "thread"),
        ("", "thread"),
        ("a" * 100, "a" * 64),
    ],
)
def test_suggest_external_thread_id(title: str, slug: str) -> None:
    assert suggest_external_thread_id(title) == slug


# -- properties ---------------------------------------------------------------------------

_text = st.text(max_size=40)
_optional_text = st.none() | _text
_url = st.from_regex(r"https://[a-z]{1,12}\.example/[a-z0-9/]{0,20}", fullmatch=True)

any_messages = st.builds(
    ThreadMessage,
    event=st.sampled_from(validation.THREAD_EVENTS),
    author=st.builds(Author, name=_text, avatar=_optional_text, email=_optional_text),
    title=_text,
    thread=st.builds(
        ThreadState,
        title=_text,
        body=_optional_text,
        external_url=_optional_text,
        status=st.none() | st.builds(Status, _text, _text),
        fields=st.lists(st.builds(ThreadField, _text, _text), max_size=3).map(tuple),
        actions=st.lists(
            st.builds(ViewAction, _text, _text, _optional_text, _optional_text), max_size=3
        ).map(tuple),
    ),
    external_thread_id=_optional_text,
    thread_id=_optional_text,
    body=_optional_text,
    tags=st.lists(st.text(min_size=1, max_size=10).filter(lambda t: "," not in t), max_size=4).map(
        tuple
    ),
    uuid=_optional_text,
)


@settings(max_examples=150, deadline=None)
@given(any_messages)
def test_round_trip_through_json(message: ThreadMessage) -> None:
    """What the composer's JSON tab shows can always be read back into the same message."""
    text = json.dumps(message.to_payload())
    assert ThreadMessage.from_payload(json.loads(text)) == message


@settings(max_examples=150, deadline=None)
@given(any_messages)
def test_builder_and_validator_agree(message: ThreadMessage) -> None:
    assert message.validate() == validation.validate_message(message.to_payload())


_word = st.text(
    alphabet=st.characters(categories=["L", "N"], max_codepoint=0x2FF), min_size=1, max_size=30
)
valid_messages = st.builds(
    ThreadMessage,
    event=st.sampled_from(validation.THREAD_EVENTS),
    author=st.builds(Author, name=_word, avatar=st.none() | _url),
    title=_word,
    thread=st.builds(
        ThreadState,
        title=_word,
        body=st.none() | _word,
        external_url=st.none() | _url,
        status=st.none() | st.builds(Status, _word, st.sampled_from(validation.STATUS_COLORS)),
        fields=st.lists(st.builds(ThreadField, _word, _word), max_size=3).map(tuple),
        actions=st.lists(st.builds(ViewAction, _word, _url), max_size=3).map(tuple),
    ),
    external_thread_id=_word.map(suggest_external_thread_id),
    body=_word,
    tags=st.lists(_word, max_size=4).map(tuple),
    uuid=st.none() | st.uuids().map(str),
)


@settings(max_examples=150, deadline=None)
@given(valid_messages)
def test_well_formed_messages_pass_the_shared_rules(message: ThreadMessage) -> None:
    assert message.validate() == {}
