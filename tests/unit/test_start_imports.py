"""What a start loads before its first window: the command line is built on every start (the
GUI's included), so it must not bring in the server, the keyring, HTTP or SQLite."""

from __future__ import annotations

import json
import subprocess
import sys

#: Loaded only by the commands (or the workers) that use them.
HEAVY = ("starlette", "uvicorn", "keyring", "httpx", "authlib", "sqlite3", "PySide6")


#: The start of a child that opens windows offscreen on a fresh profile; ``report(text)``
#: puts ``text`` among the names ``_loaded_after`` returns, ``report_types(names, prefix)``
#: reports each of PySide's classes in ``names`` whose Python type has been made.
GUI_CHILD = (
    "import os, tempfile\n"
    "os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
    "os.environ['FLOWDOCK_DESKTOP_HOME'] = tempfile.mkdtemp()\n"
    "def report(text):\n"
    "    sys.modules[text] = sys\n"
    "def report_types(names, prefix):\n"
    "    from PySide6 import QtGui, QtWidgets\n"
    "    made = {*vars(QtGui), *vars(QtWidgets)}\n"
    "    for name in set(names) & made:\n"
    "        report(prefix + name)\n"
)


def _loaded_after(code: str) -> list[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def test_building_the_command_line_loads_none_of_the_heavy_libraries():
    loaded = _loaded_after(
        "from flowdock_desktop.cli import build_parser, route_link\n"
        "build_parser().parse_args(route_link(['--sandbox']))"
    )
    heavy = [name for name in loaded if name.split(".")[0] in HEAVY]
    assert heavy == []
    # The sub-command modules themselves are part of it (so the test sees their imports).
    assert "flowdock_desktop.sandbox.commands" in loaded
    assert "flowdock_desktop.auth.commands" in loaded


def test_the_sandbox_package_still_exports_its_names():
    import flowdock_desktop.sandbox as sandbox

    for name in sandbox.__all__:
        assert getattr(sandbox, name) is not None
    from flowdock_desktop.sandbox.server import SandboxServer

    assert sandbox.SandboxServer is SandboxServer


def test_the_composer_loads_its_dialogs_and_setup_code_when_used():
    # The Help menu's dialogs, the About box, the template placeholders' dialog and the
    # Save-as-template one, the reconnect code (setup links, the API's sources), the stream's
    # client, the API's models (messages and threads read from Flowdock) and the Announcement
    # view (built when first shown) are opened or run later, on demand or on a worker: not
    # loaded with the window.
    loaded = set(_loaded_after("import flowdock_desktop.ui.composer.window"))
    later = {
        "flowdock_desktop.ui.account",
        "flowdock_desktop.account_status",
        "flowdock_desktop.ui.about",
        "flowdock_desktop.ui.composer.placeholder_dialog",
        "flowdock_desktop.ui.composer.template_dialog",
        "flowdock_desktop.ui.composer.announcement",
        "flowdock_desktop.connect",
        "flowdock_desktop.setup_links",
        "flowdock_desktop.api.stream",
        "flowdock_desktop.api.models",
        # The outbox's and the history's stores (and the socket module the outbox names its
        # claims with): read once the message shows, on a worker. The retry policy comes with
        # the sending service, made when first asked for.
        "flowdock_desktop.store.outbox",
        "flowdock_desktop.store.history",
        "socket",
        "flowdock_desktop.api.retry",
        # The sending service's module (its dataclasses): the form's check and the preview's
        # curl command live in compose.payload.
        "flowdock_desktop.sending",
        # The standard library's uuid and platform (its regular expressions): ids are made
        # and crash reports written later.
        "uuid",
        "platform",
    }
    assert loaded & later == set()


def test_a_gui_start_finds_its_icon_and_makes_no_message_box_before_one_is_shown():
    # The icon is a plain file next to the package: found without importlib.resources and its
    # readers. QMessageBox's Python type (and its enums) is made only when a box is shown.
    code = (
        "import os\n"
        "os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from PySide6 import QtWidgets\n"
        "from flowdock_desktop.ui.app import application\n"
        "import flowdock_desktop.ui.composer.window\n"
        "import flowdock_desktop.ui.wizard.wizard\n"
        "application()\n"
        "if 'QMessageBox' in vars(QtWidgets):\n"
        "    sys.modules['QMessageBox made'] = QtWidgets\n"
    )
    loaded = set(_loaded_after(code))
    assert "importlib.resources" not in loaded
    assert "QMessageBox made" not in loaded


def test_a_gui_start_makes_the_python_types_of_only_the_events_it_handles():
    # A Python handler taking a plain QEvent (an event filter, changeEvent) makes PySide create
    # the Python type of every QEvent subclass the first time it runs. The wizard's first
    # paint, a field's message and a banner shown (each re-colours on a light/dark switch)
    # must not: events nobody here handles keep no Python type.
    code = GUI_CHILD + (
        "from PySide6 import QtWidgets\n"
        "from PySide6.QtWidgets import QLineEdit, QVBoxLayout\n"
        "from flowdock_desktop.ui import app as gui\n"
        "from flowdock_desktop.ui.first_paint import after_first_paint\n"
        "from flowdock_desktop.ui.widgets import Banner, labelled_field\n"
        "from flowdock_desktop.context import AppContext\n"
        "app = gui.application()\n"
        "context = AppContext()\n"
        "wizard = gui.WindowRouter(context).show_wizard()\n"
        "box = QtWidgets.QWidget()\n"
        "layout = QVBoxLayout(box)\n"
        "banner = Banner()\n"
        "field, message = labelled_field('Name', QLineEdit())\n"
        "layout.addWidget(banner)\n"
        "layout.addWidget(field)\n"
        "box.show()\n"
        "banner.show_message('error', 'The server is unreachable.', 'Try again')\n"
        "message.show_error('Enter a name.')\n"
        "painted = []\n"
        "after_first_paint(wizard, lambda: (painted.append(1), app.quit()))\n"
        "app.exec()\n"
        "context.close()\n"
        "assert painted\n"
        "report_types(['QFileOpenEvent', 'QTabletEvent', 'QHelpEvent', 'QStatusTipEvent'],\n"
        "             'made: ')\n"
    )
    loaded = set(_loaded_after(code))
    assert [name for name in loaded if name.startswith("made: ")] == []


def test_the_composer_reads_its_outbox_and_threads_once_its_message_shows():
    # The message a person waits for needs neither the outbox (the footer's line) nor the
    # thread list (the id field's suggestions): both are read right after it shows, so their
    # stores' modules (and the socket module the outbox's claims name the host with) are not
    # loaded before it, nor is the sending service made (nor its module loaded, nor its retry
    # policy); nor are the Python types of the rows and headers of the tabs not shown, of the
    # text cursor the formatting buttons use, or of dialogs. Then the footer says what the
    # outbox holds.
    code = GUI_CHILD + (
        "from flowdock_desktop.ui import app as gui\n"
        "from flowdock_desktop.context import AppContext\n"
        "from PySide6.QtCore import QTimer\n"
        "with AppContext() as seeding:\n"
        "    seeding.integrations.add(api_url='http://127.0.0.1:9', flow_id='f1',\n"
        "        flow_name='Main', organization_name='Acme', org_slug='acme',\n"
        "        flow_slug='main', source_id=1, source_name='Bot',\n"
        "        source_url='http://127.0.0.1:9/flows/acme/main/sources/1')\n"
        "app = gui.application()\n"
        "context = AppContext()\n"
        "window = gui.WindowRouter(context).show_start()\n"
        "footer = []\n"
        "def shown():\n"
        "    stores = ('flowdock_desktop.store.outbox', 'flowdock_desktop.store.history')\n"
        "    for name in [*stores, 'socket', 'flowdock_desktop.api.retry',\n"
        "                 'flowdock_desktop.sending']:\n"
        "        if name in sys.modules:\n"
        "            report('loaded before the message: ' + name)\n"
        "    types = ['QTreeWidgetItem', 'QHeaderView', 'QTextCursor', 'QDialog']\n"
        "    report_types(types, 'loaded before the message: ')\n"
        "    def footer_filled():\n"
        "        footer.append(window.outbox_label.full_text())\n"
        "        if footer[-1]:\n"
        "            app.quit()\n"
        "        else:\n"
        "            QTimer.singleShot(20, footer_filled)\n"
        "    footer_filled()\n"
        "window.message_shown.connect(shown)\n"
        "QTimer.singleShot(30_000, app.quit)\n"
        "app.exec()\n"
        "window.close()\n"
        "context.close()\n"
        "report('footer: ' + footer[-1])\n"
    )
    loaded = set(_loaded_after(code))
    assert [name for name in loaded if name.startswith("loaded before")] == []
    assert "footer: Outbox empty: all sent." in loaded


def _fit_in_a_child(panel_code: str) -> set[str]:
    """What a GUI child reported after ``panel_code`` made a ``panel``, showed it, listed rows
    with long titles and widened it; checks that no unrelated widget type was made and that
    the title column was fitted to the wider list (the long titles have a share of it)."""
    code = GUI_CHILD + (
        "from flowdock_desktop.ui import app as gui\n"
        "from PySide6 import QtWidgets\n"
        "app = gui.application()\n"
        "unrelated = {'QMdiArea', 'QWizard', 'QGraphicsView', 'QMessageBox', 'QFontDialog'}\n"
        "unrelated -= set(vars(QtWidgets))  # those the application made are not counted\n"
        "report('unrelated: %d' % len(unrelated))\n"
        f"{panel_code}"
        "tree = panel.tree\n"
        "report('title width: %d of %d' % (tree.columnWidth(1), tree.header().width()))\n"
        "report('scrolls: %d' % tree.horizontalScrollBar().maximum())\n"
        "report_types(unrelated, 'made: ')\n"
    )
    loaded = set(_loaded_after(code))
    assert "unrelated: 5" in loaded  # none of them was made before the panel
    assert [name for name in loaded if name.startswith("made: ")] == []
    (width,) = [name for name in loaded if name.startswith("title width: ")]
    title, header = (int(part) for part in width.removeprefix("title width: ").split(" of "))
    assert 0 < title < header
    return loaded


def test_the_threads_tab_fits_its_columns_without_making_unrelated_widget_types():
    # Asking a view for its viewport (a plain QWidget) made PySide resolve that widget against
    # every widget class it knows, creating their Python types and enums on the spot: 19 ms of
    # the GUI thread when the first threads arrived with the tab shown, in the middle of
    # sending. Fitting the columns, then and when the list is resized, must not.
    _fit_in_a_child(
        "from flowdock_desktop.sending import ThreadView\n"
        "from flowdock_desktop.store.history import ThreadSummary\n"
        "from flowdock_desktop.ui.composer.threads_panel import ThreadsPanel\n"
        "panel = ThreadsPanel()\n"
        "panel.resize(480, 300)\n"
        "panel.show()\n"
        "app.processEvents()\n"
        "views = [ThreadView(ThreadSummary(integration_id='i1', key=f'k{n}',\n"
        "    external_thread_id=f'k{n}', thread_id=None, title=f'Deploy {n} ' * 8,\n"
        "    status_value='ok', status_color='green', last_event='activity',\n"
        "    last_sent_at=1_700_000_000.0 + n, message_count=n)) for n in range(40)]\n"
        "panel.set_threads(views)\n"
        "app.processEvents()\n"
        "panel.resize(700, 300)\n"
        "app.processEvents()\n"
    )


def test_the_outbox_tab_fits_its_columns_without_making_unrelated_widget_types():
    # As the Threads tab: fitting the Outbox tab's columns (built as the tab shows, then when
    # the outbox is read and when the tab is resized) reads the header's width and watches
    # the header, never the viewport. And the list has no horizontal scroll bar.
    loaded = _fit_in_a_child(
        "import time\n"
        "from PySide6.QtTest import QTest\n"
        "from flowdock_desktop.store.outbox import OutboxItem\n"
        "from flowdock_desktop.ui.composer.outbox_panel import OutboxPanel\n"
        "panel = OutboxPanel()\n"
        "panel.resize(340, 400)\n"
        "panel.show()\n"
        "panel.build()\n"
        "QTest.qWait(50)\n"
        "items = [OutboxItem(id=n, integration_id='i1', uuid=str(n),\n"
        "    payload={'event': 'activity', 'title': f'Deploy {n} ' * 8}, state='failed',\n"
        "    attempts=1, next_attempt_at=time.time(), last_error='Refused. ' * 20,\n"
        "    created_at=0.0, sent_at=None, response=None) for n in range(40)]\n"
        "panel.set_items(items, {'i1': 'acme/main / Deploy bot'})\n"
        "QTest.qWait(50)\n"
        "panel.resize(700, 400)\n"
        "QTest.qWait(50)\n"
    )
    assert "scrolls: 0" in loaded
