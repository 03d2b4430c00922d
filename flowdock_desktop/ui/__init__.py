"""Qt only: the wizard, the composer, shared widgets, and the bridge to background work."""
