"""Shortcuts for scripted demos, tests and benchmarks against a sandbox: no browser involved.

``connect_demo_source`` creates a source with the demo user's personal API token and stores it
exactly as the wizard does (``connect.create_integration``); ``sign_in_demo_user`` signs the
demo user in with the password grant, as a session the app can use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from flowdock_desktop.sandbox import seed

if TYPE_CHECKING:
    from flowdock_desktop.api.models import Source
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.store.integrations import Integration


def connect_demo_source(
    context: AppContext, base_url: str, name: str = "Deploy bot", flow: str = seed.MAIN_FLOW
) -> tuple[Integration, Source]:
    """A source in ``acme/<flow>``, its flow token in the context's keyring; (record, source)."""
    from flowdock_desktop.api.client import FlowdockClient
    from flowdock_desktop.connect import create_integration

    with FlowdockClient(base_url, auth=httpx.BasicAuth(seed.DEMO_API_TOKEN, "x")) as client:
        found = client.get_flow(seed.ORG_SLUG, flow)
        result = create_integration(
            client,
            found,
            name,
            credentials=context.credentials,
            integrations=context.integrations,
        )
    return result.integration, result.source


def sign_in_demo_user(
    context: AppContext, base_url: str, scopes: str = "flow profile integration"
) -> None:
    """Record a signed-in session for the demo user in the context's profile and keyring."""
    from flowdock_desktop.auth.oauth import OAuthApp
    from flowdock_desktop.auth.session import start_session
    from flowdock_desktop.auth.tokens import TokenSet

    answer = httpx.post(
        base_url + "/oauth/token",
        data={
            "grant_type": "password",
            "username": seed.DEMO_EMAIL,
            "password": seed.DEMO_PASSWORD,
            "client_id": seed.DEMO_CLIENT_ID,
            "client_secret": seed.DEMO_CLIENT_SECRET,
            "scope": scopes,
        },
        headers={"Accept": "application/json"},
    )
    answer.raise_for_status()
    app = OAuthApp(base_url, seed.DEMO_CLIENT_ID, seed.DEMO_CLIENT_SECRET)
    start_session(context.profile, context.credentials, app, TokenSet.from_response(answer.json()))
