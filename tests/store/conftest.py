"""Shared fixtures for the local-store tests: a fresh database file and a sample integration."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from flowdock_desktop.store.db import Database
from flowdock_desktop.store.integrations import Integration, IntegrationStore


class FakeClock:
    """A clock the test moves by hand, so backoff and leases need no sleeping."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db(tmp_path) -> Iterator[Database]:
    database = Database(tmp_path / "data.sqlite3")
    yield database
    database.close()


@pytest.fixture
def integrations(db: Database, clock: FakeClock) -> IntegrationStore:
    return IntegrationStore(db, clock=clock)


@pytest.fixture
def make_integration(
    integrations: IntegrationStore, add_sample_integration: Callable[..., Integration]
) -> Callable[..., Integration]:
    """Add an integration with sample values, overriding any of them by keyword."""
    return lambda **overrides: add_sample_integration(integrations, **overrides)


@pytest.fixture
def integration(make_integration: Callable[..., Integration]) -> Integration:
    return make_integration()
