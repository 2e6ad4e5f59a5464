"""The SMTP sink: a real SMTP server (aiosmtpd) that keeps every message it receives in the store,
through the same :class:`mocks.mailbox.service.MailboxService` the HTTP API reads with.

It runs in the process that supervises the harness (never in a gunicorn worker), on its own
asyncio thread, with the start/stop/clear/url contract of
:class:`koppeling.harness.server.ServerThread`.
Port 0 picks a free port; ``smtp_port`` holds the bound port after ``start()``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Self

from aiosmtpd.controller import Controller

from koppeling.harness.core import Core, StartStop
from koppeling.harness.keys import mask_text
from mocks.mailbox.service import MailboxService

log = logging.getLogger("koppeling.mailbox")


class _MaskKeys(logging.Filter):
    """aiosmtpd logs every DATA line at DEBUG: mask any key in its records, whatever the level."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        masked = mask_text(text)
        if masked != text:
            record.msg, record.args = masked, ()
        return True


# The SMTP conversation (with message bodies, hence keys) stays out of the logs unless asked for.
_SMTP_LOG = logging.getLogger("mail.log")
_SMTP_LOG.setLevel(logging.WARNING)
if not any(isinstance(f, _MaskKeys) for f in _SMTP_LOG.filters):
    _SMTP_LOG.addFilter(_MaskKeys())

MAX_MESSAGE_BYTES = 10 * 1024 * 1024


class _FreePortController(Controller):
    """aiosmtpd's Controller, able to bind port 0 (reads the real port back before probing it)."""

    def _trigger_server(self) -> None:
        server = self.server
        if self.port == 0 and isinstance(server, asyncio.Server):
            self.port = int(server.sockets[0].getsockname()[1])
        super()._trigger_server()  # type: ignore[no-untyped-call]


class _Handler:
    """aiosmtpd handler: keep each message through the mailbox service."""

    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        try:
            self.sink.service.receive(
                bytes(raw), str(envelope.mail_from or ""), list(envelope.rcpt_tos)
            )
        except Exception as exc:  # a broken store must not kill the sink; the sender sees 451
            log.exception("mailbox could not store a message")
            self.sink.core.errors.append(exc)
            return "451 Requested action aborted: local error in processing"
        return "250 Message accepted for delivery"


class SmtpSink(StartStop):
    """The embedded SMTP server: ``start()``, ``smtp_port``, ``url``, ``clear()``, ``stop()``."""

    def __init__(self, core: Core, host: str = "127.0.0.1", port: int = 0) -> None:
        self.core = core
        self.service = MailboxService(core.db, core.clock, core.journal)
        self.host = host
        self.requested_port = port
        self.smtp_port: int | None = None
        self._controller: _FreePortController | None = None

    @property
    def url(self) -> str:
        if self.smtp_port is None:
            raise RuntimeError("SMTP sink not started")
        return f"smtp://{self.host}:{self.smtp_port}"

    def start(self) -> Self:
        if self._controller is not None:
            raise RuntimeError("SMTP sink already started")
        controller = _FreePortController(
            _Handler(self),
            hostname=self.host,
            port=self.requested_port,
            data_size_limit=MAX_MESSAGE_BYTES,
            ready_timeout=10.0,
        )
        controller.start()
        self._controller = controller
        self.smtp_port = int(controller.port)
        return self

    def stop(self) -> None:
        if self._controller is None:
            return
        self._controller.stop()
        self._controller = None

    def clear(self) -> None:
        """Forget every received message."""
        self.service.delete()


def create_worker(core: Core, options: dict[str, Any]) -> SmtpSink | None:
    """The embedded SMTP sink, unless the harness sends mail to another server (the mailbox's
    ``ServiceSpec.worker``: aiosmtpd and asyncio are imported only where the sink runs, never
    in a gunicorn worker)."""
    if not options.get("embedded_smtp", True):
        return None
    return SmtpSink(core, str(options.get("host", "127.0.0.1")), int(options.get("smtp_port", 0)))
