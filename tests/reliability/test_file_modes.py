"""File modes: what a run leaves on disk that holds keys, tokens or the endpoint's credentials is private to the user
(files 0600, directories 0700), and what Ansible's async jobs leave behind holds no secret at all and sits in a 0700
dir (ansible-core's async_wrapper writes the job files 0644 whatever we do: its umask is 022).

One site.yml against an endpoint in a fresh state dir, with Ansible's async dir moved into the test's tmp (the
`ANSIBLE_ASYNC_DIR` setting), then every file of the state dir, the outputs file and every async job file is
looked at."""
from __future__ import annotations

import json
import stat

from tests.reliability.harness import Endpoint, Playbooks
from tests.reliability.test_secrets import hits, secrets_of


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def open_to_others(path):
    """'0644'-style text when group or others may read, write or enter the path, else None."""
    return "%04o" % mode(path) if mode(path) & 0o077 else None


def test_state_dir_outputs_and_async_jobs_are_private(tmp_path, figures):
    run_dir = tmp_path / "run"             # created by the endpoint, as `make site` creates .state/localazure
    async_dir = tmp_path / "async"
    endpoint = Endpoint(run_dir)
    playbooks = Playbooks(run_dir)
    playbooks.env["ANSIBLE_ASYNC_DIR"] = str(async_dir)
    try:
        playbooks.run("site.yml")
        resource_group = json.loads(playbooks.outputs_file.read_text())["resource_group"]
        secrets = secrets_of(endpoint.info, resource_group)
        written = [run_dir] + sorted(run_dir.rglob("*"))
        jobs = sorted(path for path in async_dir.rglob("*") if path.is_file())
        assert jobs, "no async job file in %s: the test looks at nothing" % async_dir
        assert any(path.name == "state.db" for path in written) and playbooks.outputs_file in written
        loose = dict((str(path.relative_to(tmp_path)), open_to_others(path))
                     for path in written + [async_dir] if open_to_others(path))
        leaked = dict((path.name, hits(path.read_text(errors="replace"), secrets)) for path in jobs)
        leaked = dict((name, kinds) for name, kinds in leaked.items() if kinds)
        figures.add("file modes", "state dir, outputs, async dir after site.yml",
                    "%d open to others" % len(loose),
                    ", ".join("%s %s" % item for item in sorted(loose.items())) or
                    "%d paths, all 0600/0700" % (len(written) + 1))
        figures.add("file modes", "async job files after site.yml", "%d with a secret" % len(leaked),
                    ", ".join(sorted(leaked)) or "%d job files scanned" % len(jobs))
        assert loose == {}
        assert leaked == {}
    finally:
        endpoint.stop()
