# One entry point for every job. `make setup` is implied by the others.
SHELL := /bin/bash
export SAM_CLI_TELEMETRY := 0
VENV := .venv
PY := $(VENV)/bin/python
# Lambda runs python3.12; use it when this machine has a working one, else python3.
PYTHON ?= $(shell python3.12 -c '' 2>/dev/null && echo python3.12 || echo python3)

.PHONY: setup demo test test-slow check lint validate checkov build serve bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt tools/sam-requirements.txt tools/checkov-requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	$(PY) -m pip install -q --no-deps -e .
	$(PYTHON) -m venv .venv-sam
	.venv-sam/bin/python -m pip install -q -r tools/sam-requirements.txt
	ln -sf ../../.venv-sam/bin/sam $(VENV)/bin/sam
	$(PYTHON) -m venv .venv-checkov
	echo '*' > .venv-checkov/.gitignore  # keeps it out of git and ruff, as .gitignore does for .venv-sam
	.venv-checkov/bin/python -m pip install -q -r tools/checkov-requirements.txt
	ln -sf ../../.venv-checkov/bin/checkov $(VENV)/bin/checkov
	touch $@

setup: $(VENV)/.installed

demo: setup
	TZ=UTC $(VENV)/bin/crmflow demo

test: setup
	TZ=UTC $(PY) -m pytest

test-slow: setup
	TZ=UTC $(PY) -m pytest -m slow

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

validate: setup
	$(VENV)/bin/sam validate --lint

# checkov on the SAM template (its cloudformation framework reads AWS::Serverless::* and Globals); any
# failed check fails. Skips live in the template, inline, each with its reason (docs/deployment.md).
checkov: setup
	$(VENV)/bin/checkov -f template.yaml --framework cloudformation --quiet --compact --skip-download

check: lint validate checkov
	$(VENV)/bin/mypy layers/common/crmflow local/crmflow_local

build: setup
	PYENV_VERSION=3.11.7:3.12.1 $(VENV)/bin/sam build

serve: setup
	TZ=UTC $(VENV)/bin/crmflow serve

bench: setup
	TZ=UTC $(PY) -m benchmarks.run

clean:
	rm -rf $(VENV) .venv-sam .venv-checkov .aws-sam
