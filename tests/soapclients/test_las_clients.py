"""PHP's SoapClient and node-soap call all four UWLR Leerlinggegevens operations on ParnasSys and
ESIS — from the WSDL each LAS serves at ``?wsdl``, and from the official
``UWLR_Leerlinggegevens_v2p2.wsdl`` with the endpoint overridden — and get what the LAS's admin
API says the school has; a wrong key gets ``Client.AutorisatieOngeldig`` and a body sent with
another operation's SOAPAction gets a SOAP fault."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mocks.las.service import FLAVOURS
from tests.soapclients.conftest import LAS_SCHOOL, SCHOOLJAAR, LasSetup
from tests.soapclients.stacks import STACKS, WSDL_KINDS, Stack, WsdlKind, fault_code

pytestmark = pytest.mark.slow

LasRun = Callable[[Stack, WsdlKind, str], dict[str, Any]]
OPERATIONS = ("HaalLeerlinggegevens", "HaalStructuur", "HaalLeerlingen", "HaalLeerkrachten")
PUPIL_FIELDS = (
    "achternaam",
    "voorvoegsel",
    "roepnaam",
    "voornamen",
    "geboortedatum",
    "instroomdatum",
    "eckid",
    "groep",
)
SCHOOL = {
    "brincode": LAS_SCHOOL.brincode,
    "dependancecode": LAS_SCHOOL.dependancecode,
    "schooljaar": SCHOOLJAAR,
}
CASES = [
    pytest.param(stack, kind, flavour, id=f"{stack}-{kind}-{flavour}")
    for stack in STACKS
    for kind in WSDL_KINDS
    for flavour in sorted(FLAVOURS)
]


def shows_samengestelde(setup: LasSetup) -> bool:
    """ESIS shows samengestelde groepen only for a school that opted in (docs/las.md)."""
    return (
        bool(setup.school["samengestelde_groepen"])
        or not FLAVOURS[setup.flavour].samengestelde_opt_in
    )


def groepen(setup: LasSetup, samengesteld: bool) -> list[str]:
    if samengesteld and not shows_samengestelde(setup):
        return []
    return sorted(g["key"] for g in setup.school["groepen"] if g["samengesteld"] is samengesteld)


def check_pupils(got: list[dict[str, Any]], setup: LasSetup) -> None:
    """Exactly the admin API's pupils, each with the admin API's names, birth date and groups."""
    keys = [p["key"] for p in got]
    assert len(keys) == len(set(keys)), keys
    expected = {p["leerlingnummer"]: p for p in setup.leerlingen}
    assert set(keys) == set(expected)
    # The schools are the rich default profile: the stacks must have read its optional content.
    assert all(any(p[f] for p in got) for f in ("voornamen", "instroomdatum", "eckid")), got[:2]
    for pupil in got:
        admin = expected[pupil["key"]]
        assert {f: pupil[f] for f in PUPIL_FIELDS} == {f: admin[f] for f in PUPIL_FIELDS}
        shown = admin["samengestelde_groepen"] if shows_samengestelde(setup) else []
        assert sorted(pupil["samengestelde_groepen"]) == sorted(shown)


@pytest.mark.parametrize(("stack", "kind", "flavour"), CASES)
def test_every_operation_answers_what_the_las_has(
    las_run: LasRun, las_setups: dict[str, LasSetup], stack: Stack, kind: WsdlKind, flavour: str
) -> None:
    results = las_run(stack, kind, flavour)
    setup = las_setups[flavour]
    failed = {op: results[op] for op in OPERATIONS if not results[op]["ok"]}
    assert failed == {}
    stam, samengesteld = groepen(setup, False), groepen(setup, True)
    alle_leerkrachten = sorted(k["key"] for k in setup.school["leerkrachten"])

    full = results["HaalLeerlinggegevens"]["value"]
    assert (full["kind"], full["school"]) == ("leerlinggegevens", SCHOOL)
    assert (sorted(full["groepen"]), sorted(full["samengestelde_groepen"])) == (stam, samengesteld)
    check_pupils(full["leerlingen"], setup)
    assert sorted(full["leerkrachten"]) == alle_leerkrachten

    structuur = results["HaalStructuur"]["value"]
    assert (structuur["kind"], structuur["school"]) == ("leerlinggegevens-structuur", SCHOOL)
    assert (sorted(structuur["groepen"]), sorted(structuur["samengestelde_groepen"])) == (
        stam,
        samengesteld,
    )

    # HaalLeerlingen / HaalLeerkrachten asked for every group HaalStructuur listed.
    leerlingen = results["HaalLeerlingen"]["value"]
    assert (leerlingen["kind"], leerlingen["school"]) == ("leerlinggegevens-leerlingen", SCHOOL)
    check_pupils(leerlingen["leerlingen"], setup)
    leerkrachten = results["HaalLeerkrachten"]["value"]
    assert leerkrachten["kind"] == "leerlinggegevens-leerkrachten"
    asked = set(stam) | set(samengesteld)
    with_group = sorted(
        k["key"]
        for k in setup.school["leerkrachten"]
        if asked & (set(k["groepen"]) | set(k["samengestelde_groepen"]))
    )
    assert sorted(leerkrachten["leerkrachten"]) == with_group


@pytest.mark.parametrize(("stack", "kind", "flavour"), CASES)
def test_a_wrong_key_gets_the_uwlr_fault(
    las_run: LasRun, stack: Stack, kind: WsdlKind, flavour: str
) -> None:
    outcome = las_run(stack, kind, flavour)["wrong_key"]
    assert fault_code(outcome) == "Client.AutorisatieOngeldig", outcome
    assert outcome["http_status"] == 500


@pytest.mark.parametrize(("stack", "kind", "flavour"), CASES)
def test_a_wrong_soapaction_gets_a_soap_fault(
    las_run: LasRun, stack: Stack, kind: WsdlKind, flavour: str
) -> None:
    """The HaalLeerlinggegevens body with HaalStructuur's SOAPAction: a fault, not the data (the
    wording is the vendor stack's, CXF or WCF; the UWLR code is Client.OngeldigBericht)."""
    outcome = las_run(stack, kind, flavour)["wrong_action"]
    assert outcome["action"].strip('"').endswith("/structuur_verzoek"), outcome
    assert fault_code(outcome) == "Client.OngeldigBericht", outcome
    assert outcome["http_status"] == 500


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("flavour", sorted(FLAVOURS))
def test_the_served_wsdl_gives_the_stubs_of_the_official_one(
    las_run: LasRun, stack: Stack, flavour: str
) -> None:
    """Code generated from the served WSDL is code generated from the official one: PHP's
    signatures (answer element, operation, request element, part name) and node-soap's
    services, ports and operations are the same."""
    assert (
        las_run(stack, "served", flavour)["stubs"] == las_run(stack, "official", flavour)["stubs"]
    )
