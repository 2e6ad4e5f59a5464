"""The core one harness is built on, and what starts it without any web framework.

:class:`Core` holds the shared parts every partner app and background worker uses (store,
clock, journal, faults, mail, partner URLs); :func:`build_core` makes it from a config and
:func:`start_workers` starts the background workers (the SMTP sink, the testcentrum's poller
and forwarder) from the modules :class:`~koppeling.harness.services.ServiceSpec` names for
them. Nothing here imports Flask: ``koppeling up`` builds a core and starts the workers while
the gunicorn arbiter it forked imports Flask and builds the apps, on the other core.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, Self

from koppeling.harness.clock import Clock
from koppeling.harness.config import HarnessConfig
from koppeling.harness.faults import Faults
from koppeling.harness.hosts import LOOPBACK, allowed_names
from koppeling.harness.journal import Entry, Journal
from koppeling.harness.mail import Mail, Mailer, SmtpMailer
from koppeling.harness.services import ServiceSpec
from koppeling.harness.store import Database


class StartStop:
    """Something that runs between ``start()`` and ``stop()``; ``with`` starts and stops it."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


@dataclass
class Core:
    """The shared parts of one harness, passed to every app: store, clock, journal, faults, mail.

    ``urls`` maps service names to base URLs; the harness fills it once servers are bound, and
    config can point a name at a real partner instead. ``allowed_hosts`` are the names a request's
    Host header may carry (:mod:`koppeling.harness.hosts`).
    """

    db: Database
    clock: Clock
    journal: Journal
    faults: Faults
    mailer: Mailer
    urls: dict[str, str] = field(default_factory=dict)
    errors: list[BaseException] = field(default_factory=list)
    allowed_hosts: frozenset[str] = LOOPBACK

    @classmethod
    def create(
        cls,
        db: Database,
        *,
        journal_limit: int = 2000,
        mailer: Mailer | None = None,
        urls: dict[str, str] | None = None,
        allowed_hosts: frozenset[str] = LOOPBACK,
        store_checked: bool = False,
        journal_link: str | None = None,
    ) -> Core:
        if not store_checked:  # else the caller made the store ready (``koppeling up`` does)
            db.create_all()
        return cls(
            db=db,
            clock=Clock(db),
            journal=Journal(db, journal_limit, link=journal_link),
            faults=Faults(db),
            mailer=mailer or SmtpMailer("127.0.0.1", 1025),
            urls=urls if urls is not None else {},
            allowed_hosts=allowed_hosts,
        )

    def url(self, service: str) -> str:
        """The base URL of a partner service, or a clear error if it is not configured."""
        try:
            return self.urls[service].rstrip("/")
        except KeyError:
            raise RuntimeError(f"no URL configured for service {service!r}") from None

    def send_mail(self, service: str, mail: Mail, *, school: str | None = None) -> str:
        """Send over SMTP and journal it (the journal masks any key in the text)."""
        message_id = self.mailer.send(mail)
        self.journal.record(
            Entry(
                service=service,
                kind="email",
                at=self.clock.now(),
                school=school,
                correlation_id=_current_correlation_id(),
                summary=f"mail to {', '.join(mail.to)}: {mail.subject}",
                data={
                    "from": mail.sender,
                    "to": mail.to,
                    "subject": mail.subject,
                    "message_id": message_id,
                },
            )
        )
        return message_id


def _current_correlation_id() -> str | None:
    """The correlation id of the request being served, if any. Flask is looked up, not
    imported: a process that never loaded it (``koppeling up`` itself) serves no request."""
    flask = sys.modules.get("flask")
    if flask is None:
        return None
    try:
        return str(flask.g.correlation_id)
    except (RuntimeError, AttributeError):
        return None


class Worker(Protocol):
    def start(self) -> Any: ...
    def stop(self) -> None: ...


def build_core(
    config: HarnessConfig, db: Database | None = None, *, store_checked: bool = False
) -> Core:
    """The shared core for a config: store, clock, journal, faults, mailer, partner URLs.
    ``store_checked``: the caller made the store ready already (no second ``create_all``)."""
    if db is None:
        url = config.store_url()
        db = Database.memory() if url is None else Database(url)
    mailer = SmtpMailer(config.smtp_host or config.host, config.smtp_port or config.sink_port())
    return Core.create(
        db,
        journal_limit=config.journal_limit,
        mailer=mailer,
        urls=dict(config.urls),
        allowed_hosts=allowed_names(config.host, config.allowed_hosts),
        store_checked=store_checked,
        journal_link=config.journal_socket,
    )


def planned_urls(config: HarnessConfig, services: list[ServiceSpec]) -> dict[str, str]:
    """Base URL of every service: configured partner URLs, else this harness's own ports."""
    urls = {s.name: f"http://{config.host}:{config.port(s.name)}" for s in services}
    urls.update(config.urls)
    return urls


def start_workers(config: HarnessConfig, core: Core, services: list[ServiceSpec]) -> list[Worker]:
    """The SMTP sink (unless mail goes elsewhere) and each service's background worker."""
    workers: list[Worker] = []
    for spec in services:
        if spec.worker is None:
            continue
        factory = importlib.import_module(spec.worker).create_worker
        options = dict(spec.config)
        options.update(config.options.get(spec.name, {}))
        options.update(
            {
                "host": config.host,
                "smtp_port": config.sink_port(),
                "embedded_smtp": config.smtp_host is None,
            }
        )
        worker = factory(core, options)
        if worker is not None:
            worker.start()
            workers.append(worker)
            port = getattr(worker, "smtp_port", None)
            if port and config.smtp_host is None and isinstance(core.mailer, SmtpMailer):
                core.mailer.port = port
    return workers
