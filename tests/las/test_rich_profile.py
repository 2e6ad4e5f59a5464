"""The rich profile (the default) and the minimal one (docs/las.md#what-a-rich-answer-carries).

Every answer here goes through ``Las.post``, which validates it against the official XSD. The
rich answers carry what real LAS answers carry (voornamen, eckid, instroomdatum, samengestelde
groepen between the groepen, pupils in several groups) plus each vendor's habits (ParnasSys:
schoolkey and voorletters-1; ESIS: vestigingen); the minimal profile carries none of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import requests
from lxml import etree

from contracts.uwlr_xsd import UwlrSchemas
from koppeling.fakedata import ECKID_PATTERN, generate_school
from koppeling.harness.server import ServerThread
from koppeling.harness.service import Core
from koppeling.harness.store import Database
from koppeling.uwlr import leerlinggegevens as lg
from koppeling.uwlr.autorisatie import Autorisatie
from mocks.las.app import create_app
from mocks.las.service import FLAVOURS
from mocks.testcentrum.beheer.las_client import LasClient, endpoint_of
from mocks.testcentrum.beheer.store import BeheerStore
from tests.las.conftest import KLANT, SCHOOL_TIME, SCHOOLJAAR, Las, las_of

OPERATIONS = ("HaalLeerlinggegevens", "HaalStructuur", "HaalLeerlingen", "HaalLeerkrachten")


def answer(las: Las, operation: str, brincode: str = "99AB") -> etree._Element:
    resp = las.post(las.request(operation, brincode=brincode))  # validated against the XSD
    assert resp.status_code == 200, resp.data
    body = etree.fromstring(resp.data)[-1][0]
    assert etree.QName(body).localname == lg.OPERATIONS[operation].answer
    return body


def names(el: etree._Element, path: str) -> list[str]:
    return [etree.QName(c).localname for c in el.iterfind(path, {"lg": lg.NS})]


@pytest.mark.parametrize("operation", OPERATIONS)
def test_rich_answers_validate_for_every_operation(las: Las, operation: str) -> None:
    """Both flavours, all four operations, the default (rich) school: valid UWLR 2.2."""
    answer(las, operation)


def test_the_default_profile_is_rich_and_shown(las: Las) -> None:
    assert las.school["profiel"] == "rijk"
    got = las.client.get("/api/scholen/99AB/00").json
    assert got["profiel"] == "rijk"
    pupil = got["leerlingen"][0]
    assert pupil["voornamen"].split()[0] == pupil["roepnaam"]
    assert ECKID_PATTERN.fullmatch(pupil["eckid"])
    assert date.fromisoformat(pupil["instroomdatum"]) <= date(2024, 8, 20)


def test_rich_pupils_carry_the_optional_content(las: Las) -> None:
    body = answer(las, "HaalLeerlinggegevens")
    gegevens = lg.parse_answer_element(body, "HaalLeerlinggegevens").gegevens
    assert gegevens is not None
    pupils = gegevens.leerlingen
    assert all(p.voornamen and p.voornamen.split()[0] == p.roepnaam for p in pupils)
    assert any(len(p.voornamen.split()) > 1 for p in pupils if p.voornamen)
    eckids = [p.eckid for p in pupils]
    assert all(e is not None and ECKID_PATTERN.fullmatch(e) for e in eckids)
    assert len(set(eckids)) == len(eckids)
    assert all(
        p.instroomdatum and p.geboortedatum < p.instroomdatum for p in pupils if p.geboortedatum
    )
    several = [p for p in pupils if p.groep and p.samengestelde_groepen]
    assert several, "some pupils are in a stamgroep and samengestelde groepen"
    kinds = names(body, "lg:leerlinggegevens/lg:groepen/*")
    first_sg = kinds.index("samengestelde_groep")
    assert kinds[0] == "groep" and "groep" in kinds[first_sg + 1 :], kinds  # mixed order


def test_parnassys_habits(parnassys: Las) -> None:
    """ParnasSys: schoolkey beside the BRIN, voorletters-1, no vestigingen."""
    body = answer(parnassys, "HaalLeerlinggegevens")
    school = body.find(f"{{{lg.NS}}}leerlinggegevens/{{{lg.NS}}}school")
    assert school is not None and (school.findtext(f"{{{lg.NS}}}schoolkey") or "").startswith(
        "PNS-"
    )
    assert names(body, "lg:leerlinggegevens/lg:vestigingen") == []
    pupil = body.find(f".//{{{lg.NS}}}leerling")
    assert pupil is not None
    order = [etree.QName(c).localname for c in pupil]
    assert order[:2] == ["achternaam", "voornamen"] or order[:3] == [
        "achternaam",
        "voorvoegsel",
        "voornamen",
    ]
    assert "voorletters-1" in order and order.index("voorletters-1") < order.index("roepnaam")


def test_esis_habits(esis: Las) -> None:
    """ESIS: vestigingen, every pupil at the vestiging; no schoolkey, no voorletters-1."""
    for operation in ("HaalLeerlinggegevens", "HaalStructuur"):
        body = answer(esis, operation)
        vestigingen = body.findall(f".//{{{lg.NS}}}vestigingen/{{{lg.NS}}}vestiging")
        assert [v.get("key") for v in vestigingen] == ["99AB00"]
        assert body.find(f".//{{{lg.NS}}}schoolkey") is None
    gegevens = lg.parse_answer_element(
        answer(esis, "HaalLeerlinggegevens"), "HaalLeerlinggegevens"
    ).gegevens
    assert gegevens is not None
    assert {p.vestiging for p in gegevens.leerlingen} == {"99AB00"}
    assert all(p.voorletters is None for p in gegevens.leerlingen)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_minimal_profile_differs_and_validates(
    las: Las, core: Core, uwlr_schemas: UwlrSchemas, operation: str
) -> None:
    """The minimal profile: valid, and none of the optional content; stamgroepen first."""
    minimal = las_of(las.flavour, core, uwlr_schemas, brincode="99MN", profiel="minimaal")
    assert minimal.school["profiel"] == "minimaal"
    body = answer(minimal, operation, brincode="99MN")
    text = etree.tostring(body)
    for absent in (b"voornamen", b"voorletters-1", b"eckid", b"instroomdatum", b"vestiging"):
        assert absent not in text, absent
    assert b"schoolkey" not in text
    kinds = names(body, "*/lg:groepen/*")
    assert kinds == sorted(kinds, key=lambda k: k == "samengestelde_groep")
    rich = answer(las, operation)
    assert etree.tostring(rich) != text


def test_profiel_is_validated(las: Las) -> None:
    resp = las.client.post("/api/scholen", json={"brincode": "99XY", "profiel": "breed"})
    assert resp.status_code == 422 and resp.json["field"] == "profiel"


def test_rich_fields_can_be_set_and_eckid_is_unique(las: Las) -> None:
    """The admin API takes the optional fields; an eckid another pupil has is a 422."""
    first, second = las.school["leerlingen"][:2]
    url = f"/api/scholen/99AB/00/leerlingen/{second['leerlingnummer']}"
    resp = las.client.patch(url, json={"eckid": first["eckid"]})
    assert resp.status_code == 422 and resp.json["field"] == "eckid"
    resp = las.client.patch(
        url, json={"voornamen": "Jan Pieter", "voorletters": "J.P.", "instroomdatum": "2020-08-20"}
    )
    assert resp.status_code == 200, resp.json
    gegevens = lg.parse_answer_element(
        answer(las, "HaalLeerlinggegevens"), "HaalLeerlinggegevens"
    ).gegevens
    assert gegevens is not None
    pupil = next(p for p in gegevens.leerlingen if p.key == second["leerlingnummer"])
    assert (pupil.voornamen, pupil.instroomdatum) == ("Jan Pieter", date(2020, 8, 20))
    resp = las.client.patch(url, json={"instroomdatum": "0001-01-01"})
    assert resp.status_code == 422 and resp.json["field"] == "instroomdatum"


def test_the_seed_still_gives_the_same_minimal_values() -> None:
    """The rich content is drawn apart: a seed's names, numbers and groups did not move."""
    school = generate_school(42, brincode="99AB", schooljaar=SCHOOLJAAR, aantal_leerlingen=3)
    assert [p.leerlingnummer for p in school.pupils][0].startswith("0")
    again = generate_school(42, brincode="99AB", schooljaar=SCHOOLJAAR, aantal_leerlingen=3)
    assert school.to_json() == again.to_json()
    assert all(p.eckid and ECKID_PATTERN.fullmatch(p.eckid) for p in school.pupils)


# --- the codec and the testcentrum's client with what the standard allows ---------------------


def roepnaam_only() -> lg.Leerlinggegevens:
    """An answer with a pupil known only by roepnaam, one in two samengestelde groepen and in
    none, groups mixed, a vestiging and a schoolkey."""
    when = datetime(2024, 10, 1, 8, 0, tzinfo=UTC)
    return lg.Leerlinggegevens(
        lg.School("2024-2025", "99AB", "00", when, schoolkey="S-1"),
        groepen=(
            lg.Groep("g1", "1A", "1"),
            lg.Groep("s1", "Plusklas", samengesteld=True),
            lg.Groep("g2", "2A", "2"),
            lg.Groep("s2", "Taalklas", samengesteld=True),
        ),
        leerlingen=(
            lg.Leerling("001", "", "Noor", geboortedatum=date(2019, 3, 1), groep="g1"),
            lg.Leerling(
                "002",
                "Visser",
                "Bram",
                voorvoegsel="de",
                voornamen="Bram Willem",
                voorletters="B.W.",
                eckid="https://ketenid.nl/201703/" + "ab" * 64,
                geboortedatum=date(2018, 5, 2),
                groep="g2",
                samengestelde_groepen=("s1", "s2"),
                vestiging="v1",
                bsn_ondwnr_4="1234",
                instroomdatum=date(2022, 5, 3),
                mutatiedatum=when,
            ),
            lg.Leerling("003", "Bos", "Lot", samengestelde_groepen=("s2",)),
        ),
        vestigingen=(lg.Vestiging("v1", "De Regenboog", "Hoofdvestiging"),),
    )


def test_codec_writes_and_reads_everything(uwlr_schemas: UwlrSchemas) -> None:
    gegevens = roepnaam_only()
    data = lg.render_answer("HaalLeerlinggegevens", gegevens)
    uwlr_schemas.validate(data)
    back = lg.parse_answer(data, "HaalLeerlinggegevens").gegevens
    assert back == gegevens
    assert b'<leerling key="001"><roepnaam>Noor</roepnaam><geboortedatum>' in data


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, str]]:
    core = Core.create(Database.memory())
    core.clock.set(SCHOOL_TIME)
    servers = {n: ServerThread(create_app({"flavour": n}, core=core)).start() for n in FLAVOURS}
    try:
        yield {name: server.url for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()


@pytest.mark.parametrize("flavour", sorted(FLAVOURS))
def test_the_testcentrum_imports_a_rich_school(served: dict[str, str], flavour: str) -> None:
    """The stand-in testcentrum's client and import take a rich answer over real HTTP: every
    pupil, in its stamgroep, none lost to the samengestelde groepen or the extra names."""
    url = served[flavour]
    made = requests.post(
        f"{url}/api/scholen",
        json={"brincode": "99RK", "schooljaar": SCHOOLJAAR, "seed": 3, "aantal_leerlingen": 50},
        timeout=30,
    ).json()
    key = requests.post(
        f"{url}/api/scholen/99RK/00/sleutels",
        json={"klantcode": KLANT[0], "klantnaam": KLANT[1]},
        timeout=10,
    ).json()["autorisatiesleutel"]
    client = LasClient(endpoint_of(flavour, url))
    got = client.haal_leerlinggegevens(
        Autorisatie(key, *KLANT), schooljaar=SCHOOLJAAR, brincode="99RK", dependancecode="00"
    )
    assert got.gegevens is not None
    assert {p.key for p in got.gegevens.leerlingen} == {
        p["leerlingnummer"] for p in made["leerlingen"]
    }
    store, db = BeheerStore(), Database.memory()
    db.create_all()
    with db.begin() as conn:
        result = store.sync(conn, "99RK-00", got.gegevens, SCHOOL_TIME)
        pupils = store.leerlingen(conn, "99RK-00")
    assert result.leerlingen == 50 and result.waarschuwingen == []
    assert {p.groep_key for p in pupils} <= {g.key for g in got.gegevens.stamgroepen}


def test_the_testcentrum_imports_a_roepnaam_only_pupil() -> None:
    """A pupil with only a roepnaam, one only in samengestelde groepen: imported, named."""
    store, db = BeheerStore(), Database.memory()
    db.create_all()
    with db.begin() as conn:
        result = store.sync(conn, "99AB-00", roepnaam_only(), SCHOOL_TIME)
        pupils = {p.leerlingnummer: p for p in store.leerlingen(conn, "99AB-00")}
    assert result.leerlingen == 3
    assert pupils["001"].naam == "Noor"
    assert pupils["002"].naam == "Bram de Visser"
    assert pupils["003"].groep_key is None


def test_a_rich_answer_for_the_largest_school_is_read() -> None:
    """5,000 rich pupils (the admin API's maximum) make an answer over the 2 MB request limit;
    the client side reads it (answers have their own, larger limit)."""
    school = generate_school(5, brincode="99AB", schooljaar=SCHOOLJAAR, aantal_leerlingen=5000)
    pupils = tuple(
        lg.Leerling(
            p.leerlingnummer,
            p.achternaam,
            p.roepnaam,
            p.voorvoegsel,
            p.geboortedatum,
            voornamen=p.voornamen,
            voorletters=p.voorletters,
            eckid=p.eckid,
            instroomdatum=p.instroomdatum,
            mutatiedatum=SCHOOL_TIME,
        )
        for p in school.pupils
    )
    data = lg.render_answer(
        "HaalLeerlinggegevens",
        lg.Leerlinggegevens(lg.School(SCHOOLJAAR, "99AB"), leerlingen=pupils),
    )
    assert len(data) > 2 * 1024 * 1024
    got = lg.parse_answer(data, "HaalLeerlinggegevens").gegevens
    assert got is not None and got.leerlingen == pupils


def test_two_pupils_added_with_one_seed_get_two_eckids(las: Las) -> None:
    """The generated ECK iD of an added pupil is unique at the school, whatever the seed."""
    made = [
        las.client.post("/api/scholen/99AB/00/leerlingen", json={"leerlingnummer": n, "seed": 7})
        for n in ("0000000001", "0000000002")
    ]
    assert [r.status_code for r in made] == [201, 201], [r.json for r in made]
    assert made[0].json["eckid"] != made[1].json["eckid"]
    answer(las, "HaalLeerlinggegevens")  # still unique in the answer, so still valid
