"""JSON request bodies checked against ``contracts/schemas/``, the schemas OpenAPI shows.

A schema file is ``contracts/schemas/<name>.json`` (JSON Schema 2020-12). ``validate_body`` turns
the first violation into problem details naming the field. The same schemas are the request bodies
of the ``/openapi.json`` each REST service serves (:mod:`koppeling.harness.routes`), so partners and
fuzzers see the contract the service checks.

Field rules are written once, in ``contracts/schemas/defs.json``: a vocabulary of field types
(brincode, leerlingnummer, e-mail, header-safe text, bounded numbers, an instant in a sane range).
A schema names one with ``{"$ref": "defs.json#/$defs/<type>"}``, optionally narrowing it with
keywords next to the ``$ref`` (``maxLength``), which win. A schema may also name another schema
file whole (``{"$ref": "afname_invoer.json"}``: each item of a bulk request is one).
:func:`load_schema` inlines every such reference, so the validator and the served OpenAPI
document both get one self-contained schema.

Patterns are written to mean the same in ECMA-262 (what OpenAPI, fuzzers and browsers read) and
in Python's ``re`` (what jsonschema runs, with ``re.search``): an anchored pattern ends in
``(?!\\n)$``, since Python's ``$`` also matches before a final newline. ``format: date`` is
checked (a date that exists), other formats are annotations. An integer field takes a JSON
number without a fraction (``324.0`` is the integer 324, as JSON Schema says) and the view gets
a Python ``int``.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from koppeling.harness.errors import invalid

if TYPE_CHECKING:  # jsonschema is imported with the first validator (start-up time)
    from jsonschema import TypeChecker
    from jsonschema.exceptions import ValidationError

SCHEMA_DIR = Path(__file__).resolve().parent.parent.parent / "contracts" / "schemas"
DEFS_REF = "defs.json#/$defs/"
_FILE_REF = re.compile(r"[a-z0-9_]+\.json")
#: the formats the validator checks; the others (``email``) only describe
CHECKED_FORMATS = ("date",)
MAX_DETAIL = 300


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema ``contracts/schemas/<name>.json``."""
    path = SCHEMA_DIR / f"{name}.json"
    if not path.is_file():
        raise ValueError(f"no JSON schema named {name!r} (looked for {path})")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    inlined = _inline(data)
    assert isinstance(inlined, dict)
    return inlined


def field_type(name: str) -> dict[str, Any]:
    """One type of the field vocabulary (``contracts/schemas/defs.json``), e.g. ``"email"``."""
    defs = json.loads((SCHEMA_DIR / "defs.json").read_text(encoding="utf-8"))["$defs"]
    if name not in defs:
        raise ValueError(f"no field type {name!r} in defs.json")
    return dict(defs[name])


def _inline(node: Any) -> Any:
    """``node`` with every ``defs.json`` reference replaced by the type it names."""
    if isinstance(node, list):
        return [_inline(item) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(DEFS_REF):
        narrowing = {k: _inline(v) for k, v in node.items() if k != "$ref"}
        return {**field_type(ref.removeprefix(DEFS_REF)), **narrowing}
    if isinstance(ref, str) and _FILE_REF.fullmatch(ref):
        whole = {k: v for k, v in load_schema(ref.removesuffix(".json")).items() if k != "$schema"}
        return {**whole, **{k: _inline(v) for k, v in node.items() if k != "$ref"}}
    return {key: _inline(value) for key, value in node.items()}


def _is_integer(checker: TypeChecker, instance: object) -> bool:
    if isinstance(instance, bool):
        return False
    return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())


@cache
def _rules() -> tuple[Any, Any]:
    """The validator class and format checker of the harness's rules, made on first use (so
    jsonschema is imported then, not at start-up). JSON Schema calls 1.0 an integer (and a
    fuzzer sends one); it is checked as one and handed on as a Python int (:func:`_as_ints`).
    A bool is never a number."""
    from jsonschema import Draft202012Validator, FormatChecker, validators

    validator = validators.extend(
        Draft202012Validator,
        type_checker=Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer),
    )
    return validator, FormatChecker(CHECKED_FORMATS)


def validator_for(schema: dict[str, Any]) -> Any:
    """A validator of ``schema`` with the harness's rules (formats checked, integers)."""
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema)
    validator, formats = _rules()
    return validator(schema, format_checker=formats)


@cache
def _validator(name: str) -> Any:
    return validator_for(load_schema(name))


def validate_body(name: str, body: Any) -> dict[str, Any]:
    """``body`` if it fits schema ``name``; else a 422 problem naming the offending field."""
    errors = sorted(_validator(name).iter_errors(body), key=_error_order)
    if not errors:
        assert isinstance(body, dict)
        converted = _as_ints(load_schema(name), body)
        assert isinstance(converted, dict)
        return converted
    error = errors[0]
    raise invalid(_field_of(error), _message(error))


def _as_ints(schema: Any, value: Any) -> Any:
    """``value`` (valid against ``schema``) with every integer field's ``324.0`` made ``324``."""
    if not isinstance(schema, dict):
        return value
    kinds = schema.get("type")
    if isinstance(value, float) and (
        kinds == "integer" or (isinstance(kinds, list) and "integer" in kinds)
    ):
        return int(value)
    if isinstance(value, dict):
        props = schema.get("properties") or {}
        return {k: _as_ints(props.get(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_ints(schema.get("items"), item) for item in value]
    return value


def _error_order(error: ValidationError) -> tuple[int, str]:
    return (len(error.absolute_path), _field_of(error))


def _field_of(error: ValidationError) -> str:
    """The field as the services name it: ``afnames[1].toets``."""
    path = list(error.absolute_path)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    if error.validator == "additionalProperties":
        extra = error.message.split("'")[1] if "'" in error.message else ""
        path.append(extra)
    named = ""
    for part in path:
        if isinstance(part, int):
            named += f"[{part}]"
        elif part:
            named += f".{part}" if named else str(part)
    return named or "body"


def _message(error: ValidationError) -> str:
    if error.validator == "required":
        return f"{_field_of(error)} is required"
    where = _field_of(error)
    message = f"{where}: {error.message}"
    # the message quotes the value: a 4 MiB string must not come back in the answer
    return message if len(message) <= MAX_DETAIL else message[: MAX_DETAIL - 1] + "…"
