"""Outgoing e-mail: every mock sends through a real SMTP client to a configurable host and port.

By default that is the embedded mailbox sink; pointing the harness at a real Mailpit or a company
relay is the ``smtp_host``/``smtp_port`` setting, nothing more.

Headers are never folded: Python's default policy folds at 78 characters and, when the first word
does not fit, starts the value on a continuation line (``Subject:`` CRLF SP ``…``), which some
readers return with a leading space; it also turns a long plain-ASCII value (a URL) into encoded
words. Up to RFC 5322's 998-character line limit a header stays one line; a longer one is refused.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

#: RFC 5322's hard limit for a line; within it a header is written unfolded
MAX_LINE = 998
_UNFOLDED = policy.default.clone(max_line_length=MAX_LINE)


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
        """The MIME message: text, and HTML as its alternative; every header on one line."""
        msg = EmailMessage(policy=_UNFOLDED)
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
        for name, value in msg.items():
            if len(_UNFOLDED.fold(name, value).rstrip("\n")) > MAX_LINE:
                raise ValueError(f"header {name} is longer than {MAX_LINE} characters")
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
