"""From a local run to Azure's durations: pure arithmetic over the run's window and the endpoint's operations.

An operation is a dict with ``started`` and ``due`` (epoch seconds on the endpoint's clock; ``due`` is when it
completed) and, for one held by the benchmark until released, ``scheduled_due`` (when it would have completed at
the run's time scale). At real durations a pending interval lasts ``1 / time_scale`` as long; machine work (wall
time in which nothing was pending) lasts as long as it did. See bench/README.md, "How real durations are
extrapolated".
"""
from __future__ import annotations


def union_length(intervals):
    """Total length covered by (start, stop) intervals, overlaps counted once."""
    total, end = 0.0, None
    for start, stop in sorted(intervals):
        if end is None or start > end:
            total += stop - start
            end = stop
        elif stop > end:
            total += stop - end
            end = stop
    return total


def clip(intervals, window):
    begin, finish = window
    return [(max(start, begin), min(stop, finish)) for start, stop in intervals if start < finish and stop > begin]


def real_seconds(window, intervals, time_scale):
    """Wall time of ``window`` at real durations: (W - U) + U / time_scale, U the pending time inside it."""
    if not 0 < time_scale <= 1:
        raise ValueError("time_scale must be in (0, 1], not %r" % (time_scale,))
    wall = window[1] - window[0]
    if wall < 0:
        raise ValueError("a window ends before it starts: %r" % (window,))
    pending = union_length(clip(intervals, window))
    return (wall - pending) + pending / time_scale


def unblocked_real_seconds(window, ops, time_scale):
    """A lower bound of ``window`` at real durations: the play never waits, so it lasts its wall time or until the
    last operation started in it ends at its real duration (its local start + (due - start) / time_scale),
    whichever is later. ``real_seconds`` is the upper bound: it takes every pending moment as waiting, which
    overstates operations started one after another by machine work (async jobs launched in a loop each finish
    locally before the next starts, while at real durations they overlap)."""
    begin, finish = window
    ends = [op["started"] - begin + (op["due"] - op["started"]) / time_scale
            for op in ops if begin <= op["started"] < finish]
    return max([finish - begin] + ends)


def wave_key(op):
    """Operations launched by one loop of site.yml share a kind, a type and, for child types, a name (round i of the
    deployments creates the i-th deployment of every account)."""
    type_name = (op.get("type_name") or "").lower()
    leaf = op["resource_id"].rstrip("/").rsplit("/", 1)[-1].lower() if type_name.count("/") > 1 else ""
    return op["kind"], type_name, leaf


def type_wave_key(op):
    """One wave per kind and type, whatever the names: a loop that launches the creates of many children at once."""
    return op["kind"], (op.get("type_name") or "").lower()


def waved_real_seconds(window, ops, time_scale, key=wave_key):
    """An estimate between the bounds: operations are grouped in waves (consecutive in start order with one
    ``wave_key``; waves that overlap locally are one), each wave is taken as launched and then awaited before the
    play goes on - what site.yml's async loops and their one wait do - so a wave lasts, at real durations, until
    its last operation ends from its local start: max(start - first start + duration / time_scale). The rest of
    the window is machine work as measured. It overstates a wave the play did not wait for before launching the
    next one (for example the projects, awaited only after the deployments). ``key`` groups the operations of one
    loop (onboarding launches every project's create in one loop: ``type_wave_key``)."""
    begin, finish = window
    inside = sorted((op for op in ops if begin <= op["started"] < finish), key=lambda op: op["started"])
    groups = []
    for op in inside:
        last = groups[-1] if groups else None
        if last and (key(op) == last["key"] or op["started"] < last["local_end"]):
            last["ops"].append(op)
            last["local_end"] = max(last["local_end"], min(op["due"], finish))
        else:
            groups.append({"key": key(op), "ops": [op], "local_end": min(op["due"], finish)})
    total = finish - begin
    for group in groups:
        first = group["ops"][0]["started"]
        real_extent = max(op["started"] - first + (op["due"] - op["started"]) / time_scale for op in group["ops"])
        total += real_extent - (group["local_end"] - first)
    return total


def intervals_of(ops):
    return [(op["started"], op["due"]) for op in ops]


def split_around_held(run_window, ops, held, time_scale, launched_at=None):
    """Split a run around one operation the benchmark held until the play reached its wait for it (so every task
    that does not need it had finished while it was pending):

    - before: from the run's start to the operation's launch (``launched_at``: when the play started the async
      job that sends it; the operation's own start when not given);
    - independent: from the launch to the operation's completion (the release), the other operations only: the
      work that runs while Azure carries it out, hidden inside it unless it lasts longer. An async job's module
      takes a moment to send its request, and a task after the launch may send its own first; at real durations
      that task's operation runs during the held one all the same, so the window starts at the launch;
    - held_span: the launch's lag (machine time until the request) plus the operation's duration (held);
    - tail: from its completion to the end of the run, all of it after the held operation.

    The run at real durations is before + max(held_span, independent) + tail. ``independent`` is an upper bound;
    ``independent_lower`` (no waiting, see unblocked_real_seconds) the lower one, ``independent_waves`` the
    estimate between them (waved_real_seconds)."""
    begin, finish = run_window
    started_at, completed_at = held["started"], held["due"]
    if not begin <= started_at <= completed_at <= finish:
        raise ValueError("the held operation (%r..%r) is not inside the run (%r..%r)"
                         % (started_at, completed_at, begin, finish))
    launch = started_at if launched_at is None else max(begin, min(launched_at, started_at))
    other_ops = [op for op in ops if op is not held and op.get("id") != held.get("id")]
    others = intervals_of(other_ops)
    duration = (held.get("scheduled_due", completed_at) - started_at) / time_scale
    return {"before": real_seconds((begin, launch), others, time_scale),
            "held": duration, "held_span": (started_at - launch) + duration,
            "independent": real_seconds((launch, completed_at), others, time_scale),
            "independent_lower": unblocked_real_seconds((launch, completed_at), other_ops, time_scale),
            "independent_waves": waved_real_seconds((launch, completed_at), other_ops, time_scale),
            "tail": real_seconds((completed_at, finish), others, time_scale),
            "tail_wall": finish - completed_at,
            "tail_pending": union_length(clip(others, (completed_at, finish)))}


def converge_critical_path(run_window, ops, apim_create, time_scale, launched_at=None):
    """A converge split around API Management's create (split_around_held): the time not overlapped with the
    create is before + max(create span, independent) + tail - create, with the upper bound, the lower bound and
    the waves estimate of the independent work."""
    split = split_around_held(run_window, ops, apim_create, time_scale, launched_at)
    before, create_real, span, tail = split["before"], split["held"], split["held_span"], split["tail"]

    def not_overlapped(independent):
        return before + max(span, independent) + tail - create_real
    real = before + max(span, split["independent"]) + tail
    return {"before_apim_real_s": round(before, 1), "apim_create_real_s": round(create_real, 1),
            "apim_launch_lag_s": round(span - create_real, 1),
            "independent_real_s": round(split["independent"], 1),
            "independent_lower_real_s": round(split["independent_lower"], 1),
            "not_overlapped_lower_real_s": round(not_overlapped(split["independent_lower"]), 1),
            "independent_waves_real_s": round(split["independent_waves"], 1),
            "not_overlapped_waves_real_s": round(not_overlapped(split["independent_waves"]), 1),
            "apim_is_critical": split["independent"] <= span,
            "tail_wall_s": round(split["tail_wall"], 1), "tail_pending_s": round(split["tail_pending"], 1),
            "tail_real_s": round(tail, 1), "real_s": round(real, 1),
            "not_overlapped_with_apim_real_s": round(real - create_real, 1)}


def teardown_critical_path(run_window, ops, apim_delete, apim_purge, time_scale, delete_launched_at=None):
    """A teardown around API Management's delete and then its purge, each held until the play waited for it.

    - Up to the delete's completion: split_around_held (the deletes of everything else run beside it; waves
      estimate, upper bound reported too).
    - From the delete's completion to the purge's release: the purge (at its own duration) and the resource group's
      delete start together, the purge as an async job and the group's delete as the next task; the job's module
      takes a moment to send its request, so locally the group's delete (0.12 s at the benchmark's scale) is over
      before the purge starts, while at real durations the two run side by side. Nothing in this window waits for
      one before starting the other, so it lasts until the last of its operations ends at real duration from its
      local start (unblocked_real_seconds); the sum of the two is reported as the upper bound.
    - After the purge's release: the checks, as measured.

    The teardown cannot be shorter than the delete and then the purge; what it costs beyond them is the rest."""
    first = split_around_held(run_window, ops, apim_delete, time_scale, delete_launched_at)
    delete_real, finish = first["held"], run_window[1]
    if apim_purge is None:
        after_delete = after_delete_upper = first["tail"]
        purge_real, tail = 0.0, 0.0
    else:
        purge_real = (apim_purge.get("scheduled_due", apim_purge["due"]) - apim_purge["started"]) / time_scale
        held_ids = (apim_delete.get("id"), apim_purge.get("id"))
        others = [op for op in ops if op.get("id") not in held_ids]
        window = (apim_delete["due"], apim_purge["due"])
        purge_unheld = dict(apim_purge, due=apim_purge.get("scheduled_due", apim_purge["due"]))
        after_delete = unblocked_real_seconds(window, others + [purge_unheld], time_scale)
        second = split_around_held((apim_delete["due"], finish), ops, apim_purge, time_scale)
        after_delete_upper = second["before"] + max(second["held"], second["independent"])
        tail = real_seconds((apim_purge["due"], finish), intervals_of(others), time_scale)
    focus = delete_real + purge_real

    def real(beside_delete, rest):
        return first["before"] + max(first["held_span"], beside_delete) + rest + tail
    estimate = real(first["independent_waves"], after_delete)
    upper = real(first["independent"], after_delete_upper)
    return {"before_apim_delete_real_s": round(first["before"], 1),
            "apim_delete_real_s": round(delete_real, 1), "apim_purge_real_s": round(purge_real, 1),
            "beside_delete_real_s": round(first["independent_waves"], 1),
            "delete_done_to_purge_done_real_s": round(after_delete, 1),
            "after_purge_real_s": round(tail, 1),
            "real_s": round(estimate, 1), "real_upper_s": round(upper, 1),
            "apim_delete_and_purge_real_s": round(focus, 1),
            "beyond_apim_delete_and_purge_real_s": round(estimate - focus, 1),
            "beyond_upper_real_s": round(upper - focus, 1)}
