"""Open the system browser for sign-in; report when none could be opened."""

from __future__ import annotations

import logging
import webbrowser

log = logging.getLogger(__name__)


def open_browser(url: str) -> bool:
    """Open ``url`` in the person's browser (``$BROWSER`` is honoured).

    Returns False when no browser could be started, so the caller shows the URL to copy.
    """
    try:
        return bool(webbrowser.open(url, new=2))
    except (webbrowser.Error, OSError) as exc:
        # The URL carries only public values (client id, state, PKCE challenge), but the
        # exception is still summarised by type: the URL is not needed in the log.
        log.info("could not open a browser: %s", type(exc).__name__)
        return False
