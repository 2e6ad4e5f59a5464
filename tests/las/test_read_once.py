"""A request body is read once (mocks.las.app._read_request): a load test sends the same bytes
again and again, and reading them cost a Haal more than the rest of its answer. What depends on
more than the bytes - the SOAPAction, the school's keys and data, the clock - is still checked on
every request, and a body that is refused is never remembered."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from koppeling.uwlr.soap import read_fault
from mocks.las import app as las_app
from tests.las.conftest import AUTO, Las, issue_key


@pytest.fixture(autouse=True)
def _read_afresh() -> Iterator[None]:
    las_app._read_remembered.cache_clear()
    yield
    las_app._read_remembered.cache_clear()


def _answer(las: Las, data: bytes, action: str | None = AUTO) -> tuple[int, bytes]:
    resp = las.post(data, action)
    return resp.status_code, resp.data


def test_a_remembered_body_is_answered_as_one_read_afresh(las: Las) -> None:
    """The same body four times: read once, answered as the first time, right and wrong
    SOAPAction alike (the action is checked per request, before the key)."""
    body = las.request("HaalStructuur")
    status, first = _answer(las, body)
    assert status == 200 and las_app._read_remembered.cache_info().currsize == 1
    assert _answer(las, body)[1] == first  # the las fixture's clock stands still
    refused = _answer(las, body, '"urn:x"')
    las_app._read_remembered.cache_clear()
    assert _answer(las, body, '"urn:x"') == refused
    assert _answer(las, body, '"urn:x"') == refused  # now from the remembered body
    assert las_app._read_remembered.cache_info().hits >= 1


def test_a_key_replaced_meanwhile_refuses_a_remembered_body(parnassys: Las) -> None:
    """The body (with its key) is remembered; whether that key is still the school's is asked
    on every request: the very next request after a new key was issued is refused."""
    body = parnassys.request()
    assert _answer(parnassys, body)[0] == 200
    issue_key(parnassys.client)  # ParnasSys: one key per school, the old one goes
    assert parnassys.fault_code(body) == "Client.AutorisatieOngeldig"
    assert las_app._read_remembered.cache_info().hits >= 1


def test_a_refused_body_is_not_remembered_and_its_faults_keep_their_order(las: Las) -> None:
    """A body that fails to read is never kept; with a wrong action too, the action's fault
    still comes first, every time."""
    unknown = las.request(brincode="99ZZ", autorisatie=las.autorisatie("pns_niet_uitgegeven"))
    broken = las.request().replace(b"<soap:Body>", b"<soap:Body><x/>")
    for _ in range(2):
        assert las.fault_code(unknown) == "Client.AutorisatieOngeldig"
        got = read_fault(las.post(broken, '"urn:x"').data)
        assert got is not None and got.code == "Client.OngeldigBericht"
    assert las_app._read_remembered.cache_info().currsize == 1  # only `unknown` reads


def test_a_long_body_is_read_every_time(las: Las, monkeypatch: pytest.MonkeyPatch) -> None:
    """Bodies over READ_ONCE_BYTES are answered the same but never kept (the cache stays
    small whatever clients send)."""
    monkeypatch.setattr(las_app, "READ_ONCE_BYTES", 100)
    body = las.request()
    assert _answer(las, body)[0] == 200 and _answer(las, body)[0] == 200
    assert las_app._read_remembered.cache_info().currsize == 0
