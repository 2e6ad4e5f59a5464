"""Score invoeren, Normeren and Doorsturing on the testcentrum's routes (test client, no sockets),
with the forwarding rule decided at the first norming, at the school's clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from koppeling.harness.routes import add_routes
from koppeling.harness.service import Core, create_service_app
from koppeling.harness.store import Database
from mocks.testcentrum.afnames.routes import afnames_routes
from mocks.testcentrum.beheer.store import leerlingen_table
from mocks.testcentrum.workers import build_afnames
from tests.testcentrum import support

BRIN, DEP = "99TA", "00"
SCHOOL = f"{BRIN}-{DEP}"
BASE = f"/api/scholen/{BRIN}/{DEP}"
ACTIVATED = datetime(2027, 1, 18, 9, 30, tzinfo=UTC)


@pytest.fixture
def core() -> Iterator[Core]:
    """A throwaway core on an in-memory store."""
    db = Database.memory()
    yield Core.create(db)
    db.dispose()


@pytest.fixture
def app(core: Core) -> Flask:
    """A bare testcentrum app with only the afname routes."""
    app = create_service_app("testcentrum", core, import_name="mocks.testcentrum.afnames")
    add_routes(app, "afnames", afnames_routes(build_afnames(core)))
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """The app's test client."""
    return app.test_client()


def set_clock(core: Core, at: datetime) -> None:
    core.clock.set(at, brincode=BRIN, dependancecode=DEP)


def activate(core: Core, at: datetime, school: str = SCHOOL) -> None:
    support.activate(core.db, school, at)


def score(client: FlaskClient, **overrides: Any) -> dict[str, Any]:
    body = {
        "leerlingnummer": "4866010819",
        "toets": "LVS RW 2019",
        "ruwe_score": 31,
        "afnamedatum": "2027-01-15",
        "groep": 5,
        **overrides,
    }
    resp = client.post(f"{BASE}/afnames", json=body)
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def norm(client: FlaskClient, afname_id: str) -> dict[str, Any]:
    resp = client.post(f"/api/afnames/{afname_id}/normeren")
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()  # type: ignore[no-any-return]


def status_of(client: FlaskClient, afname_id: str) -> dict[str, Any]:
    items = client.get(f"{BASE}/doorsturing").get_json()["afnames"]
    return next(i for i in items if i["afname_id"] == afname_id)


def test_score_invoeren_returns_201_with_an_id_and_the_afname_is_listed(
    client: FlaskClient,
) -> None:
    made = score(client)
    assert made["id"] and made["status"] == "gescoord"
    listed = client.get(f"{BASE}/afnames").get_json()["afnames"]
    assert [a["id"] for a in listed] == [made["id"]]
    assert client.get(f"/api/afnames/{made['id']}").get_json()["leerlingnummer"] == "4866010819"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"toets": "Cito Rekenen"}, "toets"),
        ({"ruwe_score": 61}, "ruwe_score"),
        ({"ruwe_score": -1}, "ruwe_score"),
        ({"ruwe_score": "31"}, "ruwe_score"),
        ({"afnamedatum": "2027-02-30"}, "afnamedatum"),
        ({"afnamedatum": "15-01-2027"}, "afnamedatum"),
        ({"leerlingnummer": "   "}, "leerlingnummer"),
        ({"groep": 9}, "groep"),
        ({"extra": 1}, "extra"),
    ],
)
def test_bad_score_input_is_a_422_naming_the_field(
    client: FlaskClient, change: dict[str, Any], field: str
) -> None:
    body = {
        "leerlingnummer": "4866010819",
        "toets": "LVS BL",
        "ruwe_score": 20,
        "afnamedatum": "2027-01-15",
        "groep": 5,
        **change,
    }
    resp = client.post(f"{BASE}/afnames", json=body)
    assert resp.status_code == 422
    assert resp.content_type == "application/problem+json"
    assert resp.get_json()["field"] == field


def test_missing_field_bad_school_and_no_json_are_clear_errors(client: FlaskClient) -> None:
    resp = client.post(f"{BASE}/afnames", json={"toets": "TTA"})
    assert (resp.status_code, resp.get_json()["field"]) == (422, "afnamedatum")
    resp = client.post("/api/scholen/9X/00/afnames", json={})
    assert (resp.status_code, resp.get_json()["field"]) == (404, "brincode")
    resp = client.get("/api/scholen/99TA/0/doorsturing")
    assert (resp.status_code, resp.get_json()["field"]) == (404, "dependancecode")
    resp = client.post(f"{BASE}/afnames", data="nee", content_type="text/plain")
    assert resp.status_code == 400


def test_without_imported_pupils_the_groep_must_be_given(client: FlaskClient) -> None:
    body = {"leerlingnummer": "1", "toets": "TTA", "ruwe_score": 20, "afnamedatum": "2027-01-15"}
    resp = client.post(f"{BASE}/afnames", json=body)
    assert (resp.status_code, resp.get_json()["field"]) == (422, "groep")


def test_imported_pupils_decide_who_exists_and_their_groep(core: Core, client: FlaskClient) -> None:
    with core.db.begin() as conn:
        conn.execute(
            leerlingen_table.insert().values(
                school=SCHOOL,
                leerlingnummer="0012345678",
                achternaam="Jansen",
                jaargroep="7",
                actief=True,
                bijgewerkt_op=ACTIVATED,
            )
        )
    resp = client.post(
        f"{BASE}/afnames",
        json={
            "leerlingnummer": "9999999999",
            "toets": "TTA",
            "ruwe_score": 20,
            "afnamedatum": "2027-01-15",
        },
    )
    assert (resp.status_code, resp.get_json()["field"]) == (422, "leerlingnummer")
    made = score(client, leerlingnummer=" 0012345678 ", groep=3)
    assert (made["leerlingnummer"], made["groep"]) == ("0012345678", 7)


def test_normeren_uses_the_school_clock_and_returns_the_figures(
    core: Core, client: FlaskClient
) -> None:
    set_clock(core, datetime(2027, 1, 20, 8, 0, 0, 123456, tzinfo=UTC))
    made = score(client)
    normed = norm(client, made["id"])
    assert normed["genormeerd_op"] == "2027-01-20T08:00:00.123456+00:00"
    assert normed["status"] == "genormeerd"
    for name in (
        "vaardigheidsscore",
        "dl",
        "dle",
        "percentiel",
        "niveau",
        "niveau_ae",
        "afnamemoment",
    ):
        assert name in normed, name
    assert normed["afnamemoment"] == "M5" and normed["dl"] == 25
    assert normed["doorsturing"] == "niet_van_toepassing"


def test_normeren_an_unknown_afname_is_404(client: FlaskClient) -> None:
    resp = client.post("/api/afnames/bestaat-niet/normeren")
    assert resp.status_code == 404
    assert resp.content_type == "application/problem+json"


def test_only_normed_afnames_are_in_the_doorsturing(client: FlaskClient) -> None:
    score(client)
    assert client.get(f"{BASE}/doorsturing").get_json() == {"afnames": []}


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (timedelta(0), "wachtend"),
        (timedelta(microseconds=-1), "niet_van_toepassing"),
        (timedelta(microseconds=1), "wachtend"),
        (timedelta(days=-30), "niet_van_toepassing"),
    ],
)
def test_the_first_norming_instant_against_activation_decides(
    core: Core, client: FlaskClient, offset: timedelta, expected: str
) -> None:
    activate(core, ACTIVATED)
    made = score(client)
    set_clock(core, ACTIVATED + offset)
    assert norm(client, made["id"])["doorsturing"] == expected
    assert status_of(client, made["id"])["status"] == expected


def test_normed_before_activation_is_never_forwarded_not_on_renorming_nor_reactivation(
    core: Core, client: FlaskClient
) -> None:
    made = score(client)
    set_clock(core, ACTIVATED - timedelta(minutes=5))
    norm(client, made["id"])
    activate(core, ACTIVATED)
    set_clock(core, ACTIVATED + timedelta(days=1))
    assert norm(client, made["id"])["doorsturing"] == "niet_van_toepassing"
    support.deactivate(core.db, SCHOOL, ACTIVATED + timedelta(days=2))
    activate(core, ACTIVATED + timedelta(days=3))
    set_clock(core, ACTIVATED + timedelta(days=4))
    normed = norm(client, made["id"])
    assert normed["normeringen"] == 3
    item = status_of(client, made["id"])
    assert (item["status"], item["berichten"]) == ("niet_van_toepassing", 0)


def test_normed_while_deactivated_is_never_forwarded_even_after_reactivation(
    core: Core, client: FlaskClient
) -> None:
    activate(core, ACTIVATED)
    support.deactivate(core.db, SCHOOL, ACTIVATED + timedelta(days=1))
    made = score(client)
    set_clock(core, ACTIVATED + timedelta(days=1))  # the deactivation instant: no longer active
    assert norm(client, made["id"])["doorsturing"] == "niet_van_toepassing"
    activate(core, ACTIVATED + timedelta(days=2))
    set_clock(core, ACTIVATED + timedelta(days=3))
    assert norm(client, made["id"])["doorsturing"] == "niet_van_toepassing"


def test_renorming_an_eligible_afname_keeps_one_waiting_message(
    core: Core, client: FlaskClient
) -> None:
    activate(core, ACTIVATED)
    made = score(client)
    set_clock(core, ACTIVATED + timedelta(hours=1))
    first = norm(client, made["id"])
    set_clock(core, ACTIVATED + timedelta(hours=2))
    second = norm(client, made["id"])
    assert first["eerst_genormeerd_op"] == second["eerst_genormeerd_op"]
    assert second["genormeerd_op"] > first["genormeerd_op"]
    item = status_of(client, made["id"])
    assert (item["status"], item["berichten"]) == ("wachtend", 1)
    assert item["resultaat_key"] == f"boom-tc-{made['id']}"


def test_an_empty_json_body_on_normeren_is_fine_and_fields_are_refused(
    client: FlaskClient,
) -> None:
    made = score(client)
    assert client.post(f"/api/afnames/{made['id']}/normeren", json={}).status_code == 200
    resp = client.post(f"/api/afnames/{made['id']}/normeren", json={"genormeerd_op": "gisteren"})
    assert (resp.status_code, resp.get_json()["field"]) == (422, "genormeerd_op")


def test_timestamps_are_utc_with_zone(core: Core, client: FlaskClient) -> None:
    set_clock(core, datetime(2027, 3, 28, 1, 30, tzinfo=UTC))
    made = score(client)
    normed = norm(client, made["id"])
    assert normed["ingevoerd_op"].endswith("+00:00")
    assert normed["genormeerd_op"] == "2027-03-28T01:30:00+00:00"


def test_bulk_score_is_all_or_none_and_names_the_item(client: FlaskClient) -> None:
    good = {
        "leerlingnummer": "1",
        "toets": "TTA",
        "ruwe_score": 20,
        "afnamedatum": "2027-01-15",
        "groep": 4,
    }
    resp = client.post(
        f"{BASE}/afnames/bulk", json={"afnames": [good, {**good, "ruwe_score": 999}]}
    )
    assert (resp.status_code, resp.get_json()["field"]) == (422, "afnames[1].ruwe_score")
    assert client.get(f"{BASE}/afnames").get_json()["afnames"] == []
    resp = client.post(f"{BASE}/afnames/bulk", json={"afnames": [good, {**good, "toets": "X"}]})
    assert (resp.status_code, resp.get_json()["field"]) == (422, "afnames[1].toets")
    resp = client.post(f"{BASE}/afnames/bulk", json={"afnames": []})
    assert (resp.status_code, resp.get_json()["field"]) == (422, "afnames")
    resp = client.post(f"{BASE}/afnames/bulk", json={"afnames": [good, good]})
    assert resp.status_code == 201
    assert resp.get_json()["aantal"] == 2


def test_bulk_normeren_norms_all_at_one_instant_and_decides_each_once(
    core: Core, client: FlaskClient
) -> None:
    old = score(client)["id"]
    set_clock(core, ACTIVATED - timedelta(seconds=1))
    norm(client, old)
    activate(core, ACTIVATED)
    ids = [old] + [score(client, leerlingnummer=f"00{i}")["id"] for i in range(3)]
    set_clock(core, ACTIVATED)
    resp = client.post(f"{BASE}/afnames/normeren", json={"afname_ids": ids})
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["aantal"] == 4
    assert body["genormeerd_op"] == ACTIVATED.isoformat()
    assert body["doorsturing"] == {"niet_van_toepassing": 1, "doorsturen": 3}
    statuses = {
        i["afname_id"]: i["status"] for i in client.get(f"{BASE}/doorsturing").get_json()["afnames"]
    }
    assert statuses == {old: "niet_van_toepassing", **{i: "wachtend" for i in ids[1:]}}


def test_bulk_normeren_refuses_unknown_and_foreign_afnames(client: FlaskClient) -> None:
    mine = score(client)["id"]
    other = client.post(
        "/api/scholen/99TB/00/afnames",
        json={
            "leerlingnummer": "1",
            "toets": "TTA",
            "ruwe_score": 1,
            "afnamedatum": "2027-01-15",
            "groep": 4,
        },
    ).get_json()["id"]
    for ids in ([mine, "bestaat-niet"], [mine, other]):
        resp = client.post(f"{BASE}/afnames/normeren", json={"afname_ids": ids})
        assert resp.status_code == 404
    assert client.get(f"/api/afnames/{mine}").get_json()["normeringen"] == 0


def test_pure_reads_never_take_the_write_lock(
    core: Core, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every read of the afnames and of the koppeling goes through ``db.read()``, so readers never
    queue behind SQLite's write lock."""
    activate(core, ACTIVATED)
    made = score(client)
    set_clock(core, ACTIVATED + timedelta(hours=1))
    norm(client, made["id"])
    service = build_afnames(core)

    def no_write_lock() -> None:
        raise AssertionError("a pure read opened db.begin()")

    monkeypatch.setattr(core.db, "begin", no_write_lock)
    assert service.get(made["id"]).normeringen == 1
    assert [a.id for a in service.of_school(BRIN, DEP)] == [made["id"]]
    assert service.samenvatting(BRIN, DEP)["wachtend"] == 1
    assert [d.status for d in service.doorsturing(BRIN, DEP)] == ["wachtend"]
    assert service.tabs(SCHOOL) == {"4866010819": {"genormeerd"}}
    koppelingen = service.koppelingen
    assert koppelingen.active_at(SCHOOL, ACTIVATED)
    current = koppelingen.current(SCHOOL)
    assert current is not None and current.status == "actief"
    assert koppelingen.schoolkr8_key(SCHOOL) == support.DEFAULT_KEY
    assert service.leerlingen.groepen(SCHOOL, ["4866010819"]) == {}
    assert not service.leerlingen.imported(SCHOOL)
