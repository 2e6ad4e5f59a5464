"""Bad dates in BrengLeerresultaten (afnamedatum, aanmaakdatum) are ``Client.OngeldigBericht``
naming the field, never ``Server.InterneFout``, and nothing is stored."""

from __future__ import annotations

import pytest

from koppeling.uwlr.autorisatie import Autorisatie
from koppeling.uwlr.leerresultaten import build_verzoek, request_envelope
from koppeling.uwlr.soap import read_fault
from tests.schoolkr8.conftest import Sk8

AANMAAK = b"2026-11-02T09:00:00+00:00"
AFNAME = b"2026-10-30"

BAD_AANMAAK = [
    "0001-01-01T00:00:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59Z",
    "1899-12-31T23:59:59Z",
    "10000-01-01T00:00:00Z",
    "2026-02-30T09:00:00Z",
]
BAD_AFNAME = ["0001-01-01", "9999-12-31", "1899-12-31", "3000-01-01", "2026-02-30", "-2026-10-30"]


def send(sk8: Sk8, old: bytes, new: str) -> tuple[str, str]:
    key = sk8.key()
    data = request_envelope(
        build_verzoek(sk8.verzoek(("1", "d"))), Autorisatie(key, "boom-testcentrum", "Boom")
    )
    assert data.count(old) == 1
    resp = sk8.breng(key, data.replace(old, new.encode()))
    fault = read_fault(resp.content)
    assert resp.status_code == 500 and fault is not None, resp.text
    return fault.code, fault.message


@pytest.mark.parametrize("text", BAD_AANMAAK)
def test_bad_aanmaakdatum(sk8: Sk8, text: str) -> None:
    code, message = send(sk8, AANMAAK, text)
    assert code == "Client.OngeldigBericht"
    assert "aanmaakdatum" in message


@pytest.mark.parametrize("text", BAD_AFNAME)
def test_bad_afnamedatum(sk8: Sk8, text: str) -> None:
    code, message = send(sk8, AFNAME, text)
    assert code == "Client.OngeldigBericht"
    assert "afnamedatum" in message
    assert sk8.parked() == []
