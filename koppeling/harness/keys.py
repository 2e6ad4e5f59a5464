"""Autorisatiesleutels: generated at random, stored as hashes, compared in constant time, masked.

Every key the harness issues carries a short prefix naming its issuer (``sk8_`` for Schoolkr8,
``pns_`` ParnasSys, ``esis_`` ESIS), the way token scanners recognise secrets: the masker can then
find an issued key anywhere in a journal entry or log line, not only in fields named after it.

A key can also arrive encoded: percent-encoded in a query string or form body, as JSON ``\\u``
escapes, as XML character references. The masker therefore also reads the text decoded, and when
the decoded text holds a secret the raw text does not show, it keeps the decoded text, masked.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from typing import Any
from urllib.parse import unquote

KEY_PREFIXES = ("sk8", "pns", "esis")
_ALPHABET = string.ascii_letters + string.digits
_KEY_IN_TEXT = re.compile(r"\b(" + "|".join(KEY_PREFIXES) + r")_([A-Za-z0-9]{4})[A-Za-z0-9]{4,}")
_SECRET_FIELDS = ("autorisatiesleutel", "sleutel", "password", "wachtwoord")
_XML_SECRET = re.compile(
    r"(<(?:[\w.-]+:)?autorisatiesleutel\b[^>]*>)((?:<!\[CDATA\[.*?\]\]>|[^<])*)"
    r"(</(?:[\w.-]+:)?autorisatiesleutel>)",
    re.IGNORECASE | re.DOTALL,
)
_JSON_SECRET = re.compile(
    r'("(?:autorisatiesleutel|sleutel|password|wachtwoord)"\s*:\s*")((?:[^"\\]|\\.)*)(")',
    re.IGNORECASE,
)
_FORM_SECRET = re.compile(
    r"((?:^|[?&])(?:autorisatiesleutel|sleutel|password|wachtwoord)=)([^&#\s]*)", re.IGNORECASE
)
_MASKED = re.compile(r"(?:(?:" + "|".join(KEY_PREFIXES) + r")_[A-Za-z0-9]{4}|[^…]{0,4})…")
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,6})|([0-9]{1,7}));")
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_DECODE_ROUNDS = 3  # enough for a key encoded twice over (``%2573k8_…``)


def new_key(prefix: str, length: int = 32) -> str:
    """A fresh key: ``prefix_`` + ``length`` cryptographically random letters and digits."""
    if prefix not in KEY_PREFIXES:
        raise ValueError(f"key prefix must be one of {KEY_PREFIXES}, got {prefix!r}")
    return f"{prefix}_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def key_hash(key: str) -> str:
    """What the store keeps of a key: its SHA-256, hex."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_matches(presented: str, stored_hash: str) -> bool:
    """Constant-time check of a presented key against a stored hash."""
    return hmac.compare_digest(key_hash(presented), stored_hash)


def mask(value: str) -> str:
    """A key as it may be shown: its first four characters (after any prefix) and an ellipsis."""
    if _MASKED.fullmatch(value):  # masked already: masking twice must change nothing
        return value
    match = _KEY_IN_TEXT.fullmatch(value)
    if match:
        return f"{match.group(1)}_{match.group(2)}…"
    return value[:4] + "…" if len(value) > 8 else "…"


def mask_text(text: str) -> str:
    """``text`` with every issued key, and every value of a secret-named field, masked, however
    it is encoded: when the decoded text (percent-encoding, JSON ``\\u`` escapes, XML character
    references) holds a secret, the decoded text is returned, masked."""
    masked = _mask_raw(text)
    decoded = _decode(masked)
    revealed = _mask_raw(decoded)
    return revealed if revealed != decoded else masked


def _mask_raw(text: str) -> str:
    text = _XML_SECRET.sub(lambda m: m.group(1) + mask(m.group(2)) + m.group(3), text)
    text = _JSON_SECRET.sub(lambda m: m.group(1) + mask(m.group(2)) + m.group(3), text)
    text = _FORM_SECRET.sub(lambda m: m.group(1) + mask(m.group(2)), text)
    return _KEY_IN_TEXT.sub(lambda m: f"{m.group(1)}_{m.group(2)}…", text)


def _decode(text: str) -> str:
    """``text`` with every encoding a secret may hide behind undone, a few rounds deep."""
    for _ in range(_DECODE_ROUNDS):
        previous = text
        text = _CHAR_REF.sub(_char_ref, text)
        text = _JSON_ESCAPE.sub(lambda m: _char(int(m.group(1), 16), m.group(0)), text)
        if "%" in text:  # not "+": a key has no space, and JSON or XML may hold a plus
            text = unquote(text, errors="replace")
        if text == previous:
            break
    return text


def _char_ref(match: re.Match[str]) -> str:
    hex_digits, decimal = match.group(1), match.group(2)
    return _char(int(hex_digits, 16) if hex_digits else int(decimal), match.group(0))


def _char(code: int, written: str) -> str:
    """The character ``code``, or ``written`` as it was if no valid character has that code."""
    return written if code > 0x10FFFF or 0xD800 <= code < 0xE000 else chr(code)


def mask_data(data: Any) -> Any:
    """A JSON-like structure with secret-named fields and issued keys masked."""
    if isinstance(data, dict):
        return {
            k: (mask(v) if k.lower() in _SECRET_FIELDS and isinstance(v, str) else mask_data(v))
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [mask_data(item) for item in data]
    if isinstance(data, str):
        return mask_text(data)
    return data
