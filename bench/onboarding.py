"""onboard.yml with many projects: the first run, its idle re-run, and the first run extrapolated to Azure.

In a state dir of its own: a local endpoint at a small time scale, site.yml with the lab's one model host (the
gateway, not measured), then onboard.yml with N projects on the agent host's account (verify off: its proofs call
each project's agent, which the tests prove), then onboard.yml again (the idle re-run). Each onboard run is timed
(wall) and costed (CPU of the whole process tree, async jobs included: this process is their subreaper), with the
endpoint's requests by kind and the idle re-run's reads by resource kind (bench/benchlib.py, reads_by_kind).

Real duration (bench/README.md, "How real durations are extrapolated"): the run's machine work as measured, its
pending operations stretched to Azure's durations. The projects' creates are its only long operations; onboarding
starts them in one loop and awaits them together, so they are one wave (extrapolate.type_wave_key).

    .venv/bin/python bench/onboarding.py [--projects 100] [--time-scale 0.002]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import benchlib  # noqa: E402  pylint: disable=wrong-import-position
import converge  # noqa: E402  pylint: disable=wrong-import-position
import extrapolate  # noqa: E402  pylint: disable=wrong-import-position


def projects_vars(count, workdir):
    projects = [{"team": "t%03d" % index, "account": "{{ aigw_agent_host.name }}", "project": "proj-t%03d" % index,
                 "tokens_per_minute": 1000 + index} for index in range(count)]
    path = Path(workdir) / ("projects-%d.json" % count)
    path.write_text(json.dumps({"aigw_projects": projects, "aigw_onboarding_verify": False,
                                "aigw_verify_agent": False}))
    return path


def bench_projects(count, time_scale, workdir):
    with benchlib.LocalAzure(time_scale=time_scale) as endpoint:
        extra = projects_vars(count, workdir)
        converge.playbook("site.yml", endpoint, extra, endpoint.log)
        offset = converge.clock_offset(endpoint)
        first = converge.playbook("onboard.yml", endpoint, extra, endpoint.log)
        window = first["window"]
        ops = [op for op in converge.operations(endpoint, offset) if window[0] <= op["started"] < window[1]]
        idle = converge.playbook("onboard.yml", endpoint, extra, endpoint.log)
    reads = benchlib.reads_by_kind(idle["entries"])
    return {
        "projects": count, "commit": benchlib.commit(), "measured": benchlib.measured_on(), "load_average": round(os.getloadavg()[0], 1),
        "onboard": {"wall_s": first["wall_s"], "cpu_s": first["cpu_s"], "requests": first["requests"],
                    "long_operations": len(ops),
                    "real_lower_s": round(extrapolate.unblocked_real_seconds(window, ops, time_scale), 1),
                    "real_waves_s": round(extrapolate.waved_real_seconds(window, ops, time_scale,
                                                                         key=extrapolate.type_wave_key), 1),
                    "real_upper_s": round(extrapolate.real_seconds(window, extrapolate.intervals_of(ops),
                                                                   time_scale), 1)},
        "idle_rerun": {"wall_s": idle["wall_s"], "cpu_s": idle["cpu_s"], "requests": idle["requests"],
                       "writes": idle["requests"].get("write", 0), "reads_by_kind": reads,
                       "max_reads_per_kind": max(reads.values() or [0])},
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", default="100")
    parser.add_argument("--time-scale", type=float, default=0.002)
    options = parser.parse_args()
    converge.become_subreaper()
    benchlib.run_sizes("onboarding", options.projects, options.time_scale, bench_projects)


if __name__ == "__main__":
    main()
