"""Read the setup and configuration links Flowdock hands to an application (Qt-free).

Flowdock opened an application's *setup URI* with the flow appended (``?flow=<flow id>``), or
with ``{flow_id}``/``{flow_url}`` placeholders filled in; the *configuration URI* carried
``integration_id=<source id>&flow=<flow id>`` (or ``{source_id}``/``{source_url}``). The desktop
app also registers its own ``flowdock-desktop://setup?flow=…`` and
``flowdock-desktop://configure?integration_id=…&flow=…`` forms. This module turns any of them
into plain values, with plain-words errors for anything it cannot use.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = [
    "APP_SCHEME",
    "ConfigurationLink",
    "SetupLink",
    "SetupLinkError",
    "parse_configuration_link",
    "parse_setup_link",
]

#: The URL scheme the desktop app registers for itself.
APP_SCHEME = "flowdock-desktop"

# Flow ids are opaque: random hex since 2013, "org:flow" before. Be liberal but refuse
# anything with spaces, slashes or markup, which would only be a paste accident.
_FLOW_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:_.\-]{0,127}$")
_PLACEHOLDER = re.compile(r"\{(flow_id|flow_url|source_id|source_url)\}")
_MAX_LINK_LENGTH = 4096


class SetupLinkError(ValueError):
    """A link that cannot be used; ``str(error)`` says why and what to do, in plain words."""


@dataclass(frozen=True)
class FlowLocation:
    """Where a flow (or source) API URL points: the server and the ``org/flow`` path."""

    api_url: str | None = None
    org_slug: str | None = None
    flow_slug: str | None = None

    @property
    def flow_path(self) -> str | None:
        if self.org_slug and self.flow_slug:
            return f"{self.org_slug}/{self.flow_slug}"
        return None


@dataclass(frozen=True, kw_only=True)
class SetupLink(FlowLocation):
    """A parsed setup link: the flow it preselects, by id and/or by its API URL.

    ``api_url`` is the server the ``flow_url`` points at (None when the link has no flow URL);
    ``flow_path`` is ``org/flow`` taken from that URL.
    """

    flow_id: str | None
    flow_url: str | None = None


@dataclass(frozen=True, kw_only=True)
class ConfigurationLink(FlowLocation):
    """A parsed configuration link: the Flowdock source to configure, and its flow.

    ``source_id`` is Flowdock's source id (the docs call it ``integration_id``), not the
    desktop app's own integration id.
    """

    source_id: int
    flow_id: str | None = None
    source_url: str | None = None


def _clean(text: str) -> str:
    value = (text or "").strip().strip("<>\"'")
    if not value:
        raise SetupLinkError("The link is empty. Paste the whole link Flowdock gave you.")
    if len(value) > _MAX_LINK_LENGTH:
        raise SetupLinkError("The link is too long to be a setup link. Check what was pasted.")
    unfilled = _PLACEHOLDER.search(value)
    if unfilled:
        raise SetupLinkError(
            f"The link still contains the placeholder {unfilled.group(0)}. Use the link "
            "Flowdock opened for a flow (its Setup button), not the template you registered."
        )
    return value


def _query(value: str) -> dict[str, str]:
    parts = urlsplit(value)
    query = parse_qs(parts.query, keep_blank_values=True, max_num_fields=64)
    # The fragment sometimes carries the parameters in single-page apps; read it as well.
    if parts.fragment and "=" in parts.fragment:
        fragment = parse_qs(parts.fragment, keep_blank_values=True, max_num_fields=64)
        for key, values in fragment.items():
            query.setdefault(key, values)
    return {key: values[0].strip() for key, values in query.items() if values}


def locate(url: str) -> FlowLocation:
    """Split a flow or source API URL (``…/flows/org/flow[/sources/3]``) into its parts."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return FlowLocation()
    segments = [unquote(s) for s in parts.path.split("/") if s]
    for index, segment in enumerate(segments):
        if segment == "flows" and len(segments) >= index + 3:
            prefix = "/".join(segments[:index])
            # "/v1" is an accepted prefix of the API, not part of the server's base URL.
            if prefix == "v1":
                prefix = ""
            base = f"{parts.scheme}://{parts.netloc}" + (f"/{prefix}" if prefix else "")
            flow_slug = segments[index + 2].removesuffix(".json")
            return FlowLocation(base, segments[index + 1], flow_slug)
    return FlowLocation()


def _check_flow_id(flow_id: str) -> str:
    if not _FLOW_ID.match(flow_id):
        raise SetupLinkError(
            "The flow in the link is not a valid flow id. Copy the link again from Flowdock."
        )
    return flow_id


def parse_setup_link(text: str) -> SetupLink:
    """Read a setup link (or a bare flow id); raise ``SetupLinkError`` when it names no flow."""
    value = _clean(text)
    if "://" not in value and "?" not in value and "=" not in value:
        return SetupLink(flow_id=_check_flow_id(value))
    parts = urlsplit(value if "://" in value else f"https://link.invalid/{value.lstrip('/')}")
    if parts.scheme == APP_SCHEME and (parts.netloc or parts.path.strip("/")) not in (
        "setup",
        "",
    ):
        raise SetupLinkError(
            "This is not a setup link (it is a Flowdock Desktop link for something else)."
        )
    if parts.scheme not in ("http", "https", APP_SCHEME):
        raise SetupLinkError("A setup link starts with https://, http:// or flowdock-desktop://.")
    params = _query(value if "://" in value else parts.geturl())
    flow_id = params.get("flow") or params.get("flow_id") or None
    flow_url = params.get("flow_url") or None
    location = locate(flow_url) if flow_url else FlowLocation()
    if flow_url and location.flow_path is None:
        raise SetupLinkError(
            "The flow address in the link (flow_url) is not a Flowdock flow address. "
            "Copy the link again from Flowdock."
        )
    if flow_id is None and location.flow_path is None:
        raise SetupLinkError(
            "The link does not name a flow (it has no flow= part). Open the setup link from "
            "the flow's inbox settings in Flowdock, or choose the flow yourself."
        )
    return SetupLink(
        flow_id=_check_flow_id(flow_id) if flow_id else None,
        flow_url=flow_url,
        **asdict(location),
    )


def parse_configuration_link(text: str) -> ConfigurationLink:
    """Read a configuration link; raise ``SetupLinkError`` when it names no source."""
    value = _clean(text)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https", APP_SCHEME):
        raise SetupLinkError(
            "A configuration link starts with https://, http:// or flowdock-desktop://."
        )
    params = _query(value)
    raw_id = params.get("integration_id") or params.get("source") or params.get("source_id")
    source_url = params.get("source_url") or None
    location = locate(source_url) if source_url else FlowLocation()
    if raw_id is None and source_url:
        tail = [s for s in urlsplit(source_url).path.split("/") if s]
        if len(tail) >= 2 and tail[-2] in ("sources", "integrations"):
            raw_id = tail[-1]
    if raw_id is None:
        raise SetupLinkError(
            "The link does not name an integration (it has no integration_id= part). Use the "
            "Configure link from the source in Flowdock's inbox settings."
        )
    try:
        source_id = int(raw_id)
    except ValueError:
        raise SetupLinkError(
            "The integration in the link is not a valid source id. Copy the link again."
        ) from None
    if source_id <= 0:
        raise SetupLinkError("The integration in the link is not a valid source id.")
    flow_id = params.get("flow") or None
    return ConfigurationLink(
        source_id=source_id,
        flow_id=_check_flow_id(flow_id) if flow_id else None,
        source_url=source_url,
        **asdict(location),
    )
