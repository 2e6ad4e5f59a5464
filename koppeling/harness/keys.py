"""Autorisatiesleutels: generated at random, stored as hashes, compared in constant time, masked.

Every key the harness issues carries a short prefix naming its issuer (``sk8_`` for Schoolkr8,
``pns_`` ParnasSys, ``esis_`` ESIS), the way token scanners recognise secrets: the masker can then
find an issued key anywhere in a journal entry or log line, not only in fields named after it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from typing import Any

KEY_PREFIXES = ("sk8", "pns", "esis")
_ALPHABET = string.ascii_letters + string.digits
_KEY_IN_TEXT = re.compile(r"\b(" + "|".join(KEY_PREFIXES) + r")_([A-Za-z0-9]{4})[A-Za-z0-9]{4,}")
_SECRET_FIELDS = ("autorisatiesleutel", "sleutel", "password", "wachtwoord")
_XML_SECRET = re.compile(
    r"(<(?:[\w.-]+:)?autorisatiesleutel\b[^>]*>)([^<]*)(</(?:[\w.-]+:)?autorisatiesleutel>)"
)
_JSON_SECRET = re.compile(r'("(?:autorisatiesleutel|sleutel|password)"\s*:\s*")([^"]*)(")')


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
    match = _KEY_IN_TEXT.fullmatch(value)
    if match:
        return f"{match.group(1)}_{match.group(2)}…"
    return value[:4] + "…" if len(value) > 8 else "…"


def mask_text(text: str) -> str:
    """``text`` with every issued key, and every value of a secret-named field, masked."""
    text = _XML_SECRET.sub(lambda m: m.group(1) + mask(m.group(2)) + m.group(3), text)
    text = _JSON_SECRET.sub(lambda m: m.group(1) + mask(m.group(2)) + m.group(3), text)
    return _KEY_IN_TEXT.sub(lambda m: f"{m.group(1)}_{m.group(2)}…", text)


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
