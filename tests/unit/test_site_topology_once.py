"""site.yml templates the topology's settings once, after preflight: a play variable is templated again at every
reference, and with it every model host's own templates (group_vars), which at 64 hosts cost more than the
gateway's writes. The filter part stays lazy: the hosts take what the ai_services role reports once it has run.

The play below is site.yml's own play variables and the facts it sets, then references as the roles make them;
a model host's name notes each of its expansions in a file, and a mark there separates the settling from the
references. No endpoint: nothing in it calls Azure."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLE_REFERENCES = 4
NOTING_FILTER = '''
def noted(value, path):
    with open(path, "a") as notes:
        notes.write(value + "\\n")
    return value


class FilterModule(object):
    def filters(self):
        return {"noted": noted}
'''


def site_play_with_references(notes):
    """site.yml's play variables and set_fact tasks (what it settles before its roles), a mark, the references."""
    site = yaml.safe_load((ROOT / "playbooks" / "site.yml").read_text())[0]
    settled = [task for task in site["tasks"] if "ansible.builtin.set_fact" in task]
    mark = [{"name": "The roles start", "ansible.builtin.debug": {"msg": "{{ 'roles' | noted('%s') }}" % notes}}]
    references = [{"name": "A role's reference %d" % number,
                   "ansible.builtin.debug": {"msg": "{{ role_hosts | map(attribute='name') | join(', ') }}"},
                   "vars": {"role_hosts": "{{ aigw_topology.model_hosts }}"}}
                  for number in range(ROLE_REFERENCES)]
    after_ai_services = [
        {"name": "What the ai_services role publishes",
         "ansible.builtin.set_fact": {"ai_services_hosts": [{"name": "models-host", "id": "/accounts/models",
                                                             "endpoint": "https://models.example"}]}},
        {"name": "The hosts take what Azure assigned",
         "ansible.builtin.assert": {"that": ["aigw_topology.model_hosts[0].endpoint == 'https://models.example'"]}}]
    return [{"name": "site.yml's topology", "hosts": "localhost", "gather_facts": False, "vars": site["vars"],
             "tasks": settled + mark + references + after_ai_services}]


def test_site_templates_a_model_hosts_settings_once_and_still_takes_what_ai_services_reports(tmp_path):
    notes = tmp_path / "expansions"
    (tmp_path / "filter_plugins").mkdir()
    (tmp_path / "filter_plugins" / "noted.py").write_text(NOTING_FILTER)
    (tmp_path / "play.yml").write_text(yaml.safe_dump(site_play_with_references(notes), sort_keys=False))
    hosts = [{"name": "models-{{ 'host' | noted('%s') }}" % notes, "backend": "models",
              "deployments": "{{ aigw_models }}"}]
    (tmp_path / "hosts.json").write_text(json.dumps({"aigw_model_hosts": hosts,
                                                     "aigw_subscription_id": "00000000-0000-0000-0000-000000000000"}))
    run = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), str(tmp_path / "play.yml"),
                          "-i", "inventories/local", "-e", "@%s" % (tmp_path / "hosts.json")],
                         cwd=ROOT, env=dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg")),
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    expansions = notes.read_text().splitlines()
    # Settling the inputs templates the host (its name twice: the model hosts and the embeddings hosts' names); the
    # roles' references and the assert after the ai_services role template it no more.
    assert expansions[-1] == "roles" and "host" in expansions, expansions
