# Quick start: `make run` starts the app against the embedded sandbox,
# `make test` runs the suite (all but the slow wheel test: `make dist-test`). Both create .venv
# when it is missing.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run sandbox test test-fast lint bench screenshots clean

$(STAMP): pyproject.toml setup.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# Flowdock's official Node.js client, which tests/compat runs against the sandbox.
NODE_CLIENT := tests/compat/node/node_modules/.installed-stamp
$(NODE_CLIENT): tests/compat/node/package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --prefix tests/compat/node --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the Node.js client tests will be skipped"; fi

# Before the window: the Qt libraries a fresh Debian/Ubuntu desktop may lack are named (and
# installed when run as root); packaging/qt-runtime-libraries.txt lists them.
run: $(STAMP)
	sh packaging/check_runtime_libraries.sh
	$(PY) -m flowdock_desktop --sandbox

sandbox: $(STAMP)
	$(PY) -m flowdock_desktop sandbox --auto-approve

# The wheel test is slow (it installs PySide6 into a new environment): `make dist-test` runs it.
test: $(STAMP) $(NODE_CLIENT)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -m "not dist"

lint: $(STAMP)
	$(PY) -m ruff check flowdock_desktop tests benchmarks setup.py
	$(PY) -m ruff format --check flowdock_desktop tests benchmarks setup.py

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m benchmarks

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen FLOWDOCK_SCREENSHOTS=docs/screenshots $(PY) -m pytest -m 'gui or browser' -q

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache

# Installers: `make package` builds the one-folder program, the .deb and the portable .tar.gz
# into dist/ (packaging/README.md covers Windows and macOS); `make package-test` unpacks the
# .deb into a throw-away root and runs the installed program's --version and --self-test.
.PHONY: package package-test

package: $(STAMP)
	$(PY) -m pip install --quiet -e '.[package]'
	$(PY) packaging/build_linux.py

package-test: $(STAMP) $(NODE_CLIENT)
	PYTHON=$(PY) sh packaging/test_package.sh

# Python packages: `make dist` builds the sdist and, from it, the wheel into dist/ (what
# `pip install` and `pipx install` take); `make dist-test` builds both afresh, installs the wheel
# into a new virtual environment and runs the installed program's --version and --self-test.
.PHONY: dist dist-test

# Without the old egg-info, setuptools cannot reuse an earlier build's file list for the sdist.
dist: $(STAMP)
	rm -rf flowdock_desktop.egg-info
	$(PY) -m build --outdir dist .

dist-test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -m dist
