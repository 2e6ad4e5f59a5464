"""The school-beheerder's side of the two e-mails: what a person (or a script) reads out of them.

This is the consumer of the message contracts (consumer ``school-beheerder``): from the Schoolkr8
mail it takes the *autorisatiesleutel* to paste into the testcentrum (manual step 1→2); from the
klantenservice mail it takes the decision on the dashboard request and, if rejected, the reason.
The contracts pin exactly what this code relies on, so Schoolkr8 and Boom may change the rest of
their wording freely. Scenarios use it too, to read keys from the mailbox.

A mail is handled as :class:`BeheerderMail` (from, to, subject, text) — the same shape the message
pacts carry as JSON, and what :meth:`BeheerderMail.from_mailpit` makes of a mailbox message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

KLANTENSERVICE_AFZENDER = "klantenservice@boomtestonderwijs.nl"

# "Autorisatiesleutel: <key>" or "Uw autorisatiesleutel is:" with the key on a following line; the
# key (8-64 letters, digits, _ or -) ends its line. The key itself is opaque to the school.
KEY_LINE = re.compile(
    r"autorisatiesleutel(?: is)?\s*:\s*([A-Za-z0-9_-]{8,64})[ \t\r]*$", re.IGNORECASE | re.MULTILINE
)
DECISION = re.compile(r"\bis (goedgekeurd|afgewezen)\b")
REASON_LINE = re.compile(r"^\s*Reden:\s*(.+?)\s*$", re.MULTILINE)
REFERENCE_LINE = re.compile(r"^\s*Kenmerk:\s*(\S+)\s*$", re.MULTILINE)


class MailNotUnderstood(ValueError):
    """The e-mail lacks what the beheerder needs; the message says what was looked for."""


@dataclass(frozen=True)
class BeheerderMail:
    """An e-mail as the beheerder sees it."""

    sender: str
    to: tuple[str, ...]
    subject: str
    text: str

    @classmethod
    def from_message(cls, data: dict[str, Any]) -> BeheerderMail:
        """From the message-pact JSON: ``{"from", "to", "subject", "text"}``."""
        return cls(str(data["from"]), tuple(data["to"]), str(data["subject"]), str(data["text"]))

    @classmethod
    def from_mailpit(cls, data: dict[str, Any]) -> BeheerderMail:
        """From a Mailpit-style ``GET /api/v1/message/{ID}`` answer."""
        sender = data.get("From") or {}
        to = [t.get("Address", "") for t in data.get("To") or []]
        return cls(
            str(sender.get("Address", "")),
            tuple(to),
            str(data.get("Subject", "")),
            str(data.get("Text", "")),
        )

    def as_message(self) -> dict[str, Any]:
        """The message-pact JSON of this mail."""
        return {
            "from": self.sender,
            "to": list(self.to),
            "subject": self.subject,
            "text": self.text,
        }


@dataclass(frozen=True)
class Decision:
    """The klantenservice's decision on a dashboard request."""

    approved: bool
    reason: str | None
    reference: str | None


def read_key(mail: BeheerderMail) -> str:
    """The autorisatiesleutel in a Schoolkr8 activation mail."""
    match = KEY_LINE.search(mail.text)
    if match is None:
        raise MailNotUnderstood(f"no 'autorisatiesleutel: <sleutel>' in the mail {mail.subject!r}")
    return match.group(1)


def read_decision(mail: BeheerderMail) -> Decision:
    """Approved or rejected (with the reason) from a klantenservice mail."""
    if mail.sender.lower() != KLANTENSERVICE_AFZENDER:
        raise MailNotUnderstood(f"not from {KLANTENSERVICE_AFZENDER}: {mail.sender!r}")
    match = DECISION.search(mail.text)
    if match is None:
        raise MailNotUnderstood("the mail says neither 'is goedgekeurd' nor 'is afgewezen'")
    approved = match.group(1) == "goedgekeurd"
    reason = REASON_LINE.search(mail.text)
    if not approved and reason is None:
        raise MailNotUnderstood("a rejection without a line 'Reden: …'")
    reference = REFERENCE_LINE.search(mail.text)
    return Decision(
        approved,
        None if approved or reason is None else reason.group(1),
        reference.group(1) if reference else None,
    )
