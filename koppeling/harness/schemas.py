"""JSON request bodies checked against ``contracts/schemas/``, the schemas OpenAPI shows.

A schema file is ``contracts/schemas/<name>.json`` (JSON Schema 2020-12). ``validate_body`` turns
the first violation into problem details naming the field. The same schemas are the request bodies
of the ``/openapi.json`` each REST service serves (:mod:`koppeling.harness.routes`), so partners and
fuzzers see the contract the service checks.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from koppeling.harness.errors import invalid

SCHEMA_DIR = Path(__file__).resolve().parent.parent.parent / "contracts" / "schemas"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """The schema ``contracts/schemas/<name>.json``."""
    path = SCHEMA_DIR / f"{name}.json"
    if not path.is_file():
        raise ValueError(f"no JSON schema named {name!r} (looked for {path})")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def validate_body(name: str, body: Any) -> dict[str, Any]:
    """``body`` if it fits schema ``name``; else a 422 problem naming the offending field."""
    errors = sorted(_validator(name).iter_errors(body), key=_error_order)
    if not errors:
        assert isinstance(body, dict)
        return body
    error = errors[0]
    raise invalid(_field_of(error), _message(error))


def _error_order(error: ValidationError) -> tuple[int, str]:
    return (len(error.absolute_path), _field_of(error))


def _field_of(error: ValidationError) -> str:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    if error.validator == "additionalProperties":
        extra = error.message.split("'")[1] if "'" in error.message else ""
        path.append(extra)
    return ".".join(p for p in path if p) or "body"


def _message(error: ValidationError) -> str:
    if error.validator == "required":
        return f"{_field_of(error)} is required"
    where = _field_of(error)
    return f"{where}: {error.message}"
