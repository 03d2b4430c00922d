"""Local, non-secret data: the profile's settings, integrations, outbox, history and drafts."""
