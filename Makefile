# `make demo` and `make test` bootstrap their own virtualenv in .venv and reuse it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench graphdefs clean

# System tools some tests use: Graphviz (SVG rendering) and valgrind (C library leak check).
# Installed when missing and apt-get is usable; otherwise those tests skip with a visible reason.
SYSTEM_TOOLS := $(VENV)/.system-tools

$(SYSTEM_TOOLS):
	@mkdir -p $(VENV)
	@if ! command -v dot >/dev/null || ! command -v valgrind >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz valgrind >/dev/null) \
	      || echo "note: could not install graphviz/valgrind; SVG and valgrind tests will be skipped"; \
	  else echo "note: graphviz/valgrind missing and apt-get unavailable; those tests will be skipped"; fi; \
	fi
	@touch $@

$(STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/iris/train.py

# ruff (ruff.toml) and the import contracts of docs/design.md (.importlinter) before the suite
lint: $(STAMP)
	$(PY) -m ruff check tfkg_graph tools
	$(VENV)/bin/lint-imports

test: lint $(STAMP) $(SYSTEM_TOOLS)
	$(PY) -m pytest -q tests

bench: $(STAMP)
	$(PY) bench/run.py --json bench/results/latest.json

graphdefs: $(STAMP)
	$(PY) -m tools.examples_graphdefs

clean:
	rm -rf $(VENV) build *.egg-info

# C library + examples (csrc/build/{libtfkg.a,iris_host,tfkg_cli}); flags from tfkg_graph.capi_flags
.PHONY: csrc
csrc: $(STAMP)
	$(MAKE) -C csrc PYTHON=$(abspath $(PY))
