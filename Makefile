# `make test` and `make demo` set everything up on a fresh machine: the virtual
# environment, the package with its extras, and Graphviz's `dot` binary.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: test demo test-thorough bench lint setup dot clean

test: setup
	$(PY) -m ruff check autograd nn viz tests benchmarks
	$(PY) -m pytest

test-thorough: setup
	HYPOTHESIS_PROFILE=thorough $(PY) -m pytest

demo: setup
	$(PY) -m autograd.demo

bench: setup
	$(PY) -m pip install -q -e '.[test,bench]'
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_mlp.py

lint: setup
	$(PY) -m ruff check autograd nn viz tests benchmarks

setup: $(INSTALLED) dot

$(PY):
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[test]'
	touch $@

dot:
	@command -v dot >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing Graphviz (dot) with apt-get..."; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	  else \
	    echo "Graphviz's 'dot' is missing: install it (sudo apt-get install graphviz, or brew install graphviz) and run make again." >&2; \
	    exit 1; \
	  fi; }

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis .ruff_cache *.egg-info
