"""Open the system browser for sign-in; report when none could be opened."""

from __future__ import annotations

import logging
import threading
import webbrowser

log = logging.getLogger(__name__)

#: How long to wait for the browser command. Most return at once, having handed the page to
#: a browser that runs on; a command that runs the browser itself (a ``$BROWSER`` script, a
#: wrapper Python does not know) returns only when the browser closes. Waited for, that held
#: a sign-in until the person closed their browser, although it had already been approved.
OPEN_WAIT_S = 3.0


def open_browser(url: str, *, wait: float = OPEN_WAIT_S) -> bool:
    """Open ``url`` in the person's browser (``$BROWSER`` is honoured).

    Returns False when no browser could be started, so the caller shows the URL to copy; True
    when one was, or when the command is still running after ``wait`` seconds (it is then
    running the browser, and is left to end with it).
    """
    answer: list[bool] = []

    def launch() -> None:
        try:
            answer.append(bool(webbrowser.open(url, new=2)))
        except (webbrowser.Error, OSError) as exc:
            # The URL carries only public values (client id, state, PKCE challenge), but the
            # exception is still summarised by type: the URL is not needed in the log.
            log.info("could not open a browser: %s", type(exc).__name__)
            answer.append(False)

    opener = threading.Thread(target=launch, name="open-browser", daemon=True)
    opener.start()
    opener.join(wait)
    if opener.is_alive():
        log.info("the browser command is still running: taken as the browser, opened")
        return True
    return answer[0]
