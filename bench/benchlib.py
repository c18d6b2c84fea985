"""What the benchmarks share: a local endpoint of their own, its request log, and where results go.

The local service principal's secret reaches ansible-playbook and the modules only through the environment
(AZURE_SECRET, as on Azure), never through a file the benchmarks write, and never in what they print.
"""
from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
# A side venv with ansible and azure.azcollection (bench/azcollection.sh), measured when present.
AZCOLLECTION_VENV = ROOT / ".state" / "bench" / "azcollection-venv"


class RequestLog(object):
    def __init__(self, path):
        self.path = Path(path)

    def lines(self):
        return self.path.read_text().splitlines() if self.path.exists() else []

    def entries(self, start=0):
        return [json.loads(line) for line in self.lines()[start:]]


class LocalAzure(object):
    """``with LocalAzure(time_scale=...) as endpoint``: a fresh local endpoint, stopped on exit."""

    def __init__(self, time_scale, state_dir=None):
        self.time_scale = time_scale
        self.state_dir = Path(state_dir or tempfile.mkdtemp(prefix="bench-localazure-"))
        self.info = None
        self.log = RequestLog(self.state_dir / "requests.jsonl")

    def __enter__(self):
        subprocess.run([sys.executable, "-m", "localazure", "start", "--state-dir", str(self.state_dir),
                        "--time-scale", str(self.time_scale)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        self.info = json.loads((self.state_dir / "endpoint.json").read_text())
        return self

    def __exit__(self, *exc):
        server = self.server_pid()
        subprocess.run([sys.executable, "-m", "localazure", "stop", "--state-dir", str(self.state_dir)], cwd=ROOT,
                       stdout=subprocess.DEVNULL, check=False)
        try:
            # A benchmark that is a subreaper adopted the server when its starter exited: reap it.
            os.waitpid(server, 0)
        except ChildProcessError:
            pass

    def server_pid(self):
        return int((self.state_dir / "server.pid").read_text().split()[0])

    def module_env(self):
        """The environment a module reads its auth options from (the azcollection names)."""
        info = self.info
        return dict(os.environ, PYTHONPATH=str(ROOT / ".collections"), AZURE_ARM_ENDPOINT=info["arm_endpoint"],
                    AZURE_AUTHORITY_HOST=info["authority_host"], AZURE_CA_BUNDLE=info["ca_bundle"],
                    AZURE_CLIENT_ID=info["client_id"], AZURE_SECRET=info["client_secret"],
                    AZURE_TENANT=info["tenant_id"], AZURE_SUBSCRIPTION_ID=info["subscription_id"],
                    ANSIBLE_AZURE_AUTH_SOURCE="credential", NO_PROXY="127.0.0.1,localhost")

    def ansible_env(self):
        return dict(self.module_env(), ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_STDOUT_CALLBACK="default")

    def advance_clock(self, seconds):
        """Move the endpoint's clock (what falls due then is due now), whatever the machine's speed."""
        import urllib.request  # pylint: disable=import-outside-toplevel
        import ssl  # pylint: disable=import-outside-toplevel

        request = urllib.request.Request(self.info["arm_endpoint"] + "/localazure/clock", method="POST",
                                         data=json.dumps({"advance_seconds": seconds}).encode(),
                                         headers={"Content-Type": "application/json"})
        context = ssl.create_default_context(cafile=self.info["ca_bundle"])
        with urllib.request.urlopen(request, context=context, timeout=30) as answer:
            answer.read()


def resource_kind(path):
    """The resource type a Resource Manager path reads (a list or one resource): the provider namespace and the
    type segments, names left out - .../Microsoft.ApiManagement/service/gw/products/team-a and .../products both
    read Microsoft.ApiManagement/service/products; a path without a provider, its own segment types."""
    parts = [part for part in path.split("?")[0].split("/") if part]
    lowered = [part.lower() for part in parts]
    if "providers" in lowered:
        start = len(lowered) - 1 - lowered[::-1].index("providers")
        provider = parts[start + 1:]
        return "/".join([provider[0]] + provider[1::2]) if provider else "providers"
    return "/".join(parts[0::2])


def reads_by_kind(entries):
    """Resource Manager reads (GETs and POST list*) of request log entries, counted by resource_kind."""
    counts = {}
    for entry in entries:
        if entry.get("kind") == "read":
            kind = resource_kind(entry["path"])
            counts[kind] = counts.get(kind, 0) + 1
    return dict(sorted(counts.items()))


def azcollection_python():
    """The side venv's python when azure.azcollection is installed there, else None."""
    python = AZCOLLECTION_VENV / "bin" / "python"
    return str(python) if (AZCOLLECTION_VENV / ".complete").exists() else None


def measured_on():
    """The day a figure is measured (UTC), kept with it: a report may show figures of different days side by side."""
    return datetime.datetime.now(datetime.timezone.utc).date().isoformat()


def commit():
    """The code measured: the short commit of HEAD (None outside a git checkout)."""
    found = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                           check=False)
    return found.stdout.strip() or None


def write_result(name, results):
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / (name + ".json")).write_text(json.dumps(results, indent=2) + "\n")


def run_sizes(name, sizes, time_scale, bench_one):
    """``bench_one(size, time_scale, workdir)`` for each of the comma-separated ``sizes``, each row printed as it
    comes and bench/results/<name>.json rewritten after every row (a long run keeps what it measured)."""
    workdir = tempfile.mkdtemp(prefix="bench-%s-" % name)
    results = {"time_scale": time_scale, "runs": []}
    for size in [int(number) for number in sizes.split(",")]:
        row = bench_one(size, time_scale, workdir)
        print(json.dumps(row))
        sys.stdout.flush()
        results["runs"].append(row)
        write_result(name, results)
