"""Tests for built-in and user templates, placeholders and rendering."""

from __future__ import annotations

import pytest

from flowdock_desktop.api.validation import STATUS_COLORS, THREAD_EVENTS
from flowdock_desktop.store.templates import (
    BUILTIN_TEMPLATES,
    BuiltinTemplateError,
    TemplateNameTakenError,
    TemplateStore,
    builtin_name,
    placeholders,
    render,
    user_name_key,
)

EXPECTED = {
    "Announcement",
    "Deploy started",
    "Deploy finished",
    "Incident opened",
    "Incident resolved",
    "Build passed",
    "Build failed",
}


def test_builtins_cover_the_brief_and_use_valid_values():
    assert {t.name for t in BUILTIN_TEMPLATES} == EXPECTED
    for template in BUILTIN_TEMPLATES:
        f = template.fields
        assert template.builtin
        assert f["event"] in THREAD_EVENTS
        assert f["status"]["color"] in STATUS_COLORS
        assert f["title"] and f["thread_title"] and (f.get("body") or f.get("message"))
        assert all(set(field) == {"label", "value"} for field in f["fields"])
        assert isinstance(f["tags"], list)
        assert template.placeholders == placeholders(f)


def test_paired_templates_share_a_thread():
    by_name = {t.name: t.fields for t in BUILTIN_TEMPLATES}
    for start, end in [
        ("Deploy started", "Deploy finished"),
        ("Incident opened", "Incident resolved"),
        ("Build passed", "Build failed"),
    ]:
        assert by_name[start]["external_thread_id"] == by_name[end]["external_thread_id"]


def test_render_fills_known_and_keeps_unknown_placeholders():
    fields = {"title": "deploy {service} {version}", "tags": ["{env}"], "n": 3, "raw": "{0} {}"}
    out = render(fields, {"service": "api", "env": "prod"})
    assert out == {"title": "deploy api {version}", "tags": ["prod"], "n": 3, "raw": "{0} {}"}
    assert fields["title"] == "deploy {service} {version}"  # input untouched
    # No format-string tricks: attribute syntax is plain text.
    assert render("{service.__class__}", {"service": "x"}) == "{service.__class__}"
    assert placeholders(fields) == ("service", "version", "env")


def test_template_render_method():
    deploy = next(t for t in BUILTIN_TEMPLATES if t.name == "Deploy finished")
    out = deploy.render({"service": "api", "version": "1.2", "environment": "prod"})
    assert out["thread_title"] == "Deploy api 1.2 to prod"
    assert out["external_thread_id"] == "deploy:api:1.2:prod"
    assert placeholders(out) == ()


def test_user_templates_save_list_get_delete(db):
    store = TemplateStore(db)
    saved = store.save("  Weekly report ", {"title": "week {week}", "uuid": "dropped"})
    assert saved.name == "Weekly report"
    assert saved.fields == {"title": "week {week}"}
    assert saved.placeholders == ("week",)
    store.save("aardvark", {"title": "a"})
    names = [t.name for t in store.list()]
    assert names[: len(BUILTIN_TEMPLATES)] == [t.name for t in BUILTIN_TEMPLATES]
    assert names[len(BUILTIN_TEMPLATES) :] == ["aardvark", "Weekly report"]
    assert store.get("weekly REPORT").fields == {"title": "week {week}"}
    assert store.get("deploy started").builtin
    assert store.get("missing") is None
    assert store.delete("WEEKLY report") is True
    assert store.delete("Weekly report") is False


def test_names_are_unique_ignoring_case(db):
    store = TemplateStore(db)
    store.save("Release", {"title": "v1"})
    with pytest.raises(TemplateNameTakenError):
        store.save("release", {"title": "v2"})
    store.save("RELEASE", {"title": "v2"}, overwrite=True)
    [release] = [t for t in store.list() if not t.builtin]
    assert (release.name, release.fields) == ("RELEASE", {"title": "v2"})
    with pytest.raises(ValueError):
        store.save("  ", {})


def test_name_keys_say_which_names_the_store_takes_for_one_template(db):
    # What a dialog checks as the person types must agree with what saving then does: SQLite
    # folds the case of ASCII letters only, so "CAFÉ" is another template than "Café".
    store = TemplateStore(db)
    store.save("Café", {"title": "one"})
    assert user_name_key(" café ") == user_name_key("Café")
    with pytest.raises(TemplateNameTakenError):
        store.save(" café ", {"title": "two"})
    assert user_name_key("CAFÉ") != user_name_key("Café")
    store.save("CAFÉ", {"title": "three"})
    assert sorted(t.name for t in store.list() if not t.builtin) == ["CAFÉ", "Café"]
    assert builtin_name("  deploy STARTED ") == "Deploy started"
    assert builtin_name("Café") is None


def test_builtins_cannot_be_deleted_or_shadowed(db):
    store = TemplateStore(db)
    with pytest.raises(BuiltinTemplateError):
        store.delete("Announcement")
    with pytest.raises(BuiltinTemplateError):
        store.save("announcement", {"title": "mine"}, overwrite=True)
    assert len(store.list()) == len(BUILTIN_TEMPLATES)


def test_builtin_copies_do_not_leak_edits(db):
    store = TemplateStore(db)
    store.get("Announcement").fields["tags"].append("mutated")
    store.list()[0].fields["title"] = "mutated"
    fresh = store.get("Announcement")
    assert "mutated" not in fresh.fields["tags"]
    assert fresh.fields["title"] != "mutated"
