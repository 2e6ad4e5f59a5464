"""Edge scenarios of AANVRAGEN: no LAS koppeling yet, a wrong type dashboard, and a decision by
hand at klantenservice (rejection with its reason; approval)."""

from __future__ import annotations

import pytest

from scenarios.driver import DriverError
from scenarios.support import flows
from scenarios.support.schools import School
from scenarios.support.steps import Scenario
from scenarios.support.waits import eventually, stays

pytestmark = pytest.mark.scenario


def _refused(sc: Scenario, school: School, *, type_dashboard: str, field: str) -> str:
    """AANVRAGEN is refused: at once (4xx naming ``field``) or by klantenservice (afgewezen)."""
    try:
        flows.request_dashboard(sc, school, type_dashboard=type_dashboard)
    except DriverError as exc:
        assert 400 <= exc.status < 500, f"HTTP {exc.status}: {exc}"
        return str(exc)
    state = flows.wait_decided(sc, school, "afgewezen")
    assert state.reden, "afgewezen without a reason"
    return str(state.reden)


def test_no_las_koppeling_yet(scenario: Scenario) -> None:
    """AANVRAGEN before the LAS koppeling is not approved, and the reason names the LAS."""
    sc = scenario
    with sc.step("a fresh school with a Schoolkr8 key but no LAS koppeling"):
        school = sc.new_school(pupils=1)
    flows.issue_sk8_key(sc, school)
    with sc.step("AANVRAGEN is refused, naming the LAS koppeling"):
        reason = _refused(sc, school, type_dashboard="Schoolkr8", field="las")
        named = any(w in reason.lower() for w in ("las", "parnassys", "esis"))
        assert named, f"reason does not name the LAS koppeling: {reason!r}"
        sc.note(reason)
    with sc.step("no approval e-mail"):
        stays(
            lambda: flows.mails_to(sc, school.beheerder_email),
            lambda ms: all("goedgekeurd" not in (m.subject + m.text).lower() for m in ms),
            what="no approval mail",
            duration=0.2,
        )


def test_wrong_type_dashboard(scenario: Scenario) -> None:
    """A type dashboard other than Schoolkr8 with a Schoolkr8 key is not approved and says why."""
    sc = scenario
    with sc.step("a fresh school with LAS koppeling and Schoolkr8 key"):
        school = sc.new_school(pupils=1)
    flows.las_koppeling(sc, school)
    flows.issue_sk8_key(sc, school)
    with sc.step("AANVRAGEN with type dashboard 'Magister Dashboard' is refused"):
        reason = _refused(sc, school, type_dashboard="Magister Dashboard", field="type_dashboard")
        assert "dashboard" in reason.lower(), f"reason does not name the type: {reason!r}"
        sc.note(reason)
    with sc.step("the koppeling is not active"):
        assert sc.driver.dashboard_status(school.ref).status != "actief"


def _manual(sc: Scenario) -> tuple[School, str]:
    school = sc.new_school(pupils=1)
    flows.las_koppeling(sc, school)
    flows.issue_sk8_key(sc, school)
    sc.partners.klantenservice.set_modus(school.ref, "handmatig")
    flows.request_dashboard(sc, school)
    state = flows.wait_dashboard(sc, school, "aangevraagd")
    aanvraag = state.raw.get("aanvraag_id") or eventually(
        lambda: sc.driver.dashboard_status(school.ref).raw.get("aanvraag_id"),
        bool,
        what="the aanvraag to reach klantenservice",
    )
    return school, str(aanvraag)


def test_rejection_by_klantenservice(scenario: Scenario) -> None:
    """Klantenservice (by hand) rejects: the testcentrum shows afgewezen with the reason, one
    rejection mail to the beheerder carries it, and the koppeling never becomes active."""
    sc = scenario
    with sc.step("manual mode; AANVRAGEN stays aangevraagd"):
        school, aanvraag = _manual(sc)
    reden = "Vestigingsnummer komt niet overeen met de administratie"
    with sc.step("klantenservice rejects by hand"):
        sc.partners.klantenservice.afwijzen(aanvraag, reden)
        state = flows.wait_decided(sc, school, "afgewezen")
        assert reden in (state.reden or ""), f"reden shown: {state.reden!r}"
    with sc.step("exactly one mail to the beheerder, with the reason"):
        mail = flows.wait_for_mail(sc, school.beheerder_email)
        stays(
            lambda: flows.mails_to(sc, school.beheerder_email),
            lambda ms: len(ms) == 1,
            what="exactly one mail to the beheerder",
            duration=0.3,
        )
        assert reden in mail.text, "the rejection mail does not give the reason"


def test_manual_approval(scenario: Scenario) -> None:
    """Klantenservice approves by hand: actief with geactiveerd_op, exactly one confirmation."""
    sc = scenario
    with sc.step("manual mode; AANVRAGEN stays aangevraagd"):
        school, aanvraag = _manual(sc)
        stays(
            lambda: sc.driver.dashboard_status(school.ref).status,
            lambda s: s == "aangevraagd",
            what="status aangevraagd until decided",
            duration=0.2,
        )
    with sc.step("klantenservice approves by hand; koppeling actief"):
        sc.partners.klantenservice.goedkeuren(aanvraag)
        state = flows.wait_decided(sc, school, "actief")
        assert state.geactiveerd_op is not None
    with sc.step("exactly one confirmation mail"):
        flows.wait_for_mail(sc, school.beheerder_email)
        stays(
            lambda: flows.mails_to(sc, school.beheerder_email),
            lambda ms: len(ms) == 1,
            what="exactly one mail to the beheerder",
            duration=0.3,
        )
