"""Mailpit's search language, parsed: which terms a query holds and what each one asks.

Mailpit splits a query on spaces outside double quotes (the quotes are dropped), reads a leading
``-`` or ``!`` as "not", and knows ``to:``, ``from:``, ``cc:``, ``bcc:``, ``reply-to:``,
``addressed:``, ``subject:``, ``message-id:``, ``tag:``, ``is:read``, ``is:unread``, ``is:tagged``,
``has:attachment``, ``has:inline``, ``before:``, ``after:``, ``larger:`` and ``smaller:``; anything
else is a word matched in the search text. This module turns a query into :class:`Term` values;
:mod:`mocks.mailbox.store` turns those into SQL. Dates are read in the ``tz`` given (UTC without).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mocks.mailbox.mime import clean_string

#: prefix → field; the value is cleaned (lower case, separators dropped) except for ``subject:``
ADDRESS_FIELDS = {"to:": "to", "from:": "from", "cc:": "cc", "bcc:": "bcc", "reply-to:": "reply_to"}
FLAGS = {
    "is:read": "read",
    "is:unread": "unread",
    "is:tagged": "tagged",
    "has:inline": "inline",
    "has:inlines": "inline",
    "has:attachment": "attachment",
    "has:attachments": "attachment",
}
MAX_SIZE = 2**62  # beyond any message, within SQLite's integers
_DATE_FORMATS = ("%Y/%m/%d", "%m/%d/%Y", "%d %b %Y", "%b %d %Y", "%d %B %Y", "%B %d %Y")


@dataclass(frozen=True)
class Term:
    """One search term: ``kind`` (``to``, ``subject``, ``flag``, ``before``, ``word`` …)."""

    kind: str
    value: str
    exclude: bool = False
    when: datetime | None = None
    size: int = 0


@dataclass(frozen=True)
class Query:
    """A parsed Mailpit search; every term must hold."""

    terms: tuple[Term, ...] = ()

    @classmethod
    def parse(cls, text: str, tz: str = "") -> Query:
        """The terms of ``text`` as Mailpit reads them (unknown or invalid ones as Mailpit does)."""
        where = zone(tz)
        found = [_term(arg, where) for arg in split_args(text) if clean_string(arg)]
        return cls(tuple(t for t in found if t is not None))


def split_args(text: str) -> list[str]:
    """Mailpit's ``ArgsParser``: split on spaces outside double quotes, then drop the quotes."""
    args, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
            current += char
        elif char == " " and not quoted:
            args.append(current)
            current = ""
        else:
            current += char
    args.append(current)
    return [v for v in (a.replace('"', "").strip() for a in args) if v]


def _term(arg: str, where: tzinfo) -> Term | None:
    exclude = len(arg) > 1 and arg[0] in "-!"
    word = arg[1:] if exclude else arg
    lower = word.lower()
    if lower in FLAGS:
        return Term("flag", FLAGS[lower], exclude)
    for prefix, name in (*ADDRESS_FIELDS.items(), ("addressed:", "addressed")):
        if lower.startswith(prefix):
            return _valued(name, clean_string(word[len(prefix) :]), exclude)
    if lower.startswith("subject:"):
        return _valued("subject", word[8:], exclude)
    if lower.startswith("message-id:"):
        return _valued("message_id", clean_string(word[11:]), exclude)
    if lower.startswith("tag:"):
        return _valued("tag", clean_string(word[4:]), exclude)
    for prefix in ("before:", "after:"):
        if lower.startswith(prefix):
            value = clean_string(word[len(prefix) :]).upper()
            when = parse_date(value, where) if value else None
            return Term(prefix[:-1], value, exclude, when=when) if when else None
    for prefix in ("larger:", "smaller:"):
        if lower.startswith(prefix) and size_to_bytes(clean_string(word[len(prefix) :])):
            size = size_to_bytes(clean_string(word[len(prefix) :]))
            return Term(prefix[:-1], str(size), exclude, size=size)
    return Term("word", clean_string(word.lower()), exclude)


def _valued(kind: str, value: str, exclude: bool) -> Term | None:
    return Term(kind, value, exclude) if value else None


def zone(tz: str) -> tzinfo:
    """The ``tz`` parameter's zone; an unknown or empty one is UTC (Mailpit: server time)."""
    if not tz:
        return UTC
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def parse_date(value: str, zone: tzinfo) -> datetime | None:
    """A date as ``before:``/``after:`` take it (ISO 8601, ``2006/01/02``, ``01/02/2006``,
    ``2 Jan 2006``, RFC 2822, Unix seconds), in UTC; a date without a zone is in ``zone``. One
    that cannot be read, or lies outside the years 1–9999 in UTC, is None (ignored)."""
    try:
        parsed = _read_date(value.strip(), zone)
        return None if parsed is None else parsed.astimezone(UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _read_date(value: str, zone: tzinfo) -> datetime | None:
    if value.isdigit():
        seconds = int(value) / (1000 if len(value) > 11 else 1)
        return datetime.fromtimestamp(seconds, UTC)
    candidates = [value, value.replace("T", " ", 1)]
    for candidate in candidates:
        try:
            parsed = datetime.fromisoformat(candidate.replace("Z", "+00:00"))
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value.title(), fmt).replace(tzinfo=zone)
        except ValueError:
            continue
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def size_to_bytes(value: str) -> int:
    """``2kb``, ``4MB``, ``1.5m`` or a plain number of bytes; 0 for anything else."""
    match = re.fullmatch(r"(\d+)(\.\d+)?\s?([a-z]{1,2})?", value.lower())
    if match is None:
        return 0
    number = float(match.group(1) + (match.group(2) or ""))
    unit = match.group(3) or ""
    factor = {"": 1, "k": 1024, "kb": 1024, "m": 1024 * 1024, "mb": 1024 * 1024}.get(unit)
    return int(min(number * factor, MAX_SIZE)) if factor else 0
