"""Edge scenarios of forwarding: Schoolkr8 down, slow, resetting or refusing; a testcentrum
restart with a pending outbox; re-norming; deactivate and re-activate. Whatever happens, a result
normed while active reaches Schoolkr8 exactly once, and a refused one stops with its reason.

Faults are injected per path, not per school: on a harness shared by parallel runs another
scenario may take a counted fault meant for this one. That only makes it retry (these are
transient faults), so every scenario here stays correct; refusals use school settings instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from koppeling.harness.config import HarnessConfig
from koppeling.harness.process import Harness
from scenarios.config import SCENARIO_OPTIONS
from scenarios.driver import HttpTestcentrumDriver
from scenarios.support import flows
from scenarios.support.checks import (
    assert_exactly_once_at_sk8,
    assert_never_at_sk8,
    deliveries,
)
from scenarios.support.partners import Partners
from scenarios.support.restart import Restarter
from scenarios.support.steps import Scenario
from scenarios.support.waits import eventually, stays

pytestmark = pytest.mark.scenario

INTAKE = "/uwlr/leerresultaten"
OUTAGES: dict[str, dict[str, Any]] = {
    "down_503": {"fault": "http_503", "times": 2},
    "slow": {"fault": "delay", "delay_ms": 1200, "times": 1},
    "connection_reset": {"fault": "connection_reset", "times": 1},
    "server_fault": {"fault": "soap_fault", "code": "Server.TijdelijkNietBeschikbaar", "times": 2},
}


@pytest.mark.parametrize("outage", list(OUTAGES))
def test_schoolkr8_outage(scenario: Scenario, outage: str) -> None:
    """Schoolkr8 down (503), slow (beyond the time-out), resetting the connection or answering a
    Server.* fault: the forwarder retries and the result arrives exactly once."""
    sc = scenario
    school = flows.ready_school(sc, pupils=1)
    number = school.numbers()[0]
    with sc.step(f"Schoolkr8 intake {outage.replace('_', ' ')}"):
        sc.partners.admin("schoolkr8").add_fault(
            INTAKE, method="POST", school=school.ref, **OUTAGES[outage]
        )
    with sc.step("an afname normed while active is retried until it is sent"):
        afname = flows.norm(sc, school, number).afname_id
        status = flows.wait_forwarding(sc, school, afname, "verzonden", timeout=20)
        sc.note(f"attempts: {status.attempts}")
    with sc.step("it is at Schoolkr8 exactly once"):
        assert_exactly_once_at_sk8(sc, school, number, afname)


def test_schoolkr8_refuses(scenario: Scenario) -> None:
    """A Client.* fault is not retried: with Schoolkr8 set to refuse unknown pupils, a result for
    a pupil without a number stops as mislukt with Client.LeerlingOngeldig, and nothing lands.
    (A refusal the school causes itself, so it stays isolated on a shared harness.)"""
    sc = scenario
    school = flows.ready_school(sc, pupils=1, map_pupils=False)
    with sc.step("Schoolkr8 set to refuse results for unknown leerlingids"):
        sc.partners.schoolkr8.set_niet_gekoppeld(school.ref, "weigeren")
    with sc.step("the afname is mislukt with the UWLR code"):
        afname = flows.norm(sc, school, school.numbers()[0]).afname_id
        status = flows.wait_forwarding(sc, school, afname, "mislukt")
        assert "LeerlingOngeldig" in (status.reason or ""), f"reason {status.reason!r}"
        sc.note(f"attempts: {status.attempts}")
    with sc.step("not retried, and nothing parked or stored at Schoolkr8"):
        # (on a shared harness an earlier attempt may have met another scenario's 503: count
        # from the refusal on)
        stays(
            lambda: flows.forwarding_of(sc, school)[afname],
            lambda f: f.attempts == status.attempts and f.status == "mislukt",
            what="no retry after a Client fault",
            duration=0.3,
        )
        assert not sc.partners.schoolkr8.niet_gekoppeld(school.ref), "a refused result was parked"


def test_restart_with_pending_outbox(scenario: Scenario, restarter: Restarter) -> None:
    """The testcentrum stops with results in its outbox; after a restart they are sent, none lost,
    none twice."""
    sc = scenario
    school = flows.ready_school(sc, pupils=2)
    first, second = school.numbers()[:2]
    with sc.step("Schoolkr8 down: the first afname waits in the outbox"):
        sk8 = sc.partners.admin("schoolkr8")
        sk8.add_fault(INTAKE, method="POST", fault="http_503", school=school.ref)
        a = flows.norm(sc, school, first).afname_id
        eventually(
            lambda: flows.forwarding_of(sc, school).get(a),
            lambda f: f is not None and f.attempts >= 1,
            what="a failed first attempt",
        )
    with sc.step("the testcentrum stops; a second afname is normed meanwhile"):
        restarter.stop()
        b = flows.norm(sc, school, second).afname_id
        sk8.clear_faults()
        stays(
            lambda: flows.forwarding_of(sc, school)[b].status,
            lambda s: s == "wachtend",
            what="nothing sent while the testcentrum is down",
            duration=0.3,
        )
    with sc.step("after the restart both are sent exactly once"):
        restarter.start()
        flows.wait_settled(sc, school, [a, b])
        assert_exactly_once_at_sk8(sc, school, first, a)
        assert_exactly_once_at_sk8(sc, school, second, b)


def test_harness_restart_on_file_db(scenario: Scenario, tmp_path: Path) -> None:
    """The whole harness stops (every process gone, only the SQLite file left) with a result in the
    outbox; started again on the same file, it sends it exactly once."""
    sc = scenario
    if not sc.partners.in_process:
        pytest.skip("restarting the harness needs the in-process harness")
    config = HarnessConfig(port_base=0, state_dir=tmp_path, options=SCENARIO_OPTIONS)
    first = Harness(config).start()
    clients = _use(sc, first)
    try:
        school = flows.ready_school(sc, pupils=1)
        number = school.numbers()[0]
        with sc.step("Schoolkr8 down: the afname waits in the outbox of the file store"):
            sc.partners.admin("schoolkr8").add_fault(
                INTAKE, method="POST", fault="http_503", school=school.ref
            )
            afname = flows.norm(sc, school, number).afname_id
            eventually(
                lambda: flows.forwarding_of(sc, school)[afname],
                lambda f: f.attempts >= 1,
                what="a failed first attempt",
            )
    finally:
        first.stop()
        clients.close()
    with sc.step("the harness starts again on the same file; Schoolkr8 is back"):
        second = Harness(config).start()
    clients = _use(sc, second)
    try:
        sc.partners.admin("schoolkr8").clear_faults()
        with sc.step("the waiting result is sent exactly once"):
            flows.wait_forwarding(sc, school, afname, "verzonden")
            assert_exactly_once_at_sk8(sc, school, number, afname)
        sc.capture_journal()
    finally:
        second.stop()
        clients.close()


def _use(sc: Scenario, harness: Harness) -> Partners:
    """Point the scenario's partners and driver at ``harness`` (new ports after a restart)."""
    assert harness.core is not None
    sc.partners = Partners(dict(harness.core.urls), in_process=True)
    sc.driver = HttpTestcentrumDriver(harness.url("testcentrum"), session=sc.partners.pool)
    sc.note(f"harness on {harness.url('testcentrum')}")
    return sc.partners


def test_renorming_updates_not_duplicates(scenario: Scenario) -> None:
    """A re-norming after activation resends under the same resultaat key: Schoolkr8 has one
    (updated) result, not two."""
    sc = scenario
    school = flows.ready_school(sc, pupils=1)
    number = school.numbers()[0]
    with sc.step("normed after activation and sent"):
        afname = flows.norm(sc, school, number).afname_id
        flows.wait_forwarding(sc, school, afname, "verzonden")
    with sc.step("re-normed: sent again under the same key"):
        sc.driver.norm(afname)
        eventually(
            lambda: len(deliveries(sc, school, afname)),
            lambda n: n >= 2,
            what="the re-norming to be sent",
        )
        flows.wait_forwarding(sc, school, afname, "verzonden")
    with sc.step("still exactly one result at Schoolkr8"):
        assert_exactly_once_at_sk8(sc, school, number, afname)


def test_deactivate_reactivate(scenario: Scenario) -> None:
    """Normed while active: sent once. Normed while deactivated: never, also after re-activation
    and re-norming. Normed after re-activation: sent once."""
    sc = scenario
    school = flows.ready_school(sc, pupils=3)
    p1, p2, p3 = school.numbers()[:3]
    with sc.step("normed while active: sent"):
        a = flows.norm(sc, school, p1).afname_id
        flows.wait_forwarding(sc, school, a, "verzonden")
    with sc.step("deactivated; an afname normed now is niet_van_toepassing"):
        sc.driver.deactivate_dashboard(school.ref)
        b = flows.norm(sc, school, p2).afname_id
        status = flows.wait_settled(sc, school, [b])[b]
        assert status.status == "niet_van_toepassing", f"status {status.status!r}"
    flows.activate_dashboard(sc, school)
    with sc.step("after re-activation: new afname sent, the inactive one re-normed stays unsent"):
        c = flows.norm(sc, school, p3).afname_id
        sc.driver.norm(b)
        flows.wait_forwarding(sc, school, c, "verzonden")
        assert flows.forwarding_of(sc, school)[b].status == "niet_van_toepassing"
        assert_never_at_sk8(sc, school, p2, b)
        assert_exactly_once_at_sk8(sc, school, p1, a)
        assert_exactly_once_at_sk8(sc, school, p3, c)
