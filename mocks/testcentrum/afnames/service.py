"""Score invoeren and normeren: the testcentrum's afname logic, apart from HTTP.

The one rule this project exists to check is applied here, at the first norming: the afname is
normed at the SCHOOL's clock instant, and whether the dashboard koppeling was active at that very
instant decides, once and for good, whether the afname will ever be forwarded. No Flask here;
:class:`AfnamesService` owns the transactions.

What this domain needs of Beheer comes in through two small interfaces, :class:`Koppelingen` and
:class:`Leerlingen` (``mocks.testcentrum.app`` wires Beheer's read-only implementations in).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Protocol

from koppeling.harness.core import Core
from koppeling.harness.errors import ApiError, invalid, not_found
from koppeling.harness.schemas import validate_body
from koppeling.harness.schools import school_key, school_of_path
from mocks.testcentrum.afnames import norms
from mocks.testcentrum.afnames.store import (
    GENORMEERD,
    GESCOORD,
    Afname,
    AfnamesStore,
    Doorsturing,
    NewAfname,
)


class KoppelingState(Protocol):
    """A dashboard koppeling as it stands."""

    @property
    def status(self) -> str: ...


class Koppelingen(Protocol):
    """The dashboard koppeling as Beheer knows it."""

    def active_at(self, school_key: str, instant: datetime) -> bool:
        """Was the koppeling active at ``instant`` (tz-aware)?"""
        ...

    def current(self, school_key: str) -> KoppelingState | None:
        """The koppeling as it stands now, or None if never requested."""
        ...

    def schoolkr8_key(self, school_key: str) -> str | None:
        """The plain Schoolkr8 key to send results with."""
        ...


class Leerlingen(Protocol):
    """The pupils imported from the LAS."""

    def imported(self, school_key: str) -> bool:
        """Were any pupils imported for this school?"""
        ...

    def groepen(self, school_key: str, leerlingnummers: Collection[str]) -> dict[str, int | None]:
        """The given pupils that were imported, with their jaargroep 1..8 (None if other)."""
        ...


class AfnamesService:
    """``score`` (Score invoeren), ``normeer`` (Normeren), the afname lists and ``doorsturing``."""

    #: The Leerlingenoverzicht's tabs this domain fills (see :meth:`tabs`).
    tab_names: ClassVar[tuple[str, ...]] = (GESCOORD, GENORMEERD)

    def __init__(self, core: Core, koppelingen: Koppelingen, leerlingen: Leerlingen) -> None:
        self.db = core.db
        self.clock = core.clock
        self.store = AfnamesStore()
        self.koppelingen = koppelingen
        self.leerlingen = leerlingen

    def score(self, brincode: str, dependancecode: str, body: dict[str, Any]) -> Afname:
        """Record a scored afname; 422 naming the field when something does not fit."""
        return self.score_many(brincode, dependancecode, [body], prefix="")[0]

    def score_many(
        self,
        brincode: str,
        dependancecode: str,
        bodies: list[dict[str, Any]],
        prefix: str = "afnames",
    ) -> list[Afname]:
        """Record several scored afnames at once (all or none); errors name ``afnames[i].field``."""
        brin, dep = school_of_path(brincode, dependancecode)
        key = school_key(brin, dep)
        items = [_checked(body, _where(prefix, i)) for i, body in enumerate(bodies)]
        pupils = self.leerlingen.groepen(key, [item["leerlingnummer"] for item in items])
        imported = bool(pupils) or self.leerlingen.imported(key)
        new = [
            NewAfname(
                item["leerlingnummer"],
                item["toets"],
                item["ruwe_score"],
                item["afnamedatum"],
                _groep(key, item, pupils, imported, _where(prefix, i)),
            )
            for i, item in enumerate(items)
        ]
        at = self.clock.now(brin, dep)
        with self.db.begin() as conn:
            return self.store.insert_many(conn, brin, dep, new, at=at)

    def normeer(self, afname_id: str) -> Afname:
        """Norm (or re-norm) an afname at the school's current instant."""
        afname = self.get(afname_id)
        return self._normeer(afname.brincode, afname.dependancecode, {afname_id: afname})[0]

    def normeer_many(self, brincode: str, dependancecode: str, ids: list[str]) -> list[Afname]:
        """Norm (or re-norm) afnames of one school, all at the school's current instant."""
        brin, dep = school_of_path(brincode, dependancecode)
        key = school_key(brin, dep)
        with self.db.read() as conn:
            found = self.store.by_ids(conn, ids)
        missing = [i for i in dict.fromkeys(ids) if i not in found or found[i].school != key]
        if missing:
            raise not_found("Afname", f"no afname(s) {', '.join(missing[:10])} at {key}")
        return self._normeer(brin, dep, {i: found[i] for i in dict.fromkeys(ids)})

    def _normeer(self, brin: str, dep: str, afnames: dict[str, Afname]) -> list[Afname]:
        figures = {
            i: norms.normeer(a.toets, a.ruwe_score, a.groep, a.afnamedatum).as_json()
            for i, a in afnames.items()
        }
        at = self.clock.now(brin, dep)
        eligible = self.koppelingen.active_at(school_key(brin, dep), at)
        with self.db.begin() as conn:
            return self.store.record_normings(
                conn, figures, at=at, eligible=eligible, now_real=datetime.now(UTC)
            )

    def get(self, afname_id: str) -> Afname:
        """One afname; 404 if there is none with that id."""
        with self.db.read() as conn:
            afname = self.store.get(conn, afname_id)
        if afname is None:
            raise not_found("Afname", f"no afname with id {afname_id!r}")
        return afname

    def of_school(self, brincode: str, dependancecode: str) -> list[Afname]:
        """Every afname of the school, oldest first."""
        brin, dep = school_of_path(brincode, dependancecode)
        with self.db.read() as conn:
            return self.store.of_school(conn, brin, dep)

    def samenvatting(self, brincode: str, dependancecode: str) -> dict[str, int]:
        """Counts of normed afnames per forwarding status."""
        brin, dep = school_of_path(brincode, dependancecode)
        with self.db.read() as conn:
            return self.store.samenvatting(conn, brin, dep)

    def doorsturing(self, brincode: str, dependancecode: str) -> list[Doorsturing]:
        """The forwarding status of every normed afname of the school."""
        brin, dep = school_of_path(brincode, dependancecode)
        with self.db.read() as conn:
            return self.store.doorsturing(conn, brin, dep)

    def tabs(self, school_key: str) -> dict[str, set[str]]:
        """Per leerlingnummer the Leerlingenoverzicht tabs (gescoord, genormeerd) it is in."""
        with self.db.read() as conn:
            return self.store.tabs(conn, school_key)


def _where(prefix: str, index: int) -> str:
    return f"{prefix}[{index}]." if prefix else ""


def _checked(body: Any, where: str) -> dict[str, Any]:
    """One afname body, schema-checked and normalised; 422 naming ``where`` + field."""
    try:
        body = validate_body("afname_invoer", body)
    except ApiError as exc:
        raise invalid(where + (exc.field or "body"), where + exc.detail) from None
    toets = norms.TOETSEN[body["toets"]]
    if body["ruwe_score"] > toets.max_score:
        raise invalid(
            where + "ruwe_score",
            f"ruwe_score for {toets.naam} is 0..{toets.max_score}, got {body['ruwe_score']}",
        )
    nummer = body["leerlingnummer"].strip()
    if not nummer:
        raise invalid(where + "leerlingnummer", "leerlingnummer must not be blank")
    return {**body, "leerlingnummer": nummer, "afnamedatum": _date(body["afnamedatum"], where)}


def _groep(
    key: str, item: dict[str, Any], pupils: dict[str, int | None], imported: bool, where: str
) -> int:
    """The pupil's jaargroep: from the imported pupils when there are any, else as given."""
    nummer = item["leerlingnummer"]
    if imported and nummer not in pupils:
        raise ApiError(
            422,
            "Onbekende leerling",
            f"leerlingnummer {nummer!r} is not among the pupils imported for {key}",
            field=where + "leerlingnummer",
        )
    found = pupils.get(nummer)
    if found is not None:
        return found
    if item.get("groep") is not None:
        return int(item["groep"])
    if not imported:
        raise invalid(
            where + "groep", f"no pupils imported for {key}: give the pupil's groep (1..8)"
        )
    raise invalid(where + "groep", f"pupil {nummer!r} has no jaargroep 1..8; give groep (1..8)")


def _date(text: str, where: str = "") -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise invalid(
            where + "afnamedatum", f"afnamedatum must be a date like 2027-01-20, got {text!r}"
        ) from None
