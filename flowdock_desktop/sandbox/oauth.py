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

from flowdock_desktop.sandbox import pages
from flowdock_desktop.sandbox.api import authenticate, read_body, sandbox_state
from flowdock_desktop.sandbox.state import (
    OOB_REDIRECT_URI,
    ApiError,
    AuthorizeError,
    AuthorizeRequest,
    OAuthError,
)

SESSION_COOKIE = "sandbox_session"
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


def _finish(request: Request, auth: AuthorizeRequest, user_id: int) -> Response:
    """Issue a code and send the browser back to the client (or to the OOB code page)."""
    code = sandbox_state(request).issue_code(auth, user_id)
    if auth.redirect_uri == OOB_REDIRECT_URI:
        return _redirect(f"/oauth/authorize/{code}")
    return _redirect(sandbox_state(request).authorize_redirect(auth, code=code))


def _authorize_error(error: AuthorizeError) -> Response:
    # An untrusted client or redirect URI must never receive a redirect (RFC 6749 4.1.2.1).
    if error.redirect_url is None or error.redirect_url.startswith(OOB_REDIRECT_URI):
        return pages.error_page("Authorization error", f"{error.error}: {error.description}")
    return _redirect(error.redirect_url)


def _consent(request: Request, auth: AuthorizeRequest, session: Mapping[str, Any]) -> Response:
    state = sandbox_state(request)
    user = state.user_view(session["user_id"], "")
    return pages.consent_page(
        auth.application_name,
        auth.scopes,
        _authorize_params(auth.params),
        session["csrf"],
        f"{user['name']} <{user['email']}>",
    )


async def authorize(request: Request) -> Response:
    state = sandbox_state(request)
    params = _authorize_params(request.query_params)
    try:
        auth = state.check_authorize(params)
    except AuthorizeError as error:
        return _authorize_error(error)
    if state.config.auto_approve:
        return _finish(request, auth, 1)
    session = state.session(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return pages.sign_in_page(auth.application_name, params)
    return _consent(request, auth, session)


async def sign_in(request: Request) -> Response:
    state = sandbox_state(request)
    form = await request.form()
    params = _authorize_params(form)
    try:
        auth = state.check_authorize(params)
    except AuthorizeError as error:
        return _authorize_error(error)
    user_id = state.check_sign_in(form.get("email"), form.get("password"))
    if user_id is None:
        return pages.sign_in_page(auth.application_name, params, "Wrong email or password.")
    session_id, _csrf = state.open_session(user_id)
    response = _redirect("/oauth/authorize?" + urlencode(params))
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(state.config.session_ttl),
        path="/oauth",
        httponly=True,
        samesite="lax",
    )
    return response


async def decision(request: Request) -> Response:
    state = sandbox_state(request)
    form = await request.form()
    session = state.session(request.cookies.get(SESSION_COOKIE))
    if session is None or form.get("csrf") != session["csrf"]:
        return pages.error_page("Authorization error", "Your sign-in expired; start again.")
    try:
        auth = state.check_authorize(_authorize_params(form))
    except AuthorizeError as error:
        return _authorize_error(error)
    if form.get("decision") == "approve":
        return _finish(request, auth, session["user_id"])
    if auth.redirect_uri == OOB_REDIRECT_URI:
        return pages.error_page("Authorization denied", "You denied access.", 403)
    return _redirect(
        state.authorize_redirect(
            auth, error="access_denied", error_description="The user denied access."
        )
    )


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


async def token(request: Request) -> Response:
    used_basic = False
    try:
        try:
            body = await read_body(request)
        except ApiError as exc:
            raise OAuthError("invalid_request", exc.message) from exc
        if not isinstance(body, Mapping):
            raise OAuthError("invalid_request", "The body must be an object of parameters.")
        for key, value in body.items():
            if value is not None and not isinstance(value, str):
                raise OAuthError("invalid_request", f"Parameter {key} must be a string.")
        client_id, secret, used_basic = _client_credentials(request, body)
        state = sandbox_state(request)
        grant = body.get("grant_type")
        if not grant:
            raise OAuthError("invalid_request", "grant_type is missing.")
        if grant not in ("authorization_code", "refresh_token", "password"):
            raise OAuthError("unsupported_grant_type", "Use authorization_code or refresh_token.")
        app = state.check_client(client_id, secret)
        if grant == "authorization_code":
            data = state.exchange_code(
                app["client_id"], body.get("code"), body.get("redirect_uri"),
                body.get("code_verifier"),
            )  # fmt: skip
        elif grant == "refresh_token":
            data = state.refresh(app["client_id"], body.get("refresh_token"), body.get("scope"))
        else:
            data = state.password_grant(
                app["client_id"], body.get("username"), body.get("password"), body.get("scope")
            )
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
    principal = authenticate(request)
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
    created = sandbox_state(request).create_application(
        name.strip(),
        [u.strip() for u in uri.splitlines() if u.strip()],
        owner_id=principal.user_id or 1,
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
