"""The field vocabulary (``contracts/schemas/defs.json``): one set of rules, meaning the same in
Python's ``re`` (the validator), ECMA-262 (OpenAPI, fuzzers, browsers) and the pages' HTML.

A pattern's ``$`` matches before a final newline in Python, so ``"12345\\n"`` passed a
``^[0-9]+$`` field: every anchored pattern now ends in ``(?!\\n)$``, and every patterned field of
every JSON write endpoint refuses a trailing newline with a 422 (the mailbox's Mailpit API: 400)
naming the field — over real HTTP, on the session harness.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from koppeling.harness.process import Harness
from koppeling.harness.schemas import SCHEMA_DIR, validator_for
from koppeling.harness.schools import check_schooljaar
from koppeling.harness.services import SERVICES
from koppeling.web.fields import html_attrs, schema_of

DEFS = json.loads((SCHEMA_DIR / "defs.json").read_text(encoding="utf-8"))["$defs"]
SCHEMA_NAMES = sorted(p.stem for p in SCHEMA_DIR.glob("*.json") if p.stem != "defs")
WRITES = ("post", "put", "patch", "delete")
TRIMS = "\\s*(?!\\n)$"  # a pattern ending so takes spaces (and a newline) around the value


def _patterns(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every ``pattern`` in a schema or OpenAPI document, with where it stands."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield where, value
            else:
                yield from _patterns(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _patterns(item, f"{where}/{i}")


def _anchored_at_end(pattern: str) -> bool:
    return pattern.endswith("$") and not pattern.endswith("\\$")


@pytest.mark.parametrize("name", ["defs", *SCHEMA_NAMES])
def test_no_pattern_ends_in_a_bare_dollar(name: str) -> None:
    raw = json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))
    bare = [(w, p) for w, p in _patterns(raw) if _anchored_at_end(p) and not p.endswith("(?!\\n)$")]
    assert not bare, (
        f"{name}: end these with (?!\\n)$ — Python's $ matches before a newline: {bare}"
    )
    for where, pattern in _patterns(raw):
        compiled = re.compile(pattern)
        if _anchored_at_end(pattern) and not pattern.endswith(TRIMS):
            assert not any(compiled.search(s + "\n") for s in ("", "0", "12345", "99AB")), where


def test_served_documents_have_no_bare_dollar(harness: Harness) -> None:
    for spec in SERVICES:
        doc = requests.get(f"{harness.url(spec.name)}/openapi.json", timeout=10)
        if doc.status_code == 404:
            continue
        bare = [
            (w, p)
            for w, p in _patterns(doc.json())
            if _anchored_at_end(p) and not p.endswith("(?!\\n)$")
        ]
        assert not bare, f"{spec.name}: {bare}"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed to check the patterns as ECMA-262 (.ci/run installs it)")
    return node


def test_every_pattern_compiles_as_ecma_262_and_as_an_html_pattern(tmp_path: Path) -> None:
    """Schema patterns in unicode mode (JSON Schema, OpenAPI); the pages' patterns in the
    ``v`` mode browsers compile ``<input pattern>`` with."""
    schema_patterns = sorted(
        {p for name in ["defs", *SCHEMA_NAMES] for _, p in _patterns(_raw(name))}
    )
    html_patterns = sorted({a["pattern"] for t in DEFS if "pattern" in (a := html_attrs(t))})
    script = tmp_path / "check.cjs"
    script.write_text(
        "const {schema, html} = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
        "const bad = [];\n"
        "for (const p of schema) { try { new RegExp(p, 'u'); } "
        "catch (e) { bad.push([p, String(e)]); } }\n"
        "for (const p of html) { try { new RegExp('^(?:' + p + ')$', 'v'); } "
        "catch (e) { bad.push([p, String(e)]); } }\n"
        "console.log(JSON.stringify(bad));\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [_node(), str(script)],
        input=json.dumps({"schema": schema_patterns, "html": html_patterns}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout) == []


def _raw(name: str) -> Any:
    return json.loads((SCHEMA_DIR / f"{name}.json").read_text(encoding="utf-8"))


def test_the_schooljaar_pattern_is_the_services_rule() -> None:
    """Consecutive years, as ``check_schooljaar`` says, written as a pattern."""
    schooljaar = re.compile(DEFS["schooljaar"]["pattern"])
    for start in range(1000, 3000):
        for end in (start - 1, start, start + 1, start + 2, start + 10, start + 101):
            text = f"{start}-{end}"
            try:
                check_schooljaar(text)
                valid = True
            except ValueError:
                valid = False
            assert bool(schooljaar.search(text)) == valid, text
    assert not schooljaar.search("2026-2027\n")


# --- the pages' attributes mean the schema ------------------------------------------------

_STRING_TYPES = sorted(t for t, d in DEFS.items() if d.get("type") == "string")
_TEXT = st.text(st.characters(codec="utf-8"), max_size=80)


def _samples(soort: str) -> st.SearchStrategy[str]:
    """Strings near the type's rules: from its pattern, with a character or a newline added,
    and any text."""
    schema = DEFS[soort]
    pattern = schema.get("pattern")
    near = st.from_regex(pattern, fullmatch=True) if pattern else _TEXT
    return st.one_of(
        near,
        st.builds(lambda s, c: s + c, near, st.sampled_from(["\n", " ", "\x00", "a", "\u2028"])),
        st.builds(lambda c, s: c + s, st.sampled_from(["\n", " ", "0"]), near),
        _TEXT,
    )


@pytest.mark.parametrize("soort", _STRING_TYPES)
def test_html_attributes_accept_exactly_what_the_schema_accepts(soort: str) -> None:
    """What ``<input pattern maxlength minlength>`` lets through is what the validator lets
    through (``format`` aside: ``type="date"`` is the browser's own date check)."""
    attrs = html_attrs(soort)
    schema = {k: v for k, v in schema_of(soort).items() if k != "format"}
    validator = validator_for(schema)
    html = re.compile(attrs.get("pattern", "[\\s\\S]*"))

    @settings(max_examples=150, deadline=None, database=None, derandomize=True)
    @given(_samples(soort))
    def agree(value: str) -> None:
        by_html = bool(html.fullmatch(value)) and (
            len(value) <= int(attrs.get("maxlength", 10**9))
            and len(value) >= int(attrs.get("minlength", 0))
        )
        assert by_html == validator.is_valid(value), (soort, value, attrs)

    agree()


# --- a trailing newline in every patterned field of every JSON write endpoint ------------


def _example(schema: dict[str, Any]) -> Any:
    """A small value valid against ``schema`` (enough to let one other field be the only
    offence)."""
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "object":
        props = schema.get("properties", {})
        return {k: _example(props.get(k, {})) for k in schema.get("required", [])}
    if kind == "array":
        return [_example(schema.get("items", {}))] * int(schema.get("minItems", 0))
    if kind == "integer":
        return max(int(schema.get("minimum", 0)), 1) if "maximum" not in schema else 1
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if schema.get("format") == "date":
        return "2015-06-01"
    validator = validator_for(schema)
    pattern = schema.get("pattern")
    strategy = st.from_regex(pattern, fullmatch=pattern.endswith("$")) if pattern else st.just("x")
    return _first(strategy, validator.is_valid)


class _Found(Exception):
    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value


def _first(strategy: st.SearchStrategy[Any], ok: Any) -> Any:
    """The first generated value that is ``ok`` (no shrinking: ``find`` would take minutes)."""

    @settings(database=None, derandomize=True, max_examples=500, phases=[Phase.generate])
    @given(strategy)
    def probe(value: Any) -> None:
        if ok(value):
            raise _Found(value)

    try:
        probe()
    except _Found as found:
        return found.value
    raise AssertionError(f"no valid example from {strategy!r}")


def _write_operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            if method in WRITES and body:
                yield method, path, body["schema"]


def _concrete(path: str) -> str:
    values = {"brincode": "99NL", "dependancecode": "00", "id": "1", "leerlingnummer": "1"}
    return re.sub(r"{(\w+)}", lambda m: values.get(m.group(1), "x"), path)


def _documented_writes(live: Harness) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(service, method, path, request schema) of every JSON write the services' documents
    describe, over real HTTP."""
    for spec in SERVICES:
        resp = requests.get(f"{live.url(spec.name)}/openapi.json", timeout=10)
        if resp.status_code != 404:
            for method, path, schema in _write_operations(resp.json()):
                yield spec.name, method, path, schema


def _send(live: Harness, service: str, method: str, path: str, body: Any) -> requests.Response:
    url = live.url(service) + _concrete(path)
    return requests.request(method.upper(), url, json=body, timeout=10)


def test_trailing_newline_in_every_patterned_field_is_refused(live: Harness) -> None:
    tried = []
    for service, method, path, schema in _documented_writes(live):
        for field, prop in schema.get("properties", {}).items():
            if "pattern" not in prop or prop.get("type") != "string":
                continue
            if prop["pattern"].endswith(TRIMS):
                continue  # spaces around it are trimmed, a newline among them
            body = _example(schema)
            body[field] = _example(prop) + "\n"
            answer = _send(live, service, method, path, body)
            expected = 400 if service == "mailbox" else 422
            where = f"{service} {method.upper()} {path} {field}={body[field]!r}"
            assert answer.status_code == expected, f"{where}: {answer.status_code} {answer.text}"
            assert answer.json()["field"] == field, f"{where}: {answer.text}"
            tried.append(where)
    assert len(tried) >= 10, tried  # LAS pupils and schools, afnames, koppelingen, …


def test_every_write_refuses_a_field_its_document_does_not_name(live: Harness) -> None:
    """Every JSON write a document describes is closed (``additionalProperties: false``) and
    answers a body with one more field by naming it: a request the document calls valid is
    never refused for what it holds beyond the document (the fuzz suite's
    ``positive_data_acceptance``), and a misspelt field is not ignored."""
    tried = []
    for service, method, path, schema in _documented_writes(live):
        where = f"{service} {method.upper()} {path}"
        assert schema.get("additionalProperties") is False, where
        answer = _send(live, service, method, path, {**_example(schema), "onbekend_veld": 1})
        assert answer.status_code in (400, 422), f"{where}: {answer.status_code} {answer.text}"
        assert answer.json()["field"] == "onbekend_veld", f"{where}: {answer.text}"
        tried.append(where)
    assert len(tried) >= 10, tried
