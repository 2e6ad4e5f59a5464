"""What Schoolkr8 does, without HTTP: issue and revoke keys (the key leaves only by e-mail), keep
pupils and their leerlingnummers, report the mapping status, take in BrengLeerresultaten.

The views in :mod:`mocks.schoolkr8.app` call :class:`Schoolkr8Service`, which opens every
transaction (``db.read()`` for a pure read) and hands the connection to the store; the checks of
the UWLR intake live in :mod:`mocks.schoolkr8.intake`. Every domain event is timed by the school's
own clock, read before a transaction opens (no nested transactions).
"""

from __future__ import annotations

import html
import logging
import unicodedata
import weakref
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from koppeling.harness import writer
from koppeling.harness.clock import Clock
from koppeling.harness.commits import committer
from koppeling.harness.errors import ApiError, conflict, invalid, not_found
from koppeling.harness.keys import key_hash, mask, new_key
from koppeling.harness.mail import Mail
from koppeling.harness.schools import school_key
from koppeling.harness.service import Core
from koppeling.harness.store import Database
from koppeling.uwlr.autorisatie import Autorisatie
from koppeling.uwlr.leerresultaten import LeerresultatenVerzoek
from koppeling.uwlr.soap import parse_envelope
from mocks.schoolkr8 import intake
from mocks.schoolkr8.store import (
    ACTIEF,
    BELEIDEN,
    INGETROKKEN,
    Koppeling,
    Leerling,
    NieuwResultaat,
    Nummerwijziging,
    Resultaat,
    Schoolkr8Store,
)

log = logging.getLogger("koppeling.schoolkr8")

SENDER = "Schoolkr8 <noreply@schoolkr8.nl>"
MAX_LEERLINGNUMMER = 256  # UWLR tpKey: leerlingid travels as a string of 1-256


def normalise_leerlingnummer(value: object) -> str:
    """The number as Schoolkr8 keeps it: a string, trimmed, leading zeros kept; ValueError saying
    what is wrong otherwise (not a string, empty, too long, inner spaces, invisible characters)."""
    if not isinstance(value, str):
        raise ValueError(f"leerlingnummer moet tekst zijn, kreeg {type(value).__name__}")
    text = value.strip()
    if not text:
        raise ValueError("leerlingnummer is leeg")
    if len(text) > MAX_LEERLINGNUMMER:
        raise ValueError(f"leerlingnummer is langer dan {MAX_LEERLINGNUMMER} tekens")
    if any(ch.isspace() for ch in text):
        raise ValueError("leerlingnummer bevat spaties of regeleinden")
    if any(unicodedata.category(ch)[0] in "CZ" for ch in text):
        raise ValueError("leerlingnummer bevat onzichtbare of stuurtekens")
    return text


@dataclass(frozen=True)
class Koppelstatus:
    """How far a school is with Wijzig leerlingnummer."""

    brincode: str
    dependancecode: str
    leerlingen: int
    met_leerlingnummer: int
    niet_gekoppelde_resultaten: int
    koppeling: str | None

    @property
    def definitief(self) -> bool:
        return self.leerlingen > 0 and self.met_leerlingnummer == self.leerlingen

    def as_json(self) -> dict[str, Any]:
        return {
            "brincode": self.brincode,
            "dependancecode": self.dependancecode,
            "leerlingen": self.leerlingen,
            "met_leerlingnummer": self.met_leerlingnummer,
            "zonder_leerlingnummer": self.leerlingen - self.met_leerlingnummer,
            "definitief": self.definitief,
            "koppeling": self.koppeling,
            "niet_gekoppelde_resultaten": self.niet_gekoppelde_resultaten,
        }


#: the largest BrengLeerresultaten body the writer process parses (about 40 results); a larger
#: one the worker parses itself (:meth:`Schoolkr8Service.breng_in_writer`)
BODY_IN_WRITER = 64 * 1024


class Schoolkr8Service:
    """The Schoolkr8 mock's behaviour on one core."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self.db = core.db
        self.store = Schoolkr8Store()
        #: the hot writes (BrengLeerresultaten, a new pupil) share write transactions
        self.commits = committer(core.db)

    def now(self, school: str) -> datetime:
        brin, _, dep = school.partition("-")
        return self.core.clock.now(brin, dep)

    # --- koppelingen -----------------------------------------------------------------------

    def request(self, brincode: str, dependancecode: str, contact_email: str) -> Koppeling:
        """The school's request for a koppeling (status ``aangevraagd``, no key yet)."""
        school = school_key(brincode, dependancecode)
        now = self.now(school)
        with self.db.begin() as conn:
            return self.store.add_koppeling(conn, school, contact_email, now)

    def delete_school(self, brincode: str, dependancecode: str) -> None:
        """Forget the school and all it holds; also fine when it is not there (idempotent)."""
        with self.db.begin() as conn:
            self.store.delete_school(conn, school_key(brincode, dependancecode))

    def get(self, koppeling_id: str) -> Koppeling:
        with self.db.read() as conn:
            found = self.store.koppeling(conn, koppeling_id)
        if found is None:
            raise not_found("Koppeling", f"geen koppeling met id {koppeling_id!r}")
        return found

    def koppelingen(self, brincode: str, dependancecode: str) -> list[Koppeling]:
        """Every koppeling the school requested, oldest first."""
        with self.db.read() as conn:
            return self.store.koppelingen(conn, school_key(brincode, dependancecode))

    def activate(self, koppeling_id: str) -> tuple[Koppeling, str]:
        """Generate a key, e-mail it to the contact, then store its hash (revoking the school's
        previous key). If the mail cannot be sent, nothing changes. Returns the koppeling and the
        Message-ID of the mail; the key itself is never returned."""
        koppeling = self.get(koppeling_id)
        key = new_key("sk8")
        now = self.now(koppeling.school)
        try:
            message_id = self.core.send_mail(
                "schoolkr8", key_mail(koppeling, key), school=koppeling.school
            )
        except OSError as exc:
            log.warning("key mail for koppeling %s not sent: %s", koppeling.id, type(exc).__name__)
            raise ApiError(
                503,
                "E-mail niet verzonden",
                "De sleutelmail kon niet worden verzonden; de koppeling is niet "
                "gewijzigd. Probeer het later opnieuw.",
            ) from None
        with self.db.begin() as conn:
            self.store.issue_key(conn, koppeling, key_hash(key), mask(key), now)
        log.info(
            "koppeling %s activated for %s (key %s)", koppeling.id, koppeling.school, mask(key)
        )
        return self.get(koppeling_id), message_id

    def revoke(self, koppeling_id: str) -> Koppeling:
        """Revoke the koppeling's key(s); idempotent."""
        koppeling = self.get(koppeling_id)
        if koppeling.status != INGETROKKEN:
            now = self.now(koppeling.school)
            with self.db.begin() as conn:
                self.store.revoke(conn, koppeling_id, now)
        return self.get(koppeling_id)

    def key_valid(self, brincode: str, dependancecode: str, presented: str) -> bool:
        """Is ``presented`` a live key of this school? (klantenservice's check)"""
        with self.db.read() as conn:
            return self.store.live_key_matches(
                conn, school_key(brincode, dependancecode), presented
            )

    # --- BrengLeerresultaten ---------------------------------------------------------------

    def breng_leerresultaten(
        self, autorisatie: Autorisatie, verzoek: LeerresultatenVerzoek
    ) -> intake.Ontvangst:
        """Check key, version and pupils, then store the results - all in one write transaction,
        so a key revoked meanwhile cannot let a message in; raises :class:`SoapFault` when
        refused. The message is prepared first, outside the write lock; its checks and writes
        then run in a group commit (:mod:`koppeling.harness.commits`; a refused message is
        rolled back alone), and the answer waits for the COMMIT."""
        bericht = intake.prepare(autorisatie, verzoek)
        now = self.now(bericht.school)
        ontvangst = self.commits.call(_accept, bericht, now)
        intake.log_ontvangst(ontvangst)
        return ontvangst

    def breng_in_writer(self, body: bytes) -> intake.Ontvangst | None:
        """The BrengLeerresultaten request ``body`` parsed, checked and stored by the writer
        process (:mod:`koppeling.harness.writer`), so the worker's request thread does little
        Python of its own; None when it was not (no writer, or it left the message to this
        process: a message it refuses, a fault): the caller then takes the message itself
        (:meth:`breng_leerresultaten`), which meets the same checks and raises the fault. A
        body over :data:`BODY_IN_WRITER` is not sent: the writer's one thread serves every
        worker's hot writes, and a message of thousands of results is parsed where it came in."""
        if len(body) > BODY_IN_WRITER:
            return None
        done, ontvangst = self.commits.send(_accept_body, body)
        if not done or ontvangst is None:
            return None
        intake.log_ontvangst(ontvangst)
        return ontvangst

    # --- pupils ----------------------------------------------------------------------------

    def add_pupil(self, brincode: str, dependancecode: str, body: dict[str, Any]) -> Leerling:
        school = school_key(brincode, dependancecode)
        try:
            born = date.fromisoformat(body["geboortedatum"])
        except ValueError:
            raise invalid("geboortedatum", "geboortedatum moet een datum JJJJ-MM-DD zijn") from None
        now = self.now(school)
        voornaam, achternaam = body["voornaam"].strip(), body["achternaam"].strip()
        groep = str(body["groep"]).strip()
        return self.commits.call(_add_leerling, school, voornaam, achternaam, born, groep, now)

    def pupil(self, leerling_id: int) -> Leerling:
        with self.db.read() as conn:
            found = self.store.leerling(conn, leerling_id)
        if found is None:
            raise not_found("Leerling", f"geen leerling met id {leerling_id}")
        return found

    def pupils(self, brincode: str, dependancecode: str) -> list[Leerling]:
        """Every pupil of the school."""
        with self.db.read() as conn:
            return self.store.leerlingen(conn, school_key(brincode, dependancecode))

    def historie(self, leerling_id: int) -> list[Nummerwijziging]:
        """Every Wijzig leerlingnummer of the pupil, oldest first."""
        with self.db.read() as conn:
            return self.store.historie(conn, leerling_id)

    def set_number(self, leerling_id: int, value: object) -> tuple[Leerling, int]:
        """Wijzig leerlingnummer: 422 when invalid, 409 naming the pupil that already has it.
        Returns the pupil and how many parked results were attached."""
        try:
            nummer = normalise_leerlingnummer(value)
        except ValueError as exc:
            raise invalid("leerlingnummer", str(exc)) from None
        pupil = self.pupil(leerling_id)
        if pupil.leerlingnummer == nummer:
            return pupil, 0
        now = self.now(pupil.school)
        try:
            with self.db.begin() as conn:
                holder = self.store.holder_of(conn, pupil.school, nummer)
                if holder is not None:
                    raise _taken(nummer, holder)
                attached = self.store.set_leerlingnummer(conn, pupil, nummer, now)
        except IntegrityError:  # another worker took the number between our check and write
            with self.db.read() as conn:
                holder = self.store.holder_of(conn, pupil.school, nummer)
            raise _taken(nummer, holder) from None
        return self.pupil(leerling_id), attached

    def resultaten(self, leerling_id: int) -> list[Resultaat]:
        """The results that landed on the pupil."""
        with self.db.read() as conn:
            return self.store.resultaten_van(conn, leerling_id)

    # --- the school ------------------------------------------------------------------------

    def status(self, brincode: str, dependancecode: str) -> Koppelstatus:
        school = school_key(brincode, dependancecode)
        with self.db.read() as conn:
            total, mapped = self.store.mapping_counts(conn, school)
            koppelingen = self.store.koppelingen(conn, school)
            parked = self.store.count_niet_gekoppeld(conn, school)
        active = [k for k in koppelingen if k.status == ACTIEF]
        state = ACTIEF if active else (koppelingen[-1].status if koppelingen else None)
        return Koppelstatus(brincode, dependancecode, total, mapped, parked, state)

    def niet_gekoppeld(self, brincode: str, dependancecode: str) -> list[Resultaat]:
        """Parked results: their leerlingid matches no pupil's leerlingnummer (yet)."""
        with self.db.read() as conn:
            return self.store.niet_gekoppeld(conn, school_key(brincode, dependancecode))

    def policy(self, brincode: str, dependancecode: str) -> str:
        """What happens to results for an unknown leerlingid: ``parkeren`` or ``weigeren``."""
        with self.db.read() as conn:
            return self.store.beleid(conn, school_key(brincode, dependancecode))

    def set_policy(self, brincode: str, dependancecode: str, beleid: str) -> None:
        if beleid not in BELEIDEN:
            raise invalid("niet_gekoppeld", f"niet_gekoppeld moet een van {BELEIDEN} zijn")
        school = school_key(brincode, dependancecode)
        now = self.now(school)
        with self.db.begin() as conn:
            self.store.set_beleid(conn, school, beleid, now)


def _taken(nummer: str, holder: Leerling | None) -> ApiError:
    if holder is None:
        return conflict(
            f"leerlingnummer {nummer} is zojuist door een andere leerling in gebruik genomen",
            field="leerlingnummer",
        )
    return conflict(
        f"leerlingnummer {nummer} is al in gebruik bij leerling {holder.id} ({holder.naam})",
        field="leerlingnummer",
        leerling_id=holder.id,
        leerling=holder.naam,
    )


def key_mail(koppeling: Koppeling, key: str) -> Mail:
    """The one e-mail that carries a key: Dutch, text and HTML, to the school's contact."""
    school = f"BRIN {koppeling.brincode}, vestiging {koppeling.dependancecode}"
    subject = (
        f"Uw autorisatiesleutel voor de koppeling met Schoolkr8 ({koppeling.brincode}-"
        f"{koppeling.dependancecode})"
    )
    steps = (
        "Ga in het Boom testcentrum naar Beheer › Koppelen met LAS, onderdeel "
        "‘Koppelen met Focus PO of SchoolKr8’. Kies bij Type dashboard ‘SchoolKr8’, plak de "
        "sleutel bij Autorisatiesleutel en klik op AANVRAGEN."
    )
    caution = (
        "Bewaar deze sleutel vertrouwelijk en deel hem niet. Een eerder uitgegeven sleutel "
        "voor deze school is hiermee ingetrokken."
    )
    text = (
        f"Beste beheerder,\n\nSchoolkr8 heeft de koppeling voor uw school ({school}) "
        f"geactiveerd. Uw autorisatiesleutel is:\n\n    {key}\n\n{steps}\n\n{caution}\n\n"
        "Met vriendelijke groet,\nSchoolkr8\n"
    )
    e = html.escape
    body = (
        f"<p>Beste beheerder,</p><p>Schoolkr8 heeft de koppeling voor uw school ({e(school)}) "
        f'geactiveerd. Uw autorisatiesleutel is:</p><p><code style="font-size:1.2em">'
        f"{e(key)}</code></p><p>{e(steps)}</p><p>{e(caution)}</p>"
        "<p>Met vriendelijke groet,<br>Schoolkr8</p>"
    )
    html_doc = (
        f'<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8"><title>{e(subject)}'
        f"</title></head><body>{body}</body></html>"
    )
    return Mail(SENDER, [koppeling.contact_email], subject, text, html_doc)


# The hot writes, run in the writer process under `koppeling up` (koppeling.harness.writer):
# module-level functions of the connection, named there; their data travels pickled.
for _carried in (intake.Bericht, intake.Ontvangst, NieuwResultaat, Autorisatie, Leerling):
    writer.carried(_carried)


@writer.write
def _accept(conn: Any, bericht: intake.Bericht, now: datetime) -> intake.Ontvangst:
    return intake.accept(Schoolkr8Store(), conn, bericht, now)


_CLOCKS: weakref.WeakKeyDictionary[Database, Clock] = weakref.WeakKeyDictionary()


def _prepare_body(db: Database, body: bytes) -> tuple[intake.Bericht, datetime]:
    """In the writer, before its transaction: the message read from the request body (its
    faults raised as in the worker) and the time of its school's clock, as
    :meth:`Schoolkr8Service.breng_leerresultaten` takes them (``Core.clock`` is a
    :class:`Clock` on the same store; one per store here, its reads cached by generation)."""
    autorisatie, verzoek = intake.read(parse_envelope(body))
    bericht = intake.prepare(autorisatie, verzoek)
    clock = _CLOCKS.get(db)
    if clock is None:
        clock = _CLOCKS[db] = Clock(db)
    brin, _, dep = bericht.school.partition("-")
    return bericht, clock.now(brin, dep)


@writer.prepared_by(_prepare_body)
def _accept_body(conn: Any, bericht: intake.Bericht, now: datetime) -> intake.Ontvangst:
    return _accept(conn, bericht, now)


@writer.write
def _add_leerling(
    conn: Any, school: str, voornaam: str, achternaam: str, born: date, groep: str, now: datetime
) -> Leerling:
    return Schoolkr8Store().add_leerling(conn, school, voornaam, achternaam, born, groep, now)
