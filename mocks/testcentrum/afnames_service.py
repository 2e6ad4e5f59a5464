"""Score invoeren and normeren: the testcentrum's afname logic, apart from HTTP.

The one rule this project exists to check is applied here, at the first norming: the afname is
normed at the SCHOOL's clock instant, and whether the dashboard koppeling was active at that very
instant decides, once and for good, whether the afname will ever be forwarded. No Flask here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Protocol

from sqlalchemy import select

from mocks.core.errors import ApiError, invalid, not_found
from mocks.core.schools import check_brincode, check_dependancecode, school_key
from mocks.core.service import Core
from mocks.testcentrum import norms
from mocks.testcentrum.afnames_store import Afname, AfnamesStore, Doorsturing


class Koppelingen(Protocol):
    """The dashboard koppeling as the testcentrum store knows it."""

    def active_at(self, school_key: str, instant: datetime) -> bool: ...


class Leerlingen(Protocol):
    """The pupils imported from the LAS."""

    def imported(self, school_key: str) -> bool:
        """Were any pupils imported for this school?"""
        ...

    def known(self, school_key: str, leerlingnummer: str) -> tuple[bool, int | None]:
        """Is this pupil among the imported ones, and its jaargroep 1..8 if it has one."""
        ...


class ImportedPupils:
    """:class:`Leerlingen` over the testcentrum store's pupil table (read only, by primary key)."""

    def __init__(self, core: Core) -> None:
        self._db = core.db

    def imported(self, school_key: str) -> bool:
        from mocks.testcentrum.store import leerlingen_table as t

        with self._db.begin() as conn:
            return conn.execute(select(t.c.leerlingnummer).where(t.c.school == school_key)
                                .limit(1)).first() is not None

    def known(self, school_key: str, leerlingnummer: str) -> tuple[bool, int | None]:
        from mocks.testcentrum.store import leerlingen_table as t

        with self._db.begin() as conn:
            row = conn.execute(select(t.c.jaargroep).where(
                t.c.school == school_key, t.c.leerlingnummer == leerlingnummer)).first()
        if row is None:
            return False, None
        text = (row.jaargroep or "").strip()
        groep = int(text) if text.isdigit() and 1 <= int(text) <= 8 else None
        return True, groep


class AfnameService:
    """``score`` (Score invoeren), ``normeer`` (Normeren), ``list``, ``doorsturing``."""

    def __init__(self, core: Core, koppelingen: Koppelingen, leerlingen: Leerlingen) -> None:
        self.core = core
        self.store = AfnamesStore(core.db)
        self.koppelingen = koppelingen
        self.leerlingen = leerlingen

    def score(self, brincode: str, dependancecode: str, body: dict[str, Any]) -> Afname:
        """Record a scored afname; 422 naming the field when something does not fit."""
        brin, dep = school(brincode, dependancecode)
        toets = norms.TOETSEN[body["toets"]]
        ruwe = body["ruwe_score"]
        if ruwe > toets.max_score:
            raise invalid("ruwe_score", f"ruwe_score for {toets.naam} is 0..{toets.max_score}, "
                                        f"got {ruwe}")
        afnamedatum = _date(body["afnamedatum"])
        nummer = body["leerlingnummer"].strip()
        if not nummer:
            raise invalid("leerlingnummer", "leerlingnummer must not be blank")
        groep = self._groep(school_key(brin, dep), nummer, body.get("groep"))
        return self.store.create(
            brin, dep, leerlingnummer=nummer, toets=toets.naam, ruwe_score=ruwe,
            afnamedatum=afnamedatum, groep=groep, at=self.core.clock.now(brin, dep),
        )

    def normeer(self, afname_id: str) -> Afname:
        """Norm (or re-norm) an afname at the school's current instant."""
        afname = self.store.get(afname_id)
        if afname is None:
            raise not_found("Afname", f"no afname with id {afname_id!r}")
        figures = norms.normeer(afname.toets, afname.ruwe_score, afname.groep,
                                afname.afnamedatum).as_json()
        at = self.core.clock.now(afname.brincode, afname.dependancecode)
        eligible = afname.eerst_genormeerd_op is None and self.koppelingen.active_at(
            afname.school, at)
        normed = self.store.record_norming(afname_id, figures, at=at, eligible=eligible,
                                           now_real=datetime.now(UTC))
        assert normed is not None
        return normed

    def get(self, afname_id: str) -> Afname:
        afname = self.store.get(afname_id)
        if afname is None:
            raise not_found("Afname", f"no afname with id {afname_id!r}")
        return afname

    def list(self, brincode: str, dependancecode: str) -> list[Afname]:
        return self.store.list(*school(brincode, dependancecode))

    def doorsturing(self, brincode: str, dependancecode: str) -> list[Doorsturing]:
        return self.store.doorsturing(*school(brincode, dependancecode))

    def _groep(self, key: str, nummer: str, given: int | None) -> int:
        """The pupil's jaargroep: from the imported pupils when there are any, else as given."""
        known, found = self.leerlingen.known(key, nummer)
        imported = known or self.leerlingen.imported(key)
        if imported and not known:
            raise ApiError(422, "Onbekende leerling",
                           f"leerlingnummer {nummer!r} is not among the pupils imported for {key}",
                           field="leerlingnummer")
        if found is not None:
            return found
        if given is not None:
            return int(given)
        if not imported:
            raise invalid("groep", f"no pupils imported for {key}: give the pupil's groep (1..8)")
        raise invalid("groep", f"pupil {nummer!r} has no jaargroep 1..8; give groep (1..8)")


def school(brincode: str, dependancecode: str) -> tuple[str, str]:
    """A valid (brincode, dependancecode) pair, or 422 naming the bad one."""
    try:
        brin = check_brincode(brincode)
    except ValueError as exc:
        raise invalid("brincode", str(exc)) from None
    try:
        return brin, check_dependancecode(dependancecode)
    except ValueError as exc:
        raise invalid("dependancecode", str(exc)) from None


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise invalid("afnamedatum", f"afnamedatum must be a date like 2027-01-20, got {text!r}") \
            from None
