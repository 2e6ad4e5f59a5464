"""Autorisatiesleutels: generated at random, stored as hashes, compared in constant time, masked.

Every key the harness issues carries a short prefix naming its issuer (``sk8_`` for Schoolkr8,
``pns_`` ParnasSys, ``esis_`` ESIS), the way token scanners recognise secrets: the masker can then
find an issued key anywhere in a journal entry or log line, not only in fields named after it.

A key can also arrive encoded: percent-encoded in a path, query string or form body, as JSON
``\\u`` escapes, as XML character references, split across several escapes, in a field's name.
The masker therefore masks *parsed values*: it parses a JSON or XML document, a path with its
query string or a form body, masks every decoded name and value (and the value of every
secret-named field), and writes the document back. Text that does not parse is masked as raw
text, and the raw-text masker also reads the text decoded: when the decoded text holds a secret
the raw text does not show, it keeps the decoded text, masked.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import string
from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from lxml import etree

KEY_PREFIXES = ("sk8", "pns", "esis")
_KEY_STARTS = tuple(f"{prefix}_" for prefix in KEY_PREFIXES)  # how an issued key begins
_ALPHABET = string.ascii_letters + string.digits
# no word boundary in front: a key glued to a word ("Xsk8_…", a name + key) is still a key
_KEY_IN_TEXT = re.compile(r"(" + "|".join(KEY_PREFIXES) + r")_([A-Za-z0-9]{4})[A-Za-z0-9]{4,}")
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
# a secret-named field of a query string or form body: at the start of the text, or after ? or &
# (two patterns: one that starts with a character class is searched many times faster)
_FORM_FIELD = r"(?:autorisatiesleutel|sleutel|password|wachtwoord)="
_FORM_SECRET_FIRST = re.compile(r"(" + _FORM_FIELD + r")([^&#\s]*)", re.IGNORECASE)
_FORM_SECRET = re.compile(r"([?&]" + _FORM_FIELD + r")([^&#\s]*)", re.IGNORECASE)
_MASKED = re.compile(r"(?:(?:" + "|".join(KEY_PREFIXES) + r")_[A-Za-z0-9]{4}|[^…]{0,4})…")
_CHAR_REF = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,6})|([0-9]{1,7}));")
#: XML's five named entities: JSON or XML written inside an XML text has its quotes and angle
#: brackets so (``{&quot;password&quot;: …}``, ``&lt;aut:autorisatiesleutel&gt;``)
_NAMED_REF = re.compile(r"&(quot|apos|lt|gt|amp);")
_NAMED_CHARS = {"quot": '"', "apos": "'", "lt": "<", "gt": ">", "amp": "&"}
_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
#: what every encoding :func:`_decode` undoes starts with
_ENCODINGS = ("&", "\\u", "%")
_DECODE_ROUNDS = 3  # enough for a key encoded twice over (``%2573k8_…``)
#: What any text holding a secret shows: a key's prefix, a secret field's name, or an encoding
#: (``\\u``, ``&#``, ``%``) that could hide one of them. Text without any is left alone.
_MAYBE_SECRET = re.compile(
    r"(?:" + "|".join(KEY_PREFIXES) + r")_|sleutel|password|wachtwoord|\\u|&#|%", re.IGNORECASE
)
#: what :data:`_MAYBE_SECRET` looks for besides the encodings, in lower case (:func:`_maybe_secret`)
_MAYBE_SECRET_NAMES = (*_KEY_STARTS, "sleutel", "password", "wachtwoord")
_MAX_NESTING = 4  # a document inside a string inside a document …: parsed this deep
_MAX_PARSED = 1 << 20  # longer texts are masked as raw text only
_DOCTYPE = re.compile(r"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"<\?xml[^>]*\?>\s*")
_XML_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
)
_FORM = re.compile(r"[^\s=&]*=[^\s&]*(?:&[^\s=&]*=?[^\s&]*)*")
_ELLIPSIS_QUOTED = quote("…")


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
    """``text`` with every issued key, and every value of a secret-named field, masked.

    Masking works on parsed values first: a JSON document, an XML document, a path with its
    query string, or a form body is parsed and every value (and name) is masked as it reads once
    decoded — ``\\u`` escapes, character references, percent-encoding, a key split across
    several of them — then written back (only when something was masked: plain text keeps its
    form). What does not parse, and the result in every case, also goes through the raw-text
    masker, which decodes the usual encodings a few rounds deep: when the decoded text holds a
    secret the raw text does not show, the decoded text is returned, masked. An XML document
    with nothing to decode and no secret but its ``autorisatiesleutel`` texts (a SOAP request)
    is masked without the parse, to the same result (:func:`_plain_xml_masked`)."""
    if not _maybe_secret(text):
        return text  # no key, no secret name and nothing encoded: nothing to mask
    plain = _plain_xml_masked(text)
    if plain is not None:
        return plain
    return _mask_flat(_mask_parsed(text, 0))


def _maybe_secret(text: str) -> bool:
    """Whether :data:`_MAYBE_SECRET` finds anything in ``text``. An ASCII text is searched in
    lower case with ``in``: on a 1.7 KB Breng body ~1.4 µs against the pattern's 16, and ~6
    against ~120 where nothing is found (thirteenth session, ``timeit``). The same answer,
    since only non-ASCII characters fold to ASCII ones (``ſ`` to ``s``, ``K`` to ``k``); any
    other text goes to the pattern itself."""
    if not text.isascii():
        return _MAYBE_SECRET.search(text) is not None
    lowered = text.lower()  # "\\U" too: the pattern's "\\u" ignores case
    # an encoding's two characters only looked for where its first, rare one is: searching
    # for "\\u" or "&#" costs as much as "%" and all the names together
    if "%" in lowered or ("\\" in lowered and "\\u" in lowered):
        return True
    if "&" in lowered and "&#" in lowered:
        return True
    for part in _MAYBE_SECRET_NAMES:  # noqa: SIM110 (a loop: twice as fast as any() here)
        if part in lowered:
            return True
    return False


def _mask_flat(text: str) -> str:
    """The raw-text masker: regular expressions over the text and over its decoded form."""
    masked = _mask_raw(text)
    decoded = _decode(masked)
    if decoded is masked and masked == text:  # nothing decoded, nothing masked: so would a second
        return masked  # pass over the same text be (the parsed masker's output, as a rule)
    revealed = _mask_raw(decoded)
    return revealed if revealed != decoded else masked


def _mask_parsed(text: str, depth: int) -> str:
    """``text`` masked as what it parses as (JSON, XML, path and query, form), or unchanged."""
    if depth > _MAX_NESTING or len(text) > _MAX_PARSED:
        return text
    stripped = text.strip()
    if not stripped:
        return text
    for looks_like, masker in _PARSERS:
        if looks_like(stripped):
            masked = masker(text, depth)
            if masked is not None:
                return masked
    return text


def _mask_string(value: str, depth: int) -> str:
    """One decoded string value: itself parsed when it can be (a SOAP envelope inside JSON, a URL
    in a field), and every issued key in it masked."""
    if not _maybe_secret(value):
        return value
    inner = _mask_parsed(value, depth + 1)
    return _KEY_IN_TEXT.sub(lambda m: f"{m.group(1)}_{m.group(2)}…", inner)


def _secret_name(name: str) -> bool:
    """A field, element, attribute or parameter name whose value is a secret, however spelled:
    ``autorisatiesleutel``, ``dashboard_sleutel``, ``aut:autorisatiesleutel``, ``Password``."""
    if len(name) <= _CACHED_NAME:  # asked for every element of a document: names repeat
        return _remembered_secret_name(name)
    return _is_secret_name(name)  # a long name (hostile input, maybe) is not kept


def _is_secret_name(name: str) -> bool:
    local = name.rsplit("}", 1)[-1].rsplit(":", 1)[-1].strip().lower()
    return local.endswith("sleutel") or local in _SECRET_FIELDS


#: names up to this long are remembered (at most 4,096 of them): the cache stays small
_CACHED_NAME = 128
_remembered_secret_name = lru_cache(maxsize=4096)(_is_secret_name)


def _mask_secret(value: Any) -> Any:
    """The value of a secret-named field: a string or number masked, anything else walked."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return mask(str(value))
    return value


def _walk(data: Any, depth: int) -> Any:
    """A JSON-like value with secret-named fields masked and every string (keys too) masked."""
    if isinstance(data, dict):
        walked = {}
        for key, value in data.items():
            name = _mask_string(key, depth) if isinstance(key, str) else key
            secret = isinstance(key, str) and _secret_name(key)
            walked[name] = _mask_secret(value) if secret and _scalar(value) else _walk(value, depth)
        return walked
    if isinstance(data, list):
        return [_walk(item, depth) for item in data]
    if isinstance(data, str):
        return _mask_string(data, depth)
    return data


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _mask_json(text: str, depth: int) -> str | None:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    masked = _walk(data, depth)
    if masked == data:
        return text
    out = json.dumps(masked, ensure_ascii=False)
    return out if _encodable(out) else json.dumps(masked)


def _mask_xml(text: str, depth: int) -> str | None:
    if _DOCTYPE.search(text):
        return None  # never parsed: a DTD could make the masker fetch or expand things
    try:
        root = etree.fromstring(text.strip().encode("utf-8"), _XML_PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None:
        return None
    # Each of lxml's properties is read once (every read builds a str). A value of a
    # secret-named attribute or leaf is masked as a key; every other value goes through
    # _mask_string, which leaves a value alone unless _maybe_secret finds something in it. So
    # they are first asked together, in one call over all of them joined by a NUL (which no
    # part of the pattern holds, so nothing is found across two values): the same answer as
    # asking each, and one call instead of one per value.
    secret: list[tuple[etree._Element, str | None, str]] = []  # (node, attribute, value)
    values: list[tuple[etree._Element, str | None, str]] = []  # attribute, None: text, "": tail
    for node in root.iter():
        attrib = node.attrib
        if attrib:
            for attr, value in attrib.items():
                name = str(attr)
                (secret if _secret_name(name) else values).append((node, name, value))
        content = node.text
        if content is not None:
            tag = node.tag
            is_secret = isinstance(tag, str) and bool(tag) and _secret_name(tag) and len(node) == 0
            (secret if is_secret else values).append((node, None, content))
        tail = node.tail
        if tail is not None:
            values.append((node, "", tail))
    if not _maybe_secret("\0".join(value for _, _, value in values)):
        values = []
    changed = False
    for items, masker in ((secret, mask), (values, partial(_mask_string, depth=depth))):
        for node, where, value in items:
            new = masker(value)
            if new == value:
                continue
            changed = True
            if where is None:
                node.text = new
            elif where:
                node.set(where, new)
            else:
                node.tail = new
    if not changed:
        return text
    declaration = _XML_DECLARATION.match(text.lstrip())
    body = str(etree.tostring(root, encoding="unicode"))
    return (declaration.group(0) if declaration else "") + body


def _mask_pairs(query: str, depth: int) -> str | None:
    """A query string or form body: every name and value decoded, masked, written back."""
    pairs = parse_qsl(query, keep_blank_values=True)
    masked = [
        (
            _mask_string(name, depth),
            mask(value) if _secret_name(name) and value else _mask_string(value, depth),
        )
        for name, value in pairs
    ]
    if masked == pairs:
        return query
    return "&".join(f"{_quote(name)}={_quote(value)}" for name, value in masked)


def _mask_form(text: str, depth: int) -> str | None:
    return _mask_pairs(text.strip(), depth) if _FORM.fullmatch(text.strip()) else None


def _mask_path(text: str, depth: int) -> str | None:
    """A path with its query string: each segment percent-decoded and masked, then the query."""
    path, mark, query = text.partition("?")
    segments = path.split("/")
    masked = [_mask_string(unquote(s, errors="replace"), depth) for s in segments]
    new_path = "/".join(
        segment if new == unquote(segment, errors="replace") else _quote(new)
        for segment, new in zip(segments, masked, strict=True)
    )
    new_query = (_mask_pairs(query, depth) or query) if mark else ""
    return new_path + mark + new_query


def _quote(value: str) -> str:
    """Percent-encoded for a URL, with the masker's ellipsis left readable."""
    return quote(value, safe="/:@!$'()*,;~").replace(_ELLIPSIS_QUOTED, "…")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate from a \\ud800 escape
        return False
    return True


def _plain_xml_masked(text: str) -> str | None:
    """The XML document ``text`` masked without parsing it, when that gives what parsing and
    walking it and then the raw patterns would (:func:`_mask_xml`, :func:`_mask_flat`); None
    for any other text. A SOAP request (a Breng body) is such a document, and its parse and
    walk were most of the journal's CPU per message.

    That holds when every value reads as written and only the text of ``autorisatiesleutel``
    elements needs masking: the text is ASCII, without ``&`` (no reference), carriage return
    (a line end the parse changes), CDATA section, comment, DTD or processing instruction
    besides a leading declaration; each ``autorisatiesleutel`` element holds text without
    ``>`` (written back as ``&gt;``); and in everything else, names included,
    :func:`_maybe_secret` finds nothing (no key, no other secret name, no encoding). Then each
    such text is masked as :data:`_XML_SECRET` masks it (the walk's ``mask()`` of the same
    text), nothing else is, and the document keeps its own form instead of lxml's
    serialisation. A Hypothesis test holds the two ways to the same documents (in C14N)."""
    if not text.isascii() or "&" in text or "\r" in text:  # "\r\n" parses as "\n"
        return None
    body = text.lstrip()
    if not body.startswith("<"):
        return None
    declaration = _XML_DECLARATION.match(body)
    rest = body[declaration.end() :] if declaration else body
    if ("!" in rest and "<!" in rest) or ("?" in rest and "<?" in rest):  # "!", "?" are rare
        return None
    lowered = text.lower()
    checked: list[str] = []  # everything but the secret elements' names and texts
    masked: list[str] = []
    done = 0
    for start in _xml_secret_starts(lowered):
        if start < done:  # in the match before (its closing tag)
            continue
        found = _XML_SECRET.match(text, start)
        if found is None or not found.group(2) or ">" in found.group(2):
            return None  # empty: the parse leaves it so; ">": written back as "&gt;", or the
            # end of a start tag whose attribute value held a ">"
        name_end = lowered.index(_XML_SECRET_NAME, start) + len(_XML_SECRET_NAME)
        checked += (text[done:start], text[name_end : found.end(1)])  # its attributes stay
        masked += (text[done:start], _value_masked(found))
        done = found.end()
    checked.append(text[done:])
    if _maybe_secret("\0".join(checked)):
        return None
    masked.append(text[done:])
    return "".join(masked)


def _json_like(text: str) -> bool:
    return text[0] in "{["


def _xml_like(text: str) -> bool:
    return text[0] == "<"


def _path_like(text: str) -> bool:
    return text[0] == "/" and not any(c.isspace() for c in text)


def _form_like(text: str) -> bool:
    return "=" in text


_PARSERS: tuple[tuple[Callable[[str], bool], Callable[[str, int], str | None]], ...] = (
    (_json_like, _mask_json),
    (_xml_like, _mask_xml),
    (_path_like, _mask_path),
    (_form_like, _mask_form),
)


def _mask_raw(text: str) -> str:
    """Every secret-named XML element, JSON field and form field, and every issued key, masked
    by the regular expressions, in that order: what :func:`_mask_raw_searched` does, faster.

    Searching a pattern across a 1.7 KB Breng body costs ~10 µs, and a body goes through this
    twice. So a text that is ASCII but for the masker's own ``…`` is first looked at in lower
    case (with ``…`` read as NUL, which keeps it one byte a character): a pattern whose name
    is nowhere in it is not run, and the XML and key patterns are only tried where a match
    can start (before an ``autorisatiesleutel``, at a key prefix). For such a text lower case
    keeps every character's place and ignoring case means what it means in ASCII. Each step
    only cuts values short and appends ``…``, so every ASCII string in its result was in its
    input: a name the first look did not find cannot appear later. Any other text goes to the
    patterns as they are. A Hypothesis test holds the two to the same results."""
    plain = text.replace("…", "\x00")
    if not plain.isascii():
        return _mask_raw_searched(text)
    lowered = plain.lower()
    if _XML_SECRET_NAME in lowered:
        text = _sub_at(_XML_SECRET, _value_masked, text, _xml_secret_starts(lowered))
    if any(name in lowered for name in _JSON_SECRET_NAMES):
        text = _JSON_SECRET.sub(_value_masked, text)
    if any(name in lowered for name in _FORM_SECRET_NAMES):
        text = _mask_form_fields(text)
    if any(prefix in lowered for prefix in _KEY_STARTS):
        text = _sub_at(_KEY_IN_TEXT, _key_in_text, text, _key_starts(text))
    return text


def _mask_raw_searched(text: str) -> str:
    """The raw-text masker as plain searches over the whole text (:func:`_mask_raw`)."""
    text = _XML_SECRET.sub(_value_masked, text)
    text = _JSON_SECRET.sub(_value_masked, text)
    text = _mask_form_fields(text)
    return _KEY_IN_TEXT.sub(_key_in_text, text)


def _value_masked(m: re.Match[str]) -> str:
    """A match of :data:`_XML_SECRET` or :data:`_JSON_SECRET` with its value masked."""
    return m.group(1) + mask(m.group(2)) + m.group(3)


def _key_in_text(m: re.Match[str]) -> str:
    return f"{m.group(1)}_{m.group(2)}…"


#: what a match of each raw pattern holds, in lower case: where none is, the pattern is not run
_XML_SECRET_NAME = "autorisatiesleutel"
_JSON_SECRET_NAMES = tuple(f'{name}"' for name in ("sleutel", "password", "wachtwoord"))
_FORM_SECRET_NAMES = tuple(f"{name}=" for name in ("sleutel", "password", "wachtwoord"))


def _xml_secret_starts(lowered: str) -> list[int]:
    """Where a match of :data:`_XML_SECRET` can start: the last ``<`` before each
    ``autorisatiesleutel`` (between the two, a match has only a name's prefix, never a ``<``)."""
    starts, at = [], lowered.find(_XML_SECRET_NAME)
    while at >= 0:
        start = lowered.rfind("<", 0, at)
        if start >= 0:
            starts.append(start)
        at = lowered.find(_XML_SECRET_NAME, at + 1)
    return starts


def _key_starts(text: str) -> list[int]:
    """Where a match of :data:`_KEY_IN_TEXT` can start: at each key prefix and its ``_``."""
    starts = []
    for prefix in _KEY_STARTS:
        at = text.find(prefix)
        while at >= 0:
            starts.append(at)
            at = text.find(prefix, at + 1)
    return starts


def _sub_at(
    pattern: re.Pattern[str], repl: Callable[[re.Match[str]], str], text: str, starts: list[int]
) -> str:
    """``pattern.sub(repl, text)`` for a pattern whose every match starts at one of ``starts``:
    each is tried left to right, as the search would, skipping those inside an earlier match."""
    parts: list[str] = []
    done = 0
    for start in sorted(set(starts)):
        if start < done:
            continue
        found = pattern.match(text, start)
        if found is None:
            continue
        parts += (text[done:start], repl(found))
        done = found.end()
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


def _mask_form_fields(text: str) -> str:
    """Every secret-named field ``name=value`` at the start of ``text`` or after ``?`` or ``&``
    with its value masked (what one ``(?:^|[?&])name=`` pattern does, searched faster)."""
    head = ""
    first = _FORM_SECRET_FIRST.match(text)
    if first is not None:
        head = first.group(1) + mask(first.group(2))
        text = text[first.end() :]
    return head + _FORM_SECRET.sub(lambda m: m.group(1) + mask(m.group(2)), text)


def _decode(text: str) -> str:
    """``text`` with every encoding a secret may hide behind undone, a few rounds deep."""
    if not any(mark in text for mark in _ENCODINGS):
        return text  # no reference, ``\u`` escape or percent sign: nothing to undo
    for _ in range(_DECODE_ROUNDS):
        previous = text
        text = _CHAR_REF.sub(_char_ref, text)
        text = _NAMED_REF.sub(lambda m: _NAMED_CHARS[m.group(1)], text)
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
    """A JSON-like structure with secret-named fields and issued keys masked (names too)."""
    walked = _walk(data, 0)
    if isinstance(walked, dict):
        return {k: _mask_data_leaf(v) for k, v in walked.items()}
    return _mask_data_leaf(walked)


def _mask_data_leaf(value: Any) -> Any:
    """The raw-text masker over every string the walk left (an encoded key in free text)."""
    if isinstance(value, dict):
        return {k: _mask_data_leaf(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_data_leaf(v) for v in value]
    return _mask_flat(value) if isinstance(value, str) else value
