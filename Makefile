# `make demo` and `make test` bootstrap their own virtualenv in .venv and reuse it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench graphdefs clean

$(STAMP): setup.py
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/iris/train.py

test: $(STAMP)
	$(PY) -m pytest -q tests

bench: $(STAMP)
	$(PY) bench/run.py --json bench/results/latest.json

graphdefs: $(STAMP)
	$(PY) -m tfkg_graph.examples_graphdefs

clean:
	rm -rf $(VENV) build *.egg-info
