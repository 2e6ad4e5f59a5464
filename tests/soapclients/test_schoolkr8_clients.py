"""PHP's SoapClient and node-soap send BrengLeerresultaten to Schoolkr8 — a plain score and an
osoresultaat — from the WSDL Schoolkr8 serves at ``?wsdl`` and from the official
``UWLR_Leerresultaten_v2p2.wsdl`` with the endpoint overridden; Schoolkr8's API then shows exactly
the results it accepted. A wrong key gets ``Client.AutorisatieOngeldig``, a wrong SOAPAction a SOAP
fault, and neither stores anything."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from koppeling.client import Clients
from tests.soapclients.conftest import SK8_LEERLINGEN, SK8_SCHOOL, Schoolkr8Setup
from tests.soapclients.stacks import STACKS, WSDL_KINDS, Stack, WsdlKind, fault_code

pytestmark = pytest.mark.slow

Schoolkr8Run = Callable[[Stack, WsdlKind], dict[str, Any]]
CASES = [pytest.param(stack, kind, id=f"{stack}-{kind}") for stack in STACKS for kind in WSDL_KINDS]


def stored(clients: Clients, setup: Schoolkr8Setup, prefix: str) -> dict[str, dict[str, Any]]:
    """Every result Schoolkr8 shows (on the two pupils or parked) whose key starts with prefix."""
    found = [r for pupil in setup.ids.values() for r in clients.schoolkr8.resultaten(pupil)]
    found += clients.schoolkr8.niet_gekoppeld(SK8_SCHOOL)
    return {r["key"]: r for r in found if str(r["key"]).startswith(f"{prefix}-")}


@pytest.mark.parametrize(("stack", "kind"), CASES)
def test_a_score_and_an_osoresultaat_arrive(
    schoolkr8_run: Schoolkr8Run,
    schoolkr8_setup: Schoolkr8Setup,
    clients: Clients,
    stack: Stack,
    kind: WsdlKind,
) -> None:
    results = schoolkr8_run(stack, kind)
    assert (results["score"]["ok"], results["osoresultaat"]["ok"]) == (True, True), results
    prefix = f"{stack}-{kind}"
    accepted = sum(1 for name, outcome in results.items() if name != "stubs" and outcome["ok"])
    shown = stored(clients, schoolkr8_setup, prefix)
    assert len(shown) == accepted == 2, shown

    score = shown[f"{prefix}-score"]
    assert score["leerling_id"] == int(schoolkr8_setup.ids[SK8_LEERLINGEN[0]])
    assert (score["leerlingid"], score["toetscode"], score["afnamedatum"]) == (
        SK8_LEERLINGEN[0],
        "REK-M5",
        "2025-01-20",
    )
    assert (score["score"], score["ruwe_score"], score["toetsnaam"]) == (
        37,
        37,
        "Rekenen-Wiskunde M5",
    )

    oso = shown[f"{prefix}-oso"]
    assert oso["leerling_id"] == int(schoolkr8_setup.ids[SK8_LEERLINGEN[1]])
    assert (oso["afnamedatum"], oso["score"], oso["ruwe_score"]) == ("2025-01-21", None, 41)
    assert (oso["vaardigheidsscore"], oso["percentiel"], oso["niveau"]) == ("187.5", "63", "II")


@pytest.mark.parametrize(("stack", "kind"), CASES)
def test_a_wrong_key_gets_the_uwlr_fault_and_stores_nothing(
    schoolkr8_run: Schoolkr8Run,
    schoolkr8_setup: Schoolkr8Setup,
    clients: Clients,
    stack: Stack,
    kind: WsdlKind,
) -> None:
    outcome = schoolkr8_run(stack, kind)["wrong_key"]
    assert fault_code(outcome) == "Client.AutorisatieOngeldig", outcome
    assert outcome["http_status"] == 500
    assert stored(clients, schoolkr8_setup, f"{stack}-{kind}-wrong-key") == {}


@pytest.mark.parametrize(("stack", "kind"), CASES)
def test_a_wrong_soapaction_gets_a_soap_fault_and_stores_nothing(
    schoolkr8_run: Schoolkr8Run,
    schoolkr8_setup: Schoolkr8Setup,
    clients: Clients,
    stack: Stack,
    kind: WsdlKind,
) -> None:
    """A valid message with the right key, sent with the SOAPAction HaalLeerlinggegevens."""
    outcome = schoolkr8_run(stack, kind)["wrong_action"]
    assert outcome["action"].strip('"') == "HaalLeerlinggegevens", outcome
    assert fault_code(outcome) == "Client.OngeldigBericht", outcome
    assert outcome["http_status"] == 500
    assert stored(clients, schoolkr8_setup, f"{stack}-{kind}-wrong-action") == {}


@pytest.mark.parametrize("stack", STACKS)
def test_the_served_wsdl_gives_the_stubs_of_the_official_one(
    schoolkr8_run: Schoolkr8Run, stack: Stack
) -> None:
    """As for the LAS: the same signatures (PHP) and services, ports, operations (node-soap)."""
    assert schoolkr8_run(stack, "served")["stubs"] == schoolkr8_run(stack, "official")["stubs"]
