"""Start the GUI: the QApplication, the shared context, and which window shows when."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QWidget

from flowdock_desktop import __version__
from flowdock_desktop.ui import collector, feature_check
from flowdock_desktop.ui.theme import STYLE_ARGUMENTS, app_icon, apply_theme

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMessageBox

    from flowdock_desktop.context import AppContext
    from flowdock_desktop.store.integrations import Integration

# The wizard, the composer and the embedded sandbox are imported where first opened: the
# first window shows without the code of the others.

log = logging.getLogger(__name__)


def application() -> QApplication:
    """The one QApplication (created on first use), themed."""
    # In place already when this module was imported (ui.feature_check); never twice.
    feature_check.install()
    app = QApplication.instance()
    if app is None:
        # The style as an argument: Qt sets it up without a Python QStyle object (ui.theme).
        app = QApplication([*sys.argv[:1], *STYLE_ARGUMENTS])
        # Little of what the start makes is garbage: no collections until it has settled.
        collector.pause_start()
        app.setApplicationName("Flowdock Desktop")
        app.setOrganizationName("Flowdock Desktop")
        app.setApplicationVersion(__version__)
        # Lets Wayland compositors match windows to the desktop entry (and its icon).
        app.setDesktopFileName("flowdock-desktop")
        app.setWindowIcon(app_icon())
        apply_theme(app, set_style=False)
    assert isinstance(app, QApplication)
    return app


class WindowRouter(QObject):
    """Opens the wizard, the composer and the integration settings, and keeps them alive.

    Attributes: ``windows`` (every top-level window it opened), ``notice`` (the message box
    shown instead of the composer while the composer is not part of the build).
    """

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.windows: list[QWidget] = []
        self.notice: QMessageBox | None = None

    def _keep(self, window: QWidget) -> QWidget:
        self.windows.append(window)
        window.destroyed.connect(lambda *_: self._forget(window))
        window.show()
        window.raise_()
        return window

    def _forget(self, window: QWidget) -> None:
        if window in self.windows:
            self.windows.remove(window)

    def show_start(self) -> QWidget:
        """The composer when integrations exist, the wizard otherwise."""
        from flowdock_desktop.store.health import never_had_data

        # A first start has no data file yet: the wizard, without opening one first.
        if not never_had_data(self.context.profile):
            active = self.context.integrations.list(include_removed=False)
            if active:
                return self.open_composer(active[0].id)
        return self.show_wizard()

    def show_wizard(
        self,
        *,
        setup_link: str | None = None,
        api_url: str | None = None,
        reconnect: Integration | None = None,
    ):
        from flowdock_desktop.ui.wizard import PageId, SetupWizard

        # Asked again for the same setup while one is under way (Add… pressed twice, say):
        # that wizard comes to the front, rather than a second one over it.
        key = (setup_link, api_url, reconnect.id if reconnect else None)
        for window in self.windows:
            if (
                isinstance(window, SetupWizard)
                and window.isVisible()
                and getattr(window, "opened_for", None) == key
                and window.currentId() != PageId.DONE
            ):
                window.raise_()
                window.activateWindow()
                return window
        wizard = SetupWizard(
            self.context, setup_link=setup_link, api_url=api_url, reconnect=reconnect
        )
        wizard.opened_for = key  # what it was opened for, to bring it back for the same
        wizard.open_composer_requested.connect(self.open_composer)
        wizard.integration_created.connect(self._integration_created)
        return self._keep(wizard)

    def _composer(self) -> QWidget | None:
        return next((w for w in self.windows if w.objectName() == "composer"), None)

    def _integration_created(self, integration_id: str) -> None:
        composer = self._composer()
        if composer is not None:
            composer.reload_integrations()

    def open_composer(self, integration_id: str | None = None) -> QWidget:
        """Show the composer on ``integration_id``; an open composer is reused."""
        existing = self._composer()
        if existing is not None:
            existing.integration_id = integration_id or existing.integration_id
            existing.reload_integrations()
            existing.show()
            existing.raise_()
            existing.activateWindow()
            return existing
        try:
            from flowdock_desktop.ui.composer import ComposerWindow
        except ImportError:
            from PySide6.QtWidgets import QMessageBox

            # The composer is built separately; until it ships, say what was set up.
            box = QMessageBox(
                QMessageBox.Icon.Information,
                "Flowdock Desktop",
                "The integration is set up. The composer is not part of this build yet; use "
                "`flowdock-desktop integrations` to see your integrations.",
            )
            box.setObjectName("composer-stand-in")
            self.notice = box
            return self._keep(box)
        window = ComposerWindow(self.context, integration_id=integration_id)
        window.setObjectName("composer")
        window.add_integration_requested.connect(lambda: self.show_wizard())
        window.reconnect_requested.connect(self.reconnect)
        return self._keep(window)

    def reconnect(self, integration_id: str) -> QWidget | None:
        """The wizard on only the steps that give an integration its flow token back."""
        from flowdock_desktop.store.integrations import UnknownIntegrationError

        try:
            integration = self.context.integrations.get(integration_id)
        except UnknownIntegrationError:
            return None
        return self.show_wizard(reconnect=integration)

    def open_link(self, link: str) -> QWidget:
        """A setup or configuration link (``flowdock-desktop://…`` or Flowdock's own form).

        Raises ``SetupLinkError``/``ConnectError`` with plain words when it cannot be used.
        """
        from flowdock_desktop.connect import integration_for_link
        from flowdock_desktop.setup_links import ConfigurationLink, parse_link

        parsed = parse_link(link)
        if isinstance(parsed, ConfigurationLink):
            integration = integration_for_link(
                self.context.integrations, parsed, self.context.api_url
            )
            return self.show_configure(integration)
        return self.show_wizard(setup_link=link)

    def handle_message(self, message: str) -> None:
        """What another start of the app handed over: a link to open, or "" to come forward."""
        from flowdock_desktop.connect import ConnectError
        from flowdock_desktop.setup_links import SetupLinkError

        if not message:
            if self.windows:
                window = self.windows[-1]
                window.show()
                window.raise_()
                window.activateWindow()
            else:
                self.show_start()
            return
        try:
            self.open_link(message)
        except (SetupLinkError, ConnectError) as exc:
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.warning(None, "Flowdock Desktop", str(exc))

    def show_configure(self, integration: Integration) -> QWidget:
        from flowdock_desktop.ui.integration_settings import IntegrationSettingsDialog

        dialog = IntegrationSettingsDialog(self.context, integration)
        dialog.sign_in_requested.connect(lambda url: self.show_wizard(api_url=url))
        dialog.reconnect_requested.connect(self.reconnect)
        dialog.removed.connect(self._integration_removed)
        return self._keep(dialog)

    def _integration_removed(self, integration_id: str) -> None:
        composer = self._composer()
        if composer is not None:
            composer.integration_removed(integration_id)


class LinkEvents(QObject):
    """Opens links the desktop hands to the running app as events (macOS sends
    ``flowdock-desktop://`` links as ``QFileOpenEvent``, not on the command line)."""

    def __init__(self, router: WindowRouter) -> None:
        super().__init__()
        self.router = router

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.FileOpen:
            return False
        link = event.url().toString() or event.file()
        if not link:
            return False
        self.router.handle_message(link)
        return True


def shut_down(context: AppContext, wait_ms: int | None = None) -> None:
    """What quitting does once the last window has closed: background work is cancelled and
    given up to ``wait_ms`` (``tasks.QUIT_WAIT_MS``) to end, so a message being posted is
    recorded as sent; then the profile closes. A post still under way after that stays
    claimed in the outbox, and the next start sends it again under the same uuid."""
    from flowdock_desktop.ui import tasks

    tasks.shutdown(tasks.QUIT_WAIT_MS if wait_ms is None else wait_ms)
    context.close()


def run_gui(
    *,
    setup_link: str | None = None,
    configuration_link: str | None = None,
    sandbox: bool = False,
    context: AppContext | None = None,
) -> int:
    """Run the GUI until the last window closes; returns the exit status."""
    from flowdock_desktop.cli import CommandError
    from flowdock_desktop.context import AppContext
    from flowdock_desktop.logs import setup_logging
    from flowdock_desktop.problems import explain
    from flowdock_desktop.selftest import exit_when_idle
    from flowdock_desktop.store.health import StoreDamaged, never_had_data
    from flowdock_desktop.ui.errors import ErrorHandler, problem_box
    from flowdock_desktop.ui.single_instance import SingleInstance

    app = application()
    try:
        context = context or AppContext()
    except Exception as exc:  # the profile cannot even be opened: say why, then quit
        problem_box(exc, None).exec()
        return explain(exc).exit_status
    # A copy already open on this profile takes the link (or just comes forward); we quit.
    instance = SingleInstance(str(context.profile.dir))
    if instance.send_to_running(configuration_link or setup_link or ""):
        context.close()
        return 0
    setup_logging(context.profile)
    log.info("Flowdock Desktop %s starting; profile %s", __version__, context.profile.dir)
    errors = ErrorHandler(context.profile.log_dir)  # any error from here on: a window
    try:
        if not never_had_data(context.profile):
            # A first start has nothing to check; the first page opens the file in the
            # background.
            try:
                context.db  # noqa: B018 - checks the data file before any window uses it
            except StoreDamaged as exc:
                errors.show(exc)  # kept and recovered: say so, then carry on with what was read
        router = WindowRouter(context)
        if sys.platform == "darwin":
            # Only macOS hands links over as events. A Python filter on the application sees
            # every object's events, and PySide creates the enums of every Qt class it meets
            # (about 170 on a first start, before the first paint).
            link_events = LinkEvents(router)  # kept for as long as the app runs
            app.installEventFilter(link_events)
        instance.message_received.connect(router.handle_message)
        instance.listen()
        if configuration_link is not None or setup_link is not None:
            from flowdock_desktop.connect import ConnectError
            from flowdock_desktop.setup_links import SetupLinkError

            try:
                router.open_link(configuration_link or setup_link or "")
            except (SetupLinkError, ConnectError) as exc:
                raise CommandError(str(exc)) from None
        else:
            router.show_start()
        from flowdock_desktop.ui.collector import settle
        from flowdock_desktop.ui.first_paint import after_first_paint

        if router.windows:
            # What start-up made (modules, the first window) lives until the app quits.
            after_first_paint(router.windows[-1], settle)
        if sandbox or context.uses_embedded_sandbox():
            # The window first, then the sandbox, in the background: the first page works
            # meanwhile, and requests to the sandbox wait for it (AppContext's clients). A
            # busy port is left for the wizard's Server page to explain; an unusable data file
            # is explained (and can be moved aside) in a window of its own.

            def started(url: str) -> None:
                if sandbox:
                    context.api_url = url
                settle()  # the sandbox's modules and app live as long as this one

            def start() -> None:
                from flowdock_desktop.ui.sandbox_data import start_embedded_sandbox_in_background

                start_embedded_sandbox_in_background(context, started)

            # Only once the window has painted: the worker's imports (Starlette, uvicorn)
            # would hold the GIL while the window waits for it. Clients wait meanwhile.
            context.expect_embedded_sandbox()
            if router.windows:
                after_first_paint(router.windows[-1], start)
            else:
                start()
        exit_when_idle(app)  # start-up benchmarks only; a no-op otherwise
        return app.exec()
    except CommandError:
        raise
    except Exception as exc:  # start-up failed (say, a read-only profile): say why, then quit
        errors.show(exc).exec()
        return explain(exc).exit_status
    finally:
        errors.uninstall()
        instance.close()
        shut_down(context)
