"""bench/extrapolate.py: a local run's windows and operations to Azure's durations."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import extrapolate  # noqa: E402  pylint: disable=wrong-import-position,import-error


def op(started, due, **extra):
    return dict({"started": started, "due": due, "kind": "put", "type_name": "Test.Things/things",
                 "resource_id": "/providers/Test.Things/things/t%s" % started}, **extra)


def test_union_counts_overlaps_once_and_gaps_not_at_all():
    assert extrapolate.union_length([(0, 2), (1, 3), (5, 6), (5.5, 5.8)]) == 4
    assert extrapolate.union_length([]) == 0


def test_real_seconds_keeps_machine_work_and_stretches_only_pending_time():
    # 10 s window, 2 s pending (clipped from 8..14 to 8..10): 8 s of work + 2 s / 0.01.
    assert extrapolate.real_seconds((0, 10), [(8, 14)], 0.01) == pytest.approx(208)
    assert extrapolate.real_seconds((0, 10), [(11, 12)], 0.01) == pytest.approx(10)


@pytest.mark.parametrize("window, scale, named", [((0, 1), 0, "0"), ((0, 1), 2, "2"), ((3, 1), 0.5, "(3, 1)")])
def test_real_seconds_refuses_what_it_cannot_extrapolate(window, scale, named):
    with pytest.raises(ValueError, match=named.replace("(", r"\(").replace(")", r"\)")):
        extrapolate.real_seconds(window, [], scale)


def test_the_tail_after_a_held_create_is_extrapolated_by_itself():
    scale = 0.01
    # Run 0..100. APIM's create starts at 10, would have been due at 10 + 2760 * scale, held until 80.
    apim = op(10, 80, id="apim", scheduled_due=10 + 2760 * scale)
    accounts = op(12, 12.6, id="a")          # 60 s on Azure, inside the create
    deployment = op(20, 21, id="d")          # 100 s on Azure, inside the create
    logger = op(90, 90.5, id="l")            # 50 s on Azure, in the tail
    split = extrapolate.converge_critical_path((0, 100), [apim, accounts, deployment, logger], apim, scale)
    assert split["apim_create_real_s"] == pytest.approx(2760)
    assert split["before_apim_real_s"] == pytest.approx(10)
    # 70 s of the create's window: 1.6 s pending (160 s real) and 68.4 s of work.
    assert split["independent_real_s"] == pytest.approx(228.4)
    assert split["apim_is_critical"] is True
    assert (split["tail_wall_s"], split["tail_pending_s"]) == (20, 0.5)
    assert split["tail_real_s"] == pytest.approx(19.5 + 50)
    assert split["real_s"] == pytest.approx(10 + 2760 + 69.5)
    assert split["not_overlapped_with_apim_real_s"] == pytest.approx(79.5)
    # Unblocked: the create's window lasts its 70 s, the deployment's end (10 + 100 s) being later: 110 s.
    assert split["independent_lower_real_s"] == pytest.approx(110)
    assert split["not_overlapped_lower_real_s"] == pytest.approx(10 + 69.5)


def test_work_sent_between_the_create_s_launch_and_its_request_runs_during_the_create():
    scale = 0.01
    # The async job is launched at 4; its module sends APIM's create at 5. Meanwhile the next task's workspace
    # create (18 s on Azure) went out at 4.5 and was over locally before 5: at real durations it runs during
    # the create, so it is not stretched before it; the second of lag is.
    apim = op(5, 60, id="apim", scheduled_due=5 + 300 * scale)
    workspace = op(4.5, 4.68, id="w")
    split = extrapolate.converge_critical_path((0, 70), [apim, workspace], apim, scale, launched_at=4)
    assert (split["before_apim_real_s"], split["apim_launch_lag_s"]) == (4, 1)
    assert split["not_overlapped_waves_real_s"] == pytest.approx(4 + 1 + 10)
    unlaunched = extrapolate.converge_critical_path((0, 70), [apim, workspace], apim, scale)
    assert unlaunched["before_apim_real_s"] == pytest.approx(5 - 0.18 + 18, abs=0.05)


def test_independent_work_longer_than_the_create_is_on_the_critical_path():
    scale = 0.01
    apim = op(0, 50, id="apim", scheduled_due=1)            # 100 s on Azure
    hosts = op(1, 41, id="h")                               # 4000 s on Azure
    split = extrapolate.converge_critical_path((0, 60), [apim, hosts], apim, scale)
    assert split["apim_is_critical"] is False
    assert split["independent_real_s"] == pytest.approx(10 + 4000)
    assert split["not_overlapped_with_apim_real_s"] == pytest.approx(4010 + 10 - 100)


def test_a_create_outside_the_run_is_refused():
    apim = op(5, 120, id="apim")
    with pytest.raises(ValueError, match="not inside the run"):
        extrapolate.converge_critical_path((0, 100), [apim], apim, 0.01)


def test_teardown_beyond_apim_delete_and_purge():
    scale = 0.01
    # Run 0..40. APIM's delete starts at 2, would have been due at 2 + 120 * scale, held until 20; an account's
    # delete and purge (30 s each on Azure) run beside it. The group's delete (60 s on Azure) starts at 20.5, the
    # purge's request at 21 (60 s on Azure, held until 30), then 10 s of checks.
    delete = op(2, 20, id="del", kind="delete", scheduled_due=2 + 120 * scale)
    accounts = [op(5, 5.3, id="a1", kind="delete"), op(6, 6.3, id="a2", kind="action:purge")]
    group = op(20.5, 21.1, id="rg", kind="delete")
    purge = op(21, 30, id="purge", kind="action:purge", scheduled_due=21 + 60 * scale)
    split = extrapolate.teardown_critical_path((0, 40), [delete, *accounts, group, purge], delete, purge, scale)
    assert (split["apim_delete_real_s"], split["apim_purge_real_s"]) == (120, 60)
    assert split["before_apim_delete_real_s"] == pytest.approx(2)
    # The account's delete and purge (two waves of 30 s) and 17.4 s of work hide inside the delete.
    assert split["beside_delete_real_s"] == pytest.approx(18 - 0.6 + 60)
    # The group's delete and the purge side by side: until the purge ends, 1 s after the delete's end + 60 s.
    assert split["delete_done_to_purge_done_real_s"] == pytest.approx(61)
    assert split["after_purge_real_s"] == pytest.approx(10)
    assert split["real_s"] == pytest.approx(2 + 120 + 61 + 10)
    assert split["beyond_apim_delete_and_purge_real_s"] == pytest.approx(2 + 1 + 10)
    # The upper bound stretches the group's delete where it was pending alone (20.5..21: 50 s) before the purge.
    assert split["beyond_upper_real_s"] == pytest.approx(2 + 0.5 + 50 + 10)


def test_teardown_whose_other_deletes_outlast_apim_delete_pays_for_them():
    scale = 0.01
    delete = op(0, 10, id="del", kind="delete", scheduled_due=1.2)       # 120 s on Azure
    redis = op(1, 4, id="redis", kind="delete")                         # 300 s on Azure
    split = extrapolate.teardown_critical_path((0, 12), [delete, redis], delete, None, scale)
    assert split["apim_purge_real_s"] == 0
    assert split["beside_delete_real_s"] == pytest.approx(1 + 300 + 6)
    assert split["beyond_apim_delete_and_purge_real_s"] == pytest.approx(307 + 2 - 120)


def test_operations_launched_one_after_another_overlap_at_real_durations_in_the_lower_bound():
    scale = 0.01
    # Three 60 s creates launched 2 s apart by machine work; locally each is over (0.6 s) before the next starts.
    ops = [op(start, start + 0.6) for start in (0, 2, 4)]
    assert extrapolate.real_seconds((0, 6), extrapolate.intervals_of(ops), scale) == pytest.approx(4.2 + 180)
    assert extrapolate.unblocked_real_seconds((0, 6), ops, scale) == pytest.approx(4 + 60)
    # Nothing pending: both bounds are the wall time.
    assert extrapolate.unblocked_real_seconds((0, 6), [], scale) == 6


def account(name, start, seconds, scale):
    return op(start, start + seconds * scale, kind="put", type_name="Microsoft.CognitiveServices/accounts",
              resource_id="/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/" + name)


def deployment(account_name, name, start, seconds, scale):
    return op(start, start + seconds * scale, kind="put", type_name="Microsoft.CognitiveServices/accounts/deployments",
              resource_id="/subscriptions/s/resourceGroups/g/providers/Microsoft.CognitiveServices/accounts/%s/"
                          "deployments/%s" % (account_name, name))


def test_waves_of_launches_are_awaited_one_after_another_and_overlap_within():
    scale = 0.01
    ops = [account("a", 0, 60, scale), account("b", 2, 60, scale),              # wave 1: 2 + 60 s real
           deployment("a", "m1", 5, 100, scale), deployment("b", "m1", 7, 100, scale),   # wave 2: 2 + 100 s
           deployment("a", "m2", 9, 100, scale)]                                # wave 3: another name, 100 s
    # 12 s of wall; local extents 2.6, 3.0 and 1.0 s replaced by 62, 102 and 100 s.
    assert extrapolate.waved_real_seconds((0, 12), ops, scale) == pytest.approx(12 - 6.6 + 264)
    lower = extrapolate.unblocked_real_seconds((0, 12), ops, scale)
    upper = extrapolate.real_seconds((0, 12), extrapolate.intervals_of(ops), scale)
    assert lower < extrapolate.waved_real_seconds((0, 12), ops, scale) < upper


def test_operations_that_overlap_locally_are_one_wave():
    scale = 0.01
    ops = [account("a", 0, 60, scale), deployment("x", "m", 0.3, 100, scale)]   # started while a was pending
    assert extrapolate.waved_real_seconds((0, 2), ops, scale) == pytest.approx(2 - 1.3 + 100.3)


def project(name, started, scale):
    return {"started": started, "due": started + 30 * scale, "kind": "put",
            "type_name": "Microsoft.CognitiveServices/accounts/projects",
            "resource_id": "/providers/Microsoft.CognitiveServices/accounts/a/projects/%s" % name}


def test_creates_of_children_launched_in_one_loop_are_one_wave_by_type():
    # onboarding launches 3 projects' creates 1 s apart (machine work) and awaits them together: at real durations
    # they end 30 s after the last launch, not 3 x 30 s apart as the per-name waves would take them
    scale = 0.01
    ops = [project("p%d" % index, index, scale) for index in range(3)]
    window = (0, 3)
    assert extrapolate.waved_real_seconds(window, ops, scale, key=extrapolate.type_wave_key) == pytest.approx(
        3 - (2 + 0.3) + (2 + 30))
    assert extrapolate.waved_real_seconds(window, ops, scale) == pytest.approx(3 - 3 * 0.3 + 3 * 30)


def test_reads_are_counted_by_resource_kind_names_left_out():
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import benchlib  # noqa: E402  pylint: disable=import-outside-toplevel,import-error

    service = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ApiManagement/service/gw"
    entries = [{"kind": "read", "path": service + "/products"}, {"kind": "read", "path": service + "/products/t-a"},
               {"kind": "read", "path": service}, {"kind": "write", "path": service + "/products/t-a"},
               {"kind": "read", "path": "/subscriptions/s/resourceGroups/rg"},
               {"kind": "read", "path": service + "/subscriptions/t-a/listSecrets"},
               {"kind": "read", "path": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/"
                                        "accounts/a/projects/p/providers/Microsoft.Authorization/roleAssignments"}]
    assert benchlib.reads_by_kind(entries) == {
        "Microsoft.ApiManagement/service": 1, "Microsoft.ApiManagement/service/products": 2,
        "Microsoft.ApiManagement/service/subscriptions/listSecrets": 1, "Microsoft.Authorization/roleAssignments": 1,
        "subscriptions/resourceGroups": 1}
