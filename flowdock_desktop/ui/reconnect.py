"""The composer's "Needs sign-in" state: integrations whose flow token this computer lost.

A run without a keyring keeps flow tokens in memory only; after a restart such an integration
cannot post. The composer then lists it as "needs sign-in" (not "working") and offers
Reconnect, which opens the wizard on only the steps needed (``SetupWizard(reconnect=…)``).

Kept out of ``ui/composer`` so the composer window only calls ``show_flow_token_state``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flowdock_desktop.ui.tasks import run_task

if TYPE_CHECKING:
    from flowdock_desktop.store.integrations import Integration

#: The integrations panel's word for an integration without its flow token.
NEEDS_SIGN_IN = "needs sign-in"


def needs_sign_in_text(integration: Integration) -> str:
    return (
        f"“{integration.source_name}” needs sign-in: its flow token is not on this computer "
        "any more (it was kept only until the app quit, or the keyring lost it), so it cannot "
        "post. Reconnect signs you in if needed and gives it a new flow token; what waits in "
        "the outbox is kept."
    )


def show_flow_token_state(window: Any, integrations: list[Integration]) -> None:
    """Check (off the GUI thread) which integrations lack their flow token, then mark them in
    the composer's list and offer Reconnect for the selected one."""
    context = window.context

    def missing() -> set[str]:
        # Here, on the worker: ``connect`` (setup links, the API's models) is not needed
        # for the composer's first window.
        from flowdock_desktop.connect import without_flow_token

        return without_flow_token(context.credentials, integrations)

    def done(missing: set[str]) -> None:
        window.integrations.mark_needs_sign_in(missing)
        if not getattr(window, "_reconnect_watch", False):
            window._reconnect_watch = True
            window.integrations_panel.selected.connect(lambda _id: _offer(window))
        _offer(window)

    def check() -> None:
        run_task(missing, owner=window, on_done=done, on_error=lambda _error: None)

    # Reading the keyring loads it (every backend) on the worker: once the window has painted
    # and shows its message (``ComposerWindow.after_loaded``), which it would otherwise hold up.
    window.after_loaded(check)


def refuse_send(window: Any) -> bool:
    """Send pressed for an integration known to lack its flow token: say so, with Reconnect,
    and keep the message in the form (True); False when the integration is not known to."""
    return _offer(window, "Not sent (the message stays in the form): ")


def _offer(window: Any, lead: str = "") -> bool:
    """Offer Reconnect for the chosen integration when it lacks its flow token (True), or
    take that notice down (False); ``lead`` goes before the notice's words."""
    from flowdock_desktop.ui.composer.banner import BannerAction, BannerReason

    integration = window.integration
    # The check may have read the list before the integration was found removed in Flowdock
    # (which deletes its flow token): a removed one is set up again, never reconnected.
    if (
        integration is not None
        and integration.is_active
        and integration.id in window.integrations.needs_sign_in
    ):
        window.banners.show(
            "warning",
            lead + needs_sign_in_text(integration),
            BannerReason.NEEDS_SIGN_IN,
            BannerAction.RECONNECT,
        )
        return True
    window.banners.clear(BannerReason.NEEDS_SIGN_IN)
    return False
