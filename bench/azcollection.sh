#!/usr/bin/env bash
# A side venv with azure.azcollection, for bench/task_cost.py's comparison with azure_rm_resourcegroup_info.
# azure.azcollection is a Galaxy collection, not a PyPI package; the PyPI package "ansible" (the community bundle)
# ships it, and its requirements.txt pins its Azure SDKs (old versions, azure-cli-core, pandas...), which is why it
# gets a venv of its own and never touches .venv. Re-running is a no-op once the venv is complete.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.state/bench/azcollection-venv
if [ -f "$VENV/.complete" ]; then exit 0; fi
python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --upgrade pip
"$VENV/bin/pip" install -q "ansible>=12"
collection=$("$VENV/bin/python" -c 'import ansible_collections.azure.azcollection as c, os; print(c.__path__[0])')
"$VENV/bin/pip" install -q -r "$collection/requirements.txt"
touch "$VENV/.complete"
