"""The UWLR Leerlinggegevens codec: requests and answers round-trip and validate against the XSD."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from contracts.uwlr_xsd import UwlrSchemas, XsdInvalid
from koppeling.harness.errors import SoapFault
from koppeling.uwlr.autorisatie import Autorisatie, read_autorisatie
from koppeling.uwlr.leerlinggegevens import (
    NS,
    OPERATIONS,
    Groep,
    GroepRef,
    Leerkracht,
    Leerling,
    Leerlinggegevens,
    School,
    answer_envelope,
    build_answer,
    build_exception_answer,
    build_request,
    parse_answer,
    parse_request,
    render_answer,
)
from koppeling.uwlr.soap import fault_envelope, parse_envelope

AUT = Autorisatie("pns_abcdefgh12345678", "boom-testcentrum", "Boom testcentrum")
STAMP = datetime(2024, 10, 1, 9, 30, tzinfo=UTC)


def sample() -> Leerlinggegevens:
    return Leerlinggegevens(
        school=School("2024-2025", "99AB", "00", aanmaakdatum=STAMP),
        groepen=(
            Groep("g1", "Dolfijnen", "5"),
            Groep("g2", "7B", "7", mutatiedatum=STAMP),
            Groep("s1", "Plusklas", samengesteld=True),
        ),
        leerlingen=(
            Leerling(
                "0012345678",
                "Vries",
                "Sanne",
                voorvoegsel="de",
                geboortedatum=date(2015, 3, 4),
                geslacht="2",
                jaargroep="5",
                groep="g1",
                samengestelde_groepen=("s1",),
                bsn_ondwnr_4="1234",
                mutatiedatum=STAMP,
            ),
            Leerling("4866010819", "Jansen", "Daan", geslacht="1", jaargroep="7", groep="g2"),
        ),
        leerkrachten=(
            Leerkracht(
                "lk1",
                "Bakker",
                "Anouk",
                emailadres="a.bakker@example.nl",
                groepen=("g1",),
                samengestelde_groepen=("s1",),
            ),
        ),
    )


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_every_answer_validates_and_round_trips(operation: str, uwlr_schemas: UwlrSchemas) -> None:
    """Each operation's answer is valid UWLR 2.2 and parses back to the same data."""
    data = answer_envelope(build_answer(operation, sample()))
    uwlr_schemas.validate(data)
    answer = parse_answer(data, operation)
    assert answer.kind == "gegevens" and answer.gegevens is not None
    got = answer.gegevens
    assert got.school == sample().school
    if operation in ("HaalLeerlinggegevens", "HaalLeerlingen"):
        assert got.leerlingen == sample().leerlingen
        assert got.leerlingen[0].leerlingnummer == "0012345678"
    if operation in ("HaalLeerlinggegevens", "HaalStructuur"):
        assert got.groepen == sample().groepen
    if operation in ("HaalLeerlinggegevens", "HaalLeerkrachten"):
        assert got.leerkrachten == sample().leerkrachten


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize("kind", ["geenwijzigingen", "geengegevens"])
def test_exception_answers_validate(operation: str, kind: str, uwlr_schemas: UwlrSchemas) -> None:
    """geenwijzigingen / geengegevens are valid answers and parse as such."""
    data = answer_envelope(build_exception_answer(operation, kind))  # type: ignore[arg-type]
    uwlr_schemas.validate(data)
    assert parse_answer(data).kind == kind


def test_no_pupils_becomes_geengegevens(uwlr_schemas: UwlrSchemas) -> None:
    """The XSD demands at least one leerling, so an empty school answers geengegevens."""
    empty = Leerlinggegevens(school=School("2024-2025", "99AB"))
    data = answer_envelope(build_answer("HaalLeerlinggegevens", empty))
    uwlr_schemas.validate(data)
    assert parse_answer(data).kind == "geengegevens"


def test_the_xsd_catches_a_broken_answer(uwlr_schemas: UwlrSchemas) -> None:
    """The oracle is live: a leerling without achternaam is refused."""
    el = build_answer("HaalLeerlinggegevens", sample())
    achternaam = el.find(".//{*}leerling/{*}achternaam")
    assert achternaam is not None
    achternaam.getparent().remove(achternaam)
    with pytest.raises(XsdInvalid):
        uwlr_schemas.validate(el)


@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_requests_validate_and_parse(operation: str, uwlr_schemas: UwlrSchemas) -> None:
    """Requests are valid UWLR 2.2 and the server side reads them back, header included."""
    data = build_request(
        operation,
        AUT,
        schooljaar="2024-2025",
        brincode="99AB",
        dependancecode="01",
        laatstontvangengegevens=STAMP,
        groepen=[GroepRef("g1"), GroepRef("s1", samengesteld=True)],
    )
    uwlr_schemas.validate(data)
    env = parse_envelope(data)
    assert read_autorisatie(env) == AUT
    verzoek = parse_request(env)
    assert (verzoek.operation, verzoek.schooljaar, verzoek.brincode, verzoek.dependancecode) == (
        operation,
        "2024-2025",
        "99AB",
        "01",
    )
    assert verzoek.laatstontvangengegevens == STAMP
    if OPERATIONS[operation].stepwise:
        assert verzoek.groepen == (GroepRef("g1"), GroepRef("s1", True))


def test_naive_times_are_amsterdam() -> None:
    """A naive laatstontvangengegevens is the LAS's local time (CET in winter = UTC+1)."""
    data = build_request(
        "HaalLeerlinggegevens",
        AUT,
        schooljaar="2024-2025",
        brincode="99AB",
        laatstontvangengegevens=STAMP,
    )
    data = data.replace(b"2024-10-01T09:30:00+00:00", b"2024-12-01T10:00:00")
    verzoek = parse_request(parse_envelope(data))
    assert verzoek.laatstontvangengegevens == datetime(2024, 12, 1, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    "body",
    [
        b'<x:foo xmlns:x="urn:other"/>',
        b'<leerlinggegevens_antwoord xmlns="' + NS.encode() + b'"/>',
        b'<leerlinggegevens_verzoek xmlns="' + NS.encode() + b'">'
        b"<brincode>99AB</brincode><xsdversie>2.2</xsdversie></leerlinggegevens_verzoek>",
    ],
)
def test_wrong_requests_are_ongeldig_bericht(body: bytes) -> None:
    """A wrong root element or a missing field is Client.OngeldigBericht."""
    data = (
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        + body
        + b"</s:Body></s:Envelope>"
    )
    with pytest.raises(SoapFault) as info:
        parse_request(parse_envelope(data))
    assert info.value.code == "Client.OngeldigBericht"


def test_parse_answer_raises_the_fault() -> None:
    """On the client side a Fault answer raises the SoapFault with its UWLR code."""
    data = fault_envelope(SoapFault("Client.AutorisatieOngeldig", "Sleutel onbekend"))
    with pytest.raises(SoapFault) as info:
        parse_answer(data)
    assert info.value.code == "Client.AutorisatieOngeldig"


def test_text_is_escaped(uwlr_schemas: UwlrSchemas) -> None:
    """Names with XML specials survive the text writer and still validate."""
    odd = Leerling("1234567890", 'Brink & <Zn> "B"', "Zoë", voorvoegsel="'t", geslacht="9")
    gegevens = Leerlinggegevens(school=School("2024-2025", "99AB"), leerlingen=(odd,))
    data = answer_envelope(build_answer("HaalLeerlinggegevens", gegevens))
    uwlr_schemas.validate(data)
    answer = parse_answer(data)
    assert answer.gegevens is not None and answer.gegevens.leerlingen == (odd,)
    rendered = render_answer("HaalLeerlinggegevens", gegevens)
    uwlr_schemas.validate(rendered)
    assert parse_answer(rendered) == answer
