"""The LAS side with both vendors: a re-import (GEGEVENS IMPORTEREN again, as the nightly sync
does) brings new pupils and drops those who left, for ParnasSys (Apache CXF at
``/uwlr/leerlinggegevens``) and ESIS (one WCF service per school at ``/UWLR/UwlrStandaard2.2.svc``)
alike — and a new pupil's result travels the whole way to Schoolkr8."""

from __future__ import annotations

import pytest

from scenarios.support import flows
from scenarios.support.checks import assert_exactly_once_at_sk8
from scenarios.support.steps import Scenario

pytestmark = pytest.mark.scenario


@pytest.mark.parametrize("las", ["parnassys", "esis"])
def test_las_resync(scenario: Scenario, las: str) -> None:
    """After a pupil joins and another leaves at the LAS, GEGEVENS IMPORTEREN shows the change in
    the Leerlingenoverzicht, and the new pupil's result lands at Schoolkr8 exactly once."""
    sc = scenario
    school = flows.ready_school(sc, las=las, pupils=2)
    leaver = school.numbers()[0]
    with sc.step(f"at {las}: a pupil joins, another leaves"):
        las_api = sc.partners.las(las)
        joined = las_api.add_leerling(school.ref, seed=sc.seed % 1000)
        las_api.remove_leerling(school.ref, leaver)
        school.pupils = [p for p in school.pupils if p["leerlingnummer"] != leaver] + [joined]
        newcomer = str(joined["leerlingnummer"])
    with sc.step("GEGEVENS IMPORTEREN again: the overzicht follows the LAS"):
        counts = sc.driver.import_las(school.ref)
        sc.note("import: " + str(counts.get("wijzigingen", {}).get("leerlingen", counts)))
        shown = {str(p["leerlingnummer"]) for p in sc.driver.pupils(school.ref)}
        assert newcomer in shown, f"new pupil {newcomer} not in the Leerlingenoverzicht"
        assert leaver not in shown, f"pupil {leaver} left the school but is still listed"
    flows.register_pupils(sc, school, only=[newcomer])
    with sc.step("the new pupil's result arrives at Schoolkr8 exactly once"):
        afname = flows.norm(sc, school, newcomer).afname_id
        flows.wait_forwarding(sc, school, afname, "verzonden")
        assert_exactly_once_at_sk8(sc, school, newcomer, afname)
