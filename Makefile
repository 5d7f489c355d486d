# flowbook's set-up and jobs. Everything the project needs is installed from here.
#   make lab    set up, then open the tutorials in JupyterLab (headless: execute them)
#   make test   set up, then run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
# Headless when there is no display or when CI says so; `make lab HEADLESS=0` forces the UI.
HEADLESS ?= $(if $(or $(CI),$(filter-out 1,$(if $(DISPLAY),1,0))),1,0)

.PHONY: test lab bench clean system graphviz

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

# System programs pip cannot provide: Graphviz's `dot` (lays out the DAG drawings) and Debian's
# Chromium (the browser tests drive /usr/bin/chromium with Playwright). When missing they are
# installed with apt-get if we are root; otherwise we stop and say what to install.
HAVE_DOT      = $(shell command -v dot)
HAVE_CHROMIUM = $(wildcard /usr/bin/chromium)
define apt_install
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing $(1) with apt-get ..."; apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; \
	else \
		echo "flowbook needs the system package(s) $(1): sudo apt-get install $(1)" >&2; exit 1; \
	fi
endef
graphviz:
	$(if $(HAVE_DOT),,$(call apt_install,graphviz))
system: graphviz
	$(if $(HAVE_CHROMIUM),,$(call apt_install,chromium))

# The test command (README, .ci/run). The Prefect 1.4.1 reference environment is
# built by the tests themselves (tests/reference/prefect_env.py), cached between runs.
test: system $(BIN)/.installed
	$(BIN)/python -m pytest

lab: graphviz $(BIN)/.installed
ifeq ($(HEADLESS),1)
	$(BIN)/python notebooks/run_headless.py
else
	$(BIN)/jupyter lab --ip=127.0.0.1 $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/
endif

bench: $(BIN)/.installed
	$(BIN)/python benchmarks/overhead.py
	$(BIN)/python benchmarks/parallel.py
	$(BIN)/python benchmarks/widget.py
	$(BIN)/python benchmarks/reuse.py

clean:
	rm -rf $(VENV) .pytest_cache build
