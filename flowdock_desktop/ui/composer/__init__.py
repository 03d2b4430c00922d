"""The composer window: write, preview and send thread messages as an integration."""

from flowdock_desktop.ui.composer.window import ComposerWindow

__all__ = ["ComposerWindow"]
