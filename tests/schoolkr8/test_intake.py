"""BrengLeerresultaten at Schoolkr8: delivered by zeep from the OFFICIAL WSDL, each accepted message
valid against the official XSD; faults; idempotent resend; park, attach, reject."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
import zeep
from lxml import etree
from zeep.exceptions import Fault
from zeep.plugins import HistoryPlugin

from contracts.uwlr_xsd import UwlrSchemas
from koppeling.uwlr.autorisatie import NS_AUTORISATIE, Autorisatie
from koppeling.uwlr.leerresultaten import NS, build_verzoek, request_envelope
from koppeling.uwlr.soap import SOAP_ENV, read_fault
from tests.schoolkr8.conftest import Sk8

BINDING = f"{{{NS}}}bndLeerresultaten"


@pytest.fixture(scope="module")
def official_client(uwlr_dir: Path) -> zeep.Client:
    """zeep on the official Leerresultaten WSDL (its address is a placeholder)."""
    return zeep.Client(
        str(uwlr_dir / "wsdl" / "UWLR_Leerresultaten_v2p2.wsdl"), plugins=[HistoryPlugin()]
    )


@pytest.fixture
def accepted(uwlr_schemas: UwlrSchemas) -> Iterator[list[bytes]]:
    """Collect every request the mock accepted; each must validate against the official XSD."""
    sent: list[bytes] = []
    yield sent
    for data in sent:
        uwlr_schemas.validate(data)


def post(sk8: Sk8, key: str, verzoek: Any, accepted: list[bytes]) -> requests.Response:
    """Deliver over HTTP; remember the message if it was accepted."""
    data = request_envelope(
        build_verzoek(verzoek), Autorisatie(key, "boom-testcentrum", "Boom testcentrum")
    )
    resp = sk8.breng(key, data)
    if resp.status_code == 200:
        accepted.append(data)
    return resp


def fault_code(resp: requests.Response) -> str | None:
    fault = read_fault(resp.content)
    return None if fault is None else fault.code


def zeep_call(client: zeep.Client, sk8: Sk8, key: str, leerlingid: str, rkey: str) -> Any:
    service = client.create_service(BINDING, sk8.base + "/uwlr/leerresultaten")
    return service.BrengLeerresultaten(
        school={
            "schooljaar": "2026-2027",
            "brincode": sk8.brin,
            "dependancecode": sk8.dep,
            "aanmaakdatum": datetime(2026, 11, 2, 10, 0, tzinfo=UTC),
            "xsdversie": "2.2",
        },
        toetsafnames={
            "toetsafname": [
                {
                    "leerlingid": leerlingid,
                    "resultaten": {
                        "resultaat": [
                            {
                                "key": rkey,
                                "afnamedatum": date(2026, 10, 30),
                                "toetscode": "LVS RW 2019",
                                "osoresultaat": {
                                    "toetsscore": {
                                        "aantalgoed": 41,
                                        "vaardigheidsscore": Decimal("187.5"),
                                    },
                                    "referentiescore": [
                                        {
                                            "codereferentiescore": "percentiel",
                                            "codevergelijkingsgroep": "landelijk",
                                            "waarde": "63",
                                        },
                                        {
                                            "codereferentiescore": "niveau",
                                            "codevergelijkingsgroep": "landelijk",
                                            "waarde": "II",
                                        },
                                    ],
                                },
                            }
                        ]
                    },
                }
            ]
        },
        toetsen={
            "toets": [
                {"toetscode": {"_value_1": "LVS RW 2019"}, "toetsnaam": "LVS Rekenen-Wiskunde 2019"}
            ]
        },
        _soapheaders={
            "msgpHeader": {
                "autorisatiesleutel": key,
                "klantcode": "boom-testcentrum",
                "klantnaam": "Boom testcentrum",
            }
        },
    )


def test_zeep_with_the_official_wsdl_delivers(
    sk8: Sk8, official_client: zeep.Client, uwlr_schemas: UwlrSchemas
) -> None:
    """A client generated from the official WSDL reaches the mock; the result lands."""
    key = sk8.key()
    pupil = sk8.pupil("0048660108")
    zeep_call(official_client, sk8, key, "0048660108", "zeep-1")
    history = official_client.plugins[0]
    uwlr_schemas.validate(history.last_sent["envelope"])
    body = history.last_received["envelope"].find(f"{{{SOAP_ENV}}}Body")
    assert etree.QName(body[0]).localname == "leerresultaten_bevestiging"
    (result,) = sk8.results(pupil)
    assert (result["key"], result["percentiel"], result["niveau"]) == ("zeep-1", "63", "II")
    assert result["ruwe_score"] == 41 and result["vaardigheidsscore"] == "187.5"
    assert result["toetsnaam"] == "LVS Rekenen-Wiskunde 2019"


def test_zeep_sees_the_uwlr_fault(sk8: Sk8, official_client: zeep.Client) -> None:
    """A wrong key reaches zeep as a SOAP Fault with the UWLR code."""
    sk8.key()
    with pytest.raises(Fault) as caught:
        zeep_call(official_client, sk8, "sk8_" + "Z" * 32, "1", "z")
    assert caught.value.code.endswith("Client.AutorisatieOngeldig")


def test_own_wsdl_names_the_real_endpoint(sk8: Sk8) -> None:
    """?wsdl: a WSDL zeep can load, whose address is the endpoint that served it."""
    url = sk8.base + "/uwlr/leerresultaten"
    resp = requests.get(url + "?wsdl", timeout=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/xml")
    client = zeep.Client(url + "?wsdl")
    assert client.service._binding_options["address"] == url
    operation = client.service._binding._operations["BrengLeerresultaten"]
    assert operation.soapaction == "BrengLeerresultaten"
    assert b"http://localhost:8080/NOTDEFINEDYET" not in resp.content


def test_get_without_wsdl_is_a_fault(sk8: Sk8) -> None:
    """GET on the endpoint without ?wsdl answers in SOAP."""
    resp = requests.get(sk8.base + "/uwlr/leerresultaten", timeout=10)
    assert resp.status_code == 500 and fault_code(resp) == "Client.OngeldigBericht"


def test_resend_updates_never_duplicates(sk8: Sk8, accepted: list[bytes]) -> None:
    """The same resultaat@key sent again (re-norming) updates the one result."""
    key = sk8.key()
    pupil = sk8.pupil("100")
    assert post(sk8, key, sk8.verzoek(("100", "r-1"), percentiel=40), accepted).status_code == 200
    assert post(sk8, key, sk8.verzoek(("100", "r-1"), percentiel=71), accepted).status_code == 200
    (result,) = sk8.results(pupil)
    assert result["percentiel"] == "71" and result["aantal_ontvangen"] == 2


def test_results_land_only_on_the_matching_pupil(sk8: Sk8, accepted: list[bytes]) -> None:
    """leerlingid is matched to the leerlingnummer exactly (leading zeros count)."""
    key = sk8.key()
    zeros, plain = sk8.pupil("0042"), sk8.pupil("42")
    resp = post(sk8, key, sk8.verzoek(("0042", "a"), ("42", "b"), ("42", "c")), accepted)
    assert resp.status_code == 200
    assert [r["key"] for r in sk8.results(zeros)] == ["a"]
    assert sorted(r["key"] for r in sk8.results(plain)) == ["b", "c"]


def test_unmatched_is_parked_then_attached(sk8: Sk8, accepted: list[bytes]) -> None:
    """A result for a number nobody has waits in niet-gekoppeld, and attaches when it is typed."""
    key = sk8.key()
    pupil = sk8.pupil()
    assert post(sk8, key, sk8.verzoek(("777", "p-1"), ("777", "p-2")), accepted).status_code == 200
    assert sorted(r["key"] for r in sk8.parked()) == ["p-1", "p-2"]
    status = sk8.call("GET", f"/api/scholen/{sk8.brin}/00/koppelstatus")
    assert status["niet_gekoppelde_resultaten"] == 2
    answer = sk8.call(
        "PUT", f"/api/leerlingen/{pupil}/leerlingnummer", {"leerlingnummer": " 777 "}, 200
    )
    assert answer["gekoppelde_resultaten"] == 2
    assert sorted(r["key"] for r in sk8.results(pupil)) == ["p-1", "p-2"]
    assert sk8.parked() == []


def test_changing_a_number_moves_its_results_back(sk8: Sk8, accepted: list[bytes]) -> None:
    """A typo corrected: results of the old number leave the pupil (parked), never stay wrong."""
    key = sk8.key()
    pupil = sk8.pupil("123")
    assert post(sk8, key, sk8.verzoek(("123", "t-1")), accepted).status_code == 200
    sk8.call("PUT", f"/api/leerlingen/{pupil}/leerlingnummer", {"leerlingnummer": "124"}, 200)
    assert sk8.results(pupil) == []
    assert [r["key"] for r in sk8.parked()] == ["t-1"]
    right = sk8.pupil("123")
    assert [r["key"] for r in sk8.results(right)] == ["t-1"]


def test_reject_policy_refuses_the_whole_message(sk8: Sk8, accepted: list[bytes]) -> None:
    """niet_gekoppeld=weigeren: Client.LeerlingOngeldig, and nothing of the message is stored."""
    key = sk8.key()
    pupil = sk8.pupil("1")
    settings = f"/api/scholen/{sk8.brin}/00/instellingen"
    assert sk8.call("GET", settings, status=200) == {"niet_gekoppeld": "parkeren"}
    sk8.call("PUT", settings, {"niet_gekoppeld": "weigeren"}, 200)
    resp = post(sk8, key, sk8.verzoek(("1", "ok"), ("2", "onbekend")), accepted)
    assert fault_code(resp) == "Client.LeerlingOngeldig" and b"2" in resp.content
    assert sk8.results(pupil) == [] and sk8.parked() == []
    assert post(sk8, key, sk8.verzoek(("1", "ok")), accepted).status_code == 200
    bad = requests.put(sk8.base + settings, json={"niet_gekoppeld": "weggooien"}, timeout=10)
    assert bad.status_code == 422 and bad.json()["field"] == "niet_gekoppeld"


def test_missing_header_and_bad_key(sk8: Sk8) -> None:
    """No autorisatie header, or a key nobody issued: Client.AutorisatieOngeldig."""
    sk8.key()
    data = request_envelope(build_verzoek(sk8.verzoek(("1", "x"))), Autorisatie("k", "c", "n"))
    root = etree.fromstring(data)
    header = root.find(f"{{{SOAP_ENV}}}Header")
    header.remove(header.find(f"{{{NS_AUTORISATIE}}}autorisatie"))
    assert fault_code(sk8.breng("", etree.tostring(root))) == "Client.AutorisatieOngeldig"
    assert (
        fault_code(sk8.breng("sk8_onzin", sk8.verzoek(("1", "x")))) == "Client.AutorisatieOngeldig"
    )


@pytest.mark.parametrize(
    "mutate",
    [
        lambda xml: xml.replace(b"<lr:schooljaar>2026-2027", b"<lr:schooljaar>2026/2027"),
        lambda xml: xml.replace(b"<lr:afnamedatum>2026-10-30", b"<lr:afnamedatum>30-10-2026"),
        lambda xml: xml.replace(b"<lr:toetsen>", b"<lr:toetsen><lr:onbekend/>"),
        lambda xml: xml.replace(b"</lr:leerresultaten_verzoek>", b""),
        lambda xml: b"<!DOCTYPE x [<!ENTITY e 'x'>]>" + xml,
        lambda xml: b"geen xml",
    ],
)
def test_invalid_messages_are_ongeldig_bericht(sk8: Sk8, mutate: Any) -> None:
    """Schema-invalid or unparsable messages: Client.OngeldigBericht, never a 500 traceback."""
    key = sk8.key()
    data = request_envelope(
        build_verzoek(sk8.verzoek(("1", "x"))),
        Autorisatie(key, "boom-testcentrum", "Boom testcentrum"),
    )
    resp = sk8.breng(key, mutate(data))
    assert resp.status_code == 500 and fault_code(resp) == "Client.OngeldigBericht", resp.text


def test_other_xsd_version_is_refused(sk8: Sk8, accepted: list[bytes]) -> None:
    """xsdversie other than 2.2: Client.XsdVersieOngeldig."""
    key = sk8.key()
    resp = post(sk8, key, sk8.verzoek(("1", "v"), xsdversie="2.3"), accepted)
    assert fault_code(resp) == "Client.XsdVersieOngeldig"


def test_wrong_soap_action_is_refused(sk8: Sk8) -> None:
    """A SOAPAction naming another operation is not taken for BrengLeerresultaten."""
    key = sk8.key()
    data = request_envelope(build_verzoek(sk8.verzoek(("1", "s"))), Autorisatie(key, "c", "n"))
    resp = requests.post(
        sk8.base + "/uwlr/leerresultaten",
        data=data,
        timeout=10,
        headers={"SOAPAction": '"HaalLeerlinggegevens"', "Content-Type": "text/xml"},
    )
    assert fault_code(resp) == "Client.OngeldigBericht"


def test_intake_is_journaled_with_school_and_operation(sk8: Sk8, accepted: list[bytes]) -> None:
    """The journal shows the SOAP operation, the school and the fault code; the key is masked."""
    key = sk8.key()
    post(sk8, key, sk8.verzoek(("9", "j")), accepted)
    sk8.breng("sk8_" + "Q" * 30, sk8.verzoek(("9", "j2")))
    entries = requests.get(
        sk8.base + "/__admin/requests",
        timeout=10,
        params={"school": f"{sk8.brin}-00", "kind": "soap"},
    ).json()["requests"]
    assert [e["operation"] for e in entries] == ["BrengLeerresultaten"] * 2
    assert entries[-1]["data"]["fault"] == "Client.AutorisatieOngeldig"
    assert key not in str(entries)


def test_openapi_lists_the_api(sk8_app: Any) -> None:
    """GET /openapi.json documents the REST operations with their request schemas."""
    doc = sk8_app.test_client().get("/openapi.json").get_json()
    put = doc["paths"]["/api/leerlingen/{id}/leerlingnummer"]["put"]
    assert put["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "leerlingnummer"
    ]
    assert "/api/sleutels/controle" in doc["paths"]


@pytest.mark.parametrize("digits", [309, 1_000_000])
def test_a_vaardigheidsscore_of_hundreds_of_digits_is_refused(
    sk8: Sk8, digits: int, accepted: list[bytes]
) -> None:
    """A score is a bounded decimal: too many digits is Client.OngeldigBericht, nothing stored,
    and the pupil's results keep the score that was there (issue item 4)."""
    key = sk8.key()
    leerling = sk8.pupil("4711")
    post(sk8, key, sk8.verzoek(("4711", "r1")), accepted)
    data = request_envelope(
        build_verzoek(sk8.verzoek(("4711", "r1"))),
        Autorisatie(key, "boom-testcentrum", "Boom testcentrum"),
    )
    huge = re.sub(rb"(vaardigheidsscore>)180(<)", rb"\g<1>" + b"9" * digits + rb"\2", data)
    assert huge != data
    resp = sk8.breng(key, huge)
    assert resp.status_code == 500 and fault_code(resp) == "Client.OngeldigBericht", resp.text[:300]
    results = requests.get(f"{sk8.base}/api/leerlingen/{leerling}/resultaten", timeout=10)
    assert results.status_code == 200 and len(results.content) < 10_000
    assert "180" in results.text


def test_messages_at_once_each_get_their_own_answer(sk8: Sk8) -> None:
    """16 messages sent at once (their writes may share one transaction, docs/schoolkr8.md
    "Throughput"): each refused one gets its own fault and stores nothing, every accepted one
    is stored, and no answer goes to another message."""
    key = sk8.key()
    pupil = sk8.pupil("500")

    def expected(i: int) -> str | None:
        return {1: "Client.AutorisatieOngeldig", 3: "Client.XsdVersieOngeldig"}.get(i % 4)

    def send(i: int) -> tuple[int, str | None]:
        fault = expected(i)
        verzoek = sk8.verzoek(
            ("500", f"c-{i}"), xsdversie="2.1" if fault == "Client.XsdVersieOngeldig" else "2.2"
        )
        sent_key = key[:-4] + "XXXX" if fault == "Client.AutorisatieOngeldig" else key
        resp = sk8.breng(sent_key, verzoek)
        return resp.status_code, fault_code(resp)

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(send, range(16)))
    assert answers == [(500, expected(i)) if expected(i) else (200, None) for i in range(16)]
    stored = sorted(r["key"] for r in sk8.results(pupil))
    assert stored == sorted(f"c-{i}" for i in range(16) if expected(i) is None)
