"""Pupils and Wijzig leerlingnummer: trimmed text, leading zeros kept, unique per school, history,
mapping status; Hypothesis checks the rules on arbitrary input."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from koppeling.harness.errors import ApiError
from koppeling.harness.service import Core
from koppeling.harness.store import Database
from mocks.schoolkr8.service import Schoolkr8Service, normalise_leerlingnummer
from tests.schoolkr8.conftest import Sk8, fresh_brin

PUPIL = {"voornaam": "Daan", "achternaam": "de Vries", "geboortedatum": "2015-09-01", "groep": "7B"}


def test_number_is_trimmed_text_with_leading_zeros(sk8: Sk8) -> None:
    """A pasted number with spaces is trimmed; leading zeros survive; GET shows it as a string."""
    pupil = sk8.pupil()
    answer = sk8.call(
        "PUT",
        f"/api/leerlingen/{pupil}/leerlingnummer",
        {"leerlingnummer": "  0048660108\t\n"},
        200,
    )
    assert answer["leerlingnummer"] == "0048660108"
    shown = sk8.call("GET", f"/api/leerlingen/{pupil}", status=200)
    assert shown["leerlingnummer"] == "0048660108"
    assert [h["nieuw"] for h in shown["historie"]] == ["0048660108"]


def test_duplicate_number_is_409_naming_the_holder(sk8: Sk8) -> None:
    """A number in use at the school: 409 naming the pupil that has it; the other keeps it."""
    first = sk8.pupil("4866010819", voornaam="Sanne")
    second = sk8.pupil()
    resp = requests.put(
        f"{sk8.base}/api/leerlingen/{second}/leerlingnummer",
        timeout=10,
        json={"leerlingnummer": " 4866010819 "},
    )
    assert resp.status_code == 409
    problem = resp.json()
    assert problem["leerling_id"] == first and "Sanne Jansen" in problem["detail"]
    assert problem["field"] == "leerlingnummer"
    assert sk8.call("GET", f"/api/leerlingen/{second}")["leerlingnummer"] is None


def test_same_number_at_another_school_is_fine(sk8: Sk8) -> None:
    """Unique within the school only."""
    sk8.pupil("555")
    other = Sk8(sk8.base, sk8.mailbox, fresh_brin())
    assert other.pupil("555") > 0


def test_leading_zeros_make_a_different_number(sk8: Sk8) -> None:
    """ "007" and "7" are different numbers (strings, not integers)."""
    sk8.pupil("007")
    sk8.pupil("7")


@pytest.mark.parametrize("value", ["", "   ", "12 34", "12\u200b34", "x" * 257, 12345, None, ["1"]])
def test_invalid_numbers_are_422(sk8: Sk8, value: object) -> None:
    """Empty, inner spaces, invisible characters, too long, not a string: 422 naming the field."""
    pupil = sk8.pupil()
    resp = requests.put(
        f"{sk8.base}/api/leerlingen/{pupil}/leerlingnummer",
        timeout=10,
        json={"leerlingnummer": value},
    )
    assert resp.status_code == 422, resp.text
    assert resp.json()["field"] == "leerlingnummer"


def test_history_records_every_change(sk8: Sk8) -> None:
    """Each change is kept with the old and new value; saving the same number adds nothing."""
    pupil = sk8.pupil("1")
    for value in ("2", " 2 ", "3"):
        sk8.call("PUT", f"/api/leerlingen/{pupil}/leerlingnummer", {"leerlingnummer": value}, 200)
    history = sk8.call("GET", f"/api/leerlingen/{pupil}")["historie"]
    assert [(h["oud"], h["nieuw"]) for h in history] == [(None, "1"), ("1", "2"), ("2", "3")]
    assert all(h["gewijzigd_op"] for h in history)


def test_mapping_status_becomes_definitief(sk8: Sk8) -> None:
    """Pupils with a number / all pupils; definitief once all are mapped."""
    path = f"/api/scholen/{sk8.brin}/00/koppelstatus"
    empty = sk8.call("GET", path, status=200)
    assert empty["leerlingen"] == 0 and not empty["definitief"]
    a, b = sk8.pupil("10"), sk8.pupil()
    status = sk8.call("GET", path)
    assert (status["met_leerlingnummer"], status["leerlingen"]) == (1, 2)
    assert status["zonder_leerlingnummer"] == 1 and not status["definitief"]
    sk8.call("PUT", f"/api/leerlingen/{b}/leerlingnummer", {"leerlingnummer": "11"}, 200)
    assert sk8.call("GET", path)["definitief"] is True
    listed = sk8.call("GET", f"/api/scholen/{sk8.brin}/00/leerlingen")["leerlingen"]
    assert [p["id"] for p in listed] == [a, b]


def test_unknown_pupil_is_404(sk8: Sk8) -> None:
    """Unknown ids are 404 problems, also for the number and the results."""
    for method, path in (
        ("GET", "/api/leerlingen/999999"),
        ("PUT", "/api/leerlingen/999999/leerlingnummer"),
        ("GET", "/api/leerlingen/999999/resultaten"),
    ):
        resp = requests.request(method, sk8.base + path, json={"leerlingnummer": "1"}, timeout=10)
        assert resp.status_code == 404, (method, path)


def test_a_pupil_id_is_a_number(sk8_app: Flask) -> None:
    """``/api/leerlingen/{id}`` only matches a number: anything else there is no route at all (404),
    also for a method the route does not have (which for a number is a 405)."""
    client = sk8_app.test_client()
    for method, path in (
        ("GET", "/api/leerlingen/abc"),
        ("GET", "/api/leerlingen/abc/leerlingnummer"),
        ("PUT", "/api/leerlingen/-1/leerlingnummer"),
        ("GET", "/api/leerlingen/1.5/resultaten"),
    ):
        resp = client.open(path, method=method, json={"leerlingnummer": "1"})
        assert resp.status_code == 404, (method, path)
        assert resp.json is not None and resp.json["title"] == "Not Found"
    assert client.get("/api/leerlingen/1/leerlingnummer").status_code == 405


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**PUPIL, "geboortedatum": "14-03-2016"}, "geboortedatum"),
        ({**PUPIL, "geboortedatum": "2016-02-30"}, "geboortedatum"),
        ({k: v for k, v in PUPIL.items() if k != "voornaam"}, "voornaam"),
        ({**PUPIL, "groep": 7}, "groep"),
        ({**PUPIL, "achternaam": "  "}, "achternaam"),
    ],
)
def test_invalid_pupil_names_the_field(sk8_app: Flask, body: dict[str, object], field: str) -> None:
    """Bad pupils: 422 naming the field (test client, no sockets)."""
    resp = sk8_app.test_client().post("/api/scholen/99AB/00/leerlingen", json=body)
    assert resp.status_code == 422 and resp.get_json()["field"] == field


def test_bad_school_in_path(sk8_app: Flask) -> None:
    """A malformed BRIN in the path is a 422 naming brincode."""
    resp = sk8_app.test_client().get("/api/scholen/99ab/00/koppelstatus")
    assert resp.status_code == 422 and resp.get_json()["field"] == "brincode"


# --- properties ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def service() -> Iterator[Schoolkr8Service]:
    """The Schoolkr8 behaviour on a private store (no HTTP): many examples, fast."""
    core = Core.create(Database.memory())
    yield Schoolkr8Service(core)
    core.db.dispose()


_schools = (
    f"9{d}{a}{b}"
    for d in range(10)
    for a, b in itertools.product("ABCDEFGHJKLMNPQRSTUVWXYZ", repeat=2)
)
WHITESPACE = st.text(alphabet=" \t\n\r\u00a0\u2003", max_size=4)
NUMBERS = st.text(alphabet="0123456789", min_size=1, max_size=12)


@given(st.text(max_size=300))
def test_normalise_is_trim_or_refusal(value: str) -> None:
    """Any text: refused, or kept as exactly its trimmed self (and normalising is idempotent)."""
    try:
        kept = normalise_leerlingnummer(value)
    except ValueError:
        return
    assert kept == value.strip() and kept
    assert not any(ch.isspace() for ch in kept)
    assert normalise_leerlingnummer(kept) == kept


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(number=NUMBERS, before=WHITESPACE, after=WHITESPACE)
def test_stored_number_is_the_trimmed_digits(
    service: Schoolkr8Service, number: str, before: str, after: str
) -> None:
    """Whatever whitespace surrounds a pasted number, exactly the digits are kept, zeros too."""
    brin = next(_schools)
    pupil = service.add_pupil(brin, "00", PUPIL)
    saved, _ = service.set_number(pupil.id, before + number + after)
    assert saved.leerlingnummer == number
    assert service.pupil(pupil.id).leerlingnummer == number


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(number=NUMBERS, padding=WHITESPACE, other=NUMBERS)
def test_one_number_per_pupil_per_school(
    service: Schoolkr8Service, number: str, padding: str, other: str
) -> None:
    """A second pupil can never take a number in use (however it is padded); a different number
    (leading zeros count) is fine; the first pupil keeps its number."""
    brin = next(_schools)
    first = service.add_pupil(brin, "00", PUPIL)
    second = service.add_pupil(brin, "00", PUPIL)
    service.set_number(first.id, number)
    with pytest.raises(ApiError) as refused:
        service.set_number(second.id, padding + number + padding)
    assert refused.value.status == 409 and refused.value.extra["leerling_id"] == first.id
    if other != number:
        assert service.set_number(second.id, other)[0].leerlingnummer == other
    assert service.pupil(first.id).leerlingnummer == number
    status = service.status(brin, "00")
    assert (status.leerlingen, status.met_leerlingnummer) == (2, 2 if other != number else 1)


def test_racing_writers_one_number_one_pupil(tmp_path: Path) -> None:
    """Eight threads type the same number for eight pupils at once (file store): one wins, the
    others get 409 naming the winner."""
    core = Core.create(Database.file(tmp_path / "race.sqlite"))
    service = Schoolkr8Service(core)
    pupils = [service.add_pupil("90RA", "00", PUPIL) for _ in range(8)]
    start = threading.Barrier(len(pupils))
    outcomes: list[int | str] = []

    def type_number(pupil_id: int) -> None:
        start.wait()
        try:
            service.set_number(pupil_id, "4866010819")
            outcomes.append("ok")
        except ApiError as exc:
            outcomes.append(exc.status)

    threads = [threading.Thread(target=type_number, args=(p.id,)) for p in pupils]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    core.db.dispose()
    assert sorted(outcomes, key=str) == [409] * 7 + ["ok"]
    status = service.status("90RA", "00")
    assert (status.leerlingen, status.met_leerlingnummer) == (8, 1)
