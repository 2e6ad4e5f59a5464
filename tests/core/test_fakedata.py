"""Synthetic schools: deterministic per seed, realistic, and never real identifiers."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from koppeling.fakedata import (
    FakeSchool,
    _split_achternaam,
    elfproef,
    generate_school,
    jaargroep_birth_range,
    new_pupil,
    test_bsn,
)


def school(seed: int = 42, aantal: int = 120) -> FakeSchool:
    return generate_school(
        seed, brincode="99AB", dependancecode="00", schooljaar="2026-2027", aantal_leerlingen=aantal
    )


def test_same_seed_same_school_byte_for_byte() -> None:
    """The canonical JSON of two generations from one seed is identical."""
    assert school(42).to_json().encode() == school(42).to_json().encode()


def test_other_seed_other_school() -> None:
    """A different seed gives different pupils."""
    assert school(42).to_json() != school(43).to_json()


def test_global_random_state_is_left_alone() -> None:
    """Generating a school neither reads nor moves the global random generator."""
    random.seed(1)
    expected = random.random()
    random.seed(1)
    school(5)
    assert random.random() == expected


def test_leerlingnummers_are_unique_ten_digit_strings_with_a_leading_zero() -> None:
    """Numbers are 10-digit strings, unique, and the first starts with 0."""
    numbers = [p.leerlingnummer for p in school().pupils]
    assert all(isinstance(n, str) and len(n) == 10 and n.isdigit() for n in numbers)
    assert len(set(numbers)) == len(numbers)
    assert numbers[0].startswith("0")


def test_bsns_are_test_range_and_pass_the_elfproef() -> None:
    """Every BSN is 9999xxxxx, passes the 11-proef, is unique; bsn_ondwnr-4 is its tail."""
    pupils = school().pupils
    assert all(p.bsn.startswith("9999") and elfproef(p.bsn) for p in pupils)
    assert len({p.bsn for p in pupils}) == len(pupils)
    assert all(p.bsn_ondwnr_4 == p.bsn[-4:] for p in pupils)


@pytest.mark.parametrize(
    "number, valid",
    [
        ("999999991", False),
        ("999999990", True),
        ("111222333", True),
        ("123456782", True),
        ("12345678", False),
    ],
)
def test_elfproef(number: str, valid: bool) -> None:
    """The 11-proef with weights 9..2, -1."""
    assert elfproef(number) is valid


def test_test_bsn_is_valid() -> None:
    """Generated BSNs are all valid test numbers."""
    rng = random.Random(3)
    assert all(elfproef(b) and b.startswith("9999") for b in (test_bsn(rng) for _ in range(200)))


def test_jaargroep_matches_age() -> None:
    """Each pupil is of the usual age for its jaargroep and sits in a group of that jaargroep."""
    s = school()
    groups = {g.key: g for g in s.groups}
    for p in s.pupils:
        first, last = jaargroep_birth_range(int(p.jaargroep), s.schooljaar)
        assert first <= p.geboortedatum <= last
        assert groups[p.groep].jaargroep == p.jaargroep
    # groep 8 in 2026-2027: eleven on 1 October 2026
    assert jaargroep_birth_range(8, "2026-2027") == (date(2014, 10, 2), date(2015, 10, 1))


def test_every_jaargroep_has_a_group_and_names_look_dutch() -> None:
    """Groups cover 1-8; names are animals or year+letter; two samengestelde groepen."""
    for seed in range(6):
        s = school(seed, aantal=60)
        stam = [g for g in s.groups if not g.samengesteld]
        assert sorted({g.jaargroep for g in stam}) == [str(j) for j in range(1, 9)]
        assert all(g.naam[0].isupper() or g.naam[0].isdigit() for g in stam)
        assert [g.naam for g in s.groups if g.samengesteld] == ["Plusklas", "Taalklas"]
    large = school(1, aantal=1000)
    assert any(g.naam == "7B" for g in large.groups)


def test_names_and_geslacht() -> None:
    """Pupils have roepnaam and achternaam, a voorvoegsel split off, geslacht in 0/1/2/9."""
    pupils = school(aantal=400).pupils
    assert all(p.roepnaam and p.achternaam for p in pupils)
    assert any(p.voorvoegsel for p in pupils)
    assert all(p.voorvoegsel is None or len(p.voorvoegsel) <= 10 for p in pupils)
    assert {p.geslacht for p in pupils} <= {"0", "1", "2", "9"}


def test_staff_is_linked_to_groups() -> None:
    """One teacher per stamgroep, plus an IB'er on the samengestelde groepen; synthetic mail."""
    s = school()
    stam = {g.key for g in s.groups if not g.samengesteld}
    taught = {key for member in s.staff for key in member.groepen}
    assert taught == stam
    assert any(member.samengestelde_groepen == ("SG1", "SG2") for member in s.staff)
    assert all(member.emailadres.endswith(".example") for member in s.staff)
    assert len({member.emailadres for member in s.staff}) == len(s.staff)


def test_new_pupil_avoids_taken_numbers() -> None:
    """An added pupil is reproducible and never reuses a taken leerlingnummer."""
    s = school()
    group = s.groups[3]
    taken = {p.leerlingnummer for p in s.pupils}
    first = new_pupil(9, group, s.schooljaar, taken)
    assert first == new_pupil(9, group, s.schooljaar, taken)
    assert first.leerlingnummer not in taken and first.groep == group.key


def test_negative_count_is_refused() -> None:
    """A negative pupil count is a ValueError naming the argument."""
    with pytest.raises(ValueError, match="aantal_leerlingen"):
        school(aantal=-1)


def test_same_school_in_another_process() -> None:
    """Replaying a seed in a fresh interpreter (another hash seed) gives the same bytes."""
    code = (
        "from koppeling.fakedata import generate_school as g; import sys; "
        "sys.stdout.write(g(42, brincode='99AB', dependancecode='00', schooljaar='2026-2027',"
        " aantal_leerlingen=120).to_json())"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        check=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.decode("utf-8") == school(42).to_json()


@pytest.mark.parametrize(
    "full, expected",
    [
        ("van der Berg", ("van der", "Berg")),
        ("de la Fleche", ("de la", "Fleche")),  # Faker's; "la Fleche" broke the name lists
        ("la Fleche", ("la", "Fleche")),
        ("Jansen", (None, "Jansen")),
        ("van der de la Berg", ("van der de", "la Berg")),  # but at most 10 characters
    ],
)
def test_particles_go_into_the_voorvoegsel(full: str, expected: tuple[str | None, str]) -> None:
    """The LAS keeps particles in the voorvoegsel (NEN 1888), so Schoolkr8's list and the
    testcentrum's show a pupil under the same name."""
    assert _split_achternaam(full) == expected
