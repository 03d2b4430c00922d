"""Flowdock REST client: models, message builders and validation, errors."""
