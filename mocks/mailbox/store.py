"""The mailbox's memory: every message the SMTP sink received, kept in the shared store.

Messages live in the store (not in the sink's process) so they survive a restart and so the HTTP
API, served by other worker processes, reads what the SMTP thread wrote. A message is parsed once,
on arrival, into the fields Mailpit's API shows (From, To, Cc, Bcc, Subject, Text, HTML, Snippet);
the raw bytes are kept too. No Flask imports here.
"""

from __future__ import annotations

import json
import re
import secrets
import string
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    delete,
    func,
    or_,
    select,
)

from koppeling.harness.store import Database, metadata

_ID_ALPHABET = string.ascii_letters + string.digits
SNIPPET_LENGTH = 250

messages_table = Table(
    "mailbox_messages",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(32), nullable=False, unique=True),
    Column("message_id", String(512)),
    Column("created", DateTime(timezone=True), nullable=False),
    Column("sender", Text, nullable=False),  # JSON {"Name", "Address"}
    Column("recipients", Text, nullable=False),  # JSON {"To": [...], "Cc": [...], "Bcc": [...]}
    Column("search_to", Text, nullable=False),  # lower-cased " addr name | addr name |"
    Column("search_from", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("raw", LargeBinary, nullable=False),
)


@dataclass(frozen=True)
class StoredMessage:
    """One received message, with Mailpit's field names available through :meth:`summary`."""

    seq: int
    id: str
    message_id: str
    created: datetime
    sender: dict[str, str]
    recipients: dict[str, list[dict[str, str]]]
    subject: str
    text: str
    html: str
    size: int

    @property
    def to(self) -> list[dict[str, str]]:
        return self.recipients.get("To", [])

    def all_addresses(self) -> list[str]:
        """Every recipient address (To, Cc, Bcc), lower-cased."""
        return [
            a["Address"].lower()
            for kind in ("To", "Cc", "Bcc")
            for a in self.recipients.get(kind, [])
        ]

    def summary(self) -> dict[str, Any]:
        """The message as Mailpit lists it (``GET /api/v1/messages``)."""
        return {
            "ID": self.id,
            "MessageID": self.message_id,
            "Read": False,
            "From": self.sender,
            "To": self.to,
            "Cc": self.recipients.get("Cc", []),
            "Bcc": self.recipients.get("Bcc", []),
            "ReplyTo": [],
            "Subject": self.subject,
            "Created": _iso(self.created),
            "Tags": [],
            "Size": self.size,
            "Attachments": 0,
            "Snippet": snippet(self.text or _strip_tags(self.html)),
        }

    def detail(self) -> dict[str, Any]:
        """The message as Mailpit shows one (``GET /api/v1/message/{ID}``)."""
        body = self.summary()
        for name in ("Read", "Created", "Snippet", "Attachments"):
            body.pop(name)
        body.update(
            {
                "ReturnPath": self.sender["Address"],
                "Date": _iso(self.created),
                "Text": self.text,
                "HTML": self.html,
                "Inline": [],
                "Attachments": [],
            }
        )
        return body


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def snippet(text: str) -> str:
    """The first words of a body, whitespace collapsed, as Mailpit's ``Snippet``."""
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_LENGTH else flat[:SNIPPET_LENGTH].rstrip() + "..."


def _strip_tags(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"(?is)<(style|script)\b.*?</\1>", " ", html))


def new_id() -> str:
    """A Mailpit-like message ID: 22 random letters and digits."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(22))


@dataclass(frozen=True)
class Query:
    """A parsed Mailpit search: ``to:``, ``from:``, ``subject:`` and free words, all ANDed."""

    to: tuple[str, ...] = ()
    sender: tuple[str, ...] = ()
    subject: tuple[str, ...] = ()
    words: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Query:
        """Split ``to:a@x subject:"two words" word`` into its parts (case-insensitive)."""
        parts: dict[str, list[str]] = {"to": [], "from": [], "subject": [], "": []}
        for match in re.finditer(r'(?:(\w+):)?(?:"([^"]*)"|(\S+))', text):
            prefix = (match.group(1) or "").lower()
            value = (match.group(2) if match.group(2) is not None else match.group(3)).lower()
            if prefix not in parts:  # an unknown prefix is just a word, as in Mailpit
                value, prefix = f"{prefix}:{value}", ""
            if value:
                parts[prefix].append(value)
        return cls(
            tuple(parts["to"]), tuple(parts["from"]), tuple(parts["subject"]), tuple(parts[""])
        )


def _like(column: Any, value: str) -> Any:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


class MailStore:
    """Add, list, search and delete received messages."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, raw: bytes, *, mail_from: str, rcpt_tos: list[str], received: datetime) -> str:
        """Parse and keep one message as delivered over SMTP; returns its ID."""
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(msg, EmailMessage)
        recipients = _recipients(msg, rcpt_tos)
        sender = _first_address(msg, "From") or {"Name": "", "Address": mail_from}
        ident = new_id()
        # Like Mailpit, a message without a Message-ID gets one.
        message_id = str(msg.get("Message-ID", "")).strip().strip("<>") or f"{ident}@mailbox"
        text, html = _bodies(msg)
        values = {
            "id": ident,
            "message_id": message_id,
            "created": received,
            "sender": json.dumps(sender),
            "recipients": json.dumps(recipients),
            "search_to": _search_text([a for v in recipients.values() for a in v]),
            "search_from": _search_text([sender]),
            "subject": str(msg.get("Subject", "")),
            "text": text,
            "html": html,
            "size": len(raw),
            "raw": raw,
        }
        with self._db.begin() as conn:
            conn.execute(messages_table.insert().values(**values))
        return str(values["id"])

    def page(
        self, start: int = 0, limit: int = 50, query: Query | None = None, after_seq: int = 0
    ) -> tuple[list[StoredMessage], int]:
        """A page of messages, newest first, and how many match in total."""
        t = messages_table
        conditions = [t.c.seq > after_seq, *self._conditions(query or Query())]
        with self._db.begin() as conn:
            total = conn.execute(select(func.count()).select_from(t).where(*conditions)).scalar()
            rows = conn.execute(
                select(t).where(*conditions).order_by(t.c.seq.desc()).offset(start).limit(limit)
            ).all()
        return [_message(row) for row in rows], int(total or 0)

    @staticmethod
    def _conditions(query: Query) -> list[Any]:
        t = messages_table
        found = [_like(t.c.search_to, v) for v in query.to]
        found += [_like(t.c.search_from, v) for v in query.sender]
        found += [_like(t.c.subject, v) for v in query.subject]
        found += [
            or_(
                _like(t.c.subject, v),
                _like(t.c.text, v),
                _like(t.c.search_to, v),
                _like(t.c.search_from, v),
            )
            for v in query.words
        ]
        return found

    def get(self, message_id: str) -> StoredMessage | None:
        """One message by ID (``latest`` is the newest, as in Mailpit)."""
        t = messages_table
        stmt = select(t).order_by(t.c.seq.desc()).limit(1)
        if message_id != "latest":
            stmt = select(t).where(t.c.id == message_id)
        with self._db.begin() as conn:
            row = conn.execute(stmt).first()
        return None if row is None else _message(row)

    def raw(self, message_id: str) -> bytes | None:
        """The message exactly as received over SMTP."""
        with self._db.begin() as conn:
            value = conn.execute(
                select(messages_table.c.raw).where(messages_table.c.id == message_id)
            ).scalar()
        return None if value is None else bytes(value)

    def delete(self, ids: list[str] | None = None) -> int:
        """Delete the given messages, or all of them; returns how many went."""
        stmt = delete(messages_table)
        if ids is not None:
            stmt = stmt.where(messages_table.c.id.in_(ids))
        with self._db.begin() as conn:
            return int(conn.execute(stmt).rowcount or 0)

    def count(self) -> int:
        with self._db.begin() as conn:
            return int(conn.execute(select(func.count()).select_from(messages_table)).scalar() or 0)

    def last_seq(self) -> int:
        """The sequence number of the newest message (0 when empty)."""
        with self._db.begin() as conn:
            return int(conn.execute(select(func.max(messages_table.c.seq))).scalar() or 0)


def _addresses(msg: EmailMessage, header: str) -> list[dict[str, str]]:
    values = [str(v) for v in msg.get_all(header, [])]
    return [{"Name": name, "Address": addr} for name, addr in getaddresses(values) if addr]


def _first_address(msg: EmailMessage, header: str) -> dict[str, str] | None:
    found = _addresses(msg, header)
    return found[0] if found else None


def _recipients(msg: EmailMessage, rcpt_tos: list[str]) -> dict[str, list[dict[str, str]]]:
    """To and Cc from the headers; envelope recipients in neither are the Bcc."""
    to, cc = _addresses(msg, "To"), _addresses(msg, "Cc")
    seen = {a["Address"].lower() for a in to + cc}
    bcc = [{"Name": "", "Address": r} for r in rcpt_tos if r.lower() not in seen]
    return {"To": to, "Cc": cc, "Bcc": bcc}


def _search_text(addresses: list[dict[str, str]]) -> str:
    return "|" + "|".join(f" {a['Address']} {a['Name']} ".lower() for a in addresses) + "|"


def _bodies(msg: EmailMessage) -> tuple[str, str]:
    """The text/plain and text/html bodies (empty string for an absent one)."""
    parts = {}
    for kind in ("plain", "html"):
        part = msg.get_body(preferencelist=(kind,))
        if part is not None and part.get_content_type() == f"text/{kind}":
            content = part.get_content()
            parts[kind] = content.replace("\r\n", "\n") if isinstance(content, str) else ""
    return parts.get("plain", ""), parts.get("html", "")


def _message(row: Any) -> StoredMessage:
    created = row.created if row.created.tzinfo else row.created.replace(tzinfo=UTC)
    return StoredMessage(
        seq=row.seq,
        id=row.id,
        message_id=row.message_id or "",
        created=created,
        sender=json.loads(row.sender),
        recipients=json.loads(row.recipients),
        subject=row.subject,
        text=row.text,
        html=row.html,
        size=row.size,
    )
