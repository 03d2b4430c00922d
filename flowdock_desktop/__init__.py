"""Flowdock Desktop: set up and exercise Flowdock integrations."""

__version__ = "0.1.0"
