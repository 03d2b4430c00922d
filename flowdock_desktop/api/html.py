"""Markdown to HTML, and sanitising of the HTML that is previewed, sent and stored.

markdown-it-py converts Markdown (CommonMark) and nh3 (Rust's ammonia) removes anything a
Flowdock thread could not show safely. Titles and field values allow links only, as Flowdock
documented; bodies allow ordinary formatting.
"""

from __future__ import annotations

from functools import lru_cache
from html import unescape

import nh3

_BODY_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p",
    "pre", "s", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead",
    "tr", "u", "ul",
}  # fmt: skip
_BODY_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
    "code": {"class"},
}
_URL_SCHEMES = {"http", "https", "mailto", "cid"}


@lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt

    # "js-default" is CommonMark with raw HTML disabled, plus tables and strikethrough.
    return MarkdownIt("js-default", {"linkify": False, "typographer": False}).enable(
        ["table", "strikethrough"]
    )


# Built once: nh3.clean() turns its Python sets into a new Rust configuration on every call,
# about eight times the cost of cleaning a short title with a prepared Cleaner.
_BODY_CLEANER = nh3.Cleaner(
    tags=_BODY_TAGS,
    attributes=_BODY_ATTRIBUTES,
    url_schemes=_URL_SCHEMES,
    link_rel="noopener noreferrer",
)
_TITLE_CLEANER = nh3.Cleaner(
    tags={"a"},
    attributes={"a": {"href", "title"}},
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer",
)


def sanitize_body(html: str) -> str:
    """Keep formatting, links and images; drop scripts, styles, event handlers and the rest."""
    return _BODY_CLEANER.clean(html)


def sanitize_title(html: str) -> str:
    """Titles and field values may hold links and nothing else."""
    return _TITLE_CLEANER.clean(html)


def markdown_to_html(text: str) -> str:
    """Render Markdown to sanitised HTML ready to send as a thread or message body."""
    if not text.strip():
        return ""
    return sanitize_body(_markdown().render(text)).strip()


def html_to_text(html: str) -> str:
    """Plain text of some HTML, for one-line summaries."""
    if not html:
        return ""
    return unescape(nh3.clean(html, tags=set())).strip()
