"""The forwarder: drains the durable outbox into Schoolkr8 as BrengLeerresultaten.

One pass (:meth:`Forwarder.run_once`, also what the worker thread loops on):

1. claim due messages in one transaction (per school at most ``batch_size``);
2. per school: is the dashboard koppeling active now (its status) and is there a Schoolkr8 key?
   If not, the messages wait (``wachtend``, no attempt counted) until it is;
3. build one ``leerresultaten_verzoek`` per school and schooljaar from the afnames' CURRENT figures
   (a re-norming while a message waits is sent, not the stale figures), one ``resultaat`` per afname
   with its stable key;
4. deliver it; on success ``verzonden``; on a transient failure (5xx, time-out, connection error,
   ``Server.*``) back to ``wachtend`` with exponential backoff; on a ``Client.*`` fault ``mislukt``
   with the reason - after splitting a multi-afname batch so one bad result does not sink the
   others.

Whether an afname may be forwarded at all was decided at its first norming (see
:mod:`mocks.testcentrum.afnames.store`); the forwarder only ever sees eligible afnames.
Backoff is timed by real time, not the harness clock: a frozen scenario clock must not stall
retries. The forwarder owns the outbox's transactions: each claim and each mark is one
transaction, and none is open while it talks to Schoolkr8.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from koppeling.harness.core import Core
from koppeling.harness.leases import Lease
from koppeling.harness.schools import schooljaar_of
from koppeling.uwlr.leerresultaten import (
    LeerresultatenVerzoek,
    Resultaat,
    School,
    Toets,
    Toetsafname,
)
from mocks.testcentrum.afnames import norms
from mocks.testcentrum.afnames.schoolkr8_client import (
    DEFAULT_KLANTCODE,
    DEFAULT_KLANTNAAM,
    DeliveryError,
    RejectedDelivery,
    Schoolkr8Client,
    Schoolkr8Config,
    TransientDeliveryError,
)
from mocks.testcentrum.afnames.service import Koppelingen
from mocks.testcentrum.afnames.store import Afname, AfnamesStore, Message, resultaat_key
from mocks.testcentrum.beheer.store import ACTIEF

log = logging.getLogger("koppeling.testcentrum.forwarder")

# Faults about the whole message (sender, key, version): splitting the batch cannot help.
WHOLE_MESSAGE_FAULTS = frozenset(
    {"Client.AutorisatieOngeldig", "Client.OngeldigeKlantIdentificatie", "Client.XsdVersieOngeldig"}
)
AUTEUR = "Boom testcentrum (stand-in)"
LEASE_NAME = "testcentrum.forwarder"


@dataclass
class ForwarderOptions:
    """Tuning, from the testcentrum's ``forwarder`` option (all seconds)."""

    klantcode: str = DEFAULT_KLANTCODE
    klantnaam: str = DEFAULT_KLANTNAAM
    schoolkr8_url: str | None = None  # default: the harness's Schoolkr8
    timeout: float = 10.0
    backoff_base: float = 1.0
    backoff_max: float = 300.0
    max_attempts: int | None = None  # None: keep retrying transient failures
    lease: float = 60.0  # a claim older than this is taken over (its worker died)
    batch_size: int = 500
    claim_limit: int = 5000
    poll_interval: float = 0.2
    hold_interval: float = 2.0  # how soon to look again while a koppeling is inactive
    worker_lease: float = 15.0  # of several harness processes on one store, one forwards

    @classmethod
    def from_options(cls, options: dict[str, Any] | None) -> ForwarderOptions:
        """Options from ``options["forwarder"]``; unknown names are a clear error."""
        given = dict((options or {}).get("forwarder") or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(given) - known)
        if unknown:
            raise ValueError(f"unknown forwarder option(s) {unknown}; known: {sorted(known)}")
        return cls(**given)

    def backoff(self, attempts: int) -> timedelta:
        """Delay before retry number ``attempts`` (1, 2, 4 ... times the base, capped)."""
        return timedelta(seconds=min(self.backoff_max, self.backoff_base * 2 ** min(attempts, 30)))


@dataclass
class PassReport:
    """What one pass did (counts of outbox messages)."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Delivery:
    """What one BrengLeerresultaten for one school and schooljaar is made of (the batch apart)."""

    school: str
    schooljaar: str
    afnames: dict[str, Afname]
    key: str = field(repr=False)
    now: datetime


class Forwarder:
    """Drains the outbox: ``run_once()`` synchronously, or ``start()``/``stop()`` as a thread."""

    def __init__(
        self,
        core: Core,
        koppelingen: Koppelingen,
        options: ForwarderOptions | None = None,
        *,
        client: Schoolkr8Client | None = None,
        real_now: Callable[[], datetime] | None = None,
    ) -> None:
        self.core = core
        self.db = core.db
        self.koppelingen = koppelingen
        self.options = options or ForwarderOptions()
        self.owner = f"forwarder-{uuid.uuid4().hex[:12]}"
        self.store = AfnamesStore()
        self._client = client
        self._real_now = real_now or (lambda: datetime.now(UTC))
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        #: the background worker runs passes only while it holds this (several harness processes
        #: on one store: one forwarder); run_once() itself is safe anyway (the outbox claims)
        self.lease = Lease(
            core.db,
            LEASE_NAME,
            self.owner,
            ttl=self.options.worker_lease,
            real_now=self._real_now,
        )

    # -- the client (made late: core.urls is complete only once every server is bound) ----------

    @property
    def client(self) -> Schoolkr8Client:
        if self._client is None:
            o = self.options
            base = o.schoolkr8_url or self.core.url("schoolkr8")
            self._client = Schoolkr8Client(
                Schoolkr8Config(
                    base, klantcode=o.klantcode, klantnaam=o.klantnaam, timeout=o.timeout
                )
            )
        return self._client

    # -- one pass -------------------------------------------------------------------------------

    def run_once(self) -> PassReport:
        """Claim what is due and deliver it, school by school; returns what happened."""
        report = PassReport()
        o = self.options
        with self.db.begin() as conn:
            claimed = self.store.claim(
                conn,
                self.owner,
                now=self._real_now(),
                lease=timedelta(seconds=o.lease),
                per_school=o.batch_size,
                limit=o.claim_limit,
            )
        for school, messages in claimed.items():
            report.claimed += len(messages)
            self._deliver_school(school, messages, report)
        return report

    def run_until_idle(self, max_passes: int = 1000) -> PassReport:
        """Passes until nothing is due (tests and the benchmark); the summed report."""
        total = PassReport()
        for _ in range(max_passes):
            report = self.run_once()
            for name in ("claimed", "sent", "retried", "failed", "held", "requests"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
            total.errors.extend(report.errors)
            if report.claimed == 0:
                break
        return total

    def _deliver_school(self, school: str, messages: list[Message], report: PassReport) -> None:
        brin, _, dep = school.partition("-")
        now = self.core.clock.now(brin, dep)
        # Whether to send NOW is the koppeling's current status, not the clock: a school clock
        # moved back by a scenario must not hold results that were rightly queued.
        current = self.koppelingen.current(school)
        if current is None or current.status != ACTIEF:
            self._hold(messages, "dashboard-koppeling niet actief", report)
            return
        key = self.koppelingen.schoolkr8_key(school)
        if not key:
            self._hold(messages, "geen Schoolkr8-autorisatiesleutel bekend", report)
            return
        with self.db.read() as conn:
            afnames = self.store.by_ids(conn, {m.afname_id for m in messages})
        by_year: dict[str, list[Message]] = {}
        for m in messages:
            afname = afnames.get(m.afname_id)
            year = (
                schooljaar_of(afname.afnamedatum.year, afname.afnamedatum.month)
                if afname
                else "onbekend"
            )
            by_year.setdefault(year, []).append(m)
        for year, batch in by_year.items():
            self._send(_Delivery(school, year, afnames, key, now), batch, report)

    def _send(self, d: _Delivery, batch: list[Message], report: PassReport) -> None:
        # one resultaat per afname, even when a stale claim and a newer message are both here
        present = list(
            {
                m.afname_id: d.afnames[m.afname_id] for m in batch if m.afname_id in d.afnames
            }.values()
        )
        if not present:
            self._fail(batch, "afname niet meer aanwezig", report)
            return
        verzoek = build_verzoek(d.school, d.schooljaar, present, d.now)
        report.requests += 1
        try:
            self.client.breng_leerresultaten(verzoek, d.key)
        except RejectedDelivery as exc:
            self._rejected(d, batch, exc, report)
        except TransientDeliveryError as exc:
            self._retry(batch, exc, report)
        else:
            at = self._real_now()
            with self.db.begin() as conn:
                report.sent += self.store.mark_sent(conn, batch, self.owner, at)
            log.info("forwarded %d result(s) for %s", len(present), d.school)

    def _rejected(
        self, d: _Delivery, batch: list[Message], exc: RejectedDelivery, report: PassReport
    ) -> None:
        groups = _by_afname(batch)
        if len(groups) > 1 and exc.code not in WHOLE_MESSAGE_FAULTS:
            for group in groups.values():  # find the result(s) that were refused
                self._send(d, group, report)
            return
        self._fail(batch, exc.reason, report)

    def _retry(self, batch: Sequence[Message], exc: DeliveryError, report: PassReport) -> None:
        o = self.options
        attempts = max(m.attempts for m in batch) + 1
        if o.max_attempts is not None and attempts >= o.max_attempts:
            self._fail(batch, f"opgegeven na {attempts} pogingen: {exc.reason}", report)
            return
        next_at = self._real_now() + o.backoff(attempts - 1)
        with self.db.begin() as conn:
            report.retried += self.store.mark_retry(
                conn, batch, self.owner, next_at=next_at, reden=exc.reason
            )
        report.errors.append(exc.reason)
        log.warning(
            "forwarding %d message(s) failed, retry at %s: %s",
            len(batch),
            next_at.isoformat(),
            exc.reason,
        )

    def _fail(self, batch: Sequence[Message], reden: str, report: PassReport) -> None:
        with self.db.begin() as conn:
            report.failed += self.store.mark_failed(conn, batch, self.owner, reden)
        report.errors.append(reden)
        log.warning("forwarding %d message(s) failed for good: %s", len(batch), reden)

    def _hold(self, batch: Sequence[Message], reden: str, report: PassReport) -> None:
        next_at = self._real_now() + timedelta(seconds=self.options.hold_interval)
        with self.db.begin() as conn:
            report.held += self.store.hold(conn, batch, self.owner, next_at=next_at, reden=reden)

    # -- the worker thread ----------------------------------------------------------------------

    def start(self) -> Forwarder:
        """Run passes in a daemon thread until :meth:`stop`."""
        if self._thread is not None:
            return self
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._loop, name="testcentrum-forwarder", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop after the current delivery (claims of an unfinished one expire with the lease)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.options.timeout + 5)
            if self._thread.is_alive():  # still delivering: its lease runs out by itself
                self._thread = None
                return
            try:
                self.lease.release()
            except Exception:  # the store is gone: the lease runs out by itself
                log.warning("could not release the forwarder lease", exc_info=True)
        self._thread = None

    def wake(self) -> None:
        """Look at the outbox now (called after a norming put something in it)."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.lease.acquire():  # another harness process forwards
                    self._stop.wait(self.options.worker_lease / 3)
                    continue
                report = self.run_once()
            except Exception as exc:  # keep the worker alive; the store may be busy or gone
                log.exception("forwarder pass failed")
                self.core.errors.append(exc)
                report = PassReport()
                self._stop.wait(1.0)
            if report.claimed:
                continue
            self._wake.wait(self._idle_seconds())
            self._wake.clear()

    def _idle_seconds(self) -> float:
        with self.db.read() as conn:
            due = self.store.next_due(conn)
        if due is None:
            return self.options.poll_interval
        wait = (due - self._real_now()).total_seconds()
        return max(0.01, min(self.options.poll_interval, wait))


def build_verzoek(
    school: str, schooljaar: str, afnames: Sequence[Afname], now: datetime
) -> LeerresultatenVerzoek:
    """The BrengLeerresultaten request for normed ``afnames`` of one school: one toetsafname per
    pupil (``leerlingid`` = leerlingnummer), one resultaat per afname under its stable key."""
    brin, _, dep = school.partition("-")
    per_pupil: dict[str, list[Resultaat]] = {}
    codes: dict[str, norms.Toets] = {}
    for afname in afnames:
        toets = norms.toets(afname.toets)
        codes[toets.code] = toets
        per_pupil.setdefault(afname.leerlingnummer, []).append(_resultaat(afname, toets))
    return LeerresultatenVerzoek(
        school=School(
            schooljaar=schooljaar,
            brincode=brin,
            dependancecode=dep or "00",
            aanmaakdatum=now,
            auteur=AUTEUR,
        ),
        toetsafnames=tuple(
            Toetsafname(leerlingid=nummer, resultaten=tuple(resultaten))
            for nummer, resultaten in per_pupil.items()
        ),
        toetsen=tuple(
            Toets(toetscode=code, toetsnaam=t.naam, vakgebied=t.vakgebied, versie=norms.NORM_MODEL)
            for code, t in codes.items()
        ),
    )


def _resultaat(afname: Afname, toets: norms.Toets) -> Resultaat:
    figures = afname.normering or {}
    return Resultaat.genormeerd(
        resultaat_key(afname.id),
        afname.afnamedatum,
        toets.code,
        ruwe_score=afname.ruwe_score,
        vaardigheidsscore=Decimal(str(figures["vaardigheidsscore"]))
        if "vaardigheidsscore" in figures
        else None,
        percentiel=figures.get("percentiel"),
        niveau=figures.get("niveau"),
        niveau_ae=figures.get("niveau_ae"),
        dle=figures.get("dle"),
    )


def _by_afname(batch: Sequence[Message]) -> dict[str, list[Message]]:
    groups: dict[str, list[Message]] = {}
    for m in batch:
        groups.setdefault(m.afname_id, []).append(m)
    return groups
