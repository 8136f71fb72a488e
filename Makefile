# One entry point for every job; `make help` lists them. Each target installs only what it uses:
# .venv (runtime, tests, ruff, mypy) for most; SAM CLI (.venv-sam) for validate and build; checkov
# (.venv-checkov) for checkov. Each lives in its own venv because their pins clash (tools/*-requirements.txt).
SHELL := /bin/bash
.DEFAULT_GOAL := help
export SAM_CLI_TELEMETRY := 0
VENV := .venv
PY := $(VENV)/bin/python
# Lambda runs python3.12; use it when this machine has a working one, else python3.
PYTHON ?= $(shell python3.12 -c '' 2>/dev/null && echo python3.12 || echo python3)
# pinned requirements only; no .pyc written at install time (Python compiles what it imports, once)
PIP_INSTALL = -m pip install -q --no-compile

.PHONY: help setup demo test test-slow test-boto3 check lint validate checkov build serve bench screenshots clean

help: ## this list
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z0-9-]+):.*## (.*)/  make \1\t\2/' | expand -t 20

$(VENV)/.installed: requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) $(PIP_INSTALL) -r requirements-dev.txt
	$(PY) $(PIP_INSTALL) --no-deps -e .
	touch $@

# SAM CLI and checkov: installed the first time a target needs them, linked into .venv/bin.
.venv-sam/.installed: tools/sam-requirements.txt
	$(PYTHON) -m venv .venv-sam
	.venv-sam/bin/python $(PIP_INSTALL) -r tools/sam-requirements.txt
	touch $@

$(VENV)/bin/sam: | $(VENV)/.installed .venv-sam/.installed
	ln -sf ../../.venv-sam/bin/sam $@

.venv-checkov/.installed: tools/checkov-requirements.txt
	$(PYTHON) -m venv .venv-checkov
	echo '*' > .venv-checkov/.gitignore  # keeps it out of git and ruff, as .gitignore does for .venv-sam
	.venv-checkov/bin/python $(PIP_INSTALL) -r tools/checkov-requirements.txt
	touch $@

$(VENV)/bin/checkov: | $(VENV)/.installed .venv-checkov/.installed
	ln -sf ../../.venv-checkov/bin/checkov $@

setup: $(VENV)/.installed ## create .venv from the pinned requirements (the others imply it)

demo: setup ## the demo account through 30 simulated days, and its HTML report (out/demo/report.html)
	TZ=UTC $(VENV)/bin/crmflow demo

serve: setup ## crmflow serve: the API on http://127.0.0.1:3000 (token local-admin), Swagger UI at /docs
	TZ=UTC $(VENV)/bin/crmflow serve

test: setup ## the test suite, without the slow tests
	TZ=UTC $(PY) -m pytest

test-slow: setup ## the slow scale tests (CI runs them too)
	TZ=UTC $(PY) -m pytest -m slow

# The end-to-end engine tests again with the embedded runtime on plain boto3 (every AWS call through
# botocore and moto's HTTP layer): the fast local path must not change what they see.
BOTO3_PATH_TESTS := tests/test_engine_enrollment.py tests/test_engine_running.py tests/test_engine_log.py \
	tests/test_goals.py tests/test_live_edits.py tests/test_failures.py tests/test_suppression.py
test-boto3: setup ## the engine tests on the plain boto3 path (CI runs them too)
	CRMFLOW_LOCAL_PATH=boto3 TZ=UTC $(PY) -m pytest $(BOTO3_PATH_TESTS)

lint: setup ## ruff check and ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

validate: $(VENV)/bin/sam ## sam validate --lint on template.yaml (installs SAM CLI into .venv-sam)
	$(VENV)/bin/sam validate --lint

# checkov on the SAM template (its cloudformation framework reads AWS::Serverless::* and Globals); any
# failed check fails. Skips live in the template, inline, each with its reason (docs/deployment.md).
checkov: $(VENV)/bin/checkov ## checkov on template.yaml (installs checkov into .venv-checkov)
	$(VENV)/bin/checkov -f template.yaml --framework cloudformation --quiet --compact --skip-download

check: lint validate checkov ## lint, validate, checkov and mypy: what CI checks before the tests
	$(VENV)/bin/mypy layers/common/crmflow local/crmflow_local

build: $(VENV)/bin/sam ## sam build (needs python3.12 on PATH; here PYENV_VERSION=3.11.7:3.12.1)
	PYENV_VERSION=3.11.7:3.12.1 $(VENV)/bin/sam build

bench: setup ## benchmarks (1,000 enrollments through a 2-day delay)
	TZ=UTC $(PY) -m benchmarks.run

screenshots: setup ## docs/screenshots/*.png: the web console on the demo account, in Chromium (docs/console.md)
	TZ=UTC $(PY) tools/screenshots.py

clean: ## remove the venvs and .aws-sam
	rm -rf $(VENV) .venv-sam .venv-checkov .aws-sam
