# Runtime hook of the Linux build (packaging/flowdock-desktop.spec), in place of PyInstaller's
# pyi_rth_pyside6. That hook imports PySide6.QtCore before the program's first line, so every
# command (`--version`, `send`, ...) paid for loading Qt, and it registers a qt.conf that
# PySide6's own wheel already registers when QtCore is imported. What is left of it on Linux is
# telling Qt where the bundled plugins are; the program itself imports Qt when it needs it.
import os
import sys

os.environ["QT_PLUGIN_PATH"] = os.path.join(sys._MEIPASS, "PySide6", "Qt", "plugins")
