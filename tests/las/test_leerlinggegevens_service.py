"""What the LAS mocks answer: the seeded school, its changes since, the stepwise parts, quirks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from contracts.uwlr_xsd import UwlrSchemas
from koppeling.harness.service import Core
from koppeling.uwlr.leerlinggegevens import Antwoord, GroepRef, parse_answer
from tests.las.conftest import SCHOOL_TIME, Las, las_of


def ask(las: Las, operation: str = "HaalLeerlinggegevens", **kwargs: object) -> Antwoord:
    resp = las.post(las.request(operation, **kwargs))
    assert resp.status_code == 200, resp.data
    return parse_answer(resp.data, operation)


def test_haal_leerlinggegevens_gives_the_seeded_school(las: Las) -> None:
    """Every seeded pupil comes over with its leerlingnummer, names, group and bsn_ondwnr-4."""
    answer = ask(las)
    assert answer.kind == "gegevens" and answer.gegevens is not None
    got = {p.leerlingnummer: p for p in answer.gegevens.leerlingen}
    for seeded in las.school["leerlingen"]:
        pupil = got[seeded["leerlingnummer"]]
        assert (pupil.roepnaam, pupil.achternaam, pupil.voorvoegsel) == (
            seeded["roepnaam"],
            seeded["achternaam"],
            seeded["voorvoegsel"],
        )
        assert (pupil.groep, pupil.jaargroep, pupil.bsn_ondwnr_4) == (
            seeded["groep"],
            seeded["jaargroep"],
            seeded["bsn"][-4:],
        )
        assert pupil.geboortedatum is not None
        assert pupil.geboortedatum.isoformat() == seeded["geboortedatum"]
    assert len(got) == 40
    stam = {g.key for g in answer.gegevens.stamgroepen}
    assert all(p.groep in stam for p in answer.gegevens.leerlingen)
    assert {s.key for s in answer.gegevens.leerkrachten} == {
        s["key"] for s in las.school["leerkrachten"]
    }
    assert answer.gegevens.school.brincode == "99AB"


def test_parnassys_always_shows_samengestelde_groepen(parnassys: Las) -> None:
    """ParnasSys sends samengestelde groepen and the pupils' membership."""
    gegevens = ask(parnassys).gegevens
    assert gegevens is not None
    assert [g.naam for g in gegevens.samengestelde_groepen] == ["Plusklas", "Taalklas"]
    assert any(p.samengestelde_groepen for p in gegevens.leerlingen)


def test_esis_hides_samengestelde_groepen_unless_enabled(
    esis: Las, core: Core, uwlr_schemas: UwlrSchemas
) -> None:
    """ESIS shows samengestelde groepen only for a school that enabled them: a rich school
    (the default) does, a minimal one does not, and ``samengestelde_groepen`` overrides both."""
    shown = ask(esis).gegevens
    assert shown is not None and len(shown.samengestelde_groepen) == 2
    hidden_las = las_of("esis", core, uwlr_schemas, brincode="99EG", samengestelde_groepen=False)
    hidden = ask(hidden_las, brincode="99EG").gegevens
    assert hidden is not None and not hidden.samengestelde_groepen
    assert not any(p.samengestelde_groepen for p in hidden.leerlingen)
    assert not any(s.samengestelde_groepen for s in hidden.leerkrachten)
    minimal = las_of("esis", core, uwlr_schemas, brincode="99EH", profiel="minimaal")
    assert not minimal.school["samengestelde_groepen"]
    enabled = las_of(
        "esis", core, uwlr_schemas, brincode="99EF", profiel="minimaal", samengestelde_groepen=True
    )
    again = ask(enabled, brincode="99EF").gegevens
    assert again is not None and len(again.samengestelde_groepen) == 2


def test_nothing_changed_since_is_geenwijzigingen(las: Las) -> None:
    """laatstontvangengegevens after the last change: geenwijzigingen; before it: the data."""
    after = SCHOOL_TIME + timedelta(minutes=1)
    assert ask(las, laatstontvangengegevens=after).kind == "geenwijzigingen"
    assert ask(las, "HaalStructuur", laatstontvangengegevens=after).kind == "geenwijzigingen"
    before = SCHOOL_TIME - timedelta(days=1)
    assert ask(las, laatstontvangengegevens=before).kind == "gegevens"


def test_a_change_is_stamped_by_the_school_clock(las: Las) -> None:
    """A pupil changed later (school's own clock) makes the next sync carry data again."""
    las.core.clock.set(SCHOOL_TIME + timedelta(days=30), brincode="99AB", dependancecode="00")
    nummer = las.school["leerlingen"][2]["leerlingnummer"]
    resp = las.client.patch(f"/api/scholen/99AB/00/leerlingen/{nummer}", json={"roepnaam": "Anouk"})
    assert resp.status_code == 200
    answer = ask(las, laatstontvangengegevens=SCHOOL_TIME + timedelta(days=1))
    assert answer.kind == "gegevens" and answer.gegevens is not None
    pupil = next(p for p in answer.gegevens.leerlingen if p.leerlingnummer == nummer)
    assert pupil.roepnaam == "Anouk"
    assert pupil.mutatiedatum == SCHOOL_TIME + timedelta(days=30)
    assert (
        ask(las, laatstontvangengegevens=SCHOOL_TIME + timedelta(days=31)).kind == "geenwijzigingen"
    )


def test_a_removed_pupil_is_gone_and_counts_as_a_change(las: Las) -> None:
    """Deleting a pupil stamps a change; the next answer no longer holds it."""
    las.core.clock.advance(3600)
    nummer = las.school["leerlingen"][0]["leerlingnummer"]
    assert las.client.delete(f"/api/scholen/99AB/00/leerlingen/{nummer}").status_code == 204
    answer = ask(las, laatstontvangengegevens=SCHOOL_TIME + timedelta(minutes=1))
    assert answer.gegevens is not None
    assert nummer not in {p.leerlingnummer for p in answer.gegevens.leerlingen}


def test_other_schooljaar_is_geengegevens(las: Las) -> None:
    """A schooljaar the school has no data for answers geengegevens."""
    assert ask(las, schooljaar="2023-2024").kind == "geengegevens"


def test_school_without_pupils(las: Las, core: Core, uwlr_schemas: UwlrSchemas) -> None:
    """No pupils: HaalLeerlinggegevens is geengegevens, the structure is still there."""
    empty = las_of(las.flavour, core, uwlr_schemas, brincode="99GH", aantal_leerlingen=0)
    assert ask(empty, brincode="99GH").kind == "geengegevens"
    assert ask(empty, "HaalStructuur", brincode="99GH").kind == "gegevens"


def test_stepwise_structuur_then_per_group(las: Las) -> None:
    """HaalStructuur gives the groups; HaalLeerlingen/HaalLeerkrachten per group give its part."""
    structuur = ask(las, "HaalStructuur").gegevens
    assert structuur is not None and not structuur.leerlingen
    assert {g.key for g in structuur.groepen} >= {
        g["key"] for g in las.school["groepen"] if not g["samengesteld"]
    }
    group = structuur.stamgroepen[4]
    leerlingen = ask(las, "HaalLeerlingen", groepen=[GroepRef(group.key)]).gegevens
    expected = {p["leerlingnummer"] for p in las.school["leerlingen"] if p["groep"] == group.key}
    assert leerlingen is not None and expected
    assert {p.leerlingnummer for p in leerlingen.leerlingen} == expected
    leerkrachten = ask(las, "HaalLeerkrachten", groepen=[GroepRef(group.key)]).gegevens
    assert leerkrachten is not None
    assert [s.groepen for s in leerkrachten.leerkrachten] == [(group.key,)]


def test_stepwise_all_groups_equals_the_whole(las: Las) -> None:
    """Asking every group stepwise gives the same pupils and staff as HaalLeerlinggegevens."""
    whole = ask(las).gegevens
    leerlingen = ask(las, "HaalLeerlingen").gegevens
    leerkrachten = ask(
        las,
        "HaalLeerkrachten",
        groepen=[GroepRef(g["key"], g["samengesteld"]) for g in las.school["groepen"]]
        + [GroepRef(None)],
    ).gegevens
    assert whole is not None and leerlingen is not None and leerkrachten is not None
    assert {p.key for p in leerlingen.leerlingen} == {p.key for p in whole.leerlingen}
    assert {s.key for s in leerkrachten.leerkrachten} == {s.key for s in whole.leerkrachten}


def test_stepwise_unbound_and_unknown_groups(las: Las) -> None:
    """No pupil is outside a group, so GroepRef(None) and unknown keys give geengegevens."""
    assert ask(las, "HaalLeerlingen", groepen=[GroepRef(None)]).kind == "geengegevens"
    assert ask(las, "HaalLeerkrachten", groepen=[GroepRef("G9Z")]).kind == "geengegevens"


def test_staff_without_group_comes_with_groepref_none(parnassys: Las) -> None:
    """The intern begeleider (no stamgroep) is in the staff 'not bound to a group'."""
    gegevens = ask(parnassys, "HaalLeerkrachten", groepen=[GroepRef(None)]).gegevens
    assert gegevens is not None
    assert [s.groepen for s in gegevens.leerkrachten] == [()]


def test_answer_time_is_the_school_clock(las: Las) -> None:
    """aanmaakdatum is the school's now (the clock is frozen in the fixture)."""
    gegevens = ask(las).gegevens
    assert gegevens is not None
    assert gegevens.school.aanmaakdatum == datetime(2024, 10, 1, 8, tzinfo=UTC)
