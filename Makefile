# Seconde Vie — developer commands. `make up` runs the whole system locally; `make test` tests it.
# The functions run on Python 3.12 (template.yaml's Runtime); the local cloud runs them on its
# own interpreter, so both virtual environments are made with the same Python.
PYTHON_VERSION := 3.12.1
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $$HOME/.pyenv)
PYTHON ?= $(PYENV_ROOT)/versions/$(PYTHON_VERSION)/bin/python
VENV := .venv
LOCALCLOUD_VENV := .venv-localcloud
# The local cloud's state (tables, queues, the stack and its API id) between two `make up`.
LOCALCLOUD_STATE := .localcloud

.PHONY: install browser screenshots up reset deploy test unit lint layers schemas security-doc clean demo import keys people redrive

install: $(VENV)/.installed $(LOCALCLOUD_VENV)/.installed browser

# The browser tests drive the system's Chromium (Debian's package), never a downloaded build.
browser:
	@command -v chromium >/dev/null || test -x /usr/bin/chromium || { \
	  echo "installing Chromium for the browser tests (apt-get, about 30 s, once)"; \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

$(VENV)/.installed: pyproject.toml requirements/constraints.txt
	@test -x "$(PYTHON)" || { echo "Python $(PYTHON_VERSION) not found at $(PYTHON): pyenv install $(PYTHON_VERSION), or make PYTHON=/path/to/python3.12"; exit 1; }
	@echo "installing the project's environment in $(VENV) (about a minute, once)"
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -c requirements/constraints.txt -e '.[dev]'
	touch $@

$(LOCALCLOUD_VENV)/.installed: requirements/localcloud.lock
	@echo "installing the local cloud (ministack) in $(LOCALCLOUD_VENV) (about 30 s, once)"
	$(PYTHON) -m venv $(LOCALCLOUD_VENV)
	$(LOCALCLOUD_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements/localcloud.lock
	touch $@

up: install  ## the whole system on the local emulator, its data kept in .localcloud/; redeploys on change; Ctrl-C stops it
	$(VENV)/bin/python -m devtools.localcloud up --state-dir $(LOCALCLOUD_STATE)

reset: install  ## like `make up`, but first wipes the data kept in .localcloud/ (for LOCALCLOUD_PORT)
	$(VENV)/bin/python -m devtools.localcloud up --state-dir $(LOCALCLOUD_STATE) --fresh

deploy: install  ## redeploy to the running local cloud (or AWS_ENDPOINT_URL)
	$(VENV)/bin/python -m devtools.localcloud deploy

test: install  ## every test: unit, contracts, template, emulator semantics, end to end
	$(VENV)/bin/python -m pytest

screenshots: install  ## the browser tests, writing each page's screenshot and accessibility results into docs/portal/
	PORTAL_SCREENSHOTS=docs/portal $(VENV)/bin/python -m pytest tests/portal

unit: install  ## the tests that need no local cloud
	$(VENV)/bin/python -m pytest -m "not localcloud"

lint: install
	$(VENV)/bin/cfn-lint template.yaml

layers: install  ## build the Lambda layers that template.yaml points at (before `sam build`)
	$(VENV)/bin/python -c "from devtools.localcloud.package import build_layers; build_layers()"

schemas: install  ## export the event contracts as JSON Schema
	$(VENV)/bin/python -m shared.events.schema docs/events

security-doc: install  ## write the services' access tables into docs/security.md
	PYTHONPATH=services/intake:services/refurb:services/allocation:services/sales:gateway $(VENV)/bin/python -m shared.access docs/security.md

clean:
	rm -rf .build

demo: install  ## one device through all four services, on the system `make up` started
	$(VENV)/bin/python -m devtools.thin_path

import: install  ## upload an inventory file into a lot and follow it: make import FILE=inventaire.csv LOT=<lot_id>
	$(VENV)/bin/python -m devtools.import_inventory "$(FILE)" --lot "$(LOT)"

keys: install  ## partners' API keys, as an administrator: make keys ARGS='list' (see devtools/partner_keys.py)
	$(VENV)/bin/python -m devtools.partner_keys $(ARGS)

people: install  ## people's portal accounts, as an administrator: make people ARGS='list' (see devtools/people.py)
	$(VENV)/bin/python -m devtools.people $(ARGS)

redrive: install  ## dead letters: make redrive (show all), make redrive ARGS='allocation --move' (see docs/operations.md)
	$(VENV)/bin/python -m devtools.dead_letters $(ARGS)
