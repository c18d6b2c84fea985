"""The endpoint's clock: forward-only, advanced by tests, and held still for a bounded real time."""
from __future__ import annotations

import json

import pytest
import requests

from localazure.engine.clock import (CLOCK_FILE, MAX_HOLD_SECONDS, START_VARIABLE, Clock, checked_start,
                                     requested_start, resumed_start, stored_lead)


class RealTime:
    """A real clock the test moves by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_held_clock_stands_still_and_advances_only_when_told():
    real = RealTime()
    clock = Clock(real)
    clock.hold(60)
    real.now += 50
    assert clock() == 1000.0 and clock.held_for == 10
    clock.advance(60)
    real.now += 5
    assert clock() == 1060.0


def test_a_released_hold_goes_on_from_where_it_stood():
    real = RealTime()
    clock = Clock(real)
    clock.hold(600)
    real.now += 100
    clock.hold(0)
    assert clock() == 1000.0 and clock.held_for == 0
    real.now += 1
    assert clock() == 1001.0


def test_a_lapsed_lease_resumes_time_without_a_jump():
    real = RealTime()
    clock = Clock(real)
    clock.advance(5)
    clock.hold(30)
    real.now += 40        # the holder never released it: 30 s held, then 10 s of running time
    assert clock() == 1015.0 and clock.held_for == 0


@pytest.mark.parametrize("seconds", [-1, MAX_HOLD_SECONDS + 1, "60", True, None])
def test_a_bad_hold_is_refused_naming_the_value(seconds):
    clock = Clock(RealTime())
    with pytest.raises(ValueError, match="hold_seconds must be .* not %s" % repr(seconds).replace("(", r"\(")):
        clock.hold(seconds)
    assert clock() == 1000.0


def post_clock(endpoint, body):
    return requests.post(f"{endpoint['arm_endpoint']}/localazure/clock", json=body, verify=endpoint["ca_bundle"],
                         timeout=30)


def test_the_clock_route_holds_and_releases(endpoint):
    held = post_clock(endpoint, {"advance_seconds": 60, "hold_seconds": 120})
    assert held.status_code == 200 and 0 < held.json()["held_for_seconds"] <= 120
    again = requests.get(f"{endpoint['arm_endpoint']}/localazure/clock", verify=endpoint["ca_bundle"], timeout=30)
    assert again.json()["now"] == held.json()["now"]
    released = post_clock(endpoint, {"hold_seconds": 0})
    assert released.json()["held_for_seconds"] == 0 and released.json()["now"] >= held.json()["now"]


def test_a_bad_clock_request_changes_nothing(endpoint):
    before = post_clock(endpoint, {"advance_seconds": 0}).json()["offset_seconds"]
    refused = post_clock(endpoint, {"advance_seconds": 30, "hold_seconds": -5})
    assert refused.status_code == 400 and "hold_seconds" in refused.json()["error"]["message"]
    unknown = post_clock(endpoint, {"freeze": True})
    assert unknown.status_code == 400 and "freeze" in unknown.json()["error"]["message"]
    assert post_clock(endpoint, {"advance_seconds": 0}).json()["offset_seconds"] == before


def test_a_clock_can_start_at_a_given_instant_and_then_runs_forward_from_it():
    real = RealTime()
    clock = Clock(real, start=500.0)   # before the machine's time: a test's date, not the machine's
    assert clock() == 500.0
    real.now += 10
    assert clock() == 510.0 and clock.advance(90) == 600.0


@pytest.mark.parametrize("text, instant", [("2027-04-14", 1807660800.0), ("2027-04-14T00:00:00Z", 1807660800.0),
                                           ("2027-04-14T02:00:00+02:00", 1807660800.0)])
def test_the_clock_start_is_an_iso_date_or_instant_read_in_utc(text, instant):
    assert checked_start(text) == instant


def test_a_clock_start_that_is_no_date_is_refused_naming_it():
    with pytest.raises(ValueError, match="the clock start must be an ISO 8601 date or instant, not 'soon'"):
        checked_start("soon")


def test_the_clock_start_comes_from_the_flag_else_the_variable_whose_bad_value_is_refused_naming_it():
    assert requested_start("2027-04-14", {START_VARIABLE: "2026-12-01"}) == 1807660800.0
    assert requested_start(None, {START_VARIABLE: "2027-04-14"}) == 1807660800.0
    assert requested_start(None, {}) is None and requested_start(None, {START_VARIABLE: " "}) is None
    with pytest.raises(ValueError, match="LOCALAZURE_CLOCK_START: the clock start must be an ISO 8601 date or "
                                         "instant, not 'soon'"):
        requested_start(None, {START_VARIABLE: "soon"})


def test_a_restart_goes_on_from_the_state_s_clock_and_never_back():
    assert resumed_start(500.0, None, real=1000.0) == 500.0         # a fresh state: the start asked for
    assert resumed_start(None, None, real=1000.0) is None           # a fresh state without one: real time
    assert resumed_start(500.0, -400.0, real=1000.0) == 600.0       # the state's clock, not the start again
    assert resumed_start(700.0, -400.0, real=1000.0) == 700.0       # a later start moves it forward
    assert resumed_start(None, 30.0, real=1000.0) == 1030.0         # an advanced clock stays advanced
    assert resumed_start(None, -400.0, real=1000.0) == 1000.0       # without a start, never behind real time


def test_the_state_dir_keeps_the_clock_s_lead_and_a_broken_file_counts_as_none(tmp_path):
    real = RealTime()
    clock = Clock(real, start=500.0)
    clock.advance(100)
    clock.hold(60)
    (tmp_path / CLOCK_FILE).write_text(json.dumps({"lead_seconds": clock.lead}))
    real.now += 30                                      # held: the kept lead lets the clock go on from 600 on restart
    assert stored_lead(tmp_path) == -400.0 and resumed_start(500.0, stored_lead(tmp_path), real()) == 630.0
    (tmp_path / CLOCK_FILE).write_text("{not json")
    assert stored_lead(tmp_path) is None
    assert stored_lead(tmp_path / "absent") is None
