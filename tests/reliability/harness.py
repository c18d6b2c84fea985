"""What the reliability tests share: an endpoint of their own, the playbooks runner and the leftover check."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.integration.test_playbooks import Playbooks, arm_clients, stop_endpoint

ROOT = Path(__file__).resolve().parents[2]
TIME_SCALE = os.environ.get("LOCALAZURE_TEST_TIME_SCALE", "0.0002")
SEEDS = [int(seed) for seed in os.environ.get("RELIABILITY_SEEDS", "11").split(",") if seed.strip()]
RATES = (0.05, 0.10, 0.20)
TRACEBACK = re.compile(r"Traceback \(most recent call last\)")

__all__ = ["Endpoint", "Playbooks", "leftovers", "RATES", "SEEDS", "TRACEBACK", "ROOT", "TIME_SCALE"]


class Endpoint:
    """A local endpoint in its own state dir, started before the playbooks (which then find it running)."""

    def __init__(self, state_dir, *flags):
        self.state_dir = Path(state_dir)
        subprocess.run([sys.executable, "-m", "localazure", "start", "--state-dir", str(self.state_dir),
                        "--time-scale", TIME_SCALE, *flags], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        self.info = json.loads((self.state_dir / "endpoint.json").read_text())

    def control(self, method, path, body=None):
        import requests

        answer = requests.request(method, self.info["arm_endpoint"] + path, json=body, timeout=30,
                                  verify=self.info["ca_bundle"])
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def requests_logged(self):
        log = self.state_dir / "requests.jsonl"
        return [json.loads(line) for line in log.read_text().splitlines() if line.strip()] if log.exists() else []

    def stop(self):
        stop_endpoint(self.state_dir)


def leftovers(info):
    """Everything a teardown must have removed: groups, accounts (live and soft-deleted), APIM (live and deleted)."""
    resources, cognitive, apim = arm_clients(info)
    return ([group.name for group in resources.resource_groups.list()] +
            [account.name for account in cognitive.accounts.list()] +
            ["deleted account %s" % account.name for account in cognitive.deleted_accounts.list()] +
            [service.name for service in apim.api_management_service.list()] +
            ["deleted service %s" % service.name for service in apim.deleted_services.list_by_subscription()])
