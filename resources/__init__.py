"""Files the app reads at run time, shipped inside the package as ``flowdock_desktop._resources``.

Edit them here. The build maps this folder into the package (``package-dir`` in pyproject.toml,
the package list in setup.py), and the app reads them through
:mod:`flowdock_desktop.resources`. This file makes the folder importable under that name in an
editable install too; ``linux/`` is for the Linux installers and stays out of the wheel.
"""
