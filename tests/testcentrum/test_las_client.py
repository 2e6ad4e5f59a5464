"""The testcentrum's UWLR Leerlinggegevens client against a scripted endpoint (``responses``):
what it sends (valid UWLR 2.2, the autorisatie header, the SOAPAction) and how every failure
becomes one LasFout with a UWLR code."""

from __future__ import annotations

from datetime import date

import pytest
import requests
import responses
from lxml import etree

from contracts.uwlr_xsd import UwlrSchemas
from koppeling.harness.errors import SoapFault
from koppeling.uwlr import leerlinggegevens as lg
from koppeling.uwlr.autorisatie import NS_AUTORISATIE, Autorisatie
from koppeling.uwlr.soap import SOAP_ENV, fault_envelope
from mocks.testcentrum.beheer.las_client import LasClient, LasFout, endpoint_of

URL = "http://las.test/uwlr/leerlinggegevens"
AUT = Autorisatie("pns_SecretSecretSecret", "boom-testcentrum", "Boom testcentrum")


def gegevens(brin: str = "99AB", dep: str = "00") -> lg.Leerlinggegevens:
    return lg.Leerlinggegevens(
        school=lg.School("2026-2027", brin, dep),
        groepen=(lg.Groep("g1", "Dolfijnen", "5"),),
        leerlingen=(
            lg.Leerling(
                "0486601081",
                "Jansen",
                "Sanne",
                geboortedatum=date(2017, 3, 4),
                jaargroep="5",
                groep="g1",
            ),
        ),
    )


def answer(g: lg.Leerlinggegevens) -> bytes:
    return lg.answer_envelope(lg.build_answer("HaalLeerlinggegevens", g))


def call(client: LasClient | None = None) -> lg.Antwoord:
    return (client or LasClient(URL)).haal_leerlinggegevens(
        AUT, schooljaar="2026-2027", brincode="99AB", dependancecode="00"
    )


def test_endpoint_per_las() -> None:
    assert endpoint_of("parnassys", "http://x/") == "http://x/uwlr/leerlinggegevens"
    assert endpoint_of("esis", "http://x") == "http://x/UWLR/UwlrStandaard2.2.svc"
    with pytest.raises(ValueError, match="las must be one of"):
        endpoint_of("somtoday", "http://x")


@responses.activate
def test_request_is_valid_uwlr_with_header_and_action(uwlr_schemas: UwlrSchemas) -> None:
    responses.post(URL, body=answer(gegevens()), content_type="text/xml")
    result = call()
    sent = responses.calls[0].request
    assert sent.headers["SOAPAction"] == '"HaalLeerlinggegevens"'
    root = etree.fromstring(sent.body)
    uwlr_schemas.validate(root)
    header = root.find(f"{{{SOAP_ENV}}}Header/{{{NS_AUTORISATIE}}}autorisatie")
    assert header is not None
    assert header.findtext(f"{{{NS_AUTORISATIE}}}autorisatiesleutel") == AUT.autorisatiesleutel
    assert header.findtext(f"{{{NS_AUTORISATIE}}}klantcode") == "boom-testcentrum"
    assert result.gegevens is not None
    assert [p.leerlingnummer for p in result.gegevens.leerlingen] == ["0486601081"]


@responses.activate
def test_fault_becomes_las_fout_with_uwlr_code() -> None:
    fault = fault_envelope(SoapFault("Client.AutorisatieOngeldig", "Sleutel onbekend"))
    responses.post(URL, body=fault, status=500, content_type="text/xml")
    with pytest.raises(LasFout) as info:
        call()
    assert info.value.code == "Client.AutorisatieOngeldig"
    assert info.value.is_client
    assert "Sleutel onbekend" in info.value.message


@responses.activate
def test_server_fault_is_not_a_client_error() -> None:
    fault = fault_envelope(SoapFault("Server.TijdelijkNietBeschikbaar", "onderhoud"))
    responses.post(URL, body=fault, status=500, content_type="text/xml")
    with pytest.raises(LasFout) as info:
        call()
    assert info.value.code == "Server.TijdelijkNietBeschikbaar"
    assert not info.value.is_client


@responses.activate
def test_plain_503_and_html_errors() -> None:
    responses.post(URL, body="<html>down</html>", status=503)
    with pytest.raises(LasFout) as info:
        call()
    assert info.value.code == "Server.TijdelijkNietBeschikbaar"
    responses.replace(responses.POST, URL, body="oops", status=404)
    with pytest.raises(LasFout) as info:
        call()
    assert info.value.code == "Server.OngeldigAntwoord"


@responses.activate
def test_connection_error_and_timeout() -> None:
    responses.post(URL, body=requests.ConnectionError("refused"))
    with pytest.raises(LasFout) as info:
        call()
    assert info.value.code == "Server.NietBereikbaar"
    responses.replace(responses.POST, URL, body=requests.ReadTimeout("slow"))
    with pytest.raises(LasFout, match="binnen 2 s"):
        call(LasClient(URL, timeout=2))


@responses.activate
def test_garbage_answer_is_a_clear_fault() -> None:
    responses.post(URL, body=b"<niet-soap/>", content_type="text/xml")
    with pytest.raises(LasFout) as info:
        call()
    assert info.value.code == "Client.OngeldigBericht"


@responses.activate
def test_answer_for_another_school_is_refused() -> None:
    responses.post(URL, body=answer(gegevens("99ZZ")), content_type="text/xml")
    with pytest.raises(LasFout, match="99ZZ-00") as info:
        call()
    assert info.value.code == "Server.OngeldigAntwoord"


@responses.activate
def test_geengegevens_carries_no_data() -> None:
    body = lg.answer_envelope(lg.build_exception_answer("HaalLeerlinggegevens", "geengegevens"))
    responses.post(URL, body=body, content_type="text/xml")
    result = call()
    assert result.kind == "geengegevens"
    assert result.gegevens is None
