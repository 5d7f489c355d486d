# flowbook's set-up and jobs. Everything the project needs is installed from here.
#   make lab    set up, then open the tutorials in JupyterLab (headless: execute them)
#   make test   set up, then run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# Headless when there is no display or when CI says so; `make lab HEADLESS=0` forces the UI.
HEADLESS ?= $(if $(or $(CI),$(filter-out 1,$(if $(DISPLAY),1,0))),1,0)

.PHONY: test lab bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev,notebook]'
	touch $@

# The test command (README, .ci/run). The Prefect 1.4.1 reference environment is
# built by the tests themselves (tests/reference/prefect_env.py), cached between runs.
test: $(BIN)/.installed
	$(BIN)/python -m pytest

lab: $(BIN)/.installed
ifeq ($(HEADLESS),1)
	$(BIN)/python notebooks/run_headless.py
else
	$(BIN)/jupyter lab --ip=127.0.0.1 $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/
endif

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/overhead.py

clean:
	rm -rf $(VENV) .pytest_cache build
