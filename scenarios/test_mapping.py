"""Edge scenarios of the pupil-number mapping: duplicate, whitespace and leading-zero
leerlingnummers; a result for an unmapped pupil is parked, not lost, and attaches once mapped."""

from __future__ import annotations

import json

import pytest

from koppeling.client import ProblemError
from scenarios.support import flows
from scenarios.support.checks import assert_exactly_once_at_sk8, results_for
from scenarios.support.steps import Scenario
from scenarios.support.waits import eventually

pytestmark = pytest.mark.scenario


def test_duplicate_leerlingnummer(scenario: Scenario) -> None:
    """One number per pupil per school: typing a number another pupil has is refused (409, naming
    that pupil), and the result lands only on the pupil that really has it."""
    sc = scenario
    school = flows.ready_school(sc, pupils=2, map_pupils=False)
    first, second = school.numbers()[:2]
    flows.register_pupils(sc, school, only=[first])
    with sc.step("typing the first pupil's number for the second pupil is refused"):
        with pytest.raises(ProblemError) as refused:
            sc.partners.schoolkr8.set_leerlingnummer(school.sk8_pupils[second], first)
        assert refused.value.status == 409, str(refused.value)
        problem = json.dumps(refused.value.body)
        assert school.sk8_pupils[first] in problem or first in problem, (
            f"the 409 does not name the pupil that has the number: {problem[:300]}"
        )
    with sc.step("a result for that number lands on the first pupil only"):
        afname = flows.norm(sc, school, first).afname_id
        flows.wait_forwarding(sc, school, afname, "verzonden")
        assert_exactly_once_at_sk8(sc, school, first, afname)
        assert not results_for(sc, school, second, afname), "result on the wrong pupil"


def test_whitespace_leerlingnummer(scenario: Scenario) -> None:
    """A number pasted with spaces/tabs around it is trimmed, and results still land."""
    sc = scenario
    school = flows.ready_school(sc, pupils=1, map_pupils=False)
    number = school.numbers()[0]
    flows.register_pupils(sc, school, {number: f"  {number}\t "})
    with sc.step("a result lands on the pupil whose number was pasted with whitespace"):
        afname = flows.norm(sc, school, number).afname_id
        flows.wait_forwarding(sc, school, afname, "verzonden")
        assert_exactly_once_at_sk8(sc, school, number, afname)


def test_leading_zero_leerlingnummer(scenario: Scenario) -> None:
    """Numbers are strings: leading zeros survive; a number typed without its zeros does not
    match (the result is parked) until corrected, then it attaches."""
    sc = scenario
    with sc.step("a fresh school whose LAS has pupils numbered 00… and 0…"):
        school = sc.new_school(pupils=1)
        las = sc.partners.las(school.las)
        for number in (f"00{sc.seed % 10**8:08d}", f"0{(sc.seed * 7) % 10**9:09d}"):
            school.pupils.append(
                las.add_leerling(school.ref, leerlingnummer=number, seed=sc.seed % 1000)
            )
    flows.las_koppeling(sc, school)
    flows.issue_sk8_key(sc, school)
    flows.activate_dashboard(sc, school)
    exact, stripped = school.numbers()[1:3]
    flows.register_pupils(sc, school, {stripped: stripped.lstrip("0")}, only=[exact, stripped])
    with sc.step("the pupil typed with its zeros gets its result"):
        a = flows.norm(sc, school, exact).afname_id
        b = flows.norm(sc, school, stripped).afname_id
        flows.wait_settled(sc, school, [a, b])
        assert_exactly_once_at_sk8(sc, school, exact, a)
    with sc.step("the pupil typed without zeros does not match: its result is parked"):
        assert not results_for(sc, school, stripped, b), "matched although the zeros were lost"
        parked = [r for r in sc.partners.schoolkr8.niet_gekoppeld(school.ref) if b in str(r)]
        assert parked, "the result for the unmatched number was lost (not parked)"
    with sc.step("after correcting the number the parked result attaches"):
        sc.partners.schoolkr8.set_leerlingnummer(school.sk8_pupils[stripped], stripped)
        eventually(
            lambda: results_for(sc, school, stripped, b),
            lambda r: len(r) == 1,
            what=f"the parked result to attach to {stripped}",
        )
        assert_exactly_once_at_sk8(sc, school, stripped, b)


def test_unmapped_then_mapped(scenario: Scenario) -> None:
    """Results for a pupil without a number are parked (not lost, not on another pupil) and
    attach exactly once when Wijzig leerlingnummer is done."""
    sc = scenario
    school = flows.ready_school(sc, pupils=2, map_pupils=False)
    mapped, unmapped = school.numbers()[:2]
    flows.register_pupils(sc, school, only=[mapped])
    with sc.step("a result for the pupil without a number is sent and parked"):
        afname = flows.norm(sc, school, unmapped).afname_id
        flows.wait_forwarding(sc, school, afname, "verzonden")
        parked = [r for r in sc.partners.schoolkr8.niet_gekoppeld(school.ref) if afname in str(r)]
        assert len(parked) == 1, f"expected the result parked once, found {len(parked)}"
        assert not results_for(sc, school, mapped, afname), "landed on another pupil"
    with sc.step("Wijzig leerlingnummer: the parked result attaches exactly once"):
        sc.partners.schoolkr8.set_leerlingnummer(school.sk8_pupils[unmapped], unmapped)
        eventually(
            lambda: results_for(sc, school, unmapped, afname),
            lambda r: len(r) == 1,
            what="the parked result to attach",
        )
        still = [r for r in sc.partners.schoolkr8.niet_gekoppeld(school.ref) if afname in str(r)]
        assert not still, "the result is still parked after mapping"
