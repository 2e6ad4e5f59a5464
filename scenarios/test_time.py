"""Time edge scenarios on the school's own clock: normed exactly at activation (forwarded) and one
microsecond before (never); a DST change, where wall-clock order and instant order differ."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from scenarios.support import flows
from scenarios.support.checks import assert_exactly_once_at_sk8, assert_never_at_sk8
from scenarios.support.schools import School
from scenarios.support.steps import Scenario

pytestmark = pytest.mark.scenario

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _needs_clock(sc: Scenario) -> None:
    if not sc.options.can_set_clock:
        pytest.skip("the testcentrum's clock cannot be set (can_set_clock = false)")


def _at(sc: Scenario, school: School, instant: datetime) -> None:
    sc.admin.set_clock(school.ref, instant, frozen=True)
    sc.note(f"school clock {instant.astimezone(AMSTERDAM).isoformat()}")


def _prepared(sc: Scenario, pupils: int = 2) -> School:
    """A school with LAS koppeling, Schoolkr8 key and numbered pupils, not yet AANGEVRAAGD."""
    with sc.step("a fresh school: LAS koppeling, key, pupils numbered"):
        school = sc.new_school(pupils=pupils)
    flows.las_koppeling(sc, school)
    flows.issue_sk8_key(sc, school)
    flows.register_pupils(sc, school)
    return school


def _activate_at(sc: Scenario, school: School, instant: datetime) -> None:
    with sc.step(f"activation at {instant.astimezone(AMSTERDAM).isoformat()}"):
        _at(sc, school, instant)
    state = flows.activate_dashboard(sc, school)
    with sc.step("geactiveerd_op is the school clock's instant"):
        assert state.geactiveerd_op == instant, (
            f"geactiveerd_op {state.geactiveerd_op} != the school clock {instant}"
        )


def test_normed_at_and_just_before_activation(scenario: Scenario) -> None:
    """normed_at == activated_at is forwarded; normed_at == activated_at - 1 µs never is."""
    sc = scenario
    _needs_clock(sc)
    school = _prepared(sc)
    early_pupil, exact_pupil = school.numbers()[:2]
    t0 = datetime(2027, 2, 10, 9, 0, 0, tzinfo=UTC)
    with sc.step("an afname normed 1 µs before activation"):
        _at(sc, school, t0 - timedelta(microseconds=1))
        early = flows.norm(sc, school, early_pupil)
        assert early.genormeerd_op == t0 - timedelta(microseconds=1), early.genormeerd_op
    _activate_at(sc, school, t0)
    with sc.step("an afname normed exactly at the activation instant"):
        exact = flows.norm(sc, school, exact_pupil, afnamedatum="2027-02-10")
        assert exact.genormeerd_op == t0, exact.genormeerd_op
    with sc.step("the one at activation arrives once; the one before never"):
        found = flows.wait_settled(sc, school, [early.afname_id, exact.afname_id])
        assert found[exact.afname_id].status == "verzonden", found[exact.afname_id]
        assert found[early.afname_id].status == "niet_van_toepassing", (
            f"normed 1 µs before activation but status {found[early.afname_id].status!r}"
        )
        assert_exactly_once_at_sk8(sc, school, exact_pupil, exact.afname_id)
        assert_never_at_sk8(sc, school, early_pupil, early.afname_id)


def test_dst_change(scenario: Scenario) -> None:
    """Across the end of summer time (25 Oct 2026, 03:00 CEST -> 02:00 CET): activated at 02:30
    CEST; normed at 02:20 CEST (before: never) and at 02:15 CET (earlier on the wall clock but
    later in time: forwarded). Instants decide, not local wall-clock times."""
    sc = scenario
    _needs_clock(sc)
    school = _prepared(sc)
    before_pupil, after_pupil = school.numbers()[:2]
    activation = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    with sc.step("normed at 02:20 CEST, 10 minutes before activation"):
        _at(sc, school, datetime(2026, 10, 25, 0, 20, tzinfo=UTC))
        before = flows.norm(sc, school, before_pupil, afnamedatum="2026-10-23").afname_id
    _activate_at(sc, school, activation)
    with sc.step("normed at 02:15 CET (after the clocks went back), 45 minutes after activation"):
        later = datetime(2026, 10, 25, 1, 15, tzinfo=UTC)
        assert later.astimezone(AMSTERDAM).time() < activation.astimezone(AMSTERDAM).time()
        _at(sc, school, later)
        after = flows.norm(sc, school, after_pupil, afnamedatum="2026-10-23").afname_id
    with sc.step("the later instant is forwarded once, the earlier never"):
        found = flows.wait_settled(sc, school, [before, after])
        assert found[after].status == "verzonden", (
            f"normed 45 min after activation (02:15 CET) but status {found[after].status!r}: "
            "wall-clock time compared instead of instants?"
        )
        assert found[before].status == "niet_van_toepassing", found[before]
        assert_exactly_once_at_sk8(sc, school, after_pupil, after)
        assert_never_at_sk8(sc, school, before_pupil, before)
