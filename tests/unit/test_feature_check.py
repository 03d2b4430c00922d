"""The cheaper check PySide's import hook runs on every new module gives PySide's own answer."""

from __future__ import annotations

import inspect
import sys
from types import ModuleType

import pytest

from flowdock_desktop.ui import feature_check


def pyside_answer(module: ModuleType) -> bool:
    """What PySide's own check answers: "PySide6" in the module's source, False without one."""
    try:
        return "PySide6" in inspect.getsource(module)
    except (TypeError, OSError):
        return False


def _never(module: ModuleType) -> bool:
    raise AssertionError(f"{module.__name__} should have been answered from its file")


@pytest.mark.parametrize(
    "name",
    [
        "flowdock_desktop.ui.theme",  # uses PySide
        "flowdock_desktop.ui",  # a package: its __init__.py mentions no PySide6 itself
        "flowdock_desktop.cancel",  # a lower layer: no Qt
        "json.decoder",  # the standard library
        "PySide6.QtCore",  # a compiled extension: no source
    ],
)
def test_answers_as_pyside_does_without_asking_it(name):
    __import__(name)
    module = sys.modules[name]
    assert feature_check.reads_source_file(_never)(module) == pyside_answer(module)


def test_anything_without_a_source_file_goes_to_pysides_own_check(tmp_path):
    asked = []

    def fallback(module: ModuleType) -> bool:
        asked.append(module.__name__)
        return False

    check = feature_check.reads_source_file(fallback)
    gone = ModuleType("gone")
    gone.__file__ = str(tmp_path / "gone.py")  # a file that cannot be read
    assert check(sys) is False  # built in: no __file__
    assert check(gone) is False
    assert asked == ["sys", "gone"]


def test_installed_once_with_the_application(qapp):
    from flowdock_desktop.ui.app import application

    application()
    check = getattr(sys.modules[feature_check.FEATURE_MODULE], feature_check.CHECK_NAME)
    assert getattr(check, "reads_source_file", False)
    assert feature_check.install() is False  # already in place: not wrapped twice


def test_in_place_as_soon_as_the_gui_module_loads():
    # Before the context, the stores and the windows are imported (run_gui imports them after
    # ui.app), so none of them gets PySide's own, slower check.
    import subprocess

    script = (
        "import sys\n"
        "import flowdock_desktop.ui.app\n"
        "from flowdock_desktop.ui import feature_check\n"
        "check = getattr(sys.modules[feature_check.FEATURE_MODULE], feature_check.CHECK_NAME)\n"
        "print(getattr(check, 'reads_source_file', False))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True"]
