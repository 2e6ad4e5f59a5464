"""The simulated norm model: plausible figures, pure and deterministic (docs/architecture.md's
scales)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mocks.testcentrum.afnames import norms
from mocks.testcentrum.afnames.norms import TOETSEN, normeer

TOETS_NAMES = sorted(TOETSEN)
DATES = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
GROEPEN = st.integers(min_value=1, max_value=8)
NIVEAUS = ["V", "IV", "III", "II", "I"]  # worst to best


@st.composite
def afnames(draw: st.DrawFn) -> tuple[str, int, int, date]:
    naam = draw(st.sampled_from(TOETS_NAMES))
    score = draw(st.integers(min_value=0, max_value=TOETSEN[naam].max_score))
    return naam, score, draw(GROEPEN), draw(DATES)


def test_the_six_tests_of_the_testcentrum_are_known() -> None:
    assert set(TOETSEN) == {"LVS RW 2019", "LVS BL", "PI-dictee", "TTA", "Hoofdrekenen", "Spelling"}


@pytest.mark.parametrize(
    ("groep", "day", "dl", "moment"),
    [
        (3, date(2027, 1, 20), 5, "M3"),
        (3, date(2027, 2, 10), 6, "M3"),
        (3, date(2027, 6, 15), 10, "E3"),
        (4, date(2027, 5, 20), 19, "E4"),
        (6, date(2026, 9, 15), 31, "M6"),
        (8, date(2027, 1, 25), 55, "M8"),
        (8, date(2027, 6, 5), 60, "E8"),
        (8, date(2027, 7, 5), 60, "E8"),
        (3, date(2026, 8, 20), 0, "M3"),
        (2, date(2027, 6, 1), 0, "E3"),
    ],
)
def test_dl_and_afnamemoment_follow_the_school_year(
    groep: int, day: date, dl: int, moment: str
) -> None:
    assert norms.didactische_leeftijd(groep, day) == dl
    assert norms.afnamemoment(groep, day) == moment


@pytest.mark.parametrize(
    ("pct", "niveau", "ae"),
    [
        (99, "I", "A"),
        (81, "I", "A"),
        (80, "II", "A"),
        (76, "II", "A"),
        (75, "II", "B"),
        (61, "II", "B"),
        (60, "III", "B"),
        (51, "III", "B"),
        (50, "III", "C"),
        (41, "III", "C"),
        (40, "IV", "C"),
        (26, "IV", "C"),
        (25, "IV", "D"),
        (21, "IV", "D"),
        (20, "V", "D"),
        (11, "V", "D"),
        (10, "V", "E"),
        (1, "V", "E"),
    ],
)
def test_niveau_bands_at_their_edges(pct: int, niveau: str, ae: str) -> None:
    assert norms.niveau(pct) == niveau
    assert norms.niveau_ae(pct) == ae


def test_an_average_pupil_scores_around_the_middle() -> None:
    t = TOETSEN["LVS RW 2019"]
    for groep, day in ((3, date(2027, 1, 20)), (5, date(2027, 6, 1)), (8, date(2027, 1, 20))):
        dl = norms.didactische_leeftijd(groep, day)
        mean = norms.gemiddelde(t, dl)
        assert 45 <= norms.percentiel(t, mean, dl) <= 55
        assert abs(norms.didactische_leeftijdsequivalent(t, mean) - dl) <= 1


def test_a_special_education_pupil_far_below_their_dl_has_a_large_achterstand() -> None:
    result = normeer("LVS BL", 8, 7, date(2027, 1, 20))
    assert result.dl == 45
    assert result.achterstand >= 30
    assert (result.niveau, result.niveau_ae) == ("V", "E")


@pytest.mark.parametrize(
    ("args", "word"),
    [
        (("Cito Rekenen", 10, 5, date(2027, 1, 20)), "toets"),
        (("LVS BL", 51, 5, date(2027, 1, 20)), "ruwe_score"),
        (("LVS BL", -1, 5, date(2027, 1, 20)), "ruwe_score"),
        (("LVS BL", True, 5, date(2027, 1, 20)), "ruwe_score"),
        (("LVS BL", 10, 9, date(2027, 1, 20)), "groep"),
        (("LVS BL", 10, 0, date(2027, 1, 20)), "groep"),
    ],
)
def test_bad_input_is_a_value_error_naming_the_field(args: tuple[Any, ...], word: str) -> None:
    with pytest.raises(ValueError, match=word):
        normeer(*args)


@given(afnames())
def test_figures_stay_in_their_ranges(afname: tuple[str, int, int, date]) -> None:
    result = normeer(*afname)
    assert 1 <= result.percentiel <= 99
    assert 0 <= result.dl <= 60
    assert 0 <= result.dle <= 60
    assert result.achterstand == result.dl - result.dle
    assert result.vaardigheidsscore >= 0
    assert result.afnamemoment[0] in "ME" and 3 <= int(result.afnamemoment[1:]) <= 8


@given(afnames())
def test_niveau_agrees_with_percentiel(afname: tuple[str, int, int, date]) -> None:
    result = normeer(*afname)
    fifth = NIVEAUS[min(4, (result.percentiel - 1) // 20)]
    assert result.niveau == fifth
    ae = (
        "E"
        if result.percentiel <= 10
        else "D"
        if result.percentiel <= 25
        else ("C" if result.percentiel <= 50 else "B" if result.percentiel <= 75 else "A")
    )
    assert result.niveau_ae == ae


@given(afnames(), st.integers(min_value=1, max_value=20))
def test_monotone_in_the_ruwe_score(afname: tuple[str, int, int, date], step: int) -> None:
    naam, score, groep, day = afname
    higher = min(TOETSEN[naam].max_score, score + step)
    low, high = normeer(naam, score, groep, day), normeer(naam, higher, groep, day)
    assert high.vaardigheidsscore >= low.vaardigheidsscore
    assert high.percentiel >= low.percentiel
    assert high.dle >= low.dle
    assert NIVEAUS.index(high.niveau) >= NIVEAUS.index(low.niveau)


@given(afnames())
def test_pure_and_deterministic(afname: tuple[str, int, int, date]) -> None:
    assert normeer(*afname) == normeer(*afname)


def test_full_marks_beat_zero_on_every_test() -> None:
    for naam, t in TOETSEN.items():
        assert norms.vaardigheidsscore(t, t.max_score) > norms.vaardigheidsscore(t, 0), naam
