"""OAuth constants that light modules (the wizard's pages, settings) can import cheaply."""

from __future__ import annotations

#: What Flowdock Desktop asks for: read and post to flows, read the profile, create sources,
#: and keep working while the person is away (refresh tokens).
DEFAULT_SCOPES: tuple[str, ...] = ("flow", "profile", "integration", "offline_access")
#: Flowdock's out-of-band redirect for installed apps: the code is shown in the browser.
OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob"
#: The sandbox demo application's registered callback.
DEFAULT_REDIRECT_URI = "http://127.0.0.1:8765/callback"
