"""SOAPAction at Schoolkr8 (docs/schoolkr8.md#soapaction): one operation, dispatched on the body.
An absent or empty action is fine; ``BrengLeerresultaten`` is accepted with or without quotes;
any other action is ``Client.OngeldigBericht`` and nothing is stored."""

from __future__ import annotations

import pytest
import requests

from koppeling.uwlr.autorisatie import Autorisatie
from koppeling.uwlr.leerresultaten import build_verzoek, request_envelope
from koppeling.uwlr.soap import read_fault
from tests.schoolkr8.conftest import Sk8


def send(sk8: Sk8, action: str | None, leerlingid: str = "1") -> requests.Response:
    key = sk8.key()
    data = request_envelope(
        build_verzoek(sk8.verzoek((leerlingid, "a"))), Autorisatie(key, "boom-testcentrum", "B")
    )
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    if action is not None:
        headers["SOAPAction"] = action
    return requests.post(sk8.base + "/uwlr/leerresultaten", data=data, timeout=10, headers=headers)


@pytest.mark.parametrize(
    "action",
    [None, "", '""', '"BrengLeerresultaten"', "BrengLeerresultaten"],
)
def test_accepted_actions(sk8: Sk8, action: str | None) -> None:
    resp = send(sk8, action)
    assert resp.status_code == 200, resp.text
    assert read_fault(resp.content) is None


@pytest.mark.parametrize(
    "action",
    [
        '"HaalLeerlinggegevens"',
        '"http://www.edustandaard.nl/leerresultaten/2/leerresultaten/BrengLeerresultaten"',
        '"brengleerresultaten"',
        '"urn:x"',
    ],
)
def test_other_actions_are_refused(sk8: Sk8, action: str) -> None:
    """Another operation's action, a URI ending in the name, another case: a fault naming the
    action and the one that is accepted; the result is not stored."""
    resp = send(sk8, action)
    fault = read_fault(resp.content)
    assert resp.status_code == 500 and fault is not None, resp.text
    assert fault.code == "Client.OngeldigBericht"
    assert action in fault.message and "BrengLeerresultaten" in fault.message
    assert sk8.parked() == []
