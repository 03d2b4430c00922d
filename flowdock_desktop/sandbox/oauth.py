"""OAuth 2.0 routes: authorize (sign-in and consent pages), token, and app registration."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from flowdock_desktop.api.validation import describe_errors
from flowdock_desktop.sandbox import pages
from flowdock_desktop.sandbox.api import (
    credentials,
    form_tokens,
    read_body,
    read_form,
    sandbox_state,
)
from flowdock_desktop.sandbox.state import (
    ApiError,
    SandboxState,
    Tx,
    applications,
    grants,
    principals,
    views,
)
from flowdock_desktop.sandbox.state.errors import AuthorizeError, OAuthError
from flowdock_desktop.sandbox.state.grants import OOB_REDIRECT_URI, AuthorizeRequest

SESSION_COOKIE = "sandbox_session"
SIGN_IN_ACTION = "/oauth/authorize/sign_in"
DECISION_ACTION = "/oauth/authorize/decision"
# Parameters of the authorize request carried through the sign-in and consent forms.
AUTHORIZE_PARAMS = (
    "client_id",
    "response_type",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)


def _authorize_params(source: Mapping[str, Any]) -> dict[str, str]:
    return {k: str(source[k]) for k in AUTHORIZE_PARAMS if isinstance(source.get(k), str)}


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def _finish(tx: Tx, state: SandboxState, auth: AuthorizeRequest, user_id: int) -> Response:
    """Issue a code and send the browser back to the client (or to the OOB code page)."""
    code = grants.issue_code(tx, state.lifetimes, auth, user_id)
    if auth.redirect_uri == OOB_REDIRECT_URI:
        return _redirect(f"/oauth/authorize/{code}")
    return _redirect(grants.authorize_redirect(auth, code=code))


def _authorize_error(error: AuthorizeError) -> Response:
    # An untrusted client or redirect URI must never receive a redirect (RFC 6749 4.1.2.1).
    if error.redirect_url is None or error.redirect_url.startswith(OOB_REDIRECT_URI):
        return pages.error_page("Authorization error", f"{error.error}: {error.description}")
    return _redirect(error.redirect_url)


def _sign_in_page(request: Request, auth: AuthorizeRequest, params, error=None) -> Response:
    csrf = form_tokens(request).token(SIGN_IN_ACTION)
    return pages.sign_in_page(auth.application_name, params, csrf, error)


async def authorize(request: Request) -> Response:
    state = sandbox_state(request)
    params = _authorize_params(request.query_params)
    session = state.sessions.get(request.cookies.get(SESSION_COOKIE))
    csrf = form_tokens(request).token(DECISION_ACTION, session["id"]) if session else ""

    def work(tx: Tx) -> Response:
        try:
            auth = grants.check_authorize(tx, params)
        except AuthorizeError as error:
            return _authorize_error(error)
        if state.config.auto_approve:
            return _finish(tx, state, auth, 1)
        if session is None:
            return _sign_in_page(request, auth, params)
        user = views.user_view(tx, session["user_id"], "")
        return pages.consent_page(
            auth.application_name,
            auth.scopes,
            _authorize_params(auth.params),
            csrf,
            f"{user['name']} <{user['email']}>",
        )

    return await state.call(work)


async def sign_in(request: Request) -> Response:
    state = sandbox_state(request)
    form = await read_form(request)
    params = _authorize_params(form)
    token_ok = form_tokens(request).valid(request, form, SIGN_IN_ACTION)

    def work(tx: Tx) -> Response | int:
        try:
            auth = grants.check_authorize(tx, params)
        except AuthorizeError as error:
            return _authorize_error(error)
        if not token_ok:
            return _sign_in_page(request, auth, params, "The form expired; sign in again.")
        user_id = principals.check_password(tx, form.get("email"), form.get("password"))
        if user_id is None:
            return _sign_in_page(request, auth, params, "Wrong email or password.")
        return user_id

    outcome = await state.call(work)
    if isinstance(outcome, Response):
        return outcome
    response = _redirect("/oauth/authorize?" + urlencode(params))
    response.set_cookie(
        SESSION_COOKIE,
        state.sessions.open(outcome),
        max_age=int(state.config.session_ttl),
        path="/oauth",
        httponly=True,
        samesite="lax",
    )
    return response


async def decision(request: Request) -> Response:
    state = sandbox_state(request)
    form = await read_form(request)
    session = state.sessions.get(request.cookies.get(SESSION_COOKIE))
    if session is None or not form_tokens(request).valid(
        request, form, DECISION_ACTION, session["id"], required=True
    ):
        return pages.error_page("Authorization error", "Your sign-in expired; start again.")
    params = _authorize_params(form)
    approved = form.get("decision") == "approve"

    def work(tx: Tx) -> Response:
        try:
            auth = grants.check_authorize(tx, params)
        except AuthorizeError as error:
            return _authorize_error(error)
        if approved:
            return _finish(tx, state, auth, session["user_id"])
        if auth.redirect_uri == OOB_REDIRECT_URI:
            return pages.error_page("Authorization denied", "You denied access.", 403)
        return _redirect(
            grants.authorize_redirect(
                auth, error="access_denied", error_description="The user denied access."
            )
        )

    return await state.call(work)


async def oob_code(request: Request) -> Response:
    return pages.oob_code_page(request.path_params["code"])


# ---------------------------------------------------------------------- token endpoint


def _client_credentials(request: Request, body: Mapping[str, Any]) -> tuple[Any, Any, bool]:
    """(client_id, client_secret, came from HTTP Basic)."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and credentials.strip():
        try:
            decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise OAuthError("invalid_client", "Malformed Basic credentials.", 401) from exc
        client_id, _, secret = decoded.partition(":")
        # RFC 6749 2.3.1: Basic credentials are form-urlencoded first.
        return unquote(client_id.replace("+", " ")), unquote(secret.replace("+", " ")), True
    return body.get("client_id"), body.get("client_secret"), False


def _token_response(request: Request, data: Mapping[str, Any]) -> Response:
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if "application/json" in request.headers.get("accept", "").lower():
        return JSONResponse(dict(data), headers=headers)
    # Flowdock's default token answer was form-encoded.
    return Response(
        urlencode(dict(data)),
        media_type="application/x-www-form-urlencoded",
        headers=headers,
    )


def _grant(tx: Tx, state: SandboxState, body: Mapping[str, Any], client: tuple) -> dict:
    """Check the client and run the requested grant; OAuthError when anything is wrong."""
    client_id, secret = client
    grant = body.get("grant_type")
    if not grant:
        raise OAuthError("invalid_request", "grant_type is missing.")
    if grant not in ("authorization_code", "refresh_token", "password"):
        raise OAuthError("unsupported_grant_type", "Use authorization_code or refresh_token.")
    app = grants.check_client(tx, client_id, secret)
    lifetimes = state.lifetimes
    if grant == "authorization_code":
        return grants.exchange_code(
            tx, lifetimes, app["client_id"], body.get("code"), body.get("redirect_uri"),
            body.get("code_verifier"),
        )  # fmt: skip
    if grant == "refresh_token":
        return grants.refresh(
            tx, lifetimes, app["client_id"], body.get("refresh_token"), body.get("scope")
        )
    return grants.password_grant(
        tx, lifetimes, app["client_id"], body.get("username"), body.get("password"),
        body.get("scope"),
    )  # fmt: skip


async def token(request: Request) -> Response:
    used_basic = False
    try:
        try:
            body = await read_body(request)
        except ApiError as exc:
            if exc.status == 413:
                raise
            detail = f": {describe_errors(exc.errors)}" if exc.errors else ""
            raise OAuthError("invalid_request", exc.message + detail) from exc
        if not isinstance(body, Mapping):
            raise OAuthError("invalid_request", "The body must be an object of parameters.")
        for key, value in body.items():
            if value is not None and not isinstance(value, str):
                raise OAuthError("invalid_request", f"Parameter {key} must be a string.")
        client_id, secret, used_basic = _client_credentials(request, body)
        state = sandbox_state(request)
        data = await state.call(_grant, state, body, (client_id, secret))
    except OAuthError as error:
        headers = {"Cache-Control": "no-store"}
        if error.status == 401 and used_basic:
            headers["WWW-Authenticate"] = 'Basic realm="Flowdock sandbox"'
        return JSONResponse(
            {"error": error.error, "error_description": error.description},
            status_code=error.status,
            headers=headers,
        )
    return _token_response(request, data)


# ---------------------------------------------------------------------- registration API


async def register_application(request: Request) -> Response:
    """Flowdock's undocumented ``POST /oauth/applications`` (Basic email:password)."""
    body = await read_body(request)
    given = credentials(request)
    principal = await sandbox_state(request).call(principals.authenticate, given)
    app = body.get("application") if isinstance(body, Mapping) else None
    if not isinstance(app, Mapping):
        raise ApiError(400, "Validation error", errors={"application": ["must be an object"]})
    name, uri = app.get("name"), app.get("redirect_uri")
    errors = {}
    if not isinstance(name, str) or not name.strip():
        errors["application.name"] = ["can't be blank"]
    if not isinstance(uri, str) or not uri.strip():
        errors["application.redirect_uri"] = ["can't be blank"]
    if errors:
        raise ApiError(400, "Validation error", errors=errors)
    created = await sandbox_state(request).call(
        lambda tx: applications.create(
            tx,
            name.strip(),
            [u.strip() for u in uri.splitlines() if u.strip()],
            owner_id=principal.user_id or 1,
        )
    )
    return JSONResponse(created, status_code=201)


routes: list[BaseRoute] = [
    Route("/oauth/authorize", authorize, methods=["GET"]),
    Route("/oauth/authorize/sign_in", sign_in, methods=["POST"]),
    Route("/oauth/authorize/decision", decision, methods=["POST"]),
    Route("/oauth/authorize/{code}", oob_code, methods=["GET"]),
    Route("/oauth/token", token, methods=["POST"]),
    Route("/oauth/applications", register_application, methods=["POST"]),
]
