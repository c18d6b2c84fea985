# The two commands of the README: `make site` (provision, local mode by default) and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(abspath ansible.cfg)

.PHONY: setup site teardown azure-check docs test unit localazure integration sanity lint molecule collection ee runner reliability bench clean

# Two install sets, each with its marker: running (requirements-run.txt: the collection's requirements.txt, which
# carries the local endpoint's dependencies, and ansible-core) for `make site`/`make teardown`, and on top of it the
# tests' and tools' (requirements-dev.txt) for `make test`, so `make test` after `make site` adds only the dev set.
RUN_INSTALLED := $(VENV)/.installed-run
DEV_INSTALLED := $(VENV)/.installed-dev

$(RUN_INSTALLED): requirements-run.txt requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-run.txt
	touch $@

$(DEV_INSTALLED): $(RUN_INSTALLED) requirements-dev.txt
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

setup: $(DEV_INSTALLED)

site: $(RUN_INSTALLED)
	ansible-playbook playbooks/site.yml $(ARGS)

teardown: $(RUN_INSTALLED)
	ansible-playbook playbooks/teardown.yml $(ARGS)

# A first run on Azure (README "A first run on Azure"): site.yml (verify included) and teardown.yml, even after a
# failed site.yml, on the subscription of the AZURE_* variables; every answer recorded sanitized in RECORD_DIR and
# checked against the definitions the local endpoint carries.
ifndef RECORD_DIR
RECORD_DIR := recordings/azure-$(shell date -u +%Y%m%dT%H%M%SZ)
endif
azure-check: $(RUN_INSTALLED)
	@failed=0; export AIGW_RECORD_DIR="$(abspath $(RECORD_DIR))"; \
	ansible-playbook -i inventories/azure playbooks/site.yml $(ARGS) || failed=1; \
	ansible-playbook -i inventories/azure playbooks/teardown.yml $(ARGS) || failed=1; \
	$(BIN)/python -m localazure check-recording "$$AIGW_RECORD_DIR" || failed=1; \
	echo "The recording (no key, token, secret, subscription or tenant id): $$AIGW_RECORD_DIR"; exit $$failed

# The docs site in build/docs/html (docs/build): the collection's docs and the README's guides.
docs: $(DEV_INSTALLED)
	bash docs/build . build/docs

test: $(DEV_INSTALLED)
	bash tests/run-all $(STAGES)

unit localazure integration sanity lint molecule collection ee runner reliability: $(DEV_INSTALLED)
	bash tests/run-all $@

bench: $(DEV_INSTALLED)
	bash bench/run

clean:
	-$(BIN)/python -m localazure stop --state-dir .state/localazure 2>/dev/null
	rm -rf .state build tests/output
