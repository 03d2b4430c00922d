"""FormState, the composer's Qt-free form model: its rules, its JSON, drafts and templates."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowdock_desktop.api.messages import PayloadError
from flowdock_desktop.api.models import Thread
from flowdock_desktop.api.validation import STATUS_COLORS
from flowdock_desktop.compose import DEFAULT_TITLES, HTML, MARKDOWN, FormState
from flowdock_desktop.store.templates import BUILTIN_TEMPLATES


def written(**values) -> FormState:
    state = FormState(author_name="Ada", **values)
    return state


def test_a_fresh_form_needs_only_a_thread_title_to_be_sendable():
    state = written()
    assert state.title == DEFAULT_TITLES["activity"]
    assert set(state.errors()) == {"thread.title", "external_thread_id"}
    state.set_thread_title("Office closed Friday")
    assert state.external_thread_id == "office-closed-friday"
    assert state.errors() == {}


def test_the_thread_id_follows_the_title_until_the_person_sets_it():
    state = written()
    state.set_thread_title("Web deploys")
    assert (state.external_thread_id, state.auto_thread_id) == ("web-deploys", True)
    state.set_external_thread_id("deploy:web")
    state.set_thread_title("Web deploys, again")
    assert (state.external_thread_id, state.auto_thread_id) == ("deploy:web", False)
    # Clearing the id hands it back to the title, which fills it on its next change.
    state.set_external_thread_id("")
    assert state.auto_thread_id
    state.set_thread_title("Web")
    assert state.external_thread_id == "web"


def test_the_title_follows_the_event_only_while_it_is_a_default():
    state = written()
    state.set_event("discussion")
    assert state.title == "commented"
    state.title = "replied on the ticket"
    state.set_event("activity")
    assert state.title == "replied on the ticket"
    state.set_event("nonsense")
    assert state.event == "activity"


def test_the_payload_renders_markdown_and_sanitises():
    state = written(thread_title="T", message="We *move*.", body="<script>x()</script>**b**")
    state.set_thread_title("T")
    payload = state.to_payload()
    assert payload["body"] == "<p>We <em>move</em>.</p>"
    assert "<script" not in payload["thread"]["body"]
    assert "<strong>b</strong>" in payload["thread"]["body"]
    assert payload["external_thread_id"] == "t"
    assert payload["thread"]["fields"] == [] and payload["thread"]["actions"] == []
    assert "status" not in payload["thread"]


def test_blank_required_fields_are_named_by_the_validator():
    state = FormState(title="", event="discussion")
    state.status_value = "open"
    errors = state.errors()
    for key in ("author.name", "title", "body", "thread.title", "thread.status.color"):
        assert key in errors, key


def test_json_edits_keep_markdown_that_renders_the_same_and_the_auto_id():
    before = written(message="Hello **you**")
    before.set_thread_title("Greetings")
    payload = before.to_payload()
    payload["title"] = "said hello"
    after = FormState.from_payload(payload, previous=before)
    assert (after.message, after.message_format) == ("Hello **you**", MARKDOWN)
    assert after.title == "said hello"
    assert after.auto_thread_id  # the id did not change, so it still follows the title

    payload["body"] = "<p>Raw <b>HTML</b></p>"
    payload["external_thread_id"] = "mine"
    after = FormState.from_payload(payload, previous=before)
    assert (after.message, after.message_format) == ("<p>Raw <b>HTML</b></p>", HTML)
    assert not after.auto_thread_id


def test_a_bad_json_shape_is_refused():
    with pytest.raises(PayloadError):
        FormState.from_payload({"event": "activity", "colour": 1})


def test_from_thread_starts_a_new_activity_in_it():
    thread = Thread.from_json(
        {
            "title": "Deploys",
            "body": "<p>notes</p>",
            "status": {"value": "deploying", "color": "yellow"},
            "fields": [{"label": "Service", "value": "api"}],
            "actions": [{"@type": "ViewAction", "name": "Diff", "url": "https://e.com/d"}],
        }
    )
    state = FormState.from_thread("deploys", thread, previous=written(title="old"))
    assert state.author_name == "Ada" and state.title == ""
    assert (state.thread_title, state.external_thread_id, state.auto_thread_id) == (
        "Deploys",
        "deploys",
        False,
    )
    assert (state.body, state.body_format) == ("<p>notes</p>", HTML)
    assert state.status == {"value": "deploying", "color": "yellow"}
    assert state.fields == [("Service", "api")] and state.actions == [("Diff", "https://e.com/d")]


def test_drafts_round_trip_and_damaged_drafts_do_not_break_the_form():
    state = written(message="m", tags=["a", "b"], fields=[("L", "V")], actions=[("N", "u")])
    state.set_thread_title("Thread")
    state.status_value, state.status_color = "ok", "green"
    assert FormState.from_dict(state.to_dict()) == state
    damaged = FormState.from_dict(
        {"event": 3, "tags": "x, y", "fields": "no", "status": [], "auto_thread_id": "yes"},
        previous=written(),
    )
    assert damaged.event == "activity" and damaged.tags == ["x", "y"]
    assert damaged.fields == [] and damaged.status is None and damaged.author_name == "Ada"
    assert FormState.from_dict(None) == FormState()


def test_templates_keep_no_author_and_derive_an_id_when_they_give_none():
    state = written(author_avatar="https://e.com/a.png")
    state.set_thread_title("Note")
    fields = state.template_fields()
    assert "author_name" not in fields and "author_avatar" not in fields
    announcement = next(t for t in BUILTIN_TEMPLATES if t.name == "Announcement")
    applied = FormState.from_dict(
        announcement.render({"title": "Office closed Friday", "message": "We *move*."}),
        previous=written(),
    )
    assert applied.author_name == "Ada"
    assert applied.thread_title == "Office closed Friday"
    assert applied.external_thread_id == "office-closed-friday"
    assert applied.message == "We *move*." and applied.body == ""
    assert applied.errors() == {}


texts = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)


@given(
    event=st.sampled_from(["activity", "discussion"]),
    title=texts,
    thread_title=texts,
    message=texts,
    colour=st.sampled_from(["", *STATUS_COLORS]),
    status=texts,
    fields=st.lists(st.tuples(texts, texts), max_size=3),
    tags=st.lists(texts, max_size=3),
)
def test_payload_to_form_and_back_is_stable(
    event, title, thread_title, message, colour, status, fields, tags
):
    state = FormState(author_name="Ada", title=title, message=message, fields=fields)
    state.set_event(event)
    state.set_thread_title(thread_title)
    state.status_value, state.status_color = status, colour
    state.tags = [t.strip() for t in tags if t.strip() and "," not in t]
    payload = state.to_payload()
    again = FormState.from_payload(payload, previous=state)
    assert again.to_payload() == payload


def test_the_send_command_builds_its_message_with_the_same_form_model(tmp_path):
    from flowdock_desktop.cli import build_parser
    from flowdock_desktop.send_commands import build_payload

    notes = tmp_path / "notes.md"
    notes.write_text("**shipped**", encoding="utf-8")
    args = build_parser().parse_args(
        ["send", "--integration", "x", "--thread-title", "Web deploys", "--status",
         "deployed:green", "--field", "Version=1.4", "--message-markdown", str(notes)]
    )  # fmt: skip
    payload = build_payload(args, "Ada")
    state = FormState(author_name="Ada", message="**shipped**", fields=[("Version", "1.4")])
    state.set_thread_title("Web deploys")
    state.status_value, state.status_color = "deployed", "green"
    assert payload == state.raw_payload()
    assert payload["title"] == "posted an update"  # the event's default, as in the composer
    assert payload["external_thread_id"] == "web-deploys"
    assert payload["body"] == "<p><strong>shipped</strong></p>"


def test_the_form_model_and_presenters_load_without_qt():
    import subprocess
    import sys

    code = (
        "import sys, flowdock_desktop.compose, flowdock_desktop.compose.presenters, "
        "flowdock_desktop.compose.replacement, flowdock_desktop.send_commands; "
        "print(sorted(m for m in sys.modules if m.startswith('PySide6')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
