"""Who signed in on this profile, as its settings record it: nothing secret, no keyring.

The sign-in (``auth.session``) records the account under ``ACCOUNT_SETTING``. Reading its
name back is a look-up in settings already in memory, so a window can show the person's name
as it opens, without the keyring round trip that checks the sign-in's tokens (a D-Bus call,
perhaps a prompt), and still knows it when the keyring has forgotten the tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flowdock_desktop.store.profile import Settings

#: The settings key holding the signed-in account's non-secret details.
ACCOUNT_SETTING = "account"


def recorded_name(settings: Settings) -> str:
    """The recorded account's name, or its nick; "" when nobody is recorded."""
    data = settings.get(ACCOUNT_SETTING)
    if not isinstance(data, Mapping):
        return ""
    return str(data.get("name") or data.get("nick") or "").strip()
