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


def waved_real_seconds(window, ops, time_scale):
    """An estimate between the bounds: operations are grouped in waves (consecutive in start order with one
    ``wave_key``; waves that overlap locally are one), each wave is taken as launched and then awaited before the
    play goes on - what site.yml's async loops and their one wait do - so a wave lasts, at real durations, until
    its last operation ends from its local start: max(start - first start + duration / time_scale). The rest of
    the window is machine work as measured. It overstates a wave the play did not wait for before launching the
    next one (for example the projects, awaited only after the deployments)."""
    begin, finish = window
    inside = sorted((op for op in ops if begin <= op["started"] < finish), key=lambda op: op["started"])
    groups = []
    for op in inside:
        last = groups[-1] if groups else None
        if last and (wave_key(op) == last["key"] or op["started"] < last["local_end"]):
            last["ops"].append(op)
            last["local_end"] = max(last["local_end"], min(op["due"], finish))
        else:
            groups.append({"key": wave_key(op), "ops": [op], "local_end": min(op["due"], finish)})
    total = finish - begin
    for group in groups:
        first = group["ops"][0]["started"]
        real_extent = max(op["started"] - first + (op["due"] - op["started"]) / time_scale for op in group["ops"])
        total += real_extent - (group["local_end"] - first)
    return total


def intervals_of(ops):
    return [(op["started"], op["due"]) for op in ops]


def converge_critical_path(run_window, ops, apim_create, time_scale):
    """Split a converge around API Management's create, which the benchmark held until the play reached its
    wait (so every task that does not need APIM had finished while it was pending):

    - before: from the run's start to the create's start;
    - independent: from the create's start to its completion (the release), the other operations only: the work
      that runs while Azure provisions APIM, which is hidden inside the create unless it lasts longer;
    - tail: from the create's completion to the end of the run, all of it after APIM.

    The run at real durations is before + max(create, independent) + tail, and the time not overlapped with the
    create is that less the create. ``independent`` is an upper bound; ``independent_lower`` (no waiting, see
    unblocked_real_seconds) the lower one, with the matching lower bound of the time not overlapped."""
    begin, finish = run_window
    created_at, completed_at = apim_create["started"], apim_create["due"]
    if not begin <= created_at <= completed_at <= finish:
        raise ValueError("API Management's create (%r..%r) is not inside the run (%r..%r)"
                         % (created_at, completed_at, begin, finish))
    create_real = (apim_create.get("scheduled_due", completed_at) - created_at) / time_scale
    other_ops = [op for op in ops if op is not apim_create and op.get("id") != apim_create.get("id")]
    others = intervals_of(other_ops)
    before = real_seconds((begin, created_at), others, time_scale)
    independent = real_seconds((created_at, completed_at), others, time_scale)
    independent_lower = unblocked_real_seconds((created_at, completed_at), other_ops, time_scale)
    independent_waves = waved_real_seconds((created_at, completed_at), other_ops, time_scale)
    tail = real_seconds((completed_at, finish), others, time_scale)
    real = before + max(create_real, independent) + tail
    return {"before_apim_real_s": round(before, 1), "apim_create_real_s": round(create_real, 1),
            "independent_real_s": round(independent, 1), "independent_lower_real_s": round(independent_lower, 1),
            "not_overlapped_lower_real_s": round(before + max(0.0, independent_lower - create_real) + tail, 1),
            "independent_waves_real_s": round(independent_waves, 1),
            "not_overlapped_waves_real_s": round(before + max(0.0, independent_waves - create_real) + tail, 1),
            "apim_is_critical": independent <= create_real,
            "tail_wall_s": round(finish - completed_at, 1),
            "tail_pending_s": round(union_length(clip(others, (completed_at, finish))), 1),
            "tail_real_s": round(tail, 1), "real_s": round(real, 1),
            "not_overlapped_with_apim_real_s": round(real - create_real, 1)}


def beyond_focus(run_window, ops, focus, time_scale):
    """(real seconds of the run, real seconds of the focus operations' union), the focus being the operations
    the run cannot be shorter than (API Management's delete and purge in a teardown)."""
    begin, finish = run_window
    real = real_seconds(run_window, intervals_of(ops), time_scale)
    focus_ops = [op for op in ops if focus(op) and begin <= op["started"] < finish]
    return round(real, 1), round(union_length(intervals_of(focus_ops)) / time_scale, 1)
