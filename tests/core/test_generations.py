"""Derived once per change: two `Core`s over one SQLite file stand for two worker processes.

Each keeps the clock, the faults and the LAS answers it derived until the generation of their
tables moves; a change made through one must apply to the very next request at the other.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from flask.testing import FlaskClient

from koppeling.harness.derived import Derived
from koppeling.harness.service import Core
from koppeling.harness.store import Database
from koppeling.uwlr.autorisatie import Autorisatie
from koppeling.uwlr.leerlinggegevens import build_request
from mocks.las.app import create_app

SOAP = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"HaalLeerlinggegevens"'}


def _two_workers(tmp_path: Path) -> tuple[Core, FlaskClient, Core, FlaskClient]:
    cores = [Core.create(Database.file(tmp_path / "state.sqlite")) for _ in range(2)]
    clients = [create_app({"flavour": "parnassys"}, core=c).test_client() for c in cores]
    return cores[0], clients[0], cores[1], clients[1]


def _haal(client: FlaskClient, key: str) -> bytes:
    body = build_request(
        "HaalLeerlinggegevens",
        Autorisatie(key, "K1", "Klant"),
        schooljaar="2026-2027",
        brincode="99GE",
    )
    resp = client.post("/uwlr/leerlinggegevens", data=body, headers=SOAP)
    return bytes(resp.data)


def test_a_change_at_one_worker_applies_to_the_next_request_at_the_other(tmp_path: Path) -> None:
    a_core, a, b_core, b = _two_workers(tmp_path)
    made = a.post(
        "/api/scholen",
        json={"brincode": "99GE", "schooljaar": "2026-2027", "seed": 7, "aantal_leerlingen": 3},
    )
    assert made.status_code == 201
    key = a.post("/api/scholen/99GE/00/sleutels", json={"klantcode": "K1", "klantnaam": "Klant"})
    sleutel = key.get_json()["autorisatiesleutel"]
    first = _haal(b, sleutel)
    assert first.count(b"<leerling key=") == 3

    # a pupil added at worker A shows in worker B's very next answer
    added = a.post("/api/scholen/99GE/00/leerlingen", json={"seed": 9})
    assert added.status_code == 201
    assert _haal(b, sleutel).count(b"<leerling key=") == 4

    # the clock frozen at worker A is the aanmaakdatum of worker B's very next answer
    at = datetime(2026, 11, 3, 10, 0, 5, tzinfo=UTC)
    a.post("/__admin/clock", json={"now": at.isoformat()})
    assert b"<aanmaakdatum>2026-11-03T10:00:05+00:00</aanmaakdatum>" in _haal(b, sleutel)
    assert b_core.clock.now() == at

    # a fault scripted at A is taken by B's very next request, once
    a.post("/__admin/faults", json={"path": "/uwlr/*", "fault": "soap_fault", "times": 1})
    assert b"TijdelijkNietBeschikbaar" in _haal(b, sleutel)
    assert _haal(b, sleutel).count(b"<leerling key=") == 4

    # a school forgotten at A is unknown to B's very next request
    a.delete("/api/scholen/99GE/00")
    assert b"AutorisatieOngeldig" in _haal(b, sleutel)
    a_core.db.dispose()
    b_core.db.dispose()


def test_derived_values_are_made_again_only_when_the_generation_moves(tmp_path: Path) -> None:
    db = Database.file(tmp_path / "state.sqlite")
    Core.create(db)
    made: list[int] = []
    derived: Derived[int] = Derived(db, "las")

    def make() -> int:
        made.append(1)
        return len(made)

    assert derived.get("x", make) == 1
    assert derived.get("x", make) == 1
    other = Database.file(tmp_path / "state.sqlite")  # another process writes a LAS table
    from mocks.las.store import las_scholen

    with other.begin() as conn:
        conn.execute(las_scholen.delete())
    assert derived.get("x", make) == 2
    assert db.generation("las") >= 1
    db.pin()
    with other.begin() as conn:
        conn.execute(las_scholen.delete())
    assert derived.get("x", make) == 2  # pinned for this request: read once
    db.unpin()
    assert derived.get("x", make) == 3
    other.dispose()
    db.dispose()
