"""Outgoing e-mail: every mock sends through a real SMTP client to a configurable host and port.

By default that is the embedded mailbox sink; pointing the harness at a real Mailpit or a company
relay is the ``smtp_host``/``smtp_port`` setting, nothing more.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol


@dataclass(frozen=True)
class Mail:
    """A message to send: plain text and an HTML alternative."""

    sender: str
    to: list[str]
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def to_message(self) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.to)
        msg["Subject"] = self.subject
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain="koppeling.test")
        for name, value in self.headers.items():
            msg[name] = value
        msg.set_content(self.text)
        if self.html is not None:
            msg.add_alternative(self.html, subtype="html")
        return msg


class Mailer(Protocol):
    """Anything that can deliver a :class:`Mail` (SMTP in the harness)."""

    def send(self, mail: Mail) -> str: ...


class SmtpMailer:
    """Delivers over SMTP; returns the Message-ID."""

    def __init__(self, host: str, port: int, timeout: float = 10.0) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout

    def send(self, mail: Mail) -> str:
        msg = mail.to_message()
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(msg)
        return str(msg["Message-ID"])
