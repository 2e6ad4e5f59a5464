"""A small, deterministic, SIMULATED norm model for the stand-in testcentrum.

The real Boom norm tables are not public and not needed: the koppeling only has to carry *plausible*
normed figures (docs/architecture.md) from the testcentrum to the dashboard. So every test here is
modelled on one vertical scale:

* the **vaardigheidsscore** is a logistic transform of the ruwe score (strictly increasing, then
  rounded, so never decreasing in the ruwe score);
* the average vaardigheidsscore grows with the **DL** (didactische leeftijd: months of schooling
  from groep 3, 10 per school year, 0..60) along a saturating curve, with a fixed spread;
* the **percentiel** (1..99) is where the score falls in the normal distribution of its DL;
* the **DLE** is the DL whose average equals the score (same 0..60 scale); achterstand = DL - DLE;
* **niveau I-V** is the percentiel in fifths (I = P81-99 ... V = P1-20) and **A-E** in the 25/25/25/
  15/10 % bands (A = P76-99, B = P51-75, C = P26-50, D = P11-25, E = P1-10);
* the **afnamemoment** is M3 ... M8 (midden: January/February) or E3 ... E8 (eind: May/June).

All functions are pure: same input, same output, no clock, no store.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

NORM_MODEL = "gesimuleerd-v1"
MAX_DL = 60
MONTHS_PER_YEAR = 10

# Months of schooling completed in a school year, by calendar month (a year starts in August;
# July counts as a full year: the summer holiday adds nothing).
_MONTHS_IN_YEAR = {8: 0, 9: 1, 10: 2, 11: 3, 12: 4, 1: 5, 2: 6, 3: 7, 4: 8, 5: 9, 6: 10, 7: 10}


@dataclass(frozen=True)
class Toets:
    """One test the testcentrum offers, with the parameters of its simulated norm."""

    naam: str
    code: str
    vakgebied: str
    max_score: int
    center: float  # vaardigheidsscore of a 50 % ruwe score
    scale: float  # vaardigheidsscore points per logit

    @property
    def low(self) -> float:
        """Average vaardigheidsscore at DL 0."""
        return self.center - 1.8 * self.scale

    @property
    def high(self) -> float:
        """Average vaardigheidsscore at DL 60."""
        return self.center + 1.8 * self.scale

    @property
    def spread(self) -> float:
        """Standard deviation of the vaardigheidsscore within one DL."""
        return 1.3 * self.scale


TOETSEN: dict[str, Toets] = {
    t.naam: t
    for t in (
        Toets("LVS RW 2019", "BOOM-LVS-RW-2019", "Rekenen-Wiskunde", 60, 150.0, 14.0),
        Toets("LVS BL", "BOOM-LVS-BL", "Begrijpend lezen", 50, 140.0, 12.0),
        Toets("PI-dictee", "BOOM-PI-DICTEE", "Spelling", 135, 100.0, 10.0),
        Toets("TTA", "BOOM-TTA", "Rekenen-Wiskunde", 200, 120.0, 11.0),
        Toets("Hoofdrekenen", "BOOM-HOOFDREKENEN", "Rekenen-Wiskunde", 40, 130.0, 12.0),
        Toets("Spelling", "BOOM-SPELLING", "Spelling", 80, 135.0, 13.0),
    )
}

_TAU = 30.0  # months: how fast the average score saturates


@dataclass(frozen=True)
class Normering:
    """The normed figures of one afname."""

    toets: str
    toetscode: str
    ruwe_score: int
    vaardigheidsscore: int
    dl: int
    dle: int
    achterstand: int
    percentiel: int
    niveau: str
    niveau_ae: str
    afnamemoment: str
    normmodel: str = NORM_MODEL

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def toets(naam: str) -> Toets:
    """The test called ``naam``, or ValueError listing the known tests."""
    try:
        return TOETSEN[naam]
    except KeyError:
        known = ", ".join(TOETSEN)
        raise ValueError(f"toets must be one of {known}; got {naam!r}") from None


def didactische_leeftijd(groep: int, afnamedatum: date) -> int:
    """DL in months of schooling from groep 3 (10 per year), 0..60."""
    _check_groep(groep)
    months = (groep - 3) * MONTHS_PER_YEAR + _MONTHS_IN_YEAR[afnamedatum.month]
    return max(0, min(MAX_DL, months))


def afnamemoment(groep: int, afnamedatum: date) -> str:
    """M3..M8 (midden, Jan/Feb) or E3..E8 (eind, May/June); other months take the nearest
    moment of that school year (August-March -> M, April-July -> E). Groep 1-2 use the groep-3
    norms."""
    _check_groep(groep)
    letter = "E" if 4 <= afnamedatum.month <= 7 else "M"
    return f"{letter}{max(3, groep)}"


def vaardigheidsscore(t: Toets, ruwe_score: int) -> int:
    """The ruwe score on the test's vertical scale (never decreasing in the ruwe score)."""
    _check_score(t, ruwe_score)
    p = (ruwe_score + 0.5) / (t.max_score + 1)
    return round(t.center + t.scale * math.log(p / (1 - p)))


def gemiddelde(t: Toets, dl: float) -> float:
    """Average vaardigheidsscore of pupils at didactische leeftijd ``dl``."""
    fraction = (1 - math.exp(-dl / _TAU)) / (1 - math.exp(-MAX_DL / _TAU))
    return t.low + (t.high - t.low) * fraction


def percentiel(t: Toets, score: float, dl: int) -> int:
    """Percentage of pupils at this DL scoring lower, 1..99."""
    z = (score - gemiddelde(t, dl)) / t.spread
    value = round(50 * (1 + math.erf(z / math.sqrt(2))))
    return max(1, min(99, value))


def didactische_leeftijdsequivalent(t: Toets, score: float) -> int:
    """DLE: the DL whose average equals ``score`` (0..60)."""
    if score <= t.low:
        return 0
    if score >= t.high:
        return MAX_DL
    fraction = (score - t.low) / (t.high - t.low) * (1 - math.exp(-MAX_DL / _TAU))
    return max(0, min(MAX_DL, round(-_TAU * math.log(1 - fraction))))


def niveau(pct: int) -> str:
    """I (P81-99), II (P61-80), III (P41-60), IV (P21-40), V (P1-20)."""
    for bound, label in ((81, "I"), (61, "II"), (41, "III"), (21, "IV")):
        if pct >= bound:
            return label
    return "V"


def niveau_ae(pct: int) -> str:
    """A (best 25 %: P76-99), B (P51-75), C (P26-50), D (P11-25), E (lowest 10 %: P1-10)."""
    for bound, label in ((76, "A"), (51, "B"), (26, "C"), (11, "D")):
        if pct >= bound:
            return label
    return "E"


def normeer(toets_naam: str, ruwe_score: int, groep: int, afnamedatum: date) -> Normering:
    """Every normed figure of one afname; ValueError naming the bad input."""
    t = toets(toets_naam)
    vs = vaardigheidsscore(t, ruwe_score)
    dl = didactische_leeftijd(groep, afnamedatum)
    dle = didactische_leeftijdsequivalent(t, vs)
    pct = percentiel(t, vs, dl)
    return Normering(
        toets=t.naam,
        toetscode=t.code,
        ruwe_score=ruwe_score,
        vaardigheidsscore=vs,
        dl=dl,
        dle=dle,
        achterstand=dl - dle,
        percentiel=pct,
        niveau=niveau(pct),
        niveau_ae=niveau_ae(pct),
        afnamemoment=afnamemoment(groep, afnamedatum),
    )


def _check_groep(groep: int) -> None:
    if isinstance(groep, bool) or not isinstance(groep, int) or not 1 <= groep <= 8:
        raise ValueError(f"groep must be a jaargroep 1..8, got {groep!r}")


def _check_score(t: Toets, ruwe_score: int) -> None:
    if isinstance(ruwe_score, bool) or not isinstance(ruwe_score, int):
        raise ValueError(f"ruwe_score must be an integer, got {ruwe_score!r}")
    if not 0 <= ruwe_score <= t.max_score:
        raise ValueError(f"ruwe_score for {t.naam} must be 0..{t.max_score}, got {ruwe_score}")
