"""Form fields with the rules of the field vocabulary (``contracts/schemas/defs.json``).

The vocabulary that the JSON schemas and the OpenAPI documents use also governs the pages'
forms, twice:

- **in the HTML**: :func:`input_attrs` turns a type into the attributes of an ``<input>`` —
  ``type``, ``pattern``, ``maxlength``/``minlength``, ``min``/``max``, ``inputmode`` — plus
  ``data-veld="<type>"``, so a test can find every field and check its attributes against
  ``defs.json``. The form macro ``field(..., soort=...)`` in ``web/forms.html`` calls it.
- **on the server**: :func:`check_form` validates a posted form against the same types with the
  same JSON Schema validator as the API, before the page calls any API. A field that breaks a
  rule gets a Dutch message naming it; the page answers 422 and nothing is stored.

How a type becomes attributes: a ``pattern`` loses its anchors (an HTML pattern is anchored
already); a ``not`` pattern of forbidden characters (one character class) becomes the pattern
``[^…]*``; numbers stay ``type="text"`` with an ``inputmode`` and a digits pattern, because a
``type="number"`` input throws away what was typed when it is not a number, and these pages show
what was typed next to the message; ``min``/``max`` are given where HTML honours them (the
``x-html`` entries of a type: ``date``, ``datetime-local``). Forms keep ``novalidate``: the
attributes tell the browser (keyboard, length limit, ``:invalid``, assistive technology) and the
server's Dutch message is the one the user reads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from markupsafe import Markup, escape

from koppeling.harness.schemas import field_type, validator_for
from koppeling.web.api import FormErrors

if TYPE_CHECKING:  # jsonschema is imported with the first validator (start-up time)
    from jsonschema.exceptions import ValidationError

__all__ = ["Field", "check_form", "html_attrs", "input_attrs"]

_INTEGER = re.compile(r"-?[0-9]{1,30}")
_NUMBER = re.compile(r"-?[0-9]{1,30}(?:[.,][0-9]{1,30})?")
_ANCHORED = re.compile(r"\^(?P<body>.*)\(\?!\\n\)\$", re.DOTALL)
_ANY = "[\\s\\S]*"  # any text, newlines too: ECMA's "." stops at a newline
_ONE_CLASS = re.compile(r"\[(?P<chars>(?:[^\]\\]|\\.)+)\]", re.DOTALL)


@dataclass(frozen=True)
class Field:
    """One form field: its vocabulary type, how a sentence names it (``"Het BRIN-nummer"``),
    whether it must be filled in, and keywords narrowing the type (``{"maxLength": 128}``)."""

    soort: str
    naam: str
    required: bool = True
    narrowing: Mapping[str, Any] = field(default_factory=dict)

    def schema(self) -> dict[str, Any]:
        return schema_of(self.soort, self.narrowing)


def schema_of(soort: str, narrowing: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The vocabulary type ``soort``, narrowed."""
    return {**field_type(soort), **(narrowing or {})}


def html_attrs(soort: str, narrowing: Mapping[str, Any] | None = None) -> dict[str, str]:
    """The ``<input>`` attributes that say the rules of type ``soort`` (see the module doc)."""
    schema = schema_of(soort, narrowing)
    attrs: dict[str, str] = {"data-veld": soort}
    kind = schema.get("type")
    if kind in ("integer", "number"):
        attrs |= _number_attrs(schema, integer=kind == "integer")
    else:
        attrs["type"] = "text"
        pattern = _html_pattern(schema)
        if pattern is not None:
            attrs["pattern"] = pattern
        if "maxLength" in schema:
            attrs["maxlength"] = str(schema["maxLength"])
        if schema.get("minLength"):
            attrs["minlength"] = str(schema["minLength"])
    attrs |= {k: str(v) for k, v in (schema.get("x-html") or {}).items()}
    return attrs


def input_attrs(soort: str, **narrowing: Any) -> Markup:
    """:func:`html_attrs` written out, for a template: ``<input {{ input_attrs('email') }}>``."""
    return Markup(" ").join(
        Markup('{}="{}"').format(name, escape(value))
        for name, value in html_attrs(soort, narrowing).items()
    )


def _number_attrs(schema: Mapping[str, Any], *, integer: bool) -> dict[str, str]:
    low, high = schema.get("minimum"), schema.get("maximum")
    bounds = [b for b in (low, high) if b is not None]
    digits = max(len(str(abs(int(b)))) for b in bounds) if bounds else 30
    sign = "-?" if low is None or low < 0 else ""
    whole = f"{sign}[0-9]{{1,{digits}}}"
    return {
        "type": "text",
        "inputmode": "numeric" if integer else "decimal",
        "pattern": whole if integer else whole + "(?:[.,][0-9]+)?",
    }


def _html_pattern(schema: Mapping[str, Any]) -> str | None:
    """The HTML pattern of a string type: its pattern without the anchors (or, unanchored,
    anywhere in the text), after a lookahead for the characters its ``not`` forbids; a type
    that only forbids one class of characters is ``[^…]*``."""
    pattern = schema.get("pattern")
    forbidden = (schema.get("not") or {}).get("pattern")
    body = None
    if isinstance(pattern, str):
        anchored = _ANCHORED.fullmatch(pattern)
        body = anchored.group("body") if anchored else f"{_ANY}(?:{pattern}){_ANY}"
    if not isinstance(forbidden, str):
        return body
    one = _ONE_CLASS.fullmatch(forbidden)
    if body is None and one:
        return f"[^{one.group('chars')}]*"
    return f"(?!{_ANY}(?:{forbidden})){body or _ANY}"


def check_form(
    form: Mapping[str, Any], fields: Mapping[str, Field], fouten: FormErrors
) -> dict[str, Any]:
    """The posted values of ``fields`` (trimmed; numbers as numbers; an empty optional one
    None), checked against their types; each field that breaks a rule gets its message in
    ``fouten`` under its form name."""
    values: dict[str, Any] = {}
    for name, spec in fields.items():
        raw = str(form.get(name) or "").strip()
        values[name] = None
        if not raw:
            if spec.required:
                fouten[name] = f"{spec.naam} is verplicht."
            continue
        message, value = _check(spec, raw)
        if message:
            fouten[name] = message
        else:
            values[name] = value
    return values


def _check(spec: Field, raw: str) -> tuple[str | None, Any]:
    schema = spec.schema()
    kind = schema.get("type")
    value: Any = raw
    if kind == "integer":
        if not _INTEGER.fullmatch(raw):
            return f"{spec.naam} is een geheel getal, niet {raw!r}.", None
        value = int(raw)
    elif kind == "number":
        if not _NUMBER.fullmatch(raw):
            return f"Vul een getal in bij {spec.naam.lower()} (bijvoorbeeld 2), niet {raw!r}.", None
        value = float(raw.replace(",", "."))
    errors = sorted(validator_for(schema).iter_errors(value), key=_severity)
    if not errors:
        return None, value
    return _message(spec, schema, errors[0], raw), None


def _severity(error: ValidationError) -> int:
    """Which message to show first: a forbidden character, then a wrong form, then length."""
    order = ("not", "pattern", "format", "type", "enum", "minimum", "maximum")
    return order.index(str(error.validator)) if error.validator in order else len(order)


def _message(spec: Field, schema: Mapping[str, Any], error: ValidationError, raw: str) -> str:
    uitleg = schema.get("x-uitleg")
    rule = f": {uitleg}" if uitleg else ""
    which = error.validator
    if which == "not":
        return f"{spec.naam} bevat een teken dat hier niet mag{rule}."
    if which == "maxLength":
        return f"{spec.naam} is te lang: hoogstens {schema['maxLength']} tekens."
    if which == "minLength":
        return f"{spec.naam} is te kort: minstens {schema['minLength']} tekens."
    if which == "minimum":
        return f"{spec.naam} is minimaal {schema['minimum']}; {raw} kan niet."
    if which == "maximum":
        return f"{spec.naam} is maximaal {schema['maximum']}; {raw} kan niet."
    if which == "enum":
        return f"{spec.naam} is geen toegestane waarde."
    return f"{spec.naam} heeft niet de juiste vorm{rule}."
