"""A received message read the way Mailpit reads it, so every field the API shows is Mailpit's.

Mailpit (Go) reads headers with ``net/textproto`` (folded lines joined by one space, values
trimmed, keys canonical: ``Message-Id``) and bodies with ``enmime`` (which part is the text, which
the HTML, which are attachments or inlines, and their part IDs). Python's ``email`` package decides
differently in places that tests notice — a folded ``Subject:`` keeps a leading space, there is no
part ID — so this module follows Mailpit's rules explicitly. It also stamps a delivered message
as Mailpit's SMTP server does (``Return-Path``, a missing ``Message-ID``, envelope-only recipients
as ``Bcc``) and makes its ``Snippet``, search text and tags. No Flask, no store.
"""

from __future__ import annotations

import email
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message as EmailPart
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any

Address = dict[str, str]  # Mailpit's {"Name": ..., "Address": ...}

SNIPPET_BYTES = 200
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_GO_SPACE = re.compile(r"[\t\n\f\r ]+")


# Headers ----------------------------------------------------------------------------------------


def canonical_key(name: str) -> str:
    """``message-id`` → ``Message-Id``, as Go's ``textproto.CanonicalMIMEHeaderKey``."""
    if not _TOKEN.match(name):
        return name
    return "-".join(part[:1].upper() + part[1:].lower() for part in name.split("-"))


def raw_headers(raw: bytes) -> list[tuple[str, str]]:
    """The header block as Go reads it: unfolded with one space, values trimmed, keys canonical."""
    found: list[tuple[str, str]] = []
    for line in raw.decode("utf-8", "replace").split("\n"):
        line = line.rstrip("\r")
        if line == "":
            break
        if line[0] in " \t":
            if found:
                key, value = found[-1]
                found[-1] = (key, f"{value} {line.strip()}".strip())
            continue
        name, colon, value = line.partition(":")
        if colon and name.strip():
            found.append((canonical_key(name.strip()), value.strip()))
    return found


def header_map(raw: bytes) -> dict[str, list[str]]:
    """``GET /message/{ID}/headers``: every header's values in order, keys sorted as Go's JSON."""
    result: dict[str, list[str]] = {}
    for key, value in raw_headers(raw):
        result.setdefault(key, []).append(value)
    return dict(sorted(result.items()))


def decode_words(value: str) -> str:
    """RFC 2047 encoded words decoded (``=?utf-8?q?…?=``), as enmime's ``GetHeader``."""
    if "=?" not in value:
        return value
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError):
        return value


def parse_addresses(value: str) -> list[Address]:
    """An address list header as Mailpit shows it (names decoded; entries without an address
    dropped)."""
    if not value:
        return []
    return [
        {"Name": decode_words(name), "Address": addr}
        for name, addr in getaddresses([value])
        if addr and "@" in addr
    ]


def go_json(value: Any) -> str:
    """JSON the way Go's ``encoding/json`` writes it (compact; ``<``, ``>``, ``&`` escaped)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escaped)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def rfc3339(value: datetime) -> str:
    """Go's RFC3339Nano: fraction without trailing zeros, ``Z`` for a zero offset."""
    text = value.isoformat()
    if value.microsecond:
        head, _, rest = text.partition(".")
        digits, offset = rest[:6].rstrip("0"), rest[6:]
        text = f"{head}.{digits}{offset}"
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# Stamping on arrival ---------------------------------------------------------------------------


def set_header(raw: bytes, name: str, value: str) -> bytes:
    """Replace the first ``name:`` header (with its folded lines) or prepend one, as Mailpit."""
    lines = raw.split(b"\n")
    pattern = re.compile(rb"(?i)^" + re.escape(name.encode()) + rb":")
    for index, line in enumerate(lines):
        if line.rstrip(b"\r") == b"":
            break
        if pattern.match(line):
            end = index + 1
            while end < len(lines) and lines[end][:1] in (b" ", b"\t"):
                end += 1
            new = [f"{name}: {value}\r".encode()]
            return b"\n".join(lines[:index] + new + lines[end:])
    return f"{name}: {value}\r\n".encode() + raw


def stamp(raw: bytes, mail_from: str, rcpt_tos: list[str], message_id: str) -> bytes:
    """What Mailpit's SMTP server stores: ``Return-Path`` = the envelope sender, a ``Message-ID``
    if there was none, and envelope recipients missing from To/Cc/Bcc added as ``Bcc``."""
    data = raw.replace(b"\r\r\n", b"\r\n")
    headers = dict(raw_headers(data))
    if headers.get("Return-Path", "").strip("<>") != mail_from:
        data = set_header(data, "Return-Path", f"<{mail_from}>")
    if not headers.get("Message-Id", "").strip("<>"):
        data = f"Message-ID: <{message_id}>\r\n".encode() + data
    listed = {
        a["Address"].lower()
        for key in ("To", "Cc", "Bcc")
        for a in parse_addresses(headers.get(key, ""))
    }
    missing = [r for r in rcpt_tos if "@" in r and r.lower() not in listed]
    if missing:
        bcc = ", ".join(missing)
        if headers.get("Bcc"):
            bcc = f"{headers['Bcc']}, {bcc}"
        data = set_header(data, "Bcc", bcc)
    return data


# Bodies and parts (enmime's rules) --------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One MIME leaf part: enmime's part ID (``2``, ``1.2``), type, disposition and content."""

    part_id: str
    content_type: str
    disposition: str
    filename: str
    content_id: str
    content: bytes
    charset: str

    @property
    def text(self) -> str:
        """The content as text (CRLF turned into LF)."""
        try:
            decoded = self.content.decode(self.charset or "utf-8", "replace")
        except LookupError:
            decoded = self.content.decode("utf-8", "replace")
        return decoded.replace("\r\n", "\n")

    def summary(self) -> dict[str, Any]:
        """Mailpit's ``Attachment`` object."""
        return {
            "PartID": self.part_id,
            "FileName": self.filename or self.content_id,
            "ContentType": self.content_type,
            "ContentID": self.content_id,
            "Size": len(self.content),
            "Checksums": {
                "MD5": hashlib.md5(self.content, usedforsecurity=False).hexdigest(),
                "SHA1": hashlib.sha1(self.content, usedforsecurity=False).hexdigest(),
                "SHA256": hashlib.sha256(self.content).hexdigest(),
            },
        }


@dataclass(frozen=True)
class Envelope:
    """A message as enmime sees it: text, HTML, attachments, inlines and other parts."""

    text: str = ""
    html: str = ""
    attachments: list[Part] = field(default_factory=list)
    inlines: list[Part] = field(default_factory=list)
    others: list[Part] = field(default_factory=list)

    def listed(self) -> tuple[list[Part], list[Part]]:
        """``(Inline, Attachments)`` of ``GET /message/{ID}``: parts with a file name or CID."""
        named = [p for p in self.inlines + self.others if p.filename or p.content_id]
        return named, [p for p in self.attachments if p.filename or p.content_id]

    def part(self, part_id: str) -> Part | None:
        """An attachment, inline or other part by its part ID."""
        return next(
            (p for p in self.inlines + self.others + self.attachments if p.part_id == part_id),
            None,
        )


def read_envelope(raw: bytes) -> Envelope:
    """Text, HTML and the other parts of a message, chosen as enmime chooses them."""
    root = email.message_from_bytes(raw)
    if not root.is_multipart():
        only = _leaf(root, "0")
        if only.disposition == "attachment" or not only.content_type.startswith("text/"):
            if only.disposition == "inline":
                return Envelope(inlines=[only])
            return Envelope(attachments=[only])
        if only.content_type == "text/html":
            return Envelope(text=html_text(only.text), html=only.text)
        return Envelope(text=only.text)
    breadth = _breadth_first(root)
    leaves = [p for p in breadth if not p.content_type.startswith("multipart/")]
    depth = sorted(leaves, key=lambda p: [int(n) for n in p.part_id.split(".")])
    order = leaves if root.get_content_type() == "multipart/alternative" else depth
    plain = [p for p in order if p.content_type == "text/plain" and p.disposition != "attachment"]
    if order is leaves:
        plain = plain[:1]  # multipart/alternative: the first text part only
    html = next(
        (p.text for p in depth if p.content_type == "text/html" and p.disposition != "attachment"),
        "",
    )
    text = "\n--\n".join(p.text for p in plain) or html_text(html)
    return Envelope(
        text=text,
        html=html,
        attachments=[
            p
            for p in leaves
            if p.disposition == "attachment" or p.content_type == "application/octet-stream"
        ],
        inlines=[p for p in leaves if p.disposition == "inline"],
        others=[
            p
            for p in leaves
            if not p.disposition
            and p.content_type not in ("application/octet-stream", "text/plain", "text/html")
        ],
    )


def _breadth_first(root: EmailPart) -> list[Part]:
    found: list[Part] = []
    level: list[tuple[EmailPart, str]] = [(root, "")]
    while level:
        below: list[tuple[EmailPart, str]] = []
        for node, ident in level:
            if not node.is_multipart():
                continue
            children = node.get_payload()
            assert isinstance(children, list)
            for number, child in enumerate(children, start=1):
                child_id = f"{ident}.{number}" if ident else str(number)
                found.append(_leaf(child, child_id))
                below.append((child, child_id))
        level = below
    return found


def _leaf(node: EmailPart, part_id: str) -> Part:
    payload = b"" if node.is_multipart() else node.get_payload(decode=True)
    return Part(
        part_id=part_id,
        content_type=node.get_content_type(),
        disposition=node.get_content_disposition() or "",
        filename=decode_words(node.get_filename() or ""),
        content_id=str(node.get("Content-ID", "")).strip().strip("<>"),
        content=payload if isinstance(payload, bytes) else b"",
        charset=node.get_content_charset() or "utf-8",
    )


def message_date(raw_value: str) -> datetime | None:
    """The ``Date:`` header as an instant with its own offset, or None when absent or bad."""
    if not raw_value:
        return None
    try:
        value = parsedate_to_datetime(raw_value)
    except (TypeError, ValueError, IndexError):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# Text: Snippet, search text, tags -----------------------------------------------------------------


class _Stripper(HTMLParser):
    """The text nodes of an HTML document without script, style, head, title or noscript."""

    SKIP = frozenset({"script", "title", "head", "link", "meta", "style", "noscript"})

    def __init__(self, include_links: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.include_links = include_links
        self.skipping = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP and tag not in ("link", "meta"):
            self.skipping += 1
        elif tag == "a" and self.include_links and not self.skipping:
            href = dict(attrs).get("href") or ""
            if href.lower().startswith("http"):
                self.parts.append(f" {href} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping and data not in self.SKIP:
            self.parts.append(data)


def html_text(html: str, include_links: bool = False) -> str:
    """Mailpit's ``html2text.Strip``: block ends and ``<br>`` as spaces, whitespace collapsed."""
    if not html:
        return ""
    html = re.sub(
        r"(?i)</(div|p|td|th|h[1-6]|ul|ol|li|address|article|aside|blockquote|dl|dt|footer|"
        r"header|hr|main|nav|pre|table|thead|tfoot|video)><",
        r"</\1> <",
        html,
    )
    html = re.sub(r"(?i)<(br /|br)>", " ", html)
    html = re.sub(r"(?i)<(img)", r" <\1", html)
    stripper = _Stripper(include_links)
    stripper.feed(html)
    stripper.close()
    text = "".join(stripper.parts).replace("\ufeff", " ")
    text = "".join(c if c.isprintable() else " " for c in text)
    return _GO_SPACE.sub(" ", text).strip()


def snippet(text: str, html: str) -> str:
    """Mailpit's ``Snippet``: the HTML as text (else the text), at most 200 bytes, then ``...``."""
    text, html = text.strip(), html.strip()
    flat = html_text(html) if html else _GO_SPACE.sub(" ", text.replace("\ufeff", " ")).strip()
    encoded = flat.encode()
    if len(encoded) <= SNIPPET_BYTES:
        return flat
    return encoded[:SNIPPET_BYTES].decode("utf-8", "ignore") + "..."


def clean_string(text: str) -> str:
    """Mailpit's ``cleanString``: punctuation that separates words dropped, lower case."""
    text = re.sub(r'(\r?\n|\t|>|<|"|,|;|\(|\))', " ", text.replace("\ufeff", " "))
    return " ".join(text.split()).lower()


def search_text(headers: dict[str, str], envelope: Envelope) -> str:
    """What a plain search word is matched against: headers, body text, attachment names."""
    names = ("From", "Subject", "To", "Cc", "Bcc", "Reply-To", "Return-Path")
    words = [decode_words(headers.get(canonical_key(n), "")) for n in names]
    words.append(html_text(envelope.html, include_links=True) or envelope.text)
    words += [p.filename for p in envelope.attachments]
    return clean_string(" ".join(w + " " for w in words))


_VALID_TAG = re.compile(r"^[a-zA-Z0-9\- _.@]{1,100}$")


def tags(x_tags: str, addresses: list[Address]) -> list[str]:
    """Tags from ``X-Tags`` and plus-addresses (``beheerder+sleutel@…``), cleaned and sorted."""
    found = x_tags.strip().split(",") if x_tags.strip() else []
    for address in addresses:
        match = re.match(r"^(.*?)\+(.*?)@", address["Address"])
        if match:
            found += match.group(2).split("+")
    unique: dict[str, str] = {}
    for tag in found:
        cleaned = " ".join(re.sub(r"[^a-zA-Z0-9\- _.@]", " ", tag).split())[:100]
        if cleaned and _VALID_TAG.match(cleaned):
            unique.setdefault(cleaned.lower(), cleaned)
    return sorted(unique.values(), key=str.lower)  # Mailpit: ORDER BY Name, NOCASE


def list_unsubscribe(header: str, post: str) -> dict[str, Any]:
    """Mailpit's ``ListUnsubscribe``: the header, its links (one mailto:, one http) and errors."""
    if not header:
        return {"Header": "", "Links": [], "Errors": "", "HeaderPost": ""}
    links, errors = _unsubscribe_links(header)
    return {"Header": header, "Links": links, "Errors": errors, "HeaderPost": post}


def _unsubscribe_links(value: str) -> tuple[list[str], str]:
    value = re.sub(r"(?s)\(.*?\)", "", value.strip()).strip()
    wrapped = re.findall(r"<(.*?)>", value)
    if not wrapped:
        return [], f'"{value}" no valid unsubscribe links found'
    if not re.fullmatch(r"(?s)<.*>", value):
        return [], f'"{value}" should be enclosed in <>'
    if len(wrapped) > 2:
        return [], f'"{value}" should include a maximum of one email and one HTTP link'
    if any(not re.fullmatch(r"\s*,\s*", join) for join in re.findall(r"(?s)>(.*?)<", value)):
        return [], f'"{value}" <> should be split with a comma and optional spaces'
    links: list[str] = []
    errors: list[str] = []
    for link in wrapped:
        kind = "mailto" if re.match(r"^mailto:[a-zA-Z0-9]", link) else ""
        kind = kind or ("http" if re.match(r"(?i)^https?://[a-zA-Z0-9]", link) else "")
        if re.search(r"\s", link):
            errors.append(f'"{link}" should not contain spaces')
        elif not kind:
            errors.append(f'"{link}" should start with either http(s):// or mailto:')
        elif any(
            re.match(r"^mailto:" if kind == "mailto" else r"(?i)^https?://", k) for k in links
        ):
            what = "one mailto:" if kind == "mailto" else "one HTTP link"
            errors.append(f'"{link}" should only contain {what}')
        else:
            links.append(link)
    return links, ", ".join(errors)
