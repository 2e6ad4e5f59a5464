"""The Schoolkr8 client of the stand-in testcentrum, against canned HTTP answers (``responses``):
what it sends (official-XSD valid, key in the autorisatie header) and how it sorts every answer."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import requests
import responses
from lxml import etree

from contracts.uwlr_xsd import UwlrSchemas
from koppeling.harness.errors import SoapFault
from koppeling.uwlr.autorisatie import read_autorisatie
from koppeling.uwlr.leerresultaten import (
    LeerresultatenVerzoek,
    leerresultaten_bevestiging,
    parse_verzoek,
)
from koppeling.uwlr.soap import envelope, fault_envelope, parse_envelope
from mocks.testcentrum.afnames import norms
from mocks.testcentrum.afnames.forwarder import build_verzoek
from mocks.testcentrum.afnames.schoolkr8_client import (
    RejectedDelivery,
    Schoolkr8Client,
    Schoolkr8Config,
    TransientDeliveryError,
)
from mocks.testcentrum.afnames.store import Afname

BASE = "http://schoolkr8.example.test"
URL = BASE + "/uwlr/leerresultaten"
KEY = "sk8_GeheimeSleutelVanDeSchool1234567"
NOW = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)


def afname(
    afname_id: str = "a1", nummer: str = "4866010819", toets: str = "LVS RW 2019", ruwe: int = 31
) -> Afname:
    figures = norms.normeer(toets, ruwe, 5, date(2027, 1, 15)).as_json()
    return Afname(
        id=afname_id,
        school="99TA-00",
        brincode="99TA",
        dependancecode="00",
        leerlingnummer=nummer,
        toets=toets,
        ruwe_score=ruwe,
        afnamedatum=date(2027, 1, 15),
        groep=5,
        ingevoerd_op=NOW,
        eerst_genormeerd_op=NOW,
        genormeerd_op=NOW,
        normeringen=1,
        normering=figures,
        doorsturing="doorsturen",
    )


def verzoek() -> LeerresultatenVerzoek:
    return build_verzoek(
        "99TA-00",
        "2026-2027",
        [afname("a1"), afname("a2", toets="TTA", ruwe=150), afname("a3", nummer="0000000042")],
        NOW,
    )


@pytest.fixture
def client() -> Schoolkr8Client:
    """A client with a short time-out, pointed at the canned base URL."""
    return Schoolkr8Client(Schoolkr8Config(BASE, timeout=0.5))


def ok_body() -> bytes:
    return envelope(leerresultaten_bevestiging())


@responses.activate
def test_sends_a_valid_brengleerresultaten_with_the_key_in_the_autorisatie_header(
    client: Schoolkr8Client, uwlr_schemas: UwlrSchemas
) -> None:
    responses.post(URL, body=ok_body(), content_type="text/xml; charset=utf-8")
    client.breng_leerresultaten(verzoek(), KEY)
    sent = responses.calls[0].request
    assert sent.headers["SOAPAction"] == '"BrengLeerresultaten"'
    assert sent.headers["Content-Type"].startswith("text/xml")
    body = sent.body if isinstance(sent.body, bytes) else str(sent.body).encode()
    uwlr_schemas.validate(body)
    env = parse_envelope(body)
    aut = read_autorisatie(env)
    assert (aut.autorisatiesleutel, aut.klantcode, aut.klantnaam) == (
        KEY,
        "boom-testcentrum",
        "Boom testcentrum",
    )
    parsed = parse_verzoek(env.body)
    assert {r.key for _, r in parsed.resultaten()} == {"boom-tc-a1", "boom-tc-a2", "boom-tc-a3"}
    assert [a.leerlingid for a in parsed.toetsafnames] == ["4866010819", "0000000042"]
    first = next(r for _, r in parsed.resultaten() if r.key == "boom-tc-a1")
    assert first.ruwe_score == 31 and first.percentiel is not None and first.niveau is not None


@pytest.mark.parametrize(
    ("status", "body", "kind", "code"),
    [
        (
            500,
            fault_envelope(SoapFault("Server.TijdelijkNietBeschikbaar", "even niet")),
            TransientDeliveryError,
            "Server.TijdelijkNietBeschikbaar",
        ),
        (
            500,
            fault_envelope(SoapFault("Server.InterneFout", "stuk")),
            TransientDeliveryError,
            "Server.InterneFout",
        ),
        (
            503,
            fault_envelope(SoapFault("Server.TijdelijkNietBeschikbaar", "onderhoud")),
            TransientDeliveryError,
            "Server.TijdelijkNietBeschikbaar",
        ),
        (
            500,
            fault_envelope(SoapFault("Client.AutorisatieOngeldig", f"sleutel {KEY} onbekend")),
            RejectedDelivery,
            "Client.AutorisatieOngeldig",
        ),
        (
            500,
            fault_envelope(SoapFault("Client.LeerlingOngeldig", "wie?")),
            RejectedDelivery,
            "Client.LeerlingOngeldig",
        ),
        (503, b"", TransientDeliveryError, None),
        (502, b"<html>bad gateway</html>", TransientDeliveryError, None),
        (429, b"", TransientDeliveryError, None),
        (404, b"not here", RejectedDelivery, None),
        (200, b"<nope/>", TransientDeliveryError, None),
        (200, b"niet eens xml", TransientDeliveryError, None),
    ],
)
@responses.activate
def test_answers_are_sorted_into_transient_and_rejected(
    client: Schoolkr8Client, status: int, body: bytes, kind: type[Exception], code: str | None
) -> None:
    responses.post(URL, body=body, status=status, content_type="text/xml")
    with pytest.raises(kind) as caught:
        client.breng_leerresultaten(verzoek(), KEY)
    assert getattr(caught.value, "code", None) == code
    assert KEY not in str(caught.value)


@pytest.mark.parametrize(
    "error", [requests.ConnectionError("reset by peer"), requests.ReadTimeout("slow")]
)
@responses.activate
def test_connection_errors_and_timeouts_are_transient(
    client: Schoolkr8Client, error: Exception
) -> None:
    responses.post(URL, body=error)
    with pytest.raises(TransientDeliveryError) as caught:
        client.breng_leerresultaten(verzoek(), KEY)
    assert KEY not in caught.value.reason
    assert "sk8_Geh" in caught.value.reason  # the masked key says which one was used


@responses.activate
def test_a_fault_answer_that_is_not_a_bevestiging_is_not_mistaken_for_success(
    client: Schoolkr8Client,
) -> None:
    other = etree.Element("{urn:x}iets")
    responses.post(URL, body=envelope(other), status=200, content_type="text/xml")
    with pytest.raises(TransientDeliveryError, match="onverwacht antwoord"):
        client.breng_leerresultaten(verzoek(), KEY)


def test_the_base_url_comes_from_config() -> None:
    client = Schoolkr8Client(Schoolkr8Config("https://sk8.partner.test/api/", path="/x"))
    assert client.endpoint == "https://sk8.partner.test/api/x"
