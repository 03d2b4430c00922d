"""The setup wizard: server, application, sign-in, flow, source name, confirmation, done."""

from flowdock_desktop.ui.wizard.state import WizardState
from flowdock_desktop.ui.wizard.wizard import PageId, SetupWizard

__all__ = ["PageId", "SetupWizard", "WizardState"]
