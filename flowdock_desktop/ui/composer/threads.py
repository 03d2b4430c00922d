"""ThreadsController: the Threads tab's list, live updates and timeline, and "Update this
thread"."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from flowdock_desktop.api.messages import Status
from flowdock_desktop.problems import explain_briefly
from flowdock_desktop.ui.composer.live import ThreadsFollower
from flowdock_desktop.ui.composer.threads_panel import ThreadsPanel
from flowdock_desktop.ui.tasks import run_task

if TYPE_CHECKING:
    from flowdock_desktop.api.models import Thread
    from flowdock_desktop.sending import SendService, ThreadListing, ThreadView


class ThreadsController(QObject):
    """Keeps the Threads tab (and the id field's suggestions) in step with the server: the
    flow's stream while it is live (``follower``, ``ui/composer/live.py``), otherwise a look
    at the server every ``refresh_ms`` (``timer``) while the tab shows.

    Signals: ``listed(list)`` with (id, title) pairs of threads that have an external id,
    ``update_ready(str, object)`` with a thread's key and its ``api.models.Thread`` when
    "Update this thread" has its current state, ``changed`` when what is known about the
    threads changed (the preview's thread card shows it).
    """

    listed = Signal(list)
    update_ready = Signal(str, object)
    changed = Signal()

    def __init__(
        self,
        service: Callable[[], SendService],
        panel: ThreadsPanel,
        *,
        show_error: Callable[[BaseException], Any],
        refresh_ms: int,
        start_after: Callable[[Callable[[], object]], None],
        parent: QObject,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self.panel = panel
        self._show_error = show_error
        self.integration_id: str | None = None
        self.timer = QTimer(self, interval=refresh_ms)
        self.timer.timeout.connect(self._refresh_if_visible)
        self.timer.start()
        self.follower = ThreadsFollower(service, panel, self)
        self.follower.changed.connect(self.changed)
        self.follower.live_changed.connect(self._live_changed)
        # The stream's task loads the sign-in code and httpx on a worker, holding the GIL
        # while the window paints and loads: it starts when ``start_after`` says (the
        # composer: once it has painted and shows its message), and so does the first list.
        self._ready = False
        self._stopped = False
        start_after(self._window_ready)
        panel.refresh_requested.connect(self.refresh)
        panel.thread_selected.connect(self._load_timeline)
        panel.update_requested.connect(self.update_thread)

    def show_integration(self, integration_id: str | None) -> None:
        """Another integration was chosen: empty the tab, follow its flow, list its threads."""
        self.integration_id = integration_id
        self.panel.clear()
        self.follower.forget()
        self.listed.emit([])
        self._follow(integration_id)
        if self._ready:
            self.refresh()

    @property
    def ready(self) -> bool:
        """The window has shown its message, and the first listing has been asked for."""
        return self._ready

    def _window_ready(self) -> None:
        self._ready = True
        self._follow(self.integration_id)
        # Listed once the window shows its message, as the stream starts: the list (the
        # history and the outbox's modules with it) is not part of the first paint.
        self.refresh()

    def _follow(self, integration_id: str | None) -> None:
        if self._ready and not self._stopped:
            self.follower.follow(integration_id)

    def stop(self) -> None:
        """The window closed: no stream is followed from now on, not even by a listing that
        answers after this (it follows the stream again, after a sign-in say)."""
        self._stopped = True
        self.timer.stop()
        self.follower.stop()

    def _live_changed(self, live: bool) -> None:
        # Live: the stream says what changes. Otherwise the timer asks the server.
        if live:
            self.timer.stop()
        elif not self.timer.isActive():
            self.timer.start()

    def current_for(self, key: str | None) -> Thread | None:
        """The thread with this key as the flow shows it now, when known."""
        return self.follower.current_for(key)

    def sent_here(self, uuid: str) -> None:
        """The person's own message: not a change for them to look at."""
        self.follower.sent_here(uuid)

    def _refresh_if_visible(self) -> None:
        if self.panel.isVisible():
            self.refresh()

    def refresh(self) -> None:
        integration_id = self.integration_id
        if integration_id is None:
            self.panel.set_threads([], None)
            return
        service = self._service()
        # While the stream is live it brings every change to the threads already listed:
        # only the others are asked for (after each send, say, that is no request at all).
        known = self.follower.streamed()
        run_task(
            lambda: service.threads(integration_id, known=known),
            owner=self,
            on_done=lambda listing: self._listed(integration_id, listing, known),
            on_error=self._failed,
        )

    def _listed(self, integration_id: str, listing: ThreadListing, known: set[str]) -> None:
        if integration_id != self.integration_id:
            return  # an answer for the integration shown before
        self.follower.show_listing(listing.threads, listing.note, known)
        self._follow(integration_id)  # again, after a sign-in say
        self.listed.emit(
            [(v.key, v.title or v.key) for v in listing.threads if v.external_thread_id]
        )

    def _failed(self, error: BaseException) -> None:
        self.panel.note.setText(explain_briefly(error))

    def _load_timeline(self, view: ThreadView) -> None:
        if self.integration_id is None or not view.thread_id:
            self.panel.show_timeline([], "This thread has no Flowdock id yet.")
            return
        integration_id, thread_id = self.integration_id, view.thread_id
        service = self._service()

        def shown(messages: Any) -> None:
            if integration_id == self.integration_id:
                self.panel.show_timeline(messages, None, thread_id)

        run_task(
            lambda: service.thread_messages(integration_id, thread_id),
            owner=self,
            on_done=shown,
            on_error=lambda e: self.panel.show_timeline(
                [], getattr(e, "user_message", None) or str(e)
            ),
        )

    def update_thread(self, view: ThreadView) -> None:
        """Fetch the thread's current state; ``update_ready`` delivers it."""
        if view.remote is not None:
            self.update_ready.emit(view.key, view.remote)
            return
        if self.integration_id is None or not view.thread_id:
            # Only the local history is known: keep its title and status.
            status = (
                Status(view.status_value, view.status_color or "grey")
                if view.status_value
                else None
            )
            from flowdock_desktop.api.models import Thread  # after a send: not at start

            self.update_ready.emit(view.key, Thread(title=view.title, status=status))
            return
        integration_id, thread_id = self.integration_id, view.thread_id
        service = self._service()
        run_task(
            lambda: service.thread(integration_id, thread_id),
            owner=self,
            on_done=lambda thread: self.update_ready.emit(view.key, thread),
            on_error=self._show_error,
        )
