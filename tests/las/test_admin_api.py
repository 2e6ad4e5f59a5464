"""The LAS admin API: schools from a seed, keys, and changing pupils; JSON errors name the field."""

from __future__ import annotations

import json

import pytest

from koppeling.fakedata import generate_school
from koppeling.harness.keys import key_hash
from mocks.las.store import las_sleutels
from tests.las.conftest import SCHOOLJAAR, Las, issue_key


def test_create_school_returns_what_the_seed_gives(las: Las) -> None:
    """The 201 body has the school, its groups, pupils with leerlingnummer, and staff."""
    fake = generate_school(20241001, brincode="99AB", schooljaar=SCHOOLJAAR, aantal_leerlingen=40)
    school = las.school
    assert (school["brincode"], school["dependancecode"], school["seed"]) == (
        "99AB",
        "00",
        20241001,
    )
    assert [p["leerlingnummer"] for p in school["leerlingen"]] == [
        p.leerlingnummer for p in fake.pupils
    ]
    assert [g["naam"] for g in school["groepen"]] == [g.naam for g in fake.groups]
    assert len(school["leerkrachten"]) == len(fake.staff)
    assert "autorisatiesleutel" not in json.dumps(school)


def test_same_seed_same_school_in_both_las(parnassys: Las, esis: Las) -> None:
    """One seed makes the same pupils at ParnasSys and ESIS."""
    assert [p["leerlingnummer"] for p in parnassys.school["leerlingen"]] == [
        p["leerlingnummer"] for p in esis.school["leerlingen"]
    ]


def test_school_exists_is_409(las: Las) -> None:
    """Creating the same BRIN+dependance twice is a 409 naming brincode."""
    resp = las.client.post("/api/scholen", json={"brincode": "99AB", "seed": 1})
    assert resp.status_code == 409 and resp.json["field"] == "brincode"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"seed": 1}, "brincode"),
        ({"brincode": "99ab"}, "brincode"),
        ({"brincode": "99AC", "dependancecode": "1"}, "dependancecode"),
        ({"brincode": "99AC", "schooljaar": "2024"}, "schooljaar"),
        ({"brincode": "99AC", "schooljaar": "2024-2026"}, "schooljaar"),
        ({"brincode": "99AC", "aantal_leerlingen": -1}, "aantal_leerlingen"),
        ({"brincode": "99AC", "onbekend": 1}, "onbekend"),
    ],
)
def test_create_school_validation(las: Las, body: dict[str, object], field: str) -> None:
    """A bad field is 422 problem details naming it."""
    resp = las.client.post("/api/scholen", json=body)
    assert resp.status_code == 422, resp.json
    assert resp.content_type == "application/problem+json" and resp.json["field"] == field


def test_default_schooljaar_is_current_by_the_school_clock(las: Las) -> None:
    """Without schooljaar the school gets the current one (clock: October 2024)."""
    resp = las.client.post("/api/scholen", json={"brincode": "99AD", "aantal_leerlingen": 1})
    assert resp.status_code == 201 and resp.json["schooljaar"] == "2024-2025"
    assert isinstance(resp.json["seed"], int)


def test_key_is_stored_only_as_hash(las: Las) -> None:
    """The store keeps the SHA-256 of the key, never the key."""
    with las.core.db.begin() as conn:
        hashes = [r.key_hash for r in conn.execute(las_sleutels.select())]
    assert key_hash(las.key) in hashes and las.key not in hashes
    assert las.key.startswith("pns_" if las.flavour == "parnassys" else "esis_")


def test_key_for_unknown_school_is_404(las: Las) -> None:
    """A key for a school the LAS does not have is 404."""
    resp = las.client.post(
        "/api/scholen/99ZZ/00/sleutels",
        json={"klantcode": "boom-testcentrum", "klantnaam": "Boom testcentrum"},
    )
    assert resp.status_code == 404


@pytest.mark.parametrize(
    "body, field",
    [
        ({"klantnaam": "Boom"}, "klantcode"),
        ({"klantcode": "B" * 65, "klantnaam": "x"}, "klantcode"),
        # they travel in the UWLR header of every request: one line, no control characters
        ({"klantcode": "boom\r\nX", "klantnaam": "x"}, "klantcode"),
        ({"klantcode": "boom", "klantnaam": "Boom\u0000"}, "klantnaam"),
    ],
)
def test_key_body_validation(las: Las, body: dict[str, object], field: str) -> None:
    """klantcode and klantnaam are required one-line texts of 1-64 (header_text)."""
    resp = las.client.post("/api/scholen/99AB/00/sleutels", json=body)
    assert resp.status_code == 422 and resp.json["field"] == field


def test_esis_reissue_replaces_the_key(esis: Las) -> None:
    """ESIS keeps one key per BRIN+dependancecode: a new key revokes the old one."""
    new = issue_key(esis.client, klantcode="ANDER")
    assert esis.fault_code(esis.request()) == "Client.AutorisatieOngeldig"
    resp = esis.post(esis.request(autorisatie=esis.autorisatie(new, klantcode="ANDER")))
    assert resp.status_code == 200


def test_parnassys_keys_per_klant(parnassys: Las) -> None:
    """ParnasSys keeps a key per klant; re-issuing for the same klant replaces only that one."""
    other = issue_key(parnassys.client, klantcode="ANDER")
    assert parnassys.post(parnassys.request()).status_code == 200
    assert (
        parnassys.post(
            parnassys.request(autorisatie=parnassys.autorisatie(other, klantcode="ANDER"))
        ).status_code
        == 200
    )
    issue_key(parnassys.client)
    assert parnassys.fault_code(parnassys.request()) == "Client.AutorisatieOngeldig"


def test_list_pupils(las: Las) -> None:
    """GET .../leerlingen lists every pupil with its 10-digit string leerlingnummer."""
    resp = las.client.get("/api/scholen/99AB/00/leerlingen")
    assert resp.status_code == 200
    numbers = [p["leerlingnummer"] for p in resp.json["leerlingen"]]
    assert len(numbers) == 40 and numbers[0].startswith("0") and all(len(n) == 10 for n in numbers)
    assert las.client.get("/api/scholen/99ZZ/00/leerlingen").status_code == 404
    assert las.client.get("/api/scholen/99zz/00/leerlingen").json["field"] == "brincode"


def test_the_pupil_list_is_kept_until_the_school_changes(las: Las) -> None:
    """The list's JSON is encoded once per change of the LAS's tables: the same bytes Flask
    writes for the pupils, again and again, until a pupil is added, changed or removed; the
    next GET then shows the change."""
    url = "/api/scholen/99AB/00/leerlingen"
    first = las.client.get(url)
    with las.app.app_context():
        written = las.app.json.response(las.client.application.json.loads(first.data))
    assert first.data == written.get_data() and first.mimetype == "application/json"
    assert las.client.get(url).data == first.data
    added = las.client.post(url, json={"leerlingnummer": "0000000042", "groep": "G7A"})
    assert added.status_code == 201
    numbers = [p["leerlingnummer"] for p in las.client.get(url).json["leerlingen"]]
    assert "0000000042" in numbers and len(numbers) == 41
    assert las.client.delete(f"{url}/0000000042").status_code == 204
    assert las.client.get(url).data == first.data


def test_add_pupil_generated_and_given(las: Las) -> None:
    """POST .../leerlingen generates a pupil; given fields win; taken numbers are 409."""
    resp = las.client.post(
        "/api/scholen/99AB/00/leerlingen",
        json={"groep": "G7A", "seed": 5, "leerlingnummer": "0000000001", "roepnaam": "Fenna"},
    )
    assert resp.status_code == 201, resp.json
    pupil = resp.json
    assert (pupil["leerlingnummer"], pupil["roepnaam"], pupil["groep"], pupil["jaargroep"]) == (
        "0000000001",
        "Fenna",
        "G7A",
        "7",
    )
    again = las.client.post(
        "/api/scholen/99AB/00/leerlingen", json={"leerlingnummer": "0000000001"}
    )
    assert again.status_code == 409 and again.json["field"] == "leerlingnummer"
    empty = las.client.post("/api/scholen/99AB/00/leerlingen")
    assert empty.status_code == 201 and len(empty.json["leerlingnummer"]) == 10


@pytest.mark.parametrize(
    "body, field",
    [
        ({"groep": "G9Z"}, "groep"),
        ({"geslacht": "3"}, "geslacht"),
        ({"bsn": "123456782"}, "bsn"),
        ({"geboortedatum": "2015-02-31"}, "geboortedatum"),
        ({"samengestelde_groepen": ["X"]}, "samengestelde_groepen"),
    ],
)
def test_add_pupil_validation(las: Las, body: dict[str, object], field: str) -> None:
    """Unknown groups, bad codes, real-looking BSNs, impossible dates: 422 naming the field."""
    resp = las.client.post("/api/scholen/99AB/00/leerlingen", json=body)
    assert resp.status_code == 422, resp.json
    assert resp.json["field"] == field


def test_put_patch_delete_pupil(las: Las) -> None:
    """PUT replaces, PATCH changes (also the number), DELETE removes; unknown pupils are 404."""
    nummer = las.school["leerlingen"][1]["leerlingnummer"]
    url = f"/api/scholen/99AB/00/leerlingen/{nummer}"
    put = las.client.put(
        url,
        json={
            "roepnaam": "Noor",
            "achternaam": "Bos",
            "geboortedatum": "2016-05-05",
            "groep": "G3A",
        },
    )
    assert put.status_code == 200 and put.json["jaargroep"] == "3"
    assert put.json["voorvoegsel"] is None
    patch = las.client.patch(url, json={"leerlingnummer": "0123456789"})
    assert patch.status_code == 200 and patch.json["roepnaam"] == "Noor"
    numbers = [
        p["leerlingnummer"]
        for p in las.client.get("/api/scholen/99AB/00/leerlingen").json["leerlingen"]
    ]
    assert "0123456789" in numbers and nummer not in numbers
    assert las.client.patch(url, json={"roepnaam": "X"}).status_code == 404
    assert las.client.delete("/api/scholen/99AB/00/leerlingen/0123456789").status_code == 204
    assert las.client.delete("/api/scholen/99AB/00/leerlingen/0123456789").status_code == 404
    bad = las.client.put(f"/api/scholen/99AB/00/leerlingen/{numbers[0]}", json={"roepnaam": "X"})
    assert bad.status_code == 422 and bad.json["field"] == "achternaam"


def test_renumber_to_a_taken_number_is_409(las: Las) -> None:
    """Two pupils never share a leerlingnummer."""
    first, second = (p["leerlingnummer"] for p in las.school["leerlingen"][:2])
    resp = las.client.patch(
        f"/api/scholen/99AB/00/leerlingen/{first}", json={"leerlingnummer": second}
    )
    assert resp.status_code == 409


def test_openapi(las: Las) -> None:
    """GET /openapi.json describes the admin API with the request schemas."""
    doc = las.client.get("/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    body = doc["paths"]["/api/scholen"]["post"]["requestBody"]["content"]["application/json"]
    assert "brincode" in body["schema"]["required"]
    assert (
        "patch"
        in doc["paths"]["/api/scholen/{brincode}/{dependancecode}/leerlingen/{leerlingnummer}"]
    )


def test_get_school(las: Las) -> None:
    """GET /api/scholen/{brin}/{dep} shows the school like its creation did."""
    resp = las.client.get("/api/scholen/99AB/00")
    assert resp.status_code == 200 and resp.json["naam"] == las.school["naam"]
    assert las.client.get("/api/scholen/99ZZ/00").status_code == 404
