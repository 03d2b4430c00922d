"""Adds the package that ``resources/`` becomes to the packages setuptools finds.

Everything else is in pyproject.toml. Its ``packages.find`` only looks inside
``flowdock_desktop/``, and pyproject.toml cannot add one more package to what it finds, so the
list is made here: every package under ``flowdock_desktop/`` plus the data packages mapped from
``resources/`` (``package-dir`` in pyproject.toml).
"""

from setuptools import find_packages, setup

# The subfolders are listed as packages too, so setuptools ships their files as package data
# instead of warning that they look like packages it would leave out.
RESOURCE_PACKAGES = [
    "flowdock_desktop._resources",
    "flowdock_desktop._resources.callback",
    "flowdock_desktop._resources.icons",
]

setup(
    packages=[
        *find_packages(include=["flowdock_desktop", "flowdock_desktop.*"]),
        *RESOURCE_PACKAGES,
    ]
)
