"""Seed data for the sandbox: the demo user, organization, flows and developer application."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

DEMO_CLIENT_ID = "sandbox-client-id"
DEMO_CLIENT_SECRET = "sandbox-client-secret"
DEMO_REDIRECT_URI = "http://127.0.0.1:8765/callback"
DEMO_API_TOKEN = "sandbox-api-token"
DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo"
DEMO_USER_NAME = "Demo User"
DEMO_APPLICATION_NAME = "Flowdock Desktop"

SECOND_USER_EMAIL = "sam@example.com"
SECOND_USER_PASSWORD = "sam"
SECOND_USER_API_TOKEN = "sandbox-api-token-sam"

ORG_NAME = "Acme"
ORG_SLUG = "acme"
MAIN_FLOW = "main"
ANNOUNCEMENTS_FLOW = "announcements"
UNJOINED_FLOW = "random"

DATA_VERSION = 1


def digest(secret: str) -> str:
    """The stored form of a token or client secret: only its SHA-256 is kept, never the value."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_flow_id() -> str:
    """An opaque flow id like Flowdock's post-2013 random ids."""
    return secrets.token_hex(8)


def new_api_token() -> str:
    """A flow's token for the deprecated Push API (32 hex characters, like Flowdock's)."""
    return secrets.token_hex(16)


def build_seed() -> dict[str, Any]:
    """A fresh copy of the seed data, in the JSON shape ``SandboxState`` keeps and persists."""
    flows = [
        {
            "id": new_flow_id(),
            "org_id": 1,
            "name": "Main",
            "parameterized_name": MAIN_FLOW,
            "member_ids": [1, 2],
            "join_hash": secrets.token_hex(6),
        },
        {
            "id": new_flow_id(),
            "org_id": 1,
            "name": "Announcements",
            "parameterized_name": ANNOUNCEMENTS_FLOW,
            "member_ids": [1],
            "join_hash": secrets.token_hex(6),
        },
        {
            "id": new_flow_id(),
            "org_id": 1,
            "name": "Random",
            "parameterized_name": UNJOINED_FLOW,
            "member_ids": [2],
            "join_hash": secrets.token_hex(6),
        },
    ]
    return {
        "version": DATA_VERSION,
        "users": [
            {
                "id": 1,
                "nick": "Demo",
                "name": DEMO_USER_NAME,
                "email": DEMO_EMAIL,
                "password": DEMO_PASSWORD,
                "api_token_digest": digest(DEMO_API_TOKEN),
                "website": None,
                "status": "Trying the sandbox",
            },
            {
                "id": 2,
                "nick": "Sam",
                "name": "Sam Smith",
                "email": SECOND_USER_EMAIL,
                "password": SECOND_USER_PASSWORD,
                "api_token_digest": digest(SECOND_USER_API_TOKEN),
                "website": None,
                "status": None,
            },
        ],
        "organizations": [
            {"id": 1, "name": ORG_NAME, "parameterized_name": ORG_SLUG, "admin_ids": [1]}
        ],
        "flows": flows,
        "applications": [
            {
                "id": 1,
                "name": DEMO_APPLICATION_NAME,
                "client_id": DEMO_CLIENT_ID,
                "client_secret_digest": digest(DEMO_CLIENT_SECRET),
                "redirect_uris": [DEMO_REDIRECT_URI],
                "loopback_any_port": True,
                "setup_uri": None,
                "configuration_uri": None,
                "owner_id": 1,
            }
        ],
        "sources": [],
        "threads": [],
        "messages": {flow["id"]: [] for flow in flows},
        "codes": {},
        "access_tokens": {},
        "refresh_tokens": {},
        "counters": {"user": 2, "application": 1, "source": 0, "message": {}},
    }
