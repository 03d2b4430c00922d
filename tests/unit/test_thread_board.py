"""ThreadBoard: a listing that did not ask for the threads the live stream follows keeps the
state the stream brought, which may be newer than the listing."""

from __future__ import annotations

from flowdock_desktop.api.models import Message, Thread
from flowdock_desktop.following import ThreadBoard
from flowdock_desktop.sending import ThreadView
from flowdock_desktop.store.history import ThreadSummary


def summary(key: str, thread_id: str | None, count: int) -> ThreadSummary:
    return ThreadSummary(
        integration_id="i1",
        key=key,
        external_thread_id=key,
        thread_id=thread_id,
        title=key.title(),
        status_value="deploying",
        status_color="yellow",
        last_event="activity",
        last_sent_at=1.0,
        message_count=count,
    )


def thread(thread_id: str, status: str, colour: str) -> Thread:
    return Thread.from_json(
        {"id": thread_id, "title": "Deploys", "status": {"value": status, "color": colour}}
    )


def test_a_followed_thread_keeps_the_streamed_state_a_listing_did_not_ask_for():
    board = ThreadBoard()
    board.set_views(
        [
            ThreadView(summary("deploys", "t1", 1), thread("t1", "deploying", "yellow")),
            ThreadView(summary("builds", "t2", 1), thread("t2", "green", "green")),
        ]
    )
    assert board.streamed() == {"t1", "t2"}
    # The stream says the deploy is done; then the listing of the send arrives, asked only
    # about threads the board does not follow (none), so it carries no server state.
    board.apply(
        Message.from_json(
            {
                "event": "activity",
                "thread_id": "t1",
                "uuid": "u2",
                **{
                    "thread": {
                        "id": "t1",
                        "title": "Deploys",
                        "status": {"value": "deployed", "color": "green"},
                    }
                },
            }
        )
    )
    board.set_views(
        [
            ThreadView(summary("deploys", "t1", 2)),
            ThreadView(summary("builds", "t2", 1)),
            ThreadView(summary("new", "t3", 1)),
        ],
        known={"t1", "t2"},
    )
    deploys, builds, new = board.views
    assert deploys.message_count == 2  # the listing's own part is taken
    assert deploys.remote.status.value == "deployed"  # the newer, streamed state is kept
    assert builds.remote.status.value == "green"
    assert new.remote is None  # not followed yet: nothing to keep
    assert board.streamed() == {"t1", "t2"}


def test_a_listing_that_asked_wins_and_threads_not_known_are_not_filled_in():
    board = ThreadBoard()
    board.set_views([ThreadView(summary("deploys", "t1", 1), thread("t1", "deploying", "yellow"))])
    board.set_views([ThreadView(summary("deploys", "t1", 2), thread("t1", "failed", "red"))])
    assert board.views[0].remote.status.value == "failed"
    # Asked but not found (or not signed in): no state, and none made up from before.
    board.set_views([ThreadView(summary("deploys", "t1", 3))])
    assert board.views[0].remote is None
    assert board.streamed() == set()
