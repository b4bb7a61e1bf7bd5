# `make test` and `make demo` set everything up on a fresh machine: the virtual
# environment, the package with its extras, and the system programs the tests
# use (Graphviz's `dot`; Chromium and its driver for the browser test).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
EXTRAS := test,notebook

.PHONY: test demo test-thorough bench lint setup system-deps need clean

test: setup system-deps
	$(PY) -m ruff check autograd nn viz tests benchmarks
	$(PY) -m pytest

test-thorough: setup system-deps
	HYPOTHESIS_PROFILE=thorough $(PY) -m pytest

demo: setup
	$(PY) -m viz.demo

bench: setup
	$(PY) -m pip install -q -e '.[$(EXTRAS),bench]'
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_mlp.py
	$(PY) benchmarks/bench_tape.py
	$(PY) benchmarks/bench_notebooks.py

lint: setup
	$(PY) -m ruff check autograd nn viz tests benchmarks

# the venv and the package; dot is needed by everything that renders
setup: $(INSTALLED)
	@$(MAKE) --no-print-directory need PROGRAMS="dot" PACKAGES="graphviz"

# what only the test suite needs: a real browser for the stepper test
system-deps:
	@$(MAKE) --no-print-directory need PROGRAMS="chromium chromedriver" PACKAGES="chromium chromium-driver"

# install PACKAGES with apt-get when any of PROGRAMS is missing (as root), else say how
need:
	@missing=""; for p in $(PROGRAMS); do command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "Installing$$missing (Debian packages: $(PACKAGES)) with apt-get..."; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PACKAGES) >/dev/null || exit 1; \
	  else \
	    echo "Missing:$$missing. Install them first: sudo apt-get install $(PACKAGES) (Graphviz: or brew install graphviz), then run make again." >&2; \
	    exit 1; \
	  fi; \
	fi

$(PY):
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[$(EXTRAS)]'
	touch $@

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis .ruff_cache *.egg-info
