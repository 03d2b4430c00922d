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
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

__all__ = [
    "APP_SCHEME",
    "ConfigurationLink",
    "SetupLink",
    "SetupLinkError",
    "link_kind",
    "looks_like_link",
    "parse_configuration_link",
    "parse_link",
    "parse_setup_link",
]

#: The URL scheme the desktop app registers for itself.
APP_SCHEME = "flowdock-desktop"

# Flow ids are opaque: random hex since 2013, "org:flow" before. Be liberal but refuse
# anything with spaces, slashes or markup, which would only be a paste accident.
_FLOW_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:_.\-]{0,127}$")
_PLACEHOLDER = re.compile(r"\{(flow_id|flow_url|source_id|source_url)\}")
_MAX_LINK_LENGTH = 4096
#: A setup link carries two or three parameters; far more is a paste accident (or an attack on
#: the parser), refused before it is read.
MAX_LINK_PARAMETERS = 64
# Client ids are opaque tokens: printable ASCII without spaces.
_CLIENT_ID = re.compile(r"^[\x21-\x7e]{1,200}$")
# Parameters that make a link a configuration link rather than a setup link.
_CONFIGURATION_PARAMS = ("integration_id", "source", "source_id", "source_url")


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
    #: The OAuth application the link is for, when its setup URI names it (``client_id=``):
    #: the wizard then starts with that application instead of the last one used.
    client_id: str | None = None


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
    if any(_unusable_character(ch) for ch in value):
        raise SetupLinkError(
            "The link contains spaces, line breaks or invisible characters. Copy it again "
            "as one line, exactly as Flowdock gave it."
        )
    unfilled = _PLACEHOLDER.search(value)
    if unfilled:
        raise SetupLinkError(
            f"The link still contains the placeholder {unfilled.group(0)}. Use the link "
            "Flowdock opened for a flow (its Setup button), not the template you registered."
        )
    return value


def _unusable_character(ch: str) -> bool:
    # Spaces, controls, format characters (zero-width, bidi overrides) and lone surrogates
    # (undecodable bytes on the command line) are never part of a link someone copied.
    return ch.isspace() or not ch.isprintable() or "\ud800" <= ch <= "\udfff"


def _split(value: str) -> SplitResult:
    """``urlsplit`` with its ``ValueError``s turned into plain words."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        text = str(exc)
        if "IPv6" in text:
            raise SetupLinkError(
                "The server address in the link is broken: an IPv6 address needs both its "
                "square brackets, as in http://[::1]:8080/. Copy the link again."
            ) from None
        if "NFKC" in text:
            raise SetupLinkError(
                "The link's server name contains characters that only look like / ? # @ or : "
                "(for example a fullwidth ／). Copy the link again from Flowdock."
            ) from None
        if "Port" in text or "port" in text:
            raise SetupLinkError(
                "The port in the link's server address is not a number between 0 and 65535."
            ) from None
        raise SetupLinkError("The link is not a valid web address. Copy it again.") from None
    return parts


def _parse_qs(text: str) -> dict[str, list[str]]:
    try:
        return parse_qs(text, keep_blank_values=True, max_num_fields=MAX_LINK_PARAMETERS)
    except ValueError:
        raise SetupLinkError(
            f"The link has more than {MAX_LINK_PARAMETERS} parameters; a setup link has only "
            "a few. Check what was pasted."
        ) from None


def _query(value: str) -> dict[str, str]:
    parts = _split(value)
    query = _parse_qs(parts.query)
    # The fragment sometimes carries the parameters in single-page apps; read it as well.
    if parts.fragment and "=" in parts.fragment:
        for key, values in _parse_qs(parts.fragment).items():
            query.setdefault(key, values)
    return {key: values[0].strip() for key, values in query.items() if values}


def locate(url: str) -> FlowLocation:
    """Split a flow or source API URL (``…/flows/org/flow[/sources/3]``) into its parts."""
    try:
        parts = _split(url)
    except SetupLinkError:
        return FlowLocation()
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
    parts = _split(value if "://" in value else f"https://link.invalid/{value.lstrip('/')}")
    if parts.scheme == APP_SCHEME and _app_action(parts) not in ("setup", ""):
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
    client_id = params.get("client_id") or None
    if client_id is not None and not _CLIENT_ID.match(client_id):
        raise SetupLinkError(
            "The application (client_id) in the link is not a valid client ID. Copy the link again."
        )
    return SetupLink(
        flow_id=_check_flow_id(flow_id) if flow_id else None,
        flow_url=flow_url,
        client_id=client_id,
        **asdict(location),
    )


def parse_configuration_link(text: str) -> ConfigurationLink:
    """Read a configuration link; raise ``SetupLinkError`` when it names no source."""
    value = _clean(text)
    parts = _split(value)
    if parts.scheme not in ("http", "https", APP_SCHEME):
        raise SetupLinkError(
            "A configuration link starts with https://, http:// or flowdock-desktop://."
        )
    if parts.scheme == APP_SCHEME and _app_action(parts) != "configure":
        raise SetupLinkError(
            "This is not a configuration link (it is a Flowdock Desktop link for something else)."
        )
    params = _query(value)
    raw_id = params.get("integration_id") or params.get("source") or params.get("source_id")
    source_url = params.get("source_url") or None
    location = locate(source_url) if source_url else FlowLocation()
    if raw_id is None and source_url:
        tail = [s for s in _split(source_url).path.split("/") if s]
        if len(tail) >= 2 and tail[-2] in ("sources", "integrations"):
            raw_id = tail[-1]
    if raw_id is None:
        raise SetupLinkError(
            "The link does not name an integration (it has no integration_id= part). Use the "
            "Configure link from the source in Flowdock's inbox settings."
        )
    # ASCII digits only: int() would also read "٣" (Arabic-Indic three) or "３" as 3.
    if not (raw_id.isascii() and raw_id.isdigit()) or len(raw_id) > 18 or int(raw_id) <= 0:
        raise SetupLinkError(
            "The integration in the link is not a valid source id (a number such as 42). "
            "Copy the link again."
        )
    source_id = int(raw_id)
    flow_id = params.get("flow") or None
    return ConfigurationLink(
        source_id=source_id,
        flow_id=_check_flow_id(flow_id) if flow_id else None,
        source_url=source_url,
        **asdict(location),
    )


def _app_action(parts: SplitResult) -> str:
    """``setup`` or ``configure`` in ``flowdock-desktop://setup?…`` (or ``…:/setup``)."""
    return (parts.netloc or parts.path.strip("/")).split("/", 1)[0].lower()


def looks_like_link(text: str) -> bool:
    """True for something given where a command was expected that is meant as a link."""
    value = text.strip().lower()
    return value.startswith(f"{APP_SCHEME}:") or "://" in value


def link_kind(text: str) -> str:
    """``"configure"`` for a configuration link, else ``"setup"`` (without validating it).

    The desktop scheme says so in its host (``flowdock-desktop://configure?…``); Flowdock's own
    forms are told apart by their parameters (a configuration link names a source).
    """
    value = text.strip()
    if value.lower().startswith(f"{APP_SCHEME}:"):
        rest = value[len(APP_SCHEME) + 1 :].lstrip("/")
        return "configure" if rest.lower().startswith("configure") else "setup"
    query = value.partition("?")[2].partition("#")[0]
    names = {part.partition("=")[0] for part in query.split("&")}
    return "configure" if names & set(_CONFIGURATION_PARAMS) else "setup"


def parse_link(text: str) -> SetupLink | ConfigurationLink:
    """Read either kind of link, as ``link_kind`` tells them apart."""
    if link_kind(text) == "configure":
        return parse_configuration_link(text)
    return parse_setup_link(text)
