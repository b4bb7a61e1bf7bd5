# `make test`, `make demo`, `make lab` and `make docs` set everything up on a fresh machine:
# the virtual environment, the package with its extras, and the system programs and fonts
# they use (Graphviz's `dot`, a font with Chinese glyphs; Chromium and its driver for the
# browser tests).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed
EXTRAS := test,notebook,export

.PHONY: test test-fast demo lab docs test-thorough bench lint typecheck setup system-deps need clean

# the full gate (what CI runs): lint, type check, and every test, the slow end-to-end ones too
test: setup system-deps lint typecheck
	$(PY) -m pytest

# everything but the slow end-to-end tests (notebooks, browser, the main job, JupyterLab,
# micrograd's demo): about a minute on 2 cores, for the edit-test loop
test-fast: setup lint
	$(PY) -m pytest -m "not slow"

# JupyterLab on the course's notebooks; LAB_ARGS passes options (--port=8890 --no-browser ...).
# Jupyter refuses to run as root unless told: root is the usual user in a container.
lab: setup
	$(PY) -m jupyterlab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root) $(LAB_ARGS)

# run every notebook and write it as an HTML page under docs/course/, to commit: the course
# readable with nothing installed. NOTEBOOKS="11 12" rewrites only those pages.
docs: setup
	$(PY) docs/make_course.py $(NOTEBOOKS)

test-thorough: setup system-deps
	HYPOTHESIS_PROFILE=thorough $(PY) -m pytest

demo: setup
	$(PY) docs/demo.py

bench: setup
	$(PY) -m pip install -q -e '.[$(EXTRAS),bench]'
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_mlp.py
	$(PY) benchmarks/bench_tape.py
	$(PY) benchmarks/bench_pages.py
	$(PY) benchmarks/bench_notebooks.py

lint: setup
	$(PY) -m ruff check autograd nn viz tests benchmarks docs

# mypy on the engine and nn (settings in pyproject.toml)
typecheck: setup
	$(PY) -m mypy

# the venv and the package; dot is needed by everything that renders, and a font with Chinese
# glyphs by plots and drawings labelled in Chinese (the course's source notes are; viz.style)
setup: $(INSTALLED)
	@$(MAKE) --no-print-directory need PROGRAMS="dot" PACKAGES="graphviz"
	@$(MAKE) --no-print-directory need CHECK="fc-list :lang=zh | grep -q ." \
	  WHAT="a font with Chinese glyphs" PACKAGES="fontconfig fonts-wqy-microhei"

# what only the test suite needs: a real browser for the stepper test
system-deps:
	@$(MAKE) --no-print-directory need PROGRAMS="chromium chromedriver" PACKAGES="chromium chromium-driver"

# install PACKAGES with apt-get when any of PROGRAMS is missing, or the shell test CHECK fails
# (then WHAT names what is missing), as root; else say how
need:
	@missing=""; for p in $(PROGRAMS); do command -v $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n '$(CHECK)' ] && ! sh -c '$(CHECK)' >/dev/null 2>&1; then missing="$$missing $(WHAT)"; fi; \
	if [ -z "$$missing" ]; then \
	  echo "Found $(if $(PROGRAMS),$(PROGRAMS),$(WHAT)): not installing $(PACKAGES)."; \
	else \
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
