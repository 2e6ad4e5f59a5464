"""WIJZIGINGEN OPSLAAN, GEGEVENS IMPORTEREN and the Leerlingenoverzicht: the testcentrum's routes
(test client) importing over real HTTP + SOAP from the ParnasSys and ESIS mocks (server threads)."""

from __future__ import annotations

import itertools
import string
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from koppeling.harness.server import ServerThread
from koppeling.harness.service import Core
from koppeling.harness.store import Database
from mocks.las.app import create_app as create_las
from mocks.testcentrum.app import create_app as create_testcentrum

_brins = (f"99{a}{b}" for a, b in itertools.product(string.ascii_uppercase, repeat=2))


@pytest.fixture(scope="module")
def core() -> Iterator[Core]:
    """A core with both LAS mocks serving on free ports."""
    core = Core.create(Database.memory())
    servers = [
        ServerThread(create_las({"flavour": las}, core=core)).start()
        for las in ("parnassys", "esis")
    ]
    core.urls.update({"parnassys": servers[0].url, "esis": servers[1].url})
    yield core
    for server in servers:
        server.stop()
    core.db.dispose()


@pytest.fixture
def tc(core: Core) -> FlaskClient:
    """The testcentrum's test client."""
    return create_testcentrum({}, core=core).test_client()


@pytest.fixture
def school() -> str:
    """A fresh BRIN for this test."""
    return next(_brins)


def las_school(core: Core, las: str, brin: str, *, pupils: int = 12) -> tuple[dict[str, Any], str]:
    """Make a school at the LAS and issue the testcentrum a key for it."""
    base = core.url(las)
    data = requests.post(
        f"{base}/api/scholen",
        json={"brincode": brin, "schooljaar": "2026-2027", "aantal_leerlingen": pupils, "seed": 7},
        timeout=10,
    ).json()
    key = requests.post(
        f"{base}/api/scholen/{brin}/00/sleutels",
        json={"klantcode": "boom-testcentrum", "klantnaam": "Boom testcentrum"},
        timeout=10,
    ).json()["autorisatiesleutel"]
    return data, key


def save(tc: FlaskClient, brin: str, las: str, key: str, **extra: Any) -> Any:
    body = {"las": las, "schooljaar": "2026-2027", "autorisatiesleutel": key, **extra}
    return tc.put(f"/api/scholen/{brin}/00/las-koppeling", json=body)


@pytest.mark.parametrize("las", ["parnassys", "esis"])
def test_save_and_import_from_either_las(
    core: Core, tc: FlaskClient, school: str, las: str
) -> None:
    data, key = las_school(core, las, school)
    saved = save(tc, school, las, key)
    assert saved.status_code == 200
    assert saved.json["autorisatiesleutel"] != key and key not in saved.get_data(as_text=True)
    assert saved.json["actief"] is False
    result = tc.post(f"/api/scholen/{school}/00/las-koppeling/import")
    assert result.status_code == 200, result.json
    assert result.json["leerlingen"] == len(data["leerlingen"]) == 12
    all_shown = las == "parnassys" or data["samengestelde_groepen"]  # ESIS: if the school has them
    shown = [g for g in data["groepen"] if all_shown or not g["samengesteld"]]
    assert result.json["groepen"] == len(shown)
    assert result.json["leerkrachten"] == len(data["leerkrachten"])
    assert result.json["wijzigingen"]["leerlingen"]["nieuw"] == 12
    status = tc.get(f"/api/scholen/{school}/00/las-koppeling").json
    assert status["actief"] is True
    assert status["melding"].startswith("U heeft een actieve koppeling met")
    pupils = tc.get(f"/api/scholen/{school}/00/leerlingen").json["leerlingen"]
    assert sorted(p["leerlingnummer"] for p in pupils) == sorted(
        p["leerlingnummer"] for p in data["leerlingen"]
    )
    assert all(p["groep"] for p in pupils)


def test_reimport_applies_changed_new_and_left(core: Core, tc: FlaskClient, school: str) -> None:
    data, key = las_school(core, "parnassys", school)
    save(tc, school, "parnassys", key)
    tc.post(f"/api/scholen/{school}/00/las-koppeling/import")
    base = f"{core.url('parnassys')}/api/scholen/{school}/00/leerlingen"
    changed, left = data["leerlingen"][0], data["leerlingen"][1]
    assert (
        requests.patch(
            f"{base}/{changed['leerlingnummer']}", json={"roepnaam": "Veranderd"}, timeout=10
        ).status_code
        == 200
    )
    assert requests.delete(f"{base}/{left['leerlingnummer']}", timeout=10).status_code == 204
    new = requests.post(base, json={"seed": 99, "leerlingnummer": "0000012345"}, timeout=10)
    assert new.status_code == 201
    result = tc.post(f"/api/scholen/{school}/00/las-koppeling/import").json
    assert result["wijzigingen"]["leerlingen"] == {
        "nieuw": 1,
        "gewijzigd": 1,
        "vertrokken": 1,
        "ongewijzigd": 10,
    }
    assert result["leerlingen"] == 12
    pupils = {
        p["leerlingnummer"]: p
        for p in tc.get(f"/api/scholen/{school}/00/leerlingen").json["leerlingen"]
    }
    assert pupils[changed["leerlingnummer"]]["roepnaam"] == "Veranderd"
    assert left["leerlingnummer"] not in pupils
    assert "0000012345" in pupils  # leading zeros kept: numbers are strings
    again = tc.post(f"/api/scholen/{school}/00/las-koppeling/import").json
    assert again["wijzigingen"]["leerlingen"]["ongewijzigd"] == 12


def test_wrong_key_is_a_clear_problem_naming_the_uwlr_code(
    core: Core, tc: FlaskClient, school: str
) -> None:
    las_school(core, "parnassys", school)
    save(tc, school, "parnassys", "pns_" + "x" * 32)
    resp = tc.post(f"/api/scholen/{school}/00/las-koppeling/import")
    assert resp.status_code == 422
    assert resp.content_type == "application/problem+json"
    assert resp.json["uwlr_code"] == "Client.AutorisatieOngeldig"
    assert resp.json["field"] == "autorisatiesleutel"
    assert "ParnasSys" in resp.json["title"]
    status = tc.get(f"/api/scholen/{school}/00/las-koppeling").json
    assert status["actief"] is False
    assert status["laatste_fout"].startswith("Client.AutorisatieOngeldig")


def test_las_outage_is_a_502_and_keeps_the_koppeling(
    core: Core, tc: FlaskClient, school: str
) -> None:
    _, key = las_school(core, "esis", school)
    save(tc, school, "esis", key)
    assert tc.post(f"/api/scholen/{school}/00/las-koppeling/import").status_code == 200
    core.faults.add(
        "esis",
        {
            "path": "/UWLR/*",
            "method": "POST",
            "fault": "soap_fault",
            "delay_ms": 0,
            "code": "Server.TijdelijkNietBeschikbaar",
            "remaining": 1,
        },
    )
    resp = tc.post(f"/api/scholen/{school}/00/las-koppeling/import")
    assert resp.status_code == 502
    assert resp.json["uwlr_code"] == "Server.TijdelijkNietBeschikbaar"
    assert tc.get(f"/api/scholen/{school}/00/las-koppeling").json["actief"] is True
    assert tc.post(f"/api/scholen/{school}/00/las-koppeling/import").status_code == 200


def test_unreachable_las(core: Core, school: str) -> None:
    tc = create_testcentrum(
        {"las_urls": {"parnassys": "http://127.0.0.1:9"}}, core=core
    ).test_client()
    save(tc, school, "parnassys", "pns_" + "y" * 32)
    resp = tc.post(f"/api/scholen/{school}/00/las-koppeling/import")
    assert resp.status_code == 502
    assert resp.json["uwlr_code"] == "Server.NietBereikbaar"


def test_import_before_settings_and_bad_settings(tc: FlaskClient, school: str) -> None:
    resp = tc.post(f"/api/scholen/{school}/00/las-koppeling/import")
    assert resp.status_code == 409 and resp.json["field"] == "las"
    assert tc.get(f"/api/scholen/{school}/00/las-koppeling").status_code == 404
    assert save(tc, school, "somtoday", "k").json["field"] == "las"
    assert save(tc, school, "esis", "k", schooljaar="2026-2028").json["field"] == "schooljaar"
    assert (
        tc.put(
            f"/api/scholen/{school}/00/las-koppeling",
            json={"las": "esis", "autorisatiesleutel": "k"},
        ).json["field"]
        == "schooljaar"
    )
    assert tc.put("/api/scholen/9X/00/las-koppeling", json={}).status_code == 404


def test_changed_settings_need_a_new_import(core: Core, tc: FlaskClient, school: str) -> None:
    _, key = las_school(core, "parnassys", school)
    save(tc, school, "parnassys", key)
    tc.post(f"/api/scholen/{school}/00/las-koppeling/import")
    assert save(tc, school, "parnassys", key).json["actief"] is True  # same settings
    assert save(tc, school, "parnassys", key, klantnaam="Ander").json["actief"] is False


def test_overview_search_and_tabs(core: Core, tc: FlaskClient, school: str) -> None:
    data, key = las_school(core, "parnassys", school)
    save(tc, school, "parnassys", key)
    tc.post(f"/api/scholen/{school}/00/las-koppeling/import")
    first = data["leerlingen"][0]
    found = tc.get(f"/api/scholen/{school}/00/leerlingen?q={first['achternaam'].upper()}").json
    assert first["leerlingnummer"] in [p["leerlingnummer"] for p in found["leerlingen"]]
    by_number = tc.get(f"/api/scholen/{school}/00/leerlingen?q={first['leerlingnummer']}").json
    assert [p["leerlingnummer"] for p in by_number["leerlingen"]] == [first["leerlingnummer"]]
    assert tc.get(f"/api/scholen/{school}/00/leerlingen?q=zzzzqqq").json["aantal"] == 0
    assert tc.get(f"/api/scholen/{school}/00/leerlingen?tab=genormeerd").json["aantal"] == 0
    assert tc.get(f"/api/scholen/{school}/00/leerlingen?tab=Mijn").json["aantal"] == 12
    bad = tc.get(f"/api/scholen/{school}/00/leerlingen?tab=alles")
    assert bad.status_code == 422 and bad.json["field"] == "tab"


def test_only_the_three_tabs_with_content_exist(tc: FlaskClient, school: str) -> None:
    """Uitgenodigd and Definitief are gone (the stand-in cannot invite or finalise): they are
    refused like any unknown tab."""
    for tab in ("mijn", "gescoord", "genormeerd"):
        assert tc.get(f"/api/scholen/{school}/00/leerlingen?tab={tab}").status_code == 200
    for tab in ("uitgenodigd", "definitief"):
        bad = tc.get(f"/api/scholen/{school}/00/leerlingen?tab={tab}")
        assert (bad.status_code, bad.json["field"]) == (422, "tab")
        assert bad.json["detail"] == f"tab must be one of mijn, gescoord, genormeerd, got {tab!r}"


def test_openapi_lists_the_las_routes(tc: FlaskClient) -> None:
    doc = tc.get("/openapi.json").json
    path = doc["paths"]["/api/scholen/{brincode}/{dependancecode}/las-koppeling"]
    assert (
        "autorisatiesleutel"
        in path["put"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    )


def test_tabs_follow_scoring_and_norming(core: Core, tc: FlaskClient, school: str) -> None:
    data, key = las_school(core, "parnassys", school)
    save(tc, school, "parnassys", key)
    tc.post(f"/api/scholen/{school}/00/las-koppeling/import")
    pupil = next(p for p in data["leerlingen"] if p["jaargroep"] in ("4", "5", "6", "7"))
    scored = tc.post(
        f"/api/scholen/{school}/00/afnames",
        json={
            "leerlingnummer": pupil["leerlingnummer"],
            "toets": "LVS RW 2019",
            "ruwe_score": 30,
            "afnamedatum": "2027-01-15",
        },
    )
    assert scored.status_code == 201, scored.json

    def tab(name: str) -> list[str]:
        listed = tc.get(f"/api/scholen/{school}/00/leerlingen?tab={name}").json["leerlingen"]
        return [p["leerlingnummer"] for p in listed]

    assert tab("gescoord") == [pupil["leerlingnummer"]] and tab("genormeerd") == []
    assert tc.post(f"/api/afnames/{scored.json['id']}/normeren").status_code == 200
    assert tab("gescoord") == [] and tab("genormeerd") == [pupil["leerlingnummer"]]
