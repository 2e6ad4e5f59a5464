"""Every bad UWLR request gets a SOAP 1.1 Fault (HTTP 500) with the UWLR code, on both flavours."""

from __future__ import annotations

import json

import pytest

from koppeling.uwlr.soap import MAX_REQUEST_BYTES
from tests.las.conftest import SCHOOL_TIME, Las, issue_key, las_of, make_school

ENV = b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">'


def test_malformed_xml(las: Las) -> None:
    """Broken XML is Client.OngeldigBericht."""
    assert las.fault_code(las.request()[:-30]) == "Client.OngeldigBericht"


def test_not_a_soap_envelope(las: Las) -> None:
    """Well-formed XML that is no SOAP envelope is Client.OngeldigBericht."""
    assert las.fault_code(b"<leerlinggegevens_verzoek/>") == "Client.OngeldigBericht"


def test_wrong_operation(las: Las) -> None:
    """A body element that is no Leerlinggegevens request is Client.OngeldigBericht."""
    data = las.request().replace(b"leerlinggegevens_verzoek", b"leerresultaten_verzoek")
    assert las.fault_code(data) == "Client.OngeldigBericht"


def test_wrong_namespace(las: Las) -> None:
    """The right element name in another namespace is Client.OngeldigBericht."""
    data = las.request().replace(b"/2/leerlinggegevens", b"/3/leerlinggegevens")
    assert las.fault_code(data) == "Client.OngeldigBericht"


def test_missing_header(las: Las) -> None:
    """No autorisatie header is Client.AutorisatieOngeldig."""
    data = las.request()
    start, end = data.index(b"<soap:Header>"), data.index(b"</soap:Header>") + 14
    assert las.fault_code(data[:start] + data[end:]) == "Client.AutorisatieOngeldig"


def test_wrong_key(las: Las) -> None:
    """A key this LAS never issued is Client.AutorisatieOngeldig."""
    data = las.request(autorisatie=las.autorisatie("pns_" + "x" * 32))
    assert las.fault_code(data) == "Client.AutorisatieOngeldig"


def test_unknown_brin(las: Las) -> None:
    """A school this LAS does not know is Client.AutorisatieOngeldig (as real LASes answer)."""
    assert las.fault_code(las.request(brincode="99ZZ")) == "Client.AutorisatieOngeldig"


def test_unknown_dependance(las: Las) -> None:
    """Another vestiging of a known BRIN is another school: Client.AutorisatieOngeldig."""
    assert las.fault_code(las.request(dependancecode="01")) == "Client.AutorisatieOngeldig"


@pytest.mark.parametrize("schooljaar", ["2024/2025", "2024-2026", "24-25", "3024-3025"])
def test_bad_schooljaar(las: Las, schooljaar: str) -> None:
    """A malformed schooljaar is Client.OngeldigBericht."""
    assert las.fault_code(las.request(schooljaar=schooljaar)) == "Client.OngeldigBericht"


@pytest.mark.parametrize("brincode", ["9XAB", "99ab", "99ABC", ""])
def test_bad_brincode(las: Las, brincode: str) -> None:
    """A malformed BRIN is Client.OngeldigBericht."""
    assert las.fault_code(las.request(brincode=brincode)) == "Client.OngeldigBericht"


@pytest.mark.parametrize("dependancecode", ["1", "ab", "001"])
def test_bad_dependancecode(las: Las, dependancecode: str) -> None:
    """A malformed dependancecode is Client.OngeldigBericht."""
    data = las.request(dependancecode=dependancecode)
    assert las.fault_code(data) == "Client.OngeldigBericht"


@pytest.mark.parametrize("xsdversie", ["2.3", "1.0", "twee"])
def test_unsupported_xsdversie(las: Las, xsdversie: str) -> None:
    """An xsdversie the vendor does not speak is Client.XsdVersieOngeldig."""
    assert las.fault_code(las.request(xsdversie=xsdversie)) == "Client.XsdVersieOngeldig"


def test_esis_refuses_xsdversie_2_1(esis: Las) -> None:
    """ESIS speaks only 2.2."""
    assert esis.fault_code(esis.request(xsdversie="2.1")) == "Client.XsdVersieOngeldig"


def test_parnassys_accepts_xsdversie_2_1(parnassys: Las) -> None:
    """ParnasSys accepts 2.1 as well as 2.2 (and says 2.1 back)."""
    resp = parnassys.post(parnassys.request(xsdversie="2.1"))
    assert resp.status_code == 200 and b"<xsdversie>2.1</xsdversie>" in resp.data


def test_wrong_klantcode(las: Las) -> None:
    """The right key with another klantcode is Client.OngeldigeKlantIdentificatie."""
    data = las.request(autorisatie=las.autorisatie(klantcode="ANDER"))
    assert las.fault_code(data) == "Client.OngeldigeKlantIdentificatie"


def test_missing_klantcode(las: Las) -> None:
    """An empty klantcode in the header is Client.OngeldigeKlantIdentificatie."""
    data = las.request().replace(
        b"<aut:klantcode>boom-testcentrum</aut:klantcode>", b"<aut:klantcode></aut:klantcode>"
    )
    assert las.fault_code(data) == "Client.OngeldigeKlantIdentificatie"


def test_key_of_school_a_cannot_read_school_b(las: Las) -> None:
    """A key issued for 99AB is refused for 99CD of the same LAS; 99CD's own key works."""
    make_school(las.client, brincode="99CD")
    data = las.request(brincode="99CD")
    assert las.fault_code(data) == "Client.AutorisatieOngeldig"
    own = issue_key(las.client, "99CD")
    assert (
        las.post(las.request(brincode="99CD", autorisatie=las.autorisatie(own))).status_code == 200
    )


def test_key_of_the_other_las_is_refused(parnassys: Las, esis: Las) -> None:
    """A ParnasSys key does not open the same school at ESIS (and the reverse)."""
    assert (
        esis.fault_code(esis.request(autorisatie=esis.autorisatie(parnassys.key)))
        == "Client.AutorisatieOngeldig"
    )
    assert (
        parnassys.fault_code(parnassys.request(autorisatie=parnassys.autorisatie(esis.key)))
        == "Client.AutorisatieOngeldig"
    )


def test_xxe_is_refused(las: Las) -> None:
    """An external entity (XXE) is Client.OngeldigBericht and never resolved."""
    data = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        + las.request().split(b"?>", 1)[1].replace(b"99AB", b"&xxe;", 1)
    )
    resp = las.post(data)
    assert resp.status_code == 500 and b"Client.OngeldigBericht" in resp.data
    assert b"root:" not in resp.data


def test_billion_laughs_is_refused(las: Las) -> None:
    """Entity expansion ("billion laughs") is Client.OngeldigBericht."""
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    data = (
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY l0 "lol">{entities}]>'.encode()
        + las.request().split(b"?>", 1)[1].replace(b"99AB", b"&l9;", 1)
    )
    assert las.fault_code(data) == "Client.OngeldigBericht"


def test_oversized_request_is_refused(las: Las) -> None:
    """A request over the size limit is Client.OngeldigBericht, not a crash."""
    padding = b"<!-- " + b"x" * (MAX_REQUEST_BYTES + 10) + b" -->"
    data = las.request().replace(b"<soap:Body>", b"<soap:Body>" + padding)
    assert las.fault_code(data) == "Client.OngeldigBericht"


def test_schoolkey_is_not_supported(las: Las) -> None:
    """Identifying by schoolkey instead of brincode is Client.OngeldigBericht, said clearly."""
    data = las.request().replace(
        b"<lg:brincode>99AB</lg:brincode>", b"<lg:schoolkey>99AB-00</lg:schoolkey>"
    )
    resp = las.post(data)
    assert resp.status_code == 500 and b"schoolkey" in resp.data


def test_stepwise_without_groepen(las: Las) -> None:
    """HaalLeerlingen without a groepen list is Client.OngeldigBericht."""
    data = las.request("HaalStructuur").replace(b"structuur_verzoek", b"leerlingen_verzoek")
    assert las.fault_code(data) == "Client.OngeldigBericht"


def test_bad_laatstontvangengegevens(las: Las) -> None:
    """A laatstontvangengegevens that is no xs:dateTime is Client.OngeldigBericht."""
    data = las.request(laatstontvangengegevens=SCHOOL_TIME)
    data = data.replace(SCHOOL_TIME.isoformat().encode(), b"gisteren")
    assert las.fault_code(data) == "Client.OngeldigBericht"


def test_get_without_wsdl_and_wrong_method(las: Las) -> None:
    """GET without ?wsdl and PUT on the SOAP path are answered with a SOAP Fault, not HTML."""
    for resp in (las.client.get(las.path), las.client.put(las.path, data=b"x")):
        assert resp.status_code == 500
        assert b"Client.OngeldigBericht" in resp.data


def test_faults_are_journaled_with_code_and_masked_key(las: Las) -> None:
    """The journal names the operation and fault code, and never holds the key in full."""
    las.post(las.request(autorisatie=las.autorisatie(klantcode="ANDER")))
    las.post(las.request())
    entries = las.core.journal.entries(service=las.flavour)
    soap = [e for e in entries if e.operation == "HaalLeerlinggegevens"]
    assert [e.data.get("fault") for e in soap] == ["Client.OngeldigeKlantIdentificatie", None]
    assert all(e.school == "99AB-00" for e in soap)
    assert las.key not in json.dumps([e.as_json() for e in entries])


def test_esis_empty_schooljaar_is_current_year(esis: Las) -> None:
    """ESIS answers an empty schooljaar with the current one (school's clock: October 2024)."""
    resp = esis.post(esis.request(schooljaar=""))
    assert resp.status_code == 200 and b"<schooljaar>2024-2025</schooljaar>" in resp.data


def test_parnassys_empty_schooljaar_is_ongeldig(parnassys: Las) -> None:
    """ParnasSys does not tolerate an empty schooljaar."""
    assert parnassys.fault_code(parnassys.request(schooljaar="")) == "Client.OngeldigBericht"


def test_flavour_must_be_known(las: Las) -> None:
    """An unknown flavour in the config is a ValueError naming the two."""
    with pytest.raises(ValueError, match="parnassys, esis|esis, parnassys"):
        las_of("magister", las.core, las.schemas)
