"""Bad dates in a Leerlinggegevens request are bad input: ``Client.OngeldigBericht``, never
``Server.InterneFout`` (docs/las.md#bad-dates), on both flavours.

xs:dateTime allows year 1 and times that have no UTC equivalent; a .NET client sends
``0001-01-01T00:00:00`` for a DateTime it never set. None of these is a moment a LAS can compare
its changes with.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from koppeling.uwlr import leerlinggegevens as lg
from koppeling.uwlr.soap import read_fault
from mocks.testcentrum.beheer.las_client import BAD_ANSWER, LasClient, LasFout
from tests.las.conftest import SCHOOL_TIME, Las

BAD = [
    "0001-01-01T00:00:00",  # .NET's DateTime.MinValue; in Amsterdam it has no UTC time
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",  # past 9999 in UTC
    "9999-12-31T23:59:59",
    "9999-12-31T23:59:59Z",
    "1899-12-31T23:59:59Z",
    "3000-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "2024-02-30T00:00:00",
    "2024-10-01T24:00:01",
]


def with_time(las: Las, text: str) -> bytes:
    data = las.request(laatstontvangengegevens=SCHOOL_TIME)
    return data.replace(SCHOOL_TIME.isoformat().encode(), text.encode())


@pytest.mark.parametrize("text", BAD)
def test_bad_laatstontvangengegevens_is_ongeldig_bericht(las: Las, text: str) -> None:
    resp = las.post(with_time(las, text))
    fault = read_fault(resp.data)
    assert resp.status_code == 500 and fault is not None, resp.data
    assert fault.code == "Client.OngeldigBericht", fault
    assert "laatstontvangengegevens" in fault.message
    assert las.core.errors == []


@pytest.mark.parametrize("operation", ["HaalStructuur", "HaalLeerlingen", "HaalLeerkrachten"])
def test_every_operation_checks_the_date(las: Las, operation: str) -> None:
    data = las.request(operation, laatstontvangengegevens=SCHOOL_TIME)
    data = data.replace(SCHOOL_TIME.isoformat().encode(), b"0001-01-01T00:00:00")
    assert las.fault_code(data) == "Client.OngeldigBericht"


@pytest.mark.parametrize("text", ["1900-01-01T00:00:00Z", "2999-12-31T22:00:00+01:00"])
def test_the_edges_of_the_range_are_answered(las: Las, text: str) -> None:
    """The first and the last accepted moments are answered (data, or geenwijzigingen)."""
    resp = las.post(with_time(las, text))
    assert resp.status_code == 200, resp.data
    assert lg.parse_answer(resp.data).kind in ("gegevens", "geenwijzigingen")


def test_parse_datetime_says_valueerror_for_an_overflow() -> None:
    """The codec's parser raises ValueError (not OverflowError) for a time without UTC, so a
    client reading such a date in an answer reports a bad answer instead of crashing."""
    for text in ("9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00"):
        with pytest.raises(ValueError):
            lg.parse_datetime(text)


def test_the_testcentrum_reports_an_answer_with_an_impossible_time(las: Las) -> None:
    """A LAS answer whose mutatiedatum has no UTC time is BAD_ANSWER at the client."""
    school = lg.School("2024-2025", "99AB", "00", datetime(2024, 10, 1, 8, 0))
    gegevens = lg.Leerlinggegevens(
        school, leerlingen=(lg.Leerling("1", "Jansen", "Piet", geboortedatum=date(2015, 1, 1)),)
    )
    body = lg.render_answer("HaalLeerlinggegevens", gegevens).replace(
        b"2024-10-01T08:00:00+00:00", b"9999-12-31T23:59:59-01:00"
    )
    client = LasClient("http://127.0.0.1:9/x")
    client._post = lambda _body, _action: body  # type: ignore[method-assign]
    with pytest.raises(LasFout) as info:
        client.haal_leerlinggegevens(
            las.autorisatie(), schooljaar="2024-2025", brincode="99AB", dependancecode="00"
        )
    assert info.value.code == BAD_ANSWER
