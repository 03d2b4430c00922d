"""Models parse Flowdock's documented JSON, tolerate odd values and keep secrets out of repr."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from flowdock_desktop.api.messages import Status, ThreadField
from flowdock_desktop.api.models import Flow, Message, Source, Thread, User

FLOW_JSON = {
    "id": "deadbeefdeadbeef",
    "name": "My flow",
    "parameterized_name": "my-flow",
    "organization": {
        "id": 8,
        "name": "Acme",
        "parameterized_name": "acme",
        "user_limit": 0,
        "user_count": 5,
        "active": True,
        "url": "https://api.flowdock.com/organizations/acme",
    },
    "unread_mentions": 0,
    "open": True,
    "joined": True,
    "url": "https://api.flowdock.com/flows/acme/my-flow",
    "web_url": "https://www.flowdock.com/app/acme/my-flow",
    "join_url": "https://www.flowdock.com/invitations/abc-my-flow",
    "access_mode": "organization",
    "users": [{"id": 9, "nick": "Joe", "name": "Joe Smith", "email": "joe@example.com"}],
}


def test_flow_from_documented_json() -> None:
    flow = Flow.from_json(FLOW_JSON)
    assert flow.path == "acme/my-flow"
    assert flow.organization is not None and flow.organization.user_count == 5
    assert flow.open and flow.joined
    assert flow.users == (User(id=9, nick="Joe", name="Joe Smith", email="joe@example.com"),)
    assert flow.raw == {"unread_mentions": 0}


def test_flow_with_legacy_string_organization() -> None:
    flow = Flow.from_json({"parameterized_name": "main", "organization": "acme"})
    assert flow.path == "acme/main"


def test_source_keeps_flow_token_out_of_repr_and_raw() -> None:
    token = "1b609b5253702a0a7ca3607f02642130"
    source = Source.from_json(
        {
            "id": 3,
            "name": "Helsinki Lunch Poll",
            "created_at": "2014-10-14T11:06:28.131Z",
            "flow_token": token,
            "_links": {},
            "application": {"id": 1, "name": "AwesomeApp", "icon_url": "https://x/i.png"},
            "creator": {"id": 1, "nick": "User"},
        }
    )
    assert source.flow_token == token
    assert token not in repr(source)
    assert token not in str(source.raw)
    assert source.created_at == datetime(2014, 10, 14, 11, 6, 28, 131000, tzinfo=UTC)
    assert source.application is not None and source.application.name == "AwesomeApp"
    assert source.creator is not None and source.creator.nick == "User"


def test_thread_from_documented_json() -> None:
    thread = Thread.from_json(
        {
            "id": "x6BAmK_UPxKvtOSj1egQiVUma0s",
            "title": "Fix bug in thread API",
            "body": "",
            "external_url": "https://github.com/flowdock/component/pull/42",
            "status": {"color": "grey", "value": "closed"},
            "actions": [
                {"@type": "ViewAction", "url": "https://x/files", "name": "Diff", "image": "i"}
            ],
            "fields": [{"label": "assignee", "value": "<a href='mailto:a@b'>Antti</a>"}],
            "source": {"id": 104, "icon": "https://x/i.png", "application": "GitHub"},
            "activities": 3,
            "internal_comments": 3,
            "external_comments": 5,
            "updated_at": "2014-10-28T15:49:31.197Z",
            "created_at": "2014-10-28T15:33:17.000Z",
        }
    )
    assert thread.status == Status("closed", "grey")
    assert thread.fields == (ThreadField("assignee", "<a href='mailto:a@b'>Antti</a>"),)
    assert thread.actions[0].type == "ViewAction" and thread.actions[0].name == "Diff"
    assert thread.source is not None and thread.source.application == "GitHub"
    assert (thread.activities, thread.internal_comments, thread.external_comments) == (3, 3, 5)
    assert thread.updated_at is not None and thread.updated_at.year == 2014


def test_message_with_thread() -> None:
    message = Message.from_json(
        {
            "id": 12345,
            "event": "activity",
            "tags": ["todo", ":user:everyone"],
            "user": "0",
            "uuid": "u1",
            "sent": 1385546251160,
            "app": "influx",
            "author": {"name": "bot", "avatar": "https://x/a.png"},
            "title": "Opened",
            "thread_id": "t1",
            "thread": {"id": "t1", "title": "T", "activities": 1},
            "_application": 4,
        }
    )
    assert message.id == 12345 and message.user == "0"
    assert message.author is not None and message.author.name == "bot"
    assert message.thread is not None and message.thread.activities == 1
    assert message.raw == {"_application": 4}


def test_wrong_types_become_defaults_not_errors() -> None:
    thread = Thread.from_json({"id": 5, "status": "open", "fields": {"a": 1}, "activities": "x"})
    assert thread.id == "5"
    assert thread.status is None and thread.fields == () and thread.activities == 0
    assert Flow.from_json(None) == Flow()
    assert User.from_json({"id": True}).id is None


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)
_keys = st.sampled_from(
    ["id", "name", "status", "fields", "actions", "thread", "author", "organization", "users",
     "created_at", "tags", "application", "creator", "source", "open", "sent"]
)  # fmt: skip


@given(st.dictionaries(_keys, _json, max_size=8))
def test_parsing_never_fails_on_arbitrary_json(data: dict) -> None:
    for model in (Flow, Source, Thread, Message, User):
        model.from_json(data)


def test_numbers_written_as_text_are_read_only_when_they_are_plain_digits() -> None:
    from flowdock_desktop.lenient import whole_number

    assert whole_number(" 42 ") == 42 and whole_number("-7") == -7
    # Digits int() refuses, or that are not numbers a server means: no crash, no number.
    for text in ("¹", "٣", "--5", "-", "", "4 2", "1" * 5000):
        assert whole_number(text) is None, text
