"""How Boom klantenservice handles a dashboard request: check "all fields correct", decide, mail.

The checks (docs/architecture.md, manual step 2): the type of dashboard is one we know; the
autorisatiesleutel is valid at Schoolkr8 for exactly this school (asked through Schoolkr8's key
check); the school has an active LAS koppeling at the testcentrum (asked over HTTP). Automatic mode
decides as soon as every check could be made; when a partner cannot be reached the aanvraag stays
``in_behandeling`` and the next look at it (the testcentrum polls) tries again: an outage elsewhere
is no reason to reject a school. Manual mode records the checks for a human, who calls
goedkeuren/afwijzen.

The service owns the transactions (docs/architecture.md, "The store") and never holds one while a
partner or the SMTP server is asked, nor while the clock is read.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import Protocol

from sqlalchemy import Connection

from koppeling.harness.mail import Mail
from koppeling.harness.schools import school_key
from koppeling.harness.store import Database
from mocks.klantenservice.clients import LasStatus, PartnerOnbereikbaar
from mocks.klantenservice.store import (
    AFGEWEZEN,
    AUTOMATISCH,
    GOEDGEKEURD,
    HANDMATIG,
    IN_BEHANDELING,
    Aanvraag,
    Controle,
    KlantenserviceStore,
    NieuweAanvraag,
)

log = logging.getLogger(__name__)

AFZENDER = "klantenservice@boomtestonderwijs.nl"
# Control characters (C0, DEL, C1), the Unicode line and paragraph separators, lone surrogates.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
BEKENDE_DASHBOARDS = {"schoolkr8": "Schoolkr8"}


class SleutelControle(Protocol):
    """Schoolkr8's key check."""

    def controleer(self, brincode: str, dependancecode: str, autorisatiesleutel: str) -> bool: ...


class LasControle(Protocol):
    """The testcentrum's view of a school's LAS koppeling."""

    def las_koppeling(self, brincode: str, dependancecode: str) -> LasStatus: ...


class AanvraagOnbekend(LookupError):
    """No aanvraag with that id."""


class IdempotencyConflict(Exception):
    """An ``Idempotency-Key`` reused for an aanvraag with other fields."""


class BesluitConflict(Exception):
    """A decision that contradicts the one already taken (or an aanvraag that was withdrawn)."""


class KlantenserviceService:
    """Takes in aanvragen, checks them, decides (automatically or by hand), mails the decision.

    Owns the transactions: no transaction is open while a partner or the SMTP server is asked.
    ``sleutels`` and ``las`` give the partner check clients (called per check, replaceable).
    """

    def __init__(
        self,
        db: Database,
        *,
        now: Callable[[str, str], datetime],
        sleutels: Callable[[], SleutelControle],
        las: Callable[[], LasControle],
        send_mail: Callable[[Mail, str], str],
        default_modus: str = AUTOMATISCH,
    ) -> None:
        self.db = db
        self.store = KlantenserviceStore()
        self._now = now
        self.sleutels = sleutels
        self.las = las
        self._send_mail = send_mail
        self.default_modus = default_modus

    def dien_in(
        self,
        nieuw: NieuweAanvraag,
        *,
        modus: str | None = None,
        idempotency_key: str | None = None,
    ) -> tuple[Aanvraag, bool]:
        """Store (or find the retried) aanvraag, handle it, and return it with ``created``.

        A retry is the same ``Idempotency-Key``, or the same school, dashboard, key and beheerder
        while an earlier aanvraag is still in behandeling or approved. Looking and inserting are
        one write transaction, so two racing retries make one aanvraag. A key reused with other
        fields is an IdempotencyConflict.
        """
        now = self._now(nieuw.brincode, nieuw.dependancecode)
        with self.db.begin() as conn:
            aanvraag = self._retried(conn, nieuw, idempotency_key)
            created = aanvraag is None
            if aanvraag is None:
                chosen = modus or self.store.modus(conn, nieuw.school) or self.default_modus
                aanvraag = self.store.insert(
                    conn, nieuw, modus=chosen, idempotency_key=idempotency_key, now=now
                )
        return self.bekijk(aanvraag.id), created

    def bekijk(self, aanvraag_id: str) -> Aanvraag:
        """The aanvraag, after finishing any work it still waits for (checks, the e-mail)."""
        aanvraag = self.get(aanvraag_id)
        if aanvraag.status == IN_BEHANDELING and self._needs_checks(aanvraag):
            self._behandel(aanvraag)
        self.verstuur_mail(aanvraag_id)
        return self.get(aanvraag_id)

    def get(self, aanvraag_id: str) -> Aanvraag:
        """The aanvraag as stored (no work done); AanvraagOnbekend if there is none."""
        with self.db.read() as conn:
            return _known(self.store.get(conn, aanvraag_id), aanvraag_id)

    def recent(
        self, *, limit: int = 50, status: str | None = None, school: str | None = None
    ) -> list[Aanvraag]:
        """The newest aanvragen first (the manual queue), optionally of one status and school."""
        with self.db.read() as conn:
            return self.store.recent(conn, limit=limit, status=status, school=school)

    def goedkeuren(self, aanvraag_id: str) -> Aanvraag:
        """A human approves (manual mode); approving an approved aanvraag again changes nothing."""
        return self._besluit_hand(aanvraag_id, GOEDGEKEURD, None)

    def afwijzen(self, aanvraag_id: str, reden: str) -> Aanvraag:
        """A human rejects with a reason; rejecting a rejected aanvraag again changes nothing."""
        return self._besluit_hand(aanvraag_id, AFGEWEZEN, reden)

    def intrekken(self, aanvraag_id: str) -> Aanvraag:
        """The school deactivated the koppeling: a later request with the same fields is new."""
        with self.db.begin() as conn:
            _known(self.store.get(conn, aanvraag_id), aanvraag_id)
            self.store.withdraw(conn, aanvraag_id)
            return _known(self.store.get(conn, aanvraag_id), aanvraag_id)

    def modus(self, school: str) -> str:
        """The handling mode of one school (the service default unless set)."""
        with self.db.read() as conn:
            return self.store.modus(conn, school) or self.default_modus

    def set_modus(self, school: str, modus: str) -> None:
        """Handle this school's aanvragen automatically or by hand from now on."""
        with self.db.begin() as conn:
            self.store.set_modus(conn, school, modus)

    def delete_school(self, brincode: str, dependancecode: str) -> None:
        """Forget the school's aanvragen and mode; also fine when there are none (idempotent)."""
        with self.db.begin() as conn:
            self.store.delete_school(conn, school_key(brincode, dependancecode))

    def verwerk_open(self) -> int:
        """One pass over undecided automatic aanvragen and unsent e-mails; returns decisions."""
        with self.db.read() as conn:
            pending = self.store.pending(conn, AUTOMATISCH)
        decided = sum(int(self._behandel(aanvraag)) for aanvraag in pending)
        with self.db.read() as conn:
            owed = self.store.mail_owed(conn)
        for aanvraag_id in owed:
            self.verstuur_mail(aanvraag_id)
        return decided

    def verstuur_mail(self, aanvraag_id: str) -> bool:
        """Send the decision e-mail if it is owed and nobody else is sending it; True if sent.

        The claim commits before the mail goes out, so of all callers exactly one sends it; a
        failed send (SMTP down) gives the claim back for a later pass; a mail that cannot be
        built (a ValueError: no retry can fix it) is recorded as ``mislukt``. Either way the
        decision stands and the claim never stays taken.
        """
        with self.db.begin() as conn:
            if not self.store.claim_mail(conn, aanvraag_id):
                return False
            aanvraag = _known(self.store.get(conn, aanvraag_id), aanvraag_id)
        try:
            message_id = self._send_mail(besluit_mail(aanvraag), aanvraag.school)
        except OSError:
            with self.db.begin() as conn:
                self.store.mail_failed(conn, aanvraag_id)
            return False
        except ValueError as exc:
            log.warning("besluitmail voor %s kan niet gemaakt worden: %s", aanvraag_id, exc)
            with self.db.begin() as conn:
                self.store.mail_impossible(conn, aanvraag_id)
            return False
        with self.db.begin() as conn:
            self.store.mail_sent(conn, aanvraag_id, message_id)
        return True

    # --- internals ---------------------------------------------------------------------------

    def _retried(
        self, conn: Connection, nieuw: NieuweAanvraag, idempotency_key: str | None
    ) -> Aanvraag | None:
        if idempotency_key is not None:
            earlier = self.store.get_by_idempotency_key(conn, idempotency_key)
            if earlier is not None:
                if not nieuw.same_as(earlier):
                    raise IdempotencyConflict(
                        "Idempotency-Key hergebruikt voor een andere aanvraag"
                    )
                return earlier
        return next((a for a in self.store.current(conn, nieuw.school) if nieuw.same_as(a)), None)

    def _needs_checks(self, aanvraag: Aanvraag) -> bool:
        if aanvraag.modus == AUTOMATISCH:
            return True
        return not aanvraag.controles or any(c.geslaagd is None for c in aanvraag.controles)

    def _behandel(self, aanvraag: Aanvraag) -> bool:
        controles, naam = self._controleer(aanvraag)
        undecided = aanvraag.modus == HANDMATIG or any(c.geslaagd is None for c in controles)
        failed = [c.toelichting for c in controles if c.geslaagd is False]
        status, reden = (AFGEWEZEN, "; ".join(failed)) if failed else (GOEDGEKEURD, None)
        now = self._now(aanvraag.brincode, aanvraag.dependancecode)
        with self.db.begin() as conn:
            self.store.record_checks(conn, aanvraag.id, controles, naam)
            return not undecided and self.store.decide(conn, aanvraag.id, status, reden, now)

    def _controleer(self, aanvraag: Aanvraag) -> tuple[list[Controle], str | None]:
        controles = [_type_controle(aanvraag.type_dashboard)]
        if controles[0].geslaagd:
            controles.append(self._sleutel_controle(aanvraag))
        las, naam = self._las_controle(aanvraag)
        controles.append(las)
        return controles, naam

    def _sleutel_controle(self, aanvraag: Aanvraag) -> Controle:
        with self.db.read() as conn:
            key = self.store.key_of(conn, aanvraag.id)
        if key is None:
            return Controle("autorisatiesleutel", None, "De sleutel is niet meer beschikbaar")
        try:
            geldig = self.sleutels().controleer(aanvraag.brincode, aanvraag.dependancecode, key)
        except PartnerOnbereikbaar as exc:
            return Controle("autorisatiesleutel", None, f"Schoolkr8 niet bereikbaar ({exc})")
        if geldig:
            return Controle("autorisatiesleutel", True, "Sleutel geldig bij Schoolkr8")
        return Controle(
            "autorisatiesleutel",
            False,
            f"De autorisatiesleutel is bij Schoolkr8 niet geldig voor school "
            f"{aanvraag.brincode} vestiging {aanvraag.dependancecode}",
        )

    def _las_controle(self, aanvraag: Aanvraag) -> tuple[Controle, str | None]:
        try:
            status = self.las().las_koppeling(aanvraag.brincode, aanvraag.dependancecode)
        except PartnerOnbereikbaar as exc:
            return Controle("las_koppeling", None, f"Testcentrum niet bereikbaar ({exc})"), None
        if status.actief:
            return Controle(
                "las_koppeling", True, f"Actieve koppeling met {status.las}"
            ), status.school_naam
        return Controle(
            "las_koppeling",
            False,
            "De school heeft in het testcentrum geen actieve koppeling met ParnasSys of ESIS",
        ), status.school_naam

    def _besluit_hand(self, aanvraag_id: str, status: str, reden: str | None) -> Aanvraag:
        aanvraag = self.get(aanvraag_id)
        if aanvraag.status == IN_BEHANDELING:
            now = self._now(aanvraag.brincode, aanvraag.dependancecode)
            with self.db.begin() as conn:
                self.store.decide(conn, aanvraag_id, status, reden, now)
                aanvraag = _known(self.store.get(conn, aanvraag_id), aanvraag_id)
        if aanvraag.status != status:
            raise BesluitConflict(
                f"aanvraag {aanvraag_id} is al {aanvraag.status}; {status} kan niet meer"
            )
        self.verstuur_mail(aanvraag_id)
        return self.get(aanvraag_id)


def _known(aanvraag: Aanvraag | None, aanvraag_id: str) -> Aanvraag:
    if aanvraag is None:
        raise AanvraagOnbekend(aanvraag_id)
    return aanvraag


def _type_controle(type_dashboard: str) -> Controle:
    canonical = BEKENDE_DASHBOARDS.get(type_dashboard.strip().lower())
    if canonical is not None:
        return Controle("type_dashboard", True, canonical)
    known = ", ".join(sorted(BEKENDE_DASHBOARDS.values()))
    return Controle(
        "type_dashboard", False, f"Onbekend type dashboard {type_dashboard!r} (bekend: {known})"
    )


def dashboard_naam(type_dashboard: str) -> str:
    """The dashboard as it is called in the e-mails (``SchoolKr8`` -> ``Schoolkr8``)."""
    return BEKENDE_DASHBOARDS.get(type_dashboard.strip().lower(), type_dashboard)


def regel(text: str, limit: int = 128) -> str:
    """``text`` as one header-safe line: every run of whitespace or control characters (CR, LF,
    NUL, U+2028 …) one space, cut at ``limit`` characters. A school name comes from the LAS, so a
    subject is built only from text that went through here."""
    line = " ".join(_CONTROL.sub(" ", text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _school_tekst(aanvraag: Aanvraag) -> str:
    ident = f"BRIN {aanvraag.brincode}, vestiging {aanvraag.dependancecode}"
    return f"{regel(aanvraag.school_naam)} ({ident})" if aanvraag.school_naam else ident


def besluit_mail(aanvraag: Aanvraag) -> Mail:
    """The one e-mail of a decision: approval naming school and dashboard, or rejection + reason."""
    dashboard = regel(dashboard_naam(aanvraag.type_dashboard), 64)
    school = _school_tekst(aanvraag)
    headers = {"X-Koppeling-Aanvraag": aanvraag.id}
    if aanvraag.status == GOEDGEKEURD:
        subject = f"Koppeling met {dashboard} goedgekeurd voor {school}"
        body = (
            f"Beste beheerder,\n\nUw aanvraag voor de koppeling tussen het Boom testcentrum en "
            f"{dashboard} voor {school} is goedgekeurd.\nVanaf nu worden toetsen die genormeerd "
            f"worden doorgestuurd naar {dashboard}. Eerder genormeerde toetsen worden niet "
            f"doorgestuurd.\n\nKenmerk: {aanvraag.id}\n\nMet vriendelijke groet,\n"
            f"Boom klantenservice\n{AFZENDER}\n"
        )
    else:
        subject = f"Aanvraag koppeling met {dashboard} afgewezen voor {school}"
        body = (
            f"Beste beheerder,\n\nUw aanvraag voor de koppeling tussen het Boom testcentrum en "
            f"{dashboard} voor {school} is afgewezen.\n\nReden: {aanvraag.reden}\n\n"
            f"Pas de gegevens aan en vraag de koppeling opnieuw aan.\n\nKenmerk: {aanvraag.id}\n\n"
            f"Met vriendelijke groet,\nBoom klantenservice\n{AFZENDER}\n"
        )
    return Mail(AFZENDER, [aanvraag.beheerder_email], subject, body, _html(body), headers)


def _html(text: str) -> str:
    paragraphs = "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n"))
    return f"<html><body>{paragraphs}</body></html>"
