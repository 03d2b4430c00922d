"""The composer's model without a screen: the form's values, and the words shown about them.

``FormState`` is the message being written (used by the composer's form, drafts, templates and
``flowdock-desktop send``); ``presenters`` turns outbox items, integrations and send results into
the sentences both the window and the command line show.
"""

from flowdock_desktop.compose.form import (
    ANNOUNCEMENT_TITLE,
    DEFAULT_TITLES,
    EVENTS,
    HTML,
    MARKDOWN,
    FormState,
)

__all__ = ["ANNOUNCEMENT_TITLE", "DEFAULT_TITLES", "EVENTS", "HTML", "MARKDOWN", "FormState"]
