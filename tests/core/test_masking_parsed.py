"""Masking works on parsed values: a key embedded anywhere in a JSON, XML, form, query-string or
path value — plain, unicode-escaped, as character references, percent-encoded, split across
escapes, in a name — never survives into a journal row, and text without keys is left exactly
as it was. Property tests (Hypothesis) through the real :class:`Journal` on a real store."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from unittest import mock
from urllib.parse import quote, unquote

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from lxml import etree

from koppeling.harness import keys as keys_module
from koppeling.harness.journal import Entry, Journal
from koppeling.harness.keys import KEY_PREFIXES, mask_data, mask_text
from koppeling.harness.store import Database

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
SECRET_NAMES = ("autorisatiesleutel", "sleutel", "password", "wachtwoord")

keys = st.builds(
    lambda prefix, body: f"{prefix}_{body}",
    st.sampled_from(KEY_PREFIXES),
    st.text(ALNUM, min_size=24, max_size=40),
)
words = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
names = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=10).filter(
    lambda n: not n.endswith("sleutel") and n not in SECRET_NAMES
)


@pytest.fixture
def journal() -> Iterator[Journal]:
    db = Database.memory()
    db.create_all()
    yield Journal(db)
    db.dispose()


def _row(journal: Journal, *, path: str | None = None, body: str | None = None) -> str:
    """What the journal keeps of a request with that path and body (every column, as JSON)."""
    journal.clear()
    journal.record(
        Entry(
            service="mailbox",
            kind="http",
            at=datetime(2026, 12, 1, tzinfo=UTC),
            method="POST",
            path=path,
            summary=f"POST {path}" if path else None,
            request=body,
            response=body,
            data={"body": body} if body else None,
        )
    )
    (entry,) = journal.entries()
    return json.dumps(entry.as_json(), ensure_ascii=False)


def _decoded(text: str) -> str:
    """``text`` with every encoding undone, for the check (the masker must not rely on it)."""
    for _ in range(3):
        text = html.unescape(unquote(text))
        text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)
    return text


def _assert_masked(key: str, row: str) -> None:
    secret = key.split("_", 1)[1][4:]  # what a masked key never shows
    for text in (row, _decoded(row)):
        windows = {secret[i : i + 8] for i in range(len(secret) - 7)}
        leaked = [w for w in windows if w in text]
        assert not leaked, f"{key} leaked as {leaked} in {row}"


def _escaped(key: str, draw: Callable[[st.SearchStrategy[Any]], Any], escape: Any) -> str:
    """``key`` with some of its characters written through ``escape`` (split across escapes)."""
    chosen = draw(st.lists(st.booleans(), min_size=len(key), max_size=len(key)))
    return "".join(escape(c) if e else c for c, e in zip(key, chosen, strict=True))


# --- JSON ---------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | words,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(names, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def json_with_key(draw: Any) -> tuple[str, str]:
    key = draw(keys)
    where = draw(st.sampled_from(["value", "inside", "name", "nested", "secret-name"]))
    doc: dict[str, Any] = draw(st.dictionaries(names, json_values, max_size=4))
    name = draw(names)
    if where == "value":
        doc[name] = key
    elif where == "inside":
        doc[name] = draw(words) + " " + key + " " + draw(words)
    elif where == "name":
        doc[draw(words) + key] = draw(json_values)
    elif where == "nested":
        doc[name] = [draw(json_values), {draw(names): [key]}]
    else:
        doc[draw(st.sampled_from(["autorisatie\\u0073leutel", "dashboard_sleutel"]))] = key
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()))
    text = text.replace("\\\\u0073", "\\u0073")  # the escaped name, as a client might write it
    return key, text.replace(key, _escaped(key, draw, lambda c: f"\\u{ord(c):04x}"))


@PROPERTY
@given(json_with_key())
def test_a_key_in_json_never_reaches_the_journal(journal: Journal, case: tuple[str, str]) -> None:
    key, body = case
    _assert_masked(key, _row(journal, body=body))


# --- XML ----------------------------------------------------------------------------------

xml_text = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"], exclude_characters="<>&\"'"),
    max_size=10,
)


def _char_ref(c: str) -> str:
    return f"&#{ord(c)};" if ord(c) % 2 else f"&#x{ord(c):x};"


@st.composite
def xml_with_key(draw: Any) -> tuple[str, str]:
    key = draw(keys)
    written = _escaped(key, draw, _char_ref)
    where = draw(st.sampled_from(["text", "attribute", "cdata", "tail", "header"]))
    before, after = draw(xml_text), draw(xml_text)
    inner = {
        "text": f"<v>{before}{written}{after}</v>",
        "attribute": f'<v a="{before}{written}">{after}</v>',
        "cdata": f"<v><![CDATA[{before}{key}{after}]]></v>",
        "tail": f"<v>{before}</v>{written}",
        "header": f"<aut:autorisatiesleutel>{written}</aut:autorisatiesleutel>",
    }[where]
    declaration = '<?xml version="1.0" encoding="utf-8"?>\n' if draw(st.booleans()) else ""
    return key, (
        f'{declaration}<s:Envelope xmlns:s="urn:s" xmlns:aut="urn:aut"><s:Header>{inner}'
        f"</s:Header><s:Body><x>{draw(xml_text)}</x></s:Body></s:Envelope>"
    )


@PROPERTY
@given(xml_with_key())
def test_a_key_in_xml_never_reaches_the_journal(journal: Journal, case: tuple[str, str]) -> None:
    key, body = case
    _assert_masked(key, _row(journal, body=body))


def test_a_secret_element_is_masked_whatever_it_holds() -> None:
    envelope = (
        '<s:Envelope xmlns:s="urn:s" xmlns:aut="urn:aut"><s:Header><aut:autorisatie>'
        "<aut:autorisatiesleutel>&#103;eheim-van-de-school</aut:autorisatiesleutel>"
        "<aut:klantcode>K1</aut:klantcode></aut:autorisatie></s:Header><s:Body/></s:Envelope>"
    )
    masked = mask_text(envelope)
    assert "van-de-school" not in masked
    assert "<aut:klantcode>K1</aut:klantcode>" in masked


@pytest.mark.parametrize(
    "document",
    [
        "<v>{&quot;wachtwoord&quot;: &quot;geheim-van-de-school&quot;}</v>",
        '<v a="{&quot;sleutel&quot;: &quot;geheim-van-de-school&quot;}">x</v>',
        "<v><w/>{&quot;password&quot;: &quot;geheim-van-de-school&quot;}</v>",
    ],
)
def test_a_secret_only_the_parsed_xml_shows_is_masked(document: str) -> None:
    """A JSON document in an XML text, attribute or tail, its quotes written as entities: only
    the parsed value shows the secret field (the raw patterns see ``&quot;``), so this fails
    when the XML masker skips the values it should have looked at."""
    masked = mask_text(document)
    assert "van-de-school" not in masked
    assert "gehe…" in masked


@pytest.mark.parametrize(
    "text",
    [
        "<v>x</v>{&quot;password&quot;: &quot;geheim-van-de-school&quot;}<w/>",  # not one root
        "zie &lt;aut:autorisatiesleutel&gt;geheim-van-de-school&lt;/aut:autorisatiesleutel&gt;",
        "{&amp;quot;wachtwoord&amp;quot;: &amp;quot;geheim-van-de-school&amp;quot;}",
    ],
)
def test_a_secret_behind_named_entities_is_masked_where_nothing_parses(text: str) -> None:
    """Text that parses as no document, with JSON or XML inside written with XML's named
    entities (twice over in the last): the raw-text masker undoes them, as it undoes character
    references, and masks what that shows."""
    masked = mask_text(text)
    assert "van-de-school" not in masked
    assert "gehe…" in masked


# --- plain XML: the raw patterns alone, as the parsed masker would -------------------------

plain_words = st.text(ALNUM + " -.:/=?,>\t\r\n", max_size=12)
plain_values = st.one_of(
    plain_words,
    keys,
    st.builds(lambda n, v: f"{n}={v}", st.sampled_from(SECRET_NAMES), st.text(ALNUM, max_size=8)),
    st.builds(lambda n, v: f"?{n}={v}", st.sampled_from(SECRET_NAMES), st.text(ALNUM, max_size=8)),
    st.builds(lambda n, v: f'{{"{n}": "{v}"}}', st.sampled_from(SECRET_NAMES), st.text(ALNUM)),
    st.sampled_from(["50%", "\\u0073k8", "sleutel", "x sk8_Ab12"]),
)
#: (element names, attribute names, values): plain ones, and ones with secrets of every kind
PLAIN = (st.sampled_from(["x", "y", "aut:klantcode", "aut:autorisatiesleutel"]), "abc", plain_words)
SPICED = (
    st.sampled_from(
        ["x", "aut:autorisatiesleutel", "AutorisatieSleutel", "wachtwoord", "dashboard_sleutel"]
        + ["lr:autorisatiesleutelx"]
    ),
    ["a", "sleutel", "Password"],
    plain_values,
)


@st.composite
def plain_xml(draw: Any, depth: int = 0, spiced: bool = False) -> str:
    """An XML element without references, CDATA or comments. Mostly plain (the fast path),
    with one spiced child where ``spiced`` (at any depth): secret names of elements and
    attributes, keys, secret form or JSON fields, encodings. A leaf named like a secret holds
    a key; any quote character a value holds decides how its attribute is quoted."""
    names, attribute_names, values = SPICED if spiced else PLAIN
    name = draw(names)
    attributes = ""
    for attribute, value in draw(
        st.lists(
            st.tuples(st.sampled_from(list(attribute_names)), values),
            max_size=2,
            unique_by=lambda a: a[0],
        )
    ):
        quote_mark = "'" if '"' in value else '"'
        attributes += f" {attribute}={quote_mark}{value}{quote_mark}"
    if depth < 3 and draw(st.booleans()):
        children = draw(st.lists(plain_xml(depth + 1), max_size=3))
        if depth == 0 and draw(st.booleans()):
            children.insert(draw(st.integers(0, len(children))), draw(plain_xml(2, spiced=True)))
        content = draw(values) + "".join(c + draw(values) for c in children)
    else:
        content = draw(keys if "sleutel" in name.lower() else values)
    return f"<{name}{attributes}>{content}</{name}>"


def _canonical(text: str) -> str:
    """An XML text as C14N writes it (quotes, empty elements, attribute order as one form)."""
    try:
        root = etree.fromstring(text.encode())
    except etree.XMLSyntaxError:
        return text  # masking cut a document short: compared as it is
    return etree.tostring(root, method="c14n").decode()


@settings(max_examples=600, deadline=None, database=None, derandomize=True)
@given(plain_xml(), st.booleans())
def test_plain_xml_is_masked_as_its_parse_would_mask_it(element: str, declared: bool) -> None:
    """Where the parse is skipped (:func:`keys._plain_xml_masked`), the document is left as
    parsing and walking it (and the raw patterns after) would have left it, in its own form."""
    namespaces = 'xmlns:aut="urn:aut" xmlns:lr="urn:lr"'
    document = f"<r {namespaces}>{element}</r>"
    if declared:
        document = '<?xml version="1.0" encoding="utf-8"?>\n' + document
    fast = mask_text(document)
    with mock.patch.object(keys_module, "_plain_xml_masked", lambda text: None):
        parsed = mask_text(document)
    assert _canonical(fast) == _canonical(parsed)


ENVELOPE = (
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    '<soap:Envelope xmlns:soap="urn:soap"><soap:Header><aut:autorisatie xmlns:aut="urn:aut">'
    "<aut:autorisatiesleutel>sk8_xBDM43bBBfBjAig2Us6dI4aq4mtCB3jB</aut:autorisatiesleutel>"
    "<aut:klantcode>BENCH</aut:klantcode></aut:autorisatie></soap:Header><soap:Body>{body}"
    "</soap:Body></soap:Envelope>"
)


@pytest.mark.parametrize(
    ("body", "plain"),
    [
        ("<lr:leerlingid>0000000001</lr:leerlingid>", True),
        ("<x>a &amp; b</x>", False),  # a reference: the parse decodes it
        ("<x><![CDATA[a]]></x>", False),
        ("<!-- a --><x/>", False),
        ("<x>50%</x>", False),  # an encoding could hide a key
        ("<x>sk8_Ab12Cd34Ef56</x>", False),  # a key outside the autorisatiesleutel
        ("<wachtwoord>geheim</wachtwoord>", False),  # a secret name the raw patterns miss
        ('<x sleutel="geheim"/>', False),
        ("<x>sleutel=geheim</x>", False),
        ("<x>é</x>", False),
        ("<x>a\r\nb</x>", False),  # the parse reads "a\nb"
        ('<aut:autorisatiesleutel a=">">geheim</aut:autorisatiesleutel>', False),
        ("<aut:autorisatiesleutel>ge>heim</aut:autorisatiesleutel>", False),
        ("<aut:autorisatiesleutel></aut:autorisatiesleutel>", False),
        ('<aut:autorisatiesleutel a="1">geheim</aut:autorisatiesleutel>', True),
    ],
)
def test_which_xml_the_raw_patterns_mask_alone(body: str, plain: bool) -> None:
    """A SOAP request as the Breng load sends it skips the parse; anything that could hide a
    secret from the raw patterns, or that they would not mask as the parse does, does not. The
    masked text never shows the key."""
    document = ENVELOPE.format(body=body)
    assert (keys_module._plain_xml_masked(document) is not None) is plain
    masked = mask_text(document)
    assert "I4aq4mtCB3jB" not in masked and "geheim" not in masked.replace("gehe…", "")


# --- forms, query strings and paths -------------------------------------------------------

url_text = st.text(ALNUM + "-._~ ", max_size=10)


def _percent(c: str) -> str:
    return quote(c, safe="") if c.isalnum() is False else f"%{ord(c):02X}"


@st.composite
def form_with_key(draw: Any) -> tuple[str, str]:
    key = draw(keys)
    written = _escaped(key, draw, _percent)
    pairs = [
        f"{quote(draw(names))}={quote(draw(url_text), safe='')}"
        for _ in range(draw(st.integers(0, 3)))
    ]
    where = draw(st.sampled_from(["value", "name", "secret", "twice"]))
    pair = {
        "value": f"tekst={quote(draw(url_text))}+{written}",
        "name": f"{written}=1",
        "secret": f"{draw(st.sampled_from(['sleutel', 'dashboard_sleutel']))}={written}",
        "twice": f"q={written.replace('%', '%25')}",
    }[where]
    pairs.insert(draw(st.integers(0, len(pairs))), pair)
    return key, "&".join(pairs)


@PROPERTY
@given(form_with_key())
def test_a_key_in_a_form_body_never_reaches_the_journal(
    journal: Journal, case: tuple[str, str]
) -> None:
    key, body = case
    _assert_masked(key, _row(journal, body=body))


@PROPERTY
@given(form_with_key())
def test_a_key_in_a_query_string_never_reaches_the_journal(
    journal: Journal, case: tuple[str, str]
) -> None:
    key, query = case
    _assert_masked(key, _row(journal, path=f"/api/v1/search?{query}"))


@st.composite
def path_with_key(draw: Any) -> tuple[str, str]:
    key = draw(keys)
    segments = [quote(draw(url_text), safe="") for _ in range(draw(st.integers(0, 3)))]
    segments.insert(draw(st.integers(0, len(segments))), _escaped(key, draw, _percent))
    return key, "/" + "/".join(["api", *segments])


@PROPERTY
@given(path_with_key())
def test_a_key_in_a_path_never_reaches_the_journal(journal: Journal, case: tuple[str, str]) -> None:
    key, path = case
    _assert_masked(key, _row(journal, path=path))


# --- what holds no key stays exactly as it was --------------------------------------------

_LOOKS_LIKE_KEY = re.compile(r"(?:" + "|".join(KEY_PREFIXES) + r")_[A-Za-z0-9]{8}", re.I)


def _keyless(text: str) -> bool:
    return not _LOOKS_LIKE_KEY.search(_decoded(text)) and "…" not in text


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(st.dictionaries(names, json_values, max_size=5), st.booleans())
def test_json_without_keys_is_unchanged(doc: dict[str, Any], ascii_only: bool) -> None:
    text = json.dumps(doc, ensure_ascii=ascii_only)
    assume(_keyless(text))
    assert mask_text(text) == text
    assert mask_data(doc) == doc


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(st.lists(st.tuples(names, xml_text), max_size=4), xml_text)
def test_xml_without_keys_is_unchanged(fields: list[tuple[str, str]], body: str) -> None:
    inner = "".join(f'<{n} a="{v}">{v}</{n}>' for n, v in fields)
    text = f'<?xml version="1.0"?><e xmlns="urn:x"><h>{inner}</h><b>{body}</b></e>'
    assume(_keyless(text))
    assert mask_text(text) == text


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(
    st.lists(st.tuples(names, url_text), max_size=4),
    st.lists(url_text.filter(bool), max_size=4),
)
def test_forms_queries_and_paths_without_keys_are_unchanged(
    pairs: list[tuple[str, str]], segments: list[str]
) -> None:
    form = "&".join(f"{quote(n)}={quote(v)}" for n, v in pairs)
    path = "/" + "/".join(quote(s, safe="") for s in segments)
    for text in (form, path, f"{path}?{form}"):
        assume(_keyless(text))
        assert mask_text(text) == text


@pytest.mark.parametrize(
    "written",
    [
        '{{"0{key}": 1}}',  # glued to a word, in a name
        '{{"x": "zie\\u0020{key_escaped}"}}',  # unicode escapes, split through the key
        "/api/%73k8_{rest}/x",  # a percent-encoded path segment
        "/api/{key}?x=1",  # a plain path segment
        '<v a="&#115;k8_{rest}"/>',  # a character reference in an attribute
        "<v><![CDATA[{key}]]></v>",  # CDATA
        "naam=x&{key}=1",  # a form field's name
    ],
)
def test_known_holes_stay_closed(journal: Journal, written: str) -> None:
    key = "sk8_" + "Zq9" * 10
    rest = key.removeprefix("sk8_")
    escaped = "".join(f"\\u{ord(c):04x}" if i % 3 == 0 else c for i, c in enumerate(key))
    text = written.format(key=key, rest=rest, key_escaped=escaped)
    row = _row(journal, path=text) if text.startswith("/") else _row(journal, body=text)
    _assert_masked(key, row)
