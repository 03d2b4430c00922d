"""A payload's strings must be valid text: a lone surrogate anywhere is named where it is, and
the quick whole-payload check agrees with the field-by-field one on any JSON-like value."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from flowdock_desktop.compose.payload import _all_text, _not_text, payload_errors

GOOD = {
    "event": "activity",
    "title": "Deployed build 1.4 ✓",
    "author": {"name": "CI"},
    "external_thread_id": "deploy:web",
    "thread": {"title": "Web", "status": {"value": "ok", "color": "green"}},
}


def test_a_valid_payload_has_no_errors():
    assert payload_errors(GOOD) == {}


def test_a_lone_surrogate_deep_in_the_payload_is_named_where_it_is():
    payload = {**GOOD, "thread": {"title": "Web", "status": {"value": "o\udc80k", "color": "red"}}}
    errors = payload_errors(payload)
    assert list(errors) == ["thread.status.value"]
    assert "U+DC80" in errors["thread.status.value"][0]
    assert "lone surrogate" in errors["thread.status.value"][0]


def test_a_field_name_that_is_not_text_is_named():
    errors = payload_errors({**GOOD, "\ud800x": "y"})
    assert errors == {"\\ud800x": ["is a field name that is not valid text"]}


def test_a_value_json_cannot_encode_still_gets_the_shape_errors():
    # A set is not JSON: the quick check steps aside and the builders name the problem.
    errors = payload_errors({**GOOD, "tags": {"a"}})
    assert "tags" in errors


#: Values as a JSON body or a form can produce, with lone surrogates among the text.
_text = st.text(alphabet=st.characters(blacklist_categories=()), max_size=6)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=12,
)


@given(_json)
def test_the_quick_check_agrees_with_the_walk(value):
    assert _all_text(value) == (not _not_text(value))
