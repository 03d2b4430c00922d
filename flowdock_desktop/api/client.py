"""FlowdockClient: one typed method per Flowdock REST endpoint the app uses."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from flowdock_desktop.api import validation
from flowdock_desktop.api.errors import (
    FlowdockError,
    ValidationError,
    error_from_exception,
    error_from_response,
)
from flowdock_desktop.api.http import create_http_client
from flowdock_desktop.api.messages import ThreadMessage
from flowdock_desktop.api.models import Flow, Message, Source, Thread, User
from flowdock_desktop.api.redact import redact_body, redact_headers, redact_url
from flowdock_desktop.api.retry import RetryPolicy, call_with_retries, is_retryable_request

log = logging.getLogger(__name__)

#: Header asking Flowdock to answer a message post with the stored message (201) not 202.
WAIT_HEADER = "X-flowdock-wait-for-message"


@dataclass(frozen=True)
class Exchange:
    """One HTTP round trip (one attempt), as handed to ``on_exchange`` for a request log.

    The request and response are the real objects and DO contain credentials; use
    ``redacted()`` (or the helpers in ``api.redact``) before showing or storing anything.
    """

    request: httpx.Request
    response: httpx.Response | None
    #: Seconds from sending the request to having the whole answer (or the failure).
    elapsed: float
    #: The error this exchange turned into, if any (NetworkError when there is no response).
    error: FlowdockError | None = None
    #: 1 for the first try, 2 for the first retry, ...
    attempt: int = 1

    def redacted(self) -> dict[str, Any]:
        """A JSON-ready summary with every secret replaced by "•••"."""
        request = self.request
        summary: dict[str, Any] = {
            "method": request.method,
            "url": redact_url(request.url),
            "request_headers": redact_headers(request.headers),
            "request_body": redact_body(request.content, request.headers.get("content-type")),
            "elapsed_ms": round(self.elapsed * 1000, 1),
            "attempt": self.attempt,
        }
        if self.response is not None:
            summary["status"] = self.response.status_code
            summary["response_headers"] = redact_headers(self.response.headers)
            summary["response_body"] = redact_body(
                self.response.content, self.response.headers.get("content-type")
            )
        if self.error is not None:
            summary["error"] = self.error.user_message
        return summary


ExchangeHook = Callable[[Exchange], None]


def _segment(value: str | int) -> str:
    """One URL path segment; org, flow and thread ids are user data."""
    return quote(str(value), safe="")


def _flow_path(org: str, flow: str) -> str:
    return f"/flows/{_segment(org)}/{_segment(flow)}"


def _iso(value: datetime | str) -> str:
    return value.isoformat() if isinstance(value, datetime) else value


def _unexpected_answer(response: httpx.Response) -> FlowdockError:
    return FlowdockError(
        f"The server sent an answer this app does not understand (HTTP {response.status_code}).",
        status=response.status_code,
    )


class FlowdockClient:
    """Typed access to the Flowdock REST API (or the sandbox) over one httpx client.

    Pass ``auth`` (Bearer/Basic as an ``httpx.Auth``) to authenticate user calls. Give
    ``http`` to share a client made by ``api.http.create_http_client`` (it is then not
    closed by this object). Retries follow ``retry`` (GETs, and POSTs carrying a uuid);
    ``on_exchange`` sees every attempt, e.g. for the composer's request log.
    """

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        http: httpx.Client | None = None,
        retry: RetryPolicy | None = None,
        on_exchange: ExchangeHook | None = None,
        timeout: httpx.Timeout | float | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._owns_http = http is None
        if http is None:
            self._http = create_http_client(self.base_url, auth=auth, timeout=timeout)
            # The client we built carries ``auth`` itself.
            self._auth: Any = httpx.USE_CLIENT_DEFAULT
        else:
            self._http = http
            self._auth = auth if auth is not None else httpx.USE_CLIENT_DEFAULT
        self.retry = retry or RetryPolicy()
        self.on_exchange = on_exchange

    def __repr__(self) -> str:
        return f"<FlowdockClient {redact_url(self.base_url)}>"

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> FlowdockClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- transport -------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        return self.base_url + path

    def _send_once(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        send_auth: bool,
        attempt: int,
    ) -> httpx.Response:
        request = self._http.build_request(method, url, params=params, json=json, headers=headers)
        if not send_auth:
            # Flow-token posts carry no user credentials, even if the shared client has
            # an Authorization default header.
            request.headers.pop("Authorization", None)
        started = time.perf_counter()
        try:
            # auth=None (not the default) tells httpx to skip the client's auth for this one.
            response = self._http.send(request, auth=self._auth if send_auth else None)
        except httpx.HTTPError as exc:
            error = error_from_exception(exc)
            self._report(Exchange(request, None, time.perf_counter() - started, error, attempt))
            log.info("%s %s failed: %s", method, urlsplit(url).path, type(exc).__name__)
            raise error from exc
        elapsed = time.perf_counter() - started
        if log.isEnabledFor(logging.DEBUG):  # the path is worked out only when it is logged
            log.debug(
                "%s %s -> %s in %.0f ms",
                method,
                urlsplit(url).path,
                response.status_code,
                elapsed * 1e3,
            )
        failure = None if response.is_success else error_from_response(response)
        if self.on_exchange is not None:
            # response.request is what went on the wire, with the auth flow's headers.
            self._report(Exchange(response.request, response, elapsed, failure, attempt))
        if failure is not None:
            raise failure
        return response

    def _report(self, exchange: Exchange) -> None:
        if self.on_exchange is None:
            return
        try:
            self.on_exchange(exchange)
        except Exception:
            # A broken request log must not turn a successful call into a failure.
            log.exception("on_exchange hook failed")

    def _request(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        send_auth: bool = True,
        retryable: bool | None = None,
    ) -> httpx.Response:
        url = path_or_url if "://" in path_or_url else self._url(path_or_url)
        if retryable is None:
            retryable = is_retryable_request(method)
        attempt = 0

        def one_attempt() -> httpx.Response:
            nonlocal attempt
            attempt += 1
            return self._send_once(
                method,
                url,
                params=params,
                json=json,
                headers=headers,
                send_auth=send_auth,
                attempt=attempt,
            )

        def note_retry(error: FlowdockError, number: int, delay: float) -> None:
            log.info("Attempt %d failed (%s); retrying in %.1f s", number, error.status, delay)

        return call_with_retries(
            one_attempt, retryable=retryable, policy=self.retry, on_retry=note_retry
        )

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise _unexpected_answer(response) from None

    def _get_object(self, path: str, params: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
        response = self._request("GET", path, params=params)
        data = self._json(response)
        if not isinstance(data, Mapping):
            raise _unexpected_answer(response)
        return data

    def _get_list(self, path: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        response = self._request("GET", path, params=params)
        data = self._json(response)
        if not isinstance(data, list):
            raise _unexpected_answer(response)
        return data

    def _same_origin(self, url: str) -> bool:
        ours, theirs = urlsplit(self.base_url), urlsplit(url)
        return (ours.scheme, ours.netloc) == (theirs.scheme, theirs.netloc)

    # -- users and flows -------------------------------------------------------------------

    def get_user(self) -> User:
        """The signed-in user (needs the ``profile`` scope)."""
        return User.from_json(self._get_object("/user"))

    def list_flows(self, all: bool = False, users: bool = False) -> list[Flow]:
        """Joined flows; with ``all`` also the organisation's flows not joined."""
        params = {"users": 1} if users else None
        items = self._get_list("/flows/all" if all else "/flows", params)
        return [Flow.from_json(item) for item in items if isinstance(item, Mapping)]

    def find_flow(self, flow_id: str) -> Flow:
        """A flow by its opaque id, as given to an app's setup URI."""
        return Flow.from_json(self._get_object("/flows/find", {"id": flow_id}))

    def get_flow(self, org: str, flow: str) -> Flow:
        return Flow.from_json(self._get_object(_flow_path(org, flow)))

    # -- sources ---------------------------------------------------------------------------

    def create_source(
        self, org: str, flow: str, name: str, external_url: str | None = None
    ) -> Source:
        """Create a source (needs the ``integration`` scope).

        The result carries the one-time ``flow_token``; store it in the keyring at once.
        Never retried: a lost answer cannot tell whether a source was made.
        """
        problems = validation.validate_source_name(name)
        if problems:
            raise ValidationError(
                "The source name " + "; ".join(problems) + ".",
                field_errors={"name": problems},
                status=None,
            )
        body: dict[str, Any] = {"name": name}
        if external_url:
            body["external_url"] = external_url
        response = self._request("POST", _flow_path(org, flow) + "/sources", json=body)
        data = self._json(response)
        if not isinstance(data, Mapping):
            raise _unexpected_answer(response)
        return Source.from_json(data)

    def list_sources(self, org: str, flow: str) -> list[Source]:
        items = self._get_list(_flow_path(org, flow) + "/sources")
        return [Source.from_json(item) for item in items if isinstance(item, Mapping)]

    def get_source(self, org: str, flow: str, source_id: int | str) -> Source:
        return Source.from_json(
            self._get_object(f"{_flow_path(org, flow)}/sources/{_segment(source_id)}")
        )

    def delete_source(self, org: str, flow: str, source_id: int | str) -> None:
        """Remove a source; its flow token stops working (posts then get 410)."""
        self._request("DELETE", f"{_flow_path(org, flow)}/sources/{_segment(source_id)}")

    # -- messages --------------------------------------------------------------------------

    def post_message(
        self, payload: Mapping[str, Any], *, flow_token: str, wait: bool = True
    ) -> dict[str, Any] | None:
        """Post a message as a source; returns the stored message, or None when queued (202).

        The flow token travels in the JSON body, never in the URL (URLs end up in logs and
        error texts), and no Authorization header is sent with it. Retried only when the
        payload has a ``uuid``, which lets the server drop a repeat.
        """
        body = dict(payload)
        body["flow_token"] = flow_token
        headers = {WAIT_HEADER: "true"} if wait else None
        response = self._request(
            "POST",
            "/messages",
            json=body,
            headers=headers,
            send_auth=False,
            retryable=is_retryable_request("POST", has_uuid=bool(payload.get("uuid"))),
        )
        if response.status_code == 202 or not response.content:
            return None
        data = self._json(response)
        if not isinstance(data, dict):
            raise _unexpected_answer(response)
        return data

    def post_thread_message(
        self, message: ThreadMessage, *, flow_token: str, wait: bool = True
    ) -> dict[str, Any] | None:
        """Check ``message`` with the shared rules, then post it (see ``post_message``)."""
        errors = message.validate()
        if errors:
            raise ValidationError(
                "The message is not complete: " + validation.describe_errors(errors),
                field_errors=errors,
                status=None,
            )
        return self.post_message(message.to_payload(), flow_token=flow_token, wait=wait)

    def list_messages(
        self,
        org: str,
        flow: str,
        *,
        event: str | None = None,
        limit: int = 30,
        since_id: int | None = None,
        until_id: int | None = None,
        tags: str | None = None,
        search: str | None = None,
    ) -> list[Message]:
        """Recent flow messages, oldest first (Flowdock's ``GET …/messages`` filters)."""
        params: dict[str, Any] = {"limit": limit}
        for key, value in (
            ("event", event),
            ("since_id", since_id),
            ("until_id", until_id),
            ("tags", tags),
            ("search", search),
        ):
            if value is not None:
                params[key] = value
        items = self._get_list(_flow_path(org, flow) + "/messages", params)
        return [Message.from_json(item) for item in items if isinstance(item, Mapping)]

    # -- threads ---------------------------------------------------------------------------

    def list_threads(
        self,
        org: str,
        flow: str,
        *,
        application: str | int | None = None,
        until: datetime | str | None = None,
        since: datetime | str | None = None,
        max_pages: int = 1,
        page_size: int | None = None,
    ) -> list[Thread]:
        """Threads, most recently updated first; follows ``Link: rel="next"`` up to max_pages.

        ``page_size`` is sent as ``limit``, which the sandbox honours; Flowdock documented
        no page size for threads.
        """
        params: dict[str, Any] = {}
        if page_size is not None:
            params["limit"] = page_size
        if application is not None:
            params["application"] = application
        if until is not None:
            params["until"] = _iso(until)
        if since is not None:
            params["since"] = _iso(since)
        url: str | None = _flow_path(org, flow) + "/threads"
        threads: list[Thread] = []
        pages = 0
        while url is not None and pages < max_pages:
            response = self._request("GET", url, params=params or None)
            data = self._json(response)
            if not isinstance(data, list):
                raise _unexpected_answer(response)
            threads.extend(Thread.from_json(item) for item in data if isinstance(item, Mapping))
            pages += 1
            next_url = response.links.get("next", {}).get("url")
            if next_url:
                next_url = str(response.url.join(next_url))
            # Credentials go with the next request, so only follow links to our own server.
            url = next_url if next_url and self._same_origin(next_url) else None
            params = {}  # the next link carries its own query
        return threads

    def get_thread(self, org: str, flow: str, thread_id: str) -> Thread:
        return Thread.from_json(
            self._get_object(f"{_flow_path(org, flow)}/threads/{_segment(thread_id)}")
        )

    def list_thread_messages(
        self, org: str, flow: str, thread_id: str, limit: int = 30
    ) -> list[Message]:
        """The thread's latest messages (at most ``limit``, 1–100), oldest first."""
        items = self._get_list(
            f"{_flow_path(org, flow)}/threads/{_segment(thread_id)}/messages", {"limit": limit}
        )
        return [Message.from_json(item) for item in items if isinstance(item, Mapping)]


__all__ = ["WAIT_HEADER", "Exchange", "ExchangeHook", "FlowdockClient"]
