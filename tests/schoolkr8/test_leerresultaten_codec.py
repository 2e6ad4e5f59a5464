"""The Leerresultaten codec: what it builds is valid per the official XSD, and it reads back."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from lxml import etree

from contracts.uwlr_xsd import UwlrSchemas, XsdInvalid
from koppeling.harness.errors import SoapFault
from koppeling.uwlr.autorisatie import Autorisatie
from koppeling.uwlr.leerresultaten import (
    NS,
    LeerresultatenVerzoek,
    Norm,
    Normering,
    Resultaat,
    School,
    Toets,
    Toetsafname,
    build_verzoek,
    leerresultaten_bevestiging,
    parse_verzoek,
    request_envelope,
)


def sample() -> LeerresultatenVerzoek:
    """A request with both result forms, a normering and optional fields filled."""
    school = School(
        "2026-2027",
        "99AB",
        datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
        "01",
        auteur="Boom testcentrum",
    )
    normed = Resultaat.genormeerd(
        "tc-1",
        date(2026, 10, 30),
        "LVS RW 2019",
        ruwe_score=41,
        vaardigheidsscore=Decimal("187.5"),
        percentiel=63,
        niveau="II",
        dle=24,
    )
    plain = Resultaat("tc-2", date(2026, 10, 31), "TTA", score=52)
    normering = Normering(
        (
            Norm("I", 0, 10),
            Norm("II", 11, 99, omschrijving="boven gemiddeld", schoolcijfer_vanaf=Decimal("6.5")),
        )
    )
    return LeerresultatenVerzoek(
        school,
        (Toetsafname("0004866010", (normed,)), Toetsafname("4866010819", (plain,), eckid="eck")),
        (Toets("LVS RW 2019", "LVS Rekenen-Wiskunde 2019", normering=normering), Toets("TTA")),
    )


def test_built_request_validates_against_official_xsd(uwlr_schemas: UwlrSchemas) -> None:
    """build_verzoek output is valid UWLR 2.2 Leerresultaten."""
    uwlr_schemas.validate(build_verzoek(sample()))


def test_bevestiging_validates(uwlr_schemas: UwlrSchemas) -> None:
    """The empty answer is valid too."""
    uwlr_schemas.validate(leerresultaten_bevestiging())


def test_round_trip_keeps_everything() -> None:
    """parse_verzoek(build_verzoek(x)) == x, leading zeros of leerlingid included."""
    verzoek = sample()
    element = etree.fromstring(etree.tostring(build_verzoek(verzoek)))
    parsed = parse_verzoek(element)
    assert parsed == verzoek
    first = parsed.toetsafnames[0]
    assert first.leerlingid == "0004866010"
    assert first.resultaten[0].percentiel == "63"
    assert first.resultaten[0].niveau == "II"
    assert first.resultaten[0].ruwe_score == 41
    assert first.resultaten[0].vaardigheidsscore == Decimal("187.5")


def test_envelope_carries_header_and_validates(uwlr_schemas: UwlrSchemas) -> None:
    """request_envelope puts the autorisatie header in front of a valid body."""
    data = request_envelope(build_verzoek(sample()), Autorisatie("sk8_x" * 4, "boom", "Boom"))
    uwlr_schemas.validate(data)
    assert b"autorisatiesleutel" in data


def _mutate(path: str, text: str | None = None, remove: bool = False) -> etree._Element:
    element = copy.deepcopy(build_verzoek(sample()))
    target = element.find(path, {"lr": NS})
    assert target is not None, path
    if remove:
        target.getparent().remove(target)
    else:
        target.text = text
    return element


BAD = [
    ("lr:school/lr:brincode", "99ab", False),
    ("lr:school/lr:schooljaar", "2026/2027", False),
    ("lr:school/lr:dependancecode", "1", False),
    ("lr:school/lr:aanmaakdatum", "gisteren", False),
    ("lr:school/lr:xsdversie", None, True),
    (".//lr:resultaat/lr:afnamedatum", "2026-13-01", False),
    (".//lr:resultaat/lr:score", "-1", False),
    (".//lr:resultaat/lr:score", "12.5", False),
    (".//lr:toetsafname/lr:leerlingid", "", False),
    (".//lr:toetsafname/lr:leerlingid", "x" * 257, False),
    ("lr:toetsen", None, True),
    (".//lr:toets/lr:toetsnaam", "y" * 129, False),
]


@pytest.mark.parametrize(("path", "text", "remove"), BAD)
def test_invalid_structure_is_ongeldig_bericht_and_xsd_agrees(
    uwlr_schemas: UwlrSchemas, path: str, text: str | None, remove: bool
) -> None:
    """Every mutation the XSD refuses, parse_verzoek refuses as Client.OngeldigBericht."""
    element = _mutate(path, text, remove)
    with pytest.raises(XsdInvalid):
        uwlr_schemas.validate(element)
    with pytest.raises(SoapFault) as caught:
        parse_verzoek(element)
    assert caught.value.code == "Client.OngeldigBericht"


def test_unknown_element_is_refused() -> None:
    """An element the XSD does not know is named in the fault."""
    element = build_verzoek(sample())
    etree.SubElement(element.find(f"{{{NS}}}school"), f"{{{NS}}}geheim").text = "x"
    with pytest.raises(SoapFault, match="geheim"):
        parse_verzoek(element)


def test_undefined_toetscode_and_duplicate_key_are_refused() -> None:
    """The XSD's key/keyref rules are checked in code."""
    verzoek = sample()
    dangling = LeerresultatenVerzoek(verzoek.school, verzoek.toetsafnames, verzoek.toetsen[:1])
    with pytest.raises(SoapFault, match="TTA"):
        parse_verzoek(build_verzoek(dangling))
    afname = verzoek.toetsafnames[1]
    twice = LeerresultatenVerzoek(verzoek.school, (afname, afname), verzoek.toetsen)
    with pytest.raises(SoapFault, match="tc-2"):
        parse_verzoek(build_verzoek(twice))


def test_official_xsd_also_enforces_keyref(uwlr_schemas: UwlrSchemas) -> None:
    """The Leerresultaten key/keyref are prefixed and do fire in lxml (unlike Leerlinggegevens')."""
    verzoek = sample()
    dangling = LeerresultatenVerzoek(verzoek.school, verzoek.toetsafnames, verzoek.toetsen[:1])
    with pytest.raises(XsdInvalid):
        uwlr_schemas.validate(build_verzoek(dangling))


def test_wrong_root_is_refused() -> None:
    """Only leerresultaten_verzoek is a request."""
    with pytest.raises(SoapFault):
        parse_verzoek(leerresultaten_bevestiging())


def test_build_refuses_empty_lists() -> None:
    """Building an impossible message is a ValueError, not an invalid message."""
    verzoek = sample()
    with pytest.raises(ValueError, match="toetsafname"):
        build_verzoek(LeerresultatenVerzoek(verzoek.school, (), verzoek.toetsen))


# --- property: what parse_verzoek accepts, the official XSD accepts -----------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

XML_CHARS = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs"))
TEXTS = st.one_of(
    st.text(XML_CHARS, max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "2026-02-30",
            "2026-10-30",
            "2026-2027",
            "99AB",
            "00",
            "1.5",
            "x" * 300,
            "2026-11-02T09:30:00Z",
            "abc",
            "12",
        ]
    ),
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_whatever_parse_accepts_the_xsd_accepts(
    uwlr_schemas: UwlrSchemas, data: st.DataObject
) -> None:
    """Random edits of a valid request (text changed, element removed or duplicated): whenever the
    codec accepts the result, the official XSD does too."""
    element = copy.deepcopy(build_verzoek(sample()))
    nodes = [el for el in element.iter() if el is not element]
    for _ in range(data.draw(st.integers(1, 3))):
        target = data.draw(st.sampled_from(nodes))
        action = data.draw(st.sampled_from(["text", "remove", "duplicate"]))
        parent = target.getparent()
        if parent is None:
            continue
        if action == "text" and len(target) == 0:
            target.text = data.draw(TEXTS)
        elif action == "remove":
            parent.remove(target)
        elif action == "duplicate":
            parent.insert(parent.index(target), copy.deepcopy(target))
    try:
        parse_verzoek(element)
    except SoapFault as fault:
        assert fault.code == "Client.OngeldigBericht"
        return
    uwlr_schemas.validate(element)
