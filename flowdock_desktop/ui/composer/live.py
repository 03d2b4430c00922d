"""The composer's live threads: the flow stream's subscription (``LiveThreads``) and what it
changes in the Threads tab and the preview's thread card (``ThreadsFollower``)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from flowdock_desktop.cancel import Cancelled
from flowdock_desktop.following import ThreadBoard, thread_message
from flowdock_desktop.problems import explain_briefly
from flowdock_desktop.ui.tasks import TaskHandle, run_task

if TYPE_CHECKING:
    from flowdock_desktop.api.models import Message, Thread
    from flowdock_desktop.api.stream import StreamItem, StreamStatus
    from flowdock_desktop.sending import SendService, ThreadView
    from flowdock_desktop.ui.composer.threads_panel import ThreadsPanel

#: What the Threads tab says while it checks the server on a timer instead.
POLLING = "checking every 30 s"


class LiveThreads(QObject):
    """Follows one integration's flow stream on a background task (``ui/tasks``, cancelled
    when another integration is chosen or the window closes) and hands each thread message
    to the GUI thread.

    Signals: ``message_arrived(object)`` with an ``api.models.Message`` of a thread;
    ``state_changed(bool, str)``: whether the stream is live, and a sentence saying so
    (or why not, and that the tab checks the server on a timer meanwhile).
    Attributes: ``live``.
    """

    message_arrived = Signal(object)
    state_changed = Signal(bool, str)

    def __init__(self, service: Callable[[], SendService], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._task: TaskHandle | None = None
        self.integration_id: str | None = None
        self.live = False
        self._last_event_id: str | None = None

    def follow(self, integration_id: str | None) -> None:
        """Follow this integration's flow (None: nothing); the previous stream stops."""
        if integration_id == self.integration_id and self._task is not None:
            return
        self.stop()
        self.integration_id = integration_id
        self._last_event_id = None
        if integration_id is None:
            return
        service = self._service()
        self._set_state(False, "Connecting for live updates…")

        def work(token: Any, progress: Any) -> None:
            # Resuming after the task stopped (sign-in again, say) takes up where it left.
            stream = service.flow_stream(integration_id, last_event_id=self._last_event_id)
            for item in stream.follow(token, progress):
                progress(item)

        self._task = run_task(
            work,
            owner=self,
            on_progress=self._arrived,
            on_error=self._failed,
            with_token=True,
            with_progress=True,
        )

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None
        self.live = False

    def _arrived(self, item: StreamItem | StreamStatus) -> None:
        # Here, not at the top: the stream starts after the window's first paint.
        from flowdock_desktop.api.stream import StreamStatus

        if isinstance(item, StreamStatus):
            if item.state == "live":
                self._set_state(True, "Live: changes show as they happen.")
            elif item.state == "waiting" and item.error is not None:
                reason = item.error.user_message.rstrip(".")
                self._set_state(
                    False,
                    f"Live updates interrupted ({reason}); reconnecting in "
                    f"{max(1, round(item.delay))} s, {POLLING} meanwhile.",
                )
            return
        if item.event_id is not None:
            self._last_event_id = item.event_id
        message = thread_message(item.message)
        if message is not None:
            self.message_arrived.emit(message)

    def _failed(self, error: BaseException) -> None:
        self._task = None
        if isinstance(error, Cancelled):
            return
        from flowdock_desktop.api.errors import NotFoundError

        if isinstance(error, NotFoundError):
            # Servers without Flowdock's Streaming API (or a flow it does not stream).
            reason = "the server offers no live stream for this flow"
        else:
            reason = explain_briefly(error).rstrip(".")
        self._set_state(False, f"No live updates ({reason}); {POLLING}.")

    def _set_state(self, live: bool, text: str) -> None:
        self.live = live
        self.state_changed.emit(live, text)


class ThreadsFollower(QObject):
    """Keeps the Threads tab and the preview's thread card in step with the stream.

    Owns the ``LiveThreads`` subscription and the ``following.ThreadBoard`` (what each listed
    thread looks like now, and which changed since the person last looked). The window hands
    it each fresh listing (``show_listing``) and what the person sent (``sent_here``).

    Signals: ``changed`` when what is known about the threads changed (a listing, a stream
    message), so the thread card can show it; ``live_changed(bool)``: True while the stream
    is live (the window stops polling then).
    Attributes: ``live``, ``board``.
    """

    changed = Signal()
    live_changed = Signal(bool)

    def __init__(
        self, service: Callable[[], SendService], panel: ThreadsPanel, parent: QObject
    ) -> None:
        super().__init__(parent)
        self._service = service
        self.panel = panel
        self.board = ThreadBoard()
        self._note: str | None = None
        self.live = LiveThreads(service, self)
        self.live.message_arrived.connect(self._arrived)
        self.live.state_changed.connect(self._state_changed)
        panel.thread_selected.connect(self._looked_at)

    def forget(self) -> None:
        """Another integration is shown: what was known of the threads listed goes."""
        self.board = ThreadBoard()

    def follow(self, integration_id: str | None) -> None:
        """Follow an integration's flow (the same one again after a failure restarts it).

        The board stays: the listing of the integration shown can come in before its stream
        starts (which waits until the window shows its message), and what the stream brings
        must land on that listing (``forget`` is for a change of integration)."""
        if integration_id != self.live.integration_id:
            self.panel.people = {}
            if integration_id is not None:
                service = self._service()
                run_task(
                    lambda: service.flow_people(integration_id),
                    owner=self,
                    on_done=lambda people: self._people(integration_id, people),
                    on_error=lambda _error: None,  # names are a nicety: "someone" instead
                )
        self.live.follow(integration_id)

    def stop(self) -> None:
        self.live.stop()

    def show_listing(
        self, views: list[ThreadView], note: str | None, known: Collection[str] = ()
    ) -> None:
        """A fresh listing; threads in ``known`` were not asked for and keep their state."""
        self._note = note
        self.board.set_views(views, known)
        self._render()
        self.changed.emit()

    def sent_here(self, uuid: str) -> None:
        self.board.sent_here(uuid)
        self._render()

    def streamed(self) -> set[str]:
        """Ids of threads the live stream keeps current (none while it is not live)."""
        return self.board.streamed() if self.live.live else set()

    def current_for(self, key: str | None) -> Thread | None:
        """The server's current state of the thread with this key, when it is known."""
        view = self.board.view_for(key)
        return view.remote if view is not None else None

    def _people(self, integration_id: str, people: dict[str, str]) -> None:
        if integration_id == self.live.integration_id:
            self.panel.people = people

    def _arrived(self, message: Message) -> None:
        view = self.board.apply(message)
        if view is None:
            return
        current = self.panel.current()
        if current is not None and current.key == view.key and self.panel.isVisible():
            self.board.seen(view.key)  # the person is looking at it right now
        self._render()
        self.panel.add_to_timeline(message)
        self.changed.emit()

    def _looked_at(self, view: ThreadView) -> None:
        if view.key in self.board.changed:
            self.board.seen(view.key)
            self._render()

    def _state_changed(self, live: bool, text: str) -> None:
        self.panel.live_note.setText(text)
        self.live_changed.emit(live)

    def _render(self) -> None:
        self.panel.set_threads(self.board.views, self._note, self.board.changed)
