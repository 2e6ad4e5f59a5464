"""Deterministic synthetic schools: groups, pupils and staff from Faker (nl_NL) and a seed.

Every LAS school, demo and scenario starts here. Nothing is real: BSNs come from the test range
9999xxxxx (and pass the 11-proef, so validators accept them), BRIN codes are the caller's test
codes, e-mail addresses end in ``.example``. The same seed gives the same school byte for byte
(:meth:`FakeSchool.to_json`), so a failing scenario can be replayed from the seed it prints.

Randomness comes only from a ``random.Random(seed)`` and a Faker instance seeded with
``seed_instance``; nothing touches the global random state.

The optional content a real LAS carries (``voornamen``, ``voorletters``, ``eckid``,
``instroomdatum``) is drawn from a second pair of sources seeded from the same seed
(``_Rich``), so adding it changed none of the values drawn before it: a seed's names, numbers
and groups are what they always were.

Public: :func:`generate_school`, :func:`new_pupil`, :func:`test_bsn`, :func:`elfproef`,
:func:`jaargroep_birth_range`, :func:`test_eckid`, ``ECKID_PATTERN`` and the records
:class:`FakeSchool`, :class:`FakeGroup`, :class:`FakePupil`, :class:`FakeStaff`.
"""

from __future__ import annotations

import json
import math
import random
import re
import unicodedata
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Faker is imported when data is generated, not at start-up
    from faker import Faker

GROUP_SIZE = 27
ANIMALS = (
    "Dolfijnen",
    "Egels",
    "Vossen",
    "Uilen",
    "Bevers",
    "Zeehonden",
    "Vlinders",
    "Kikkers",
    "Pinguïns",
    "Eekhoorns",
    "Otters",
    "Reigers",
    "Schildpadden",
    "Lieveheersbeestjes",
    "Kanjers",
    "Zwaluwen",
    "Dassen",
    "Herten",
    "IJsvogels",
    "Valken",
    "Wolven",
    "Beren",
    "Leeuwen",
    "Koala's",
)
COMBINED = (
    ("Plusklas", "Leerlingen met een verrijkingsprogramma"),
    ("Taalklas", "Extra ondersteuning Nederlandse taal"),
)
VOORVOEGSELS = (
    "van der",
    "van den",
    "van de",
    "in 't",
    "op de",
    "van",
    "de",
    "den",
    "ter",
    "ten",
    "het",
    "'t",
)
GESLACHT_WEIGHTS = (("1", 49), ("2", 49), ("9", 1), ("0", 1))
# The ECK iD as the chain issues it: the base URI of the 2017-03 scheme and a 128-hex pseudonym.
# Ours are random hex from the seed: pattern-valid, and no real pupil's.
ECKID_BASE = "https://ketenid.nl/201703/"
ECKID_PATTERN = re.compile(r"https://ketenid\.nl/201703/[0-9a-f]{128}")


@dataclass(frozen=True)
class FakeGroup:
    """A stamgroep (``jaargroep`` "1"-"8") or a samengestelde groep (``jaargroep`` None)."""

    key: str
    naam: str
    jaargroep: str | None
    samengesteld: bool = False
    omschrijving: str | None = None


@dataclass(frozen=True)
class FakePupil:
    """A pupil; ``leerlingnummer`` is a 10-digit string (leading zeros kept)."""

    leerlingnummer: str
    roepnaam: str
    voorvoegsel: str | None
    achternaam: str
    geboortedatum: date
    geslacht: str
    jaargroep: str
    groep: str
    samengestelde_groepen: tuple[str, ...]
    bsn: str
    voornamen: str | None = None
    voorletters: str | None = None
    eckid: str | None = None
    instroomdatum: date | None = None

    @property
    def bsn_ondwnr_4(self) -> str:
        return self.bsn[-4:]


@dataclass(frozen=True)
class FakeStaff:
    """A staff member with the groups they teach (none for an intern begeleider)."""

    key: str
    roepnaam: str
    voorvoegsel: str | None
    achternaam: str
    emailadres: str
    groepen: tuple[str, ...]
    samengestelde_groepen: tuple[str, ...] = ()


@dataclass(frozen=True)
class FakeSchool:
    """A whole synthetic school, reproducible from ``seed``."""

    seed: int
    brincode: str
    dependancecode: str
    schooljaar: str
    naam: str
    groups: tuple[FakeGroup, ...]
    pupils: tuple[FakePupil, ...]
    staff: tuple[FakeStaff, ...]

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for pupil, raw in zip(self.pupils, data["pupils"], strict=True):
            raw["geboortedatum"] = pupil.geboortedatum.isoformat()
            raw["instroomdatum"] = (
                pupil.instroomdatum.isoformat() if pupil.instroomdatum is not None else None
            )
            raw["bsn_ondwnr_4"] = pupil.bsn_ondwnr_4
        return data

    def to_json(self) -> str:
        """Canonical JSON: the byte-for-byte identity of a seed's school."""
        return json.dumps(self.as_json(), sort_keys=True, ensure_ascii=False)


# --- identifiers -------------------------------------------------------------------------------


def elfproef(number: str) -> bool:
    """The BSN 11-proef: weights 9..2 and -1, the sum divisible by 11."""
    if not re.fullmatch(r"\d{9}", number):
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(int(d) * w for d, w in zip(number, weights, strict=True)) % 11 == 0


def test_bsn(rng: random.Random) -> str:
    """A BSN in the test range 9999xxxxx that passes the 11-proef."""
    while True:
        head = "9999" + f"{rng.randrange(10_000):04d}"
        check = sum(int(d) * w for d, w in zip(head, (9, 8, 7, 6, 5, 4, 3, 2), strict=True)) % 11
        if check < 10:
            return head + str(check)


test_bsn.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name


def test_eckid(rng: random.Random) -> str:
    """A synthetic ECK iD: the chain's URI form with a random 128-hex pseudonym."""
    return ECKID_BASE + f"{rng.getrandbits(512):0128x}"


test_eckid.__test__ = False  # type: ignore[attr-defined]


def jaargroep_birth_range(jaargroep: int, schooljaar: str) -> tuple[date, date]:
    """Birth dates of a pupil of the usual age for a jaargroep (groep 1 = 4 on 1 October)."""
    start_year = int(schooljaar[:4])
    first = date(start_year - jaargroep - 4, 10, 2)
    return first, date(start_year - jaargroep - 3, 10, 1)


def _split_achternaam(full: str) -> tuple[str | None, str]:
    """(voorvoegsel, achternaam) as a LAS keeps them (NEN 1888): a known voorvoegsel, and any
    lowercase particle after it ("de la Fleche" -> "de la", "Fleche"), so an achternaam never
    starts with a lowercase word (Schoolkr8 and the testcentrum then show the same name)."""
    prefix: str | None = None
    for known in VOORVOEGSELS:
        if full.startswith(known + " ") and len(full) > len(known) + 1:
            prefix, full = known, full[len(known) + 1 :]
            break
    words = full.split(" ")
    while len(words) > 1 and words[0].islower():
        longer = f"{prefix} {words[0]}" if prefix else words[0]
        if len(longer) > 10:  # EDEXVoorvoegselType: at most 10 characters
            break
        prefix, words = longer, words[1:]
    return prefix, " ".join(words)


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", plain.lower())


# --- generation --------------------------------------------------------------------------------


def _faker(seed: int) -> Faker:
    """A Faker (nl_NL) seeded with ``seed``; imported here, when data is first generated."""
    from faker import Faker

    faker = Faker("nl_NL")
    faker.seed_instance(seed)
    return faker


class _Maker:
    """The seeded sources of one school: our Random for choices, Faker for names."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.faker = _faker(seed)
        self.numbers: set[str] = set()
        self.bsns: set[str] = set()

    def leerlingnummer(self, leading_zero: bool = False) -> str:
        while True:
            value = f"{self.rng.randrange(10**9 if leading_zero else 10**10):010d}"
            if value not in self.numbers:
                self.numbers.add(value)
                return value

    def bsn(self) -> str:
        while True:
            value = test_bsn(self.rng)
            if value not in self.bsns:
                self.bsns.add(value)
                return value

    def person(self, geslacht: str) -> tuple[str, str | None, str]:
        if geslacht == "1":
            roepnaam = self.faker.first_name_male()
        elif geslacht == "2":
            roepnaam = self.faker.first_name_female()
        else:
            roepnaam = self.faker.first_name()
        voorvoegsel, achternaam = _split_achternaam(self.faker.last_name())
        return roepnaam, voorvoegsel, achternaam

    def geslacht(self) -> str:
        codes = [code for code, _ in GESLACHT_WEIGHTS]
        weights = [weight for _, weight in GESLACHT_WEIGHTS]
        return self.rng.choices(codes, weights)[0]

    def birthdate(self, jaargroep: int, schooljaar: str) -> date:
        first, last = jaargroep_birth_range(jaargroep, schooljaar)
        return first + timedelta(days=self.rng.randrange((last - first).days + 1))


class _Rich:
    """The sources of the optional content (second names, ECK iD, instroomdatum), seeded apart
    from :class:`_Maker` so the values drawn there stay exactly what they were."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"rijk:{seed}")
        self.faker = _faker(seed ^ 0x5EED)
        self.eckids: set[str] = set()

    def first_name(self, geslacht: str) -> str:
        if geslacht == "1":
            return str(self.faker.first_name_male())
        if geslacht == "2":
            return str(self.faker.first_name_female())
        return str(self.faker.first_name())

    def enrich(self, pupil: FakePupil, schooljaar: str) -> FakePupil:
        """The pupil with voornamen (the roepnaam first, up to two more), voorletters, an ECK iD
        and the day they came to the school."""
        names = [pupil.roepnaam]
        for _ in range(self.rng.choice((0, 1, 1, 2))):
            extra = self.first_name(pupil.geslacht)
            if extra not in names and " " not in extra:
                names.append(extra)
        voornamen = " ".join(names)
        voorletters = "".join(n[0].upper() + "." for n in names)[:6]
        while True:
            eckid = test_eckid(self.rng)
            if eckid not in self.eckids:
                self.eckids.add(eckid)
                break
        return replace(
            pupil,
            voornamen=voornamen[:200],
            voorletters=voorletters,
            eckid=eckid,
            instroomdatum=self.instroomdatum(pupil, schooljaar),
        )

    def instroomdatum(self, pupil: FakePupil, schooljaar: str) -> date:
        """Mostly the day after the fourth birthday; one in eight came later (zij-instroom),
        on the first school day of a later year, never after this schooljaar's start."""
        born = pupil.geboortedatum
        try:
            vier = born.replace(year=born.year + 4)
        except ValueError:  # 29 February
            vier = date(born.year + 4, 3, 1)
        start = date(int(schooljaar[:4]), 8, 20)
        if self.rng.random() < 0.125 and vier.year + 1 < start.year:
            return date(self.rng.randrange(vier.year + 1, start.year + 1), 8, 20)
        return min(vier + timedelta(days=1), start)


def _groups(maker: _Maker, aantal: int) -> list[FakeGroup]:
    per_jaar = max(1, math.ceil(aantal / 8 / GROUP_SIZE))
    animals = per_jaar == 1 and maker.rng.random() < 0.5
    names = maker.rng.sample(ANIMALS, 8) if animals else []
    groups = []
    for jaargroep in range(1, 9):
        for index in range(per_jaar):
            naam = names[jaargroep - 1] if animals else f"{jaargroep}{chr(ord('A') + index)}"
            groups.append(FakeGroup(f"G{jaargroep}{chr(ord('A') + index)}", naam, str(jaargroep)))
    for index, (naam, omschrijving) in enumerate(COMBINED, start=1):
        groups.append(FakeGroup(f"SG{index}", naam, None, True, omschrijving))
    return groups


def _pupil(
    maker: _Maker,
    group: FakeGroup,
    schooljaar: str,
    combined: list[FakeGroup],
    *,
    leading_zero: bool = False,
) -> FakePupil:
    """One pupil of ``group``, the right age for its jaargroep."""
    jaargroep = int(group.jaargroep or "1")
    geslacht = maker.geslacht()
    roepnaam, voorvoegsel, achternaam = maker.person(geslacht)
    extra = tuple(g.key for g in combined if jaargroep >= 3 and maker.rng.random() < 0.1)
    return FakePupil(
        leerlingnummer=maker.leerlingnummer(leading_zero),
        roepnaam=roepnaam,
        voorvoegsel=voorvoegsel,
        achternaam=achternaam,
        geboortedatum=maker.birthdate(jaargroep, schooljaar),
        geslacht=geslacht,
        jaargroep=str(jaargroep),
        groep=group.key,
        samengestelde_groepen=extra,
        bsn=maker.bsn(),
    )


def _staff(maker: _Maker, groups: list[FakeGroup], domain: str) -> list[FakeStaff]:
    staff = []
    taken: set[str] = set()
    stam = [g for g in groups if not g.samengesteld]
    combined = [g for g in groups if g.samengesteld]
    teachers = [(g.key,) for g in stam] + [()]  # one per group, plus an intern begeleider
    for index, groepen in enumerate(teachers, start=1):
        roepnaam, voorvoegsel, achternaam = maker.person(maker.geslacht())
        local = f"{_ascii(roepnaam)[:1]}.{_ascii((voorvoegsel or '') + achternaam)}"
        while local in taken:
            local += str(index)
        taken.add(local)
        sg = tuple(g.key for g in combined) if index == len(teachers) else ()
        staff.append(
            FakeStaff(
                f"LK{index:03d}",
                roepnaam,
                voorvoegsel,
                achternaam,
                f"{local}@{domain}",
                groepen,
                sg,
            )
        )
    return staff


def generate_school(
    seed: int,
    *,
    brincode: str,
    dependancecode: str = "00",
    schooljaar: str,
    naam: str | None = None,
    aantal_leerlingen: int = 60,
) -> FakeSchool:
    """A school of ``aantal_leerlingen`` pupils spread over jaargroep 1-8, the same for a seed.

    Groups are named after animals ("Dolfijnen") or year and letter ("7B"); two samengestelde
    groepen (Plusklas, Taalklas) always exist (the LAS decides whether to show them). The first
    pupil's leerlingnummer starts with a zero, so clients meet one from the start.
    """
    if aantal_leerlingen < 0:
        raise ValueError(f"aantal_leerlingen must be >= 0, got {aantal_leerlingen}")
    maker = _Maker(seed)
    naam = naam or f"Basisschool {maker.faker.last_name()}"
    groups = _groups(maker, aantal_leerlingen)
    stam = [g for g in groups if not g.samengesteld]
    combined = [g for g in groups if g.samengesteld]
    pupils = [
        _pupil(
            maker,
            stam[i * len(stam) // max(aantal_leerlingen, 1)],
            schooljaar,
            combined,
            leading_zero=i == 0,
        )
        for i in range(aantal_leerlingen)
    ]
    rich = _Rich(seed)
    pupils = [rich.enrich(p, schooljaar) for p in pupils]
    domain = f"{brincode.lower()}{dependancecode}.school.example"
    return FakeSchool(
        seed,
        brincode,
        dependancecode,
        schooljaar,
        naam,
        tuple(groups),
        tuple(pupils),
        tuple(_staff(maker, groups, domain)),
    )


def new_pupil(
    seed: int,
    group: FakeGroup,
    schooljaar: str,
    taken: set[str],
    taken_eckids: set[str] | None = None,
) -> FakePupil:
    """One extra pupil for ``group`` (sync tests), reproducible from ``seed``; its leerlingnummer
    is not in ``taken`` and its ECK iD not in ``taken_eckids`` (two pupils added with one seed
    are two pupils)."""
    maker = _Maker(seed)
    maker.numbers.update(taken)
    rich = _Rich(seed)
    rich.eckids.update(taken_eckids or ())
    return rich.enrich(_pupil(maker, group, schooljaar, []), schooljaar)
