"""Property tests: any JSON payload survives storage in the outbox and drafts unchanged."""

from __future__ import annotations

import itertools
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowdock_desktop.store.db import Database
from flowdock_desktop.store.drafts import Drafts
from flowdock_desktop.store.integrations import IntegrationStore
from flowdock_desktop.store.outbox import Outbox

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
payloads = st.dictionaries(
    st.text(max_size=10).filter(lambda k: k not in {"uuid", "flow_token", "access_token"}),
    json_values,
    max_size=6,
)

_counter = itertools.count()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(payload=payloads)
def test_outbox_payload_round_trips(tmp_path, add_sample_integration, payload):
    path = tmp_path / f"db{next(_counter)}.sqlite3"
    with Database(path) as db:
        integration = add_sample_integration(IntegrationStore(db))
        outbox = Outbox(db, rng=random.Random(0))
        item = outbox.enqueue(integration.id, payload)
        loaded = outbox.get(item.id)
        assert loaded is not None
        assert {k: v for k, v in loaded.payload.items() if k != "uuid"} == payload
        assert loaded.payload["uuid"] == item.uuid
        Drafts(db).save(integration.id, payload)
        assert Drafts(db).load(integration.id) == payload
