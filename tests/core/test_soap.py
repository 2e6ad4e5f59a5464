"""SOAP parsing refuses what could hurt, and faults round-trip."""

from __future__ import annotations

import pytest

from koppeling.harness.errors import SoapFault
from koppeling.uwlr.soap import MAX_REQUEST_BYTES, fault_envelope, parse_envelope, read_fault

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><x>&xxe;</x>
</soap:Body></soap:Envelope>"""

LAUGHS = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">
<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><lolz>&lol2;</lolz>"""


@pytest.mark.parametrize(
    "data", [XXE, LAUGHS, b"<niet-af", b"<a/>", b"x" * (MAX_REQUEST_BYTES + 1)]
)
def test_bad_or_dangerous_xml_is_ongeldig_bericht(data: bytes) -> None:
    with pytest.raises(SoapFault) as info:
        parse_envelope(data)
    assert info.value.code == "Client.OngeldigBericht"


def test_body_must_hold_one_element() -> None:
    env = (
        b'<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">'
        b"<s:Body><a/><b/></s:Body></s:Envelope>"
    )
    with pytest.raises(SoapFault, match="precies een"):
        parse_envelope(env)


def test_fault_round_trip() -> None:
    data = fault_envelope(SoapFault("Client.LeerlingOngeldig", "onbekend", "leerling 12"))
    fault = read_fault(data)
    assert fault is not None
    assert (fault.code, fault.message, fault.detail) == (
        "Client.LeerlingOngeldig",
        "onbekend",
        "leerling 12",
    )
    assert b"<faultcode>soap:Client.LeerlingOngeldig</faultcode>" in data


def test_fault_codes_are_uwlr_codes() -> None:
    with pytest.raises(ValueError, match="Client. or Server."):
        SoapFault("Sender", "x")
