"""The shared message rules: what a valid activity looks like and how each mistake is named."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowdock_desktop.api import validation as v

GOOD_ACTIVITY = {
    "event": "activity",
    "title": "Deployed <a href='https://ci.example.com/1'>build 1</a>",
    "author": {"name": "Deploy bot", "avatar": "https://example.com/a.png"},
    "external_thread_id": "deploy:web",
    "thread": {
        "title": "Web deploys",
        "body": "<p>All good</p>",
        "external_url": "https://ci.example.com/web",
        "status": {"value": "deployed", "color": "green"},
        "fields": [{"label": "Version", "value": "1.2.3"}],
        "actions": [{"@type": "ViewAction", "name": "Logs", "url": "https://ci.example.com/l"}],
    },
    "tags": ["deploy", "web"],
}


def test_good_activity_has_no_errors():
    assert v.validate_message(GOOD_ACTIVITY) == {}


def test_discussion_needs_a_body():
    message = dict(GOOD_ACTIVITY, event="discussion")
    assert v.validate_message(message) == {"body": [v.BLANK]}
    message["body"] = "Looks fine to me"
    assert v.validate_message(message) == {}


@pytest.mark.parametrize(
    ("path", "value", "field", "phrase"),
    [
        (("title",), "", "title", v.BLANK),
        (("title",), "x" * 256, "title", v.too_long(v.TITLE_MAX_LENGTH)),
        (("author", "name"), "  ", "author.name", v.BLANK),
        (("author", "avatar"), "ftp://x", "author.avatar", v.BAD_URL),
        (("thread", "title"), None, "thread.title", v.BLANK),
        (("thread", "status", "color"), "pink", "thread.status.color", None),
        (("thread", "status", "value"), "", "thread.status.value", v.BLANK),
        (("thread", "external_url"), "not a url", "thread.external_url", v.BAD_URL),
        (("thread", "fields", 0, "label"), "", "thread.fields.0.label", v.BLANK),
        (("thread", "actions", 0, "url"), "javascript:alert(1)", "thread.actions.0.url", v.BAD_URL),
        (("event",), "party", "event", None),
        (("tags",), 42, "tags", None),
    ],
)
def test_each_mistake_is_named_by_field(path, value, field, phrase):
    message = copy.deepcopy(GOOD_ACTIVITY)
    target = message
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    errors = v.validate_message(message)
    assert field in errors, errors
    if phrase:
        assert phrase in errors[field]


def test_thread_message_needs_some_thread_key():
    message = copy.deepcopy(GOOD_ACTIVITY)
    del message["external_thread_id"]
    assert "external_thread_id" in v.validate_message(message)
    assert v.validate_message(message, thread_in_path=True) == {}
    message["thread_id"] = "abc"
    assert v.validate_message(message) == {}


def test_chat_message_content_limit():
    assert v.validate_message({"event": "message", "content": "hi"}) == {}
    long = {"event": "message", "content": "x" * (v.CONTENT_MAX_LENGTH + 1)}
    assert v.validate_message(long) == {"content": [v.too_long(v.CONTENT_MAX_LENGTH)]}


def test_comment_needs_parent_unless_in_path():
    assert "message" in v.validate_message({"event": "comment", "content": "hi"})
    assert v.validate_message({"event": "comment", "content": "hi"}, parent_in_path=True) == {}
    assert v.validate_message({"event": "comment", "content": "hi", "message": 12}) == {}


def test_tags_accept_csv():
    assert v.split_tags("#a, b,,@c") == ["#a", "b", "@c"]
    assert v.validate_message({"event": "message", "content": "x", "tags": "a,b"}) == {}


def test_source_name_rules():
    assert v.validate_source_name("CI") == []
    assert v.validate_source_name("   ") == [v.BLANK]
    assert v.validate_source_name("x" * 101) == [v.too_long(v.SOURCE_NAME_MAX_LENGTH)]
    assert v.validate_source_name(None) == [v.BLANK]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=30,
)


@given(json_values)
def test_any_json_gives_a_mapping_of_phrases(data):
    errors = v.validate_message(data)
    assert isinstance(errors, dict)
    for field, phrases in errors.items():
        assert isinstance(field, str) and phrases
        assert all(isinstance(p, str) and p for p in phrases)


@given(st.dictionaries(st.sampled_from([*GOOD_ACTIVITY, "uuid"]), json_values))
def test_mutated_activity_never_crashes(overrides):
    message = dict(copy.deepcopy(GOOD_ACTIVITY), **overrides)
    assert isinstance(v.validate_message(message), dict)
