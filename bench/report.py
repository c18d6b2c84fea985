"""The figures a user decides by, side by side: bench/results/latest.md (table), bench/results/bench.png (plot),
and the same table in README.md between its BENCH markers.

    .venv/bin/python bench/report.py
"""
from __future__ import annotations

import json
import re
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
BEGIN, END = "<!-- BEGIN BENCH -->", "<!-- END BENCH -->"


def load(name):
    path = RESULTS / (name + ".json")
    return json.loads(path.read_text()) if path.exists() else None


def when(figures):
    """When and at which commit figures were measured, as the tables say it (older results lack one or both)."""
    said = " at %s" % figures["commit"] if figures.get("commit") else ""
    return "on %s%s" % (figures["measured"], said) if figures.get("measured") else "on a day not recorded" + said


def converge_table(converge):
    scale = converge["time_scale"]
    lines = ["Converge of `site.yml` in local mode, time scale %s, API Management's create held until the play waits "
             "for it; *real* = extrapolated to Azure's durations (bench/README.md, \"How real durations are "
             "extrapolated\"):" % scale, "",
             "| model hosts | converge wall s | converge CPU s | real: before APIM's create s | real: APIM's create s | "
             "real: work that does not need APIM s (lower bound / waves / upper bound) | real: tail after APIM s | "
             "real: converge s (upper bound) | real: not overlapped with APIM's create s (lower / waves / upper) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for run in converge["runs"]:
        c = run["converge"]
        lines.append("| %d | %.1f | %.1f | %.0f | %.0f | %.0f / **%.0f** / %.0f | %.0f | %.0f | %.0f / **%.0f** / %.0f |"
                     % (run["hosts"], c["wall_s"], c["cpu_s"], c["before_apim_real_s"], c["apim_create_real_s"],
                        c["independent_lower_real_s"], c["independent_waves_real_s"], c["independent_real_s"],
                        c["tail_real_s"], c["real_s"], c["not_overlapped_lower_real_s"],
                        c["not_overlapped_waves_real_s"], c["not_overlapped_with_apim_real_s"]))
    commits = ["%d host(s) %s%s" % (run["hosts"], when(run), " (load average %s at its end)" % run["load_average"]
                                      if run.get("load_average") is not None else "")
               for run in converge["runs"]]
    if commits:
        lines += ["", "Code measured: %s." % ", ".join(commits)]
    lines += ["", "Idle re-run and teardown (the teardown holds API Management's delete, then its purge, as the "
              "converge holds its create; *real* as for the converge, estimate / upper bound):", "",
              "| model hosts | idle re-run CPU s | idle writes | reads per resource | teardown wall s | "
              "real: APIM delete + purge s | real: teardown s | real: teardown beyond APIM delete + purge s |",
              "|---|---|---|---|---|---|---|---|"]
    for run in converge["runs"]:
        i, t = run["idle_rerun"], run["teardown"]
        lines.append("| %d | %.1f | %d | %.2f | %.1f | %.0f | %.0f / %.0f | **%.0f** / %.0f |" % (
            run["hosts"], i["cpu_s"], i["requests"].get("write", 0), i["reads_per_resource"], t["wall_s"],
            t["apim_delete_and_purge_real_s"], t["real_s"], t.get("real_upper_s", t["real_s"]),
            t["beyond_apim_delete_and_purge_real_s"],
            t.get("beyond_upper_real_s", t["beyond_apim_delete_and_purge_real_s"])))
    return lines


def onboarding_table(onboarding):
    lines = ["`onboard.yml` with many projects on one account (verify off), then again with nothing to do, in local "
             "mode at time scale %s; *real* = extrapolated to Azure's durations, the projects' creates one wave "
             "(bench/README.md; `bench/onboarding.py`):" % onboarding["time_scale"], "",
             "| projects | onboard wall s | onboard CPU s | writes | real: onboard s (lower / waves / upper) | "
             "idle re-run wall s | idle re-run CPU s | idle writes | idle reads | most reads of one kind |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for run in onboarding["runs"]:
        o, i = run["onboard"], run["idle_rerun"]
        lines.append("| %d | %.1f | %.1f | %d | %.0f / **%.0f** / %.0f | %.1f | %.1f | %d | %d | %d |" % (
            run["projects"], o["wall_s"], o["cpu_s"], o["requests"].get("write", 0), o["real_lower_s"],
            o["real_waves_s"], o["real_upper_s"], i["wall_s"], i["cpu_s"], i["writes"],
            sum(i["reads_by_kind"].values()), i["max_reads_per_kind"]))
    measured = ["%d projects %s (load average %s)" % (run["projects"], when(run), run.get("load_average", "?"))
                for run in onboarding["runs"]]
    if measured:
        lines += ["", "Code measured: %s. The real duration counts machine work as wall time, which on a loaded "
                  "machine is mostly waiting for a core: compare the CPU seconds." % ", ".join(measured)]
    return lines


def task_table(tasks):
    meta = tasks.get("_meta", {})
    lines = ["Per task, a play of %s copies of one idle task (ansible-playbook, local connection; CPU of the whole "
             "process tree less the empty play's, paired in one run, median of %s rounds; `bench/task_cost.py`):"
             % (meta.get("tasks"), meta.get("rounds")), "",
             "| task | CPU s per task | x ansible.builtin.ping | token requests per play | ARM reads per play |",
             "|---|---|---|---|---|"]
    for label, row in tasks.items():
        if not label.startswith("_"):
            lines.append("| %s | %.3f | %.2f | %d | %d |" % (label, row["cpu_s_per_task"], row["x_ping"],
                                                           row["token_requests"], row["arm_reads"]))
    lines += ["", "Measured %s." % when(meta)]
    if meta.get("azcollection"):
        lines += ["", meta["azcollection"]]
    return lines + core_table(tasks.get("_cores") or {}, meta.get("cores_missing") or [])


def core_table(cores, missing):
    """Per ansible-core of the range: the same idle task (token handed in) in the task's worker and as a module
    process, each x that core's own ping in the same run."""
    if not (cores or missing):
        return []
    lines = ["", "Per ansible-core (the module's idle task, token handed in; x that core's ansible.builtin.ping in "
             "the same run):", "",
             "| ansible-core | ping CPU s per task | in the task's worker, x ping | module process, x ping |",
             "|---|---|---|---|"]
    for row in cores.values():
        lines.append("| %s | %.3f | %.2f | %.2f |" % (row["ansible_core"], row["ping_cpu_s_per_task"],
                                                     row["in_process"]["x_ping"], row["module_process"]["x_ping"]))
    if missing:
        lines += ["", "Not measured (no environment): ansible-core %s." % ", ".join(missing)]
    return lines


def plot(converge, tasks, path):
    import matplotlib  # pylint: disable=import-outside-toplevel

    matplotlib.use("Agg")
    from matplotlib import pyplot  # pylint: disable=import-outside-toplevel

    def below(ax):
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14))

    count = (2 if converge else 0) + (1 if tasks else 0)
    figure, axes = pyplot.subplots(1, count, figsize=(5.5 * count, 5.6))
    axes = list(axes) if hasattr(axes, "__len__") else [axes]
    if converge:
        hosts = [run["hosts"] for run in converge["runs"]]
        ax = axes.pop(0)
        ax.plot(hosts, [run["converge"]["wall_s"] for run in converge["runs"]], "o-", label="converge wall s")
        ax.plot(hosts, [run["converge"]["cpu_s"] for run in converge["runs"]], "s-", label="converge CPU s")
        ax.plot(hosts, [run["idle_rerun"]["cpu_s"] for run in converge["runs"]], "^-", label="idle re-run CPU s")
        ax.plot(hosts, [run["teardown"]["wall_s"] for run in converge["runs"]], "v-", label="teardown wall s")
        ax.set_xlabel("model hosts")
        ax.set_title("local endpoint (time scale %s)" % converge["time_scale"])
        below(ax)
        ax = axes.pop(0)
        ax.plot(hosts, [run["converge"]["not_overlapped_with_apim_real_s"] for run in converge["runs"]], "o-",
                label="converge: not overlapped with APIM's create (upper bound)")
        ax.plot(hosts, [run["converge"].get("not_overlapped_lower_real_s") for run in converge["runs"]], "o--",
                label="converge: not overlapped with APIM's create (lower bound)")
        ax.plot(hosts, [run["converge"].get("not_overlapped_waves_real_s") for run in converge["runs"]], "o:",
                label="converge: not overlapped with APIM's create (waves)")
        ax.plot(hosts, [run["converge"]["tail_real_s"] for run in converge["runs"]], "d-",
                label="converge: tail after APIM")
        ax.plot(hosts, [run["teardown"]["beyond_apim_delete_and_purge_real_s"] for run in converge["runs"]], "s-",
                label="teardown: beyond APIM delete + purge")
        ax.axhline(60, color="grey", linestyle=":", label="60 s")
        ax.set_xlabel("model hosts")
        ax.set_ylabel("seconds at Azure's durations")
        ax.set_yscale("log")
        ax.set_title("extrapolated to Azure")
        below(ax)
    if tasks:
        ax = axes.pop(0)
        rows = [(label, row) for label, row in tasks.items() if not label.startswith("_")]
        # labels wrapped: long ones would squeeze the other plots
        ax.barh([textwrap.fill(label, 22) for label, _ in rows], [row["x_ping"] for _, row in rows])
        ax.axvline(1.5, color="grey", linestyle=":", label="1.5 x ping")
        ax.set_xlabel("CPU per task, x ansible.builtin.ping")
        ax.set_title("per-task cost")
        ax.tick_params(axis="y", labelsize=8)
        below(ax)
    figure.tight_layout()
    figure.savefig(path, dpi=90)


def main():
    converge, tasks, onboarding = load("converge"), load("task_cost"), load("onboarding")
    if not (converge or tasks or onboarding):
        sys.exit("no results in %s: run bench/run first" % RESULTS)
    lines = ["On the project machine (2 cores, shared); each table says when it was measured.", ""]
    if tasks:
        lines += task_table(tasks) + [""]
    if converge:
        lines += converge_table(converge) + [""]
    if onboarding:
        lines += onboarding_table(onboarding) + [""]
    lines.append("![bench](bench/results/bench.png)")
    plot(converge, tasks, RESULTS / "bench.png")
    table = "\n".join(lines) + "\n"
    (RESULTS / "latest.md").write_text(table.replace("](bench/results/", "]("))
    readme = ROOT / "README.md"
    text = readme.read_text()
    if BEGIN in text:
        text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda m: BEGIN + "\n" + table + END, text,
                      flags=re.S)
        readme.write_text(text)
    print(table)


if __name__ == "__main__":
    main()
