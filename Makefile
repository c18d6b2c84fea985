# The two commands of the README: `make site` (provision, local mode by default) and `make test`.
VENV ?= .venv
PYTHON ?= python3
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(abspath ansible.cfg)

.PHONY: setup site teardown test unit localazure integration sanity lint molecule collection ee runner reliability bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt localazure/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

site: setup
	ansible-playbook playbooks/site.yml $(ARGS)

teardown: setup
	ansible-playbook playbooks/teardown.yml $(ARGS)

test: setup
	bash tests/run-all $(STAGES)

unit localazure integration sanity lint molecule collection ee runner reliability: setup
	bash tests/run-all $@

bench: setup
	bash bench/run

clean:
	-$(BIN)/python -m localazure stop --state-dir .state/localazure 2>/dev/null
	rm -rf .state build tests/output
