"""Edge scenarios around the autorisatiesleutel: wrong, foreign, revoked and re-issued keys are
refused everywhere (at AANVRAGEN and at BrengLeerresultaten), and LAS keys are scoped per school."""

from __future__ import annotations

import pytest

from scenarios.driver import DriverError
from scenarios.support import flows
from scenarios.support.checks import assert_never_at_sk8
from scenarios.support.schools import School
from scenarios.support.steps import Scenario

pytestmark = pytest.mark.scenario


def _bad_key(sc: Scenario, kind: str) -> tuple[School, str]:
    """A school with a LAS koppeling and the bad key of ``kind`` to paste into AANVRAGEN."""
    school = sc.new_school(pupils=1)
    if kind == "wrong":
        return school, "sk8_" + "x" * 32
    if kind == "foreign":
        other = sc.new_school(pupils=1)
        return school, flows.issue_sk8_key(sc, other)
    old = flows.issue_sk8_key(sc, school)
    if kind == "revoked":
        sc.partners.schoolkr8.intrekken(str(school.koppeling_id))
        return school, old
    flows.issue_sk8_key(sc, school)  # "reissued": activating again revokes the old key
    return school, old


@pytest.mark.parametrize("kind", ["wrong", "foreign", "revoked", "reissued"])
def test_refused_key(scenario: Scenario, kind: str) -> None:
    """A wrong, foreign, revoked or superseded key is not approved, says why, and nothing is
    sent."""
    sc = scenario
    with sc.step(f"a fresh school and a {kind} key"):
        school, key = _bad_key(sc, kind)
    flows.las_koppeling(sc, school)
    flows.request_dashboard(sc, school, key=key)
    with sc.step("klantenservice rejects the request and says why"):
        state = flows.wait_decided(sc, school, "afgewezen")
        assert state.reden, "afgewezen without a reason"
        sc.note(f"reden: {state.reden}")
    with sc.step("no confirmation of approval; an afname normed now is never forwarded"):
        afname = flows.norm(sc, school, school.numbers()[0]).afname_id
        status = flows.wait_settled(sc, school, [afname])[afname]
        assert status.status == "niet_van_toepassing", f"status {status.status!r}"
        assert_never_at_sk8(sc, school, None, afname)


def test_key_revoked_while_active(scenario: Scenario) -> None:
    """After Schoolkr8 revokes the key, BrengLeerresultaten is refused (Client.AutorisatieOngeldig):
    the forwarding stops as mislukt with the reason, nothing lands."""
    sc = scenario
    school = flows.ready_school(sc, pupils=1)
    with sc.step("Schoolkr8 revokes the key"):
        sc.partners.schoolkr8.intrekken(str(school.koppeling_id))
    with sc.step("an afname normed afterwards fails with the UWLR reason"):
        afname = flows.norm(sc, school, school.numbers()[0]).afname_id
        status = flows.wait_forwarding(sc, school, afname, "mislukt")
        assert "AutorisatieOngeldig" in (status.reason or ""), f"reason {status.reason!r}"
        number = school.numbers()[0]
        found = sc.partners.schoolkr8.resultaten(school.sk8_pupils[number])
        assert not found, f"results at Schoolkr8 despite the revoked key: {found}"


@pytest.mark.parametrize("las", ["parnassys", "esis"])
def test_las_key_of_other_school(scenario: Scenario, las: str) -> None:
    """The LAS key is per school (ESIS: per BRIN + vestiging): another school's key is refused at
    GEGEVENS IMPORTEREN with a clear error, never a 500."""
    sc = scenario
    with sc.step(f"two fresh {las} schools; school A's LAS key saved for school B"):
        a, b = sc.new_school(las=las, pupils=1), sc.new_school(las=las, pupils=1)
        key_a = sc.partners.las(las).issue_sleutel(a.ref, sc.klant)
        sc.driver.save_las_settings(
            b.ref, las=las, schooljaar=b.schooljaar, autorisatiesleutel=key_a
        )
    with sc.step("GEGEVENS IMPORTEREN is refused, naming the authorisation"):
        with pytest.raises(DriverError) as refused:
            sc.driver.import_las(b.ref)
        assert 400 <= refused.value.status < 500, f"HTTP {refused.value.status}: {refused.value}"
        assert "utorisatie" in str(refused.value), f"unclear error: {refused.value}"
        sc.note(str(refused.value))
    with sc.step("no pupils of either school were imported into school B"):
        assert not sc.driver.pupils(b.ref), "pupils imported with a foreign LAS key"
