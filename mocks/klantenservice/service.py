"""How Boom klantenservice handles a dashboard request: check "all fields correct", decide, mail.

The checks (docs/architecture.md, manual step 2): the type of dashboard is one we know; the
autorisatiesleutel is valid at Schoolkr8 for exactly this school (asked through Schoolkr8's key
check); the school has an active LAS koppeling at the testcentrum (asked over HTTP). Automatic mode
decides as soon as every check could be made; when a partner cannot be reached the aanvraag stays
``in_behandeling`` and the next
look at it (the testcentrum polls) tries again: an outage elsewhere is no reason to reject a school.
Manual mode records the checks for a human, who calls goedkeuren/afwijzen.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import Protocol

from koppeling.harness.mail import Mail
from mocks.klantenservice.clients import LasStatus, PartnerOnbereikbaar
from mocks.klantenservice.store import (
    AFGEWEZEN,
    AUTOMATISCH,
    GOEDGEKEURD,
    HANDMATIG,
    IN_BEHANDELING,
    Aanvraag,
    Aanvragen,
    Controle,
    Modi,
    NieuweAanvraag,
)

AFZENDER = "klantenservice@boomtestonderwijs.nl"
BEKENDE_DASHBOARDS = {"schoolkr8": "Schoolkr8"}


class SleutelControle(Protocol):
    """Schoolkr8's key check."""

    def controleer(self, brincode: str, dependancecode: str, autorisatiesleutel: str) -> bool: ...


class LasControle(Protocol):
    """The testcentrum's view of a school's LAS koppeling."""

    def las_koppeling(self, brincode: str, dependancecode: str) -> LasStatus: ...


class AanvraagOnbekend(LookupError):
    """No aanvraag with that id."""


class BesluitConflict(Exception):
    """A decision that contradicts the one already taken (or an aanvraag that was withdrawn)."""


class Klantenservice:
    """Takes in aanvragen, checks them, decides (automatically or by hand), mails the decision.

    ``sleutels`` and ``las`` give the partner check clients (called per check, replaceable).
    """

    def __init__(
        self,
        aanvragen: Aanvragen,
        modi: Modi,
        *,
        now: Callable[[str, str], datetime],
        sleutels: Callable[[], SleutelControle],
        las: Callable[[], LasControle],
        send_mail: Callable[[Mail, str], str],
        default_modus: str = AUTOMATISCH,
    ) -> None:
        self.aanvragen = aanvragen
        self.modi = modi
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
        """Store (or find the retried) aanvraag, handle it, and return it with ``created``."""
        chosen = modus or self.modi.get(nieuw.school) or self.default_modus
        aanvraag, created = self.aanvragen.insert_or_existing(
            nieuw,
            modus=chosen,
            idempotency_key=idempotency_key,
            now=self._now(nieuw.brincode, nieuw.dependancecode),
        )
        return self.bekijk(aanvraag.id), created

    def bekijk(self, aanvraag_id: str) -> Aanvraag:
        """The aanvraag, after finishing any work it still waits for (checks, the e-mail)."""
        aanvraag = self._get(aanvraag_id)
        if aanvraag.status == IN_BEHANDELING and self._needs_checks(aanvraag):
            self._behandel(aanvraag)
        self.verstuur_mail(aanvraag_id)
        return self._get(aanvraag_id)

    def goedkeuren(self, aanvraag_id: str) -> Aanvraag:
        """A human approves (manual mode); approving an approved aanvraag again changes nothing."""
        return self._besluit_hand(aanvraag_id, GOEDGEKEURD, None)

    def afwijzen(self, aanvraag_id: str, reden: str) -> Aanvraag:
        """A human rejects with a reason; rejecting a rejected aanvraag again changes nothing."""
        return self._besluit_hand(aanvraag_id, AFGEWEZEN, reden)

    def intrekken(self, aanvraag_id: str) -> Aanvraag:
        """The school deactivated the koppeling: a later request with the same fields is new."""
        self._get(aanvraag_id)
        self.aanvragen.withdraw(aanvraag_id)
        return self._get(aanvraag_id)

    def verwerk_open(self) -> int:
        """One pass over undecided automatic aanvragen and unsent e-mails; returns decisions."""
        decided = 0
        for aanvraag in self.aanvragen.pending(AUTOMATISCH):
            decided += int(self._behandel(aanvraag))
        for aanvraag_id in self.aanvragen.mail_owed():
            self.verstuur_mail(aanvraag_id)
        return decided

    def verstuur_mail(self, aanvraag_id: str) -> bool:
        """Send the decision e-mail if it is owed and nobody else is sending it; True if sent."""
        if not self.aanvragen.claim_mail(aanvraag_id):
            return False
        aanvraag = self._get(aanvraag_id)
        try:
            message_id = self._send_mail(besluit_mail(aanvraag), aanvraag.school)
        except OSError:
            self.aanvragen.mail_failed(aanvraag_id)
            return False
        self.aanvragen.mail_sent(aanvraag_id, message_id)
        return True

    # --- internals ---------------------------------------------------------------------------

    def _get(self, aanvraag_id: str) -> Aanvraag:
        aanvraag = self.aanvragen.get(aanvraag_id)
        if aanvraag is None:
            raise AanvraagOnbekend(aanvraag_id)
        return aanvraag

    def _needs_checks(self, aanvraag: Aanvraag) -> bool:
        if aanvraag.modus == AUTOMATISCH:
            return True
        return not aanvraag.controles or any(c.geslaagd is None for c in aanvraag.controles)

    def _behandel(self, aanvraag: Aanvraag) -> bool:
        controles, naam = self._controleer(aanvraag)
        self.aanvragen.record_checks(aanvraag.id, controles, naam)
        if aanvraag.modus == HANDMATIG or any(c.geslaagd is None for c in controles):
            return False
        failed = [c.toelichting for c in controles if c.geslaagd is False]
        status, reden = (AFGEWEZEN, "; ".join(failed)) if failed else (GOEDGEKEURD, None)
        now = self._now(aanvraag.brincode, aanvraag.dependancecode)
        return self.aanvragen.decide(aanvraag.id, status, reden, now)

    def _controleer(self, aanvraag: Aanvraag) -> tuple[list[Controle], str | None]:
        controles = [_type_controle(aanvraag.type_dashboard)]
        if controles[0].geslaagd:
            controles.append(self._sleutel_controle(aanvraag))
        las, naam = self._las_controle(aanvraag)
        controles.append(las)
        return controles, naam

    def _sleutel_controle(self, aanvraag: Aanvraag) -> Controle:
        key = self.aanvragen.key_of(aanvraag.id)
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
        aanvraag = self._get(aanvraag_id)
        if aanvraag.status == IN_BEHANDELING:
            now = self._now(aanvraag.brincode, aanvraag.dependancecode)
            self.aanvragen.decide(aanvraag_id, status, reden, now)
            aanvraag = self._get(aanvraag_id)
        if aanvraag.status != status:
            raise BesluitConflict(
                f"aanvraag {aanvraag_id} is al {aanvraag.status}; {status} kan niet meer"
            )
        self.verstuur_mail(aanvraag_id)
        return self._get(aanvraag_id)


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


def _school_tekst(aanvraag: Aanvraag) -> str:
    ident = f"BRIN {aanvraag.brincode}, vestiging {aanvraag.dependancecode}"
    return f"{aanvraag.school_naam} ({ident})" if aanvraag.school_naam else ident


def besluit_mail(aanvraag: Aanvraag) -> Mail:
    """The one e-mail of a decision: approval naming school and dashboard, or rejection + reason."""
    dashboard = dashboard_naam(aanvraag.type_dashboard)
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
