# Quick start: `make run` starts the app against the embedded sandbox,
# `make test` runs the whole suite. Both create .venv when it is missing.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run sandbox test test-fast lint bench screenshots clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) -m flowdock_desktop --sandbox

sandbox: $(STAMP)
	$(PY) -m flowdock_desktop sandbox --auto-approve

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check flowdock_desktop tests benchmarks
	$(PY) -m ruff format --check flowdock_desktop tests benchmarks

bench: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m benchmarks

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen FLOWDOCK_SCREENSHOTS=docs/screenshots $(PY) -m pytest -m gui -q

clean:
	rm -rf build dist *.egg-info .pytest_cache .ruff_cache
