"""Helpers several test folders share (tests/ is on sys.path through its conftest).

They set things up the way the app does, through its own core functions, so that tests do not
carry private copies of the setup path.
"""

from __future__ import annotations

import httpx

from flowdock_desktop.api.client import FlowdockClient
from flowdock_desktop.api.models import Source
from flowdock_desktop.auth.oauth import OAuthApp
from flowdock_desktop.auth.session import start_session
from flowdock_desktop.auth.tokens import TokenSet
from flowdock_desktop.connect import create_integration
from flowdock_desktop.context import AppContext
from flowdock_desktop.sandbox import seed
from flowdock_desktop.store.integrations import Integration


def make_integration(
    context: AppContext, base_url: str, name: str = "Deploy bot", flow: str = seed.MAIN_FLOW
) -> tuple[Integration, Source]:
    """A source in a sandbox flow, stored like the wizard stores it (demo API token)."""
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


def sign_in(context: AppContext, base_url: str) -> None:
    """A signed-in session for the demo user (password grant: sign-in is not under test)."""
    answer = httpx.post(
        base_url + "/oauth/token",
        data={
            "grant_type": "password",
            "username": seed.DEMO_EMAIL,
            "password": seed.DEMO_PASSWORD,
            "client_id": seed.DEMO_CLIENT_ID,
            "client_secret": seed.DEMO_CLIENT_SECRET,
            "scope": "flow profile integration",
        },
        headers={"Accept": "application/json"},
    )
    answer.raise_for_status()
    app = OAuthApp(base_url, seed.DEMO_CLIENT_ID, seed.DEMO_CLIENT_SECRET)
    start_session(context.profile, context.credentials, app, TokenSet.from_response(answer.json()))
