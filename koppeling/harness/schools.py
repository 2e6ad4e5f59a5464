"""School identity: a BRIN code plus a dependancecode (vestiging), as UWLR names them."""

from __future__ import annotations

import re
from collections.abc import Callable

from koppeling.harness.errors import ApiError

# ASCII digits and full matches only: ``\d`` takes any Unicode digit and ``$`` a trailing newline.
BRIN_RE = re.compile(r"[0-9]{2}[A-Z]{2}")
DEPENDANCE_RE = re.compile(r"[0-9]{2}")
SCHOOLJAAR_RE = re.compile(r"[1-2][0-9]{3}-[1-2][0-9]{3}")


def school_key(brincode: str, dependancecode: str | None = None) -> str:
    """The harness-wide key of a school, e.g. ``"99AB-00"`` (dependancecode defaults to 00)."""
    return f"{brincode}-{dependancecode or '00'}"


def check_brincode(value: object) -> str:
    """A valid BRIN code (2 digits + 2 capitals) or ValueError saying what came."""
    if not isinstance(value, str) or not BRIN_RE.fullmatch(value):
        raise ValueError(f"brincode must be 2 digits and 2 capitals (e.g. 99AB), got {value!r}")
    return value


def check_dependancecode(value: object) -> str:
    """A valid dependancecode (2 digits; None means the main location "00")."""
    if value is None:
        return "00"
    if not isinstance(value, str) or not DEPENDANCE_RE.fullmatch(value):
        raise ValueError(f"dependancecode must be 2 digits (e.g. 00), got {value!r}")
    return value


def school_not_found(field: str, detail: str) -> ApiError:
    """404 naming the bad part of a school path."""
    return ApiError(404, "School niet gevonden", detail, field=field)


def school_of_path(
    brincode: str,
    dependancecode: str,
    error: Callable[[str, str], ApiError] = school_not_found,
) -> tuple[str, str]:
    """A valid (brincode, dependancecode) pair from a URL path, or ``error(field, detail)``
    naming the bad one (a 404 by default; Schoolkr8 and the LAS answer 422)."""
    try:
        brin = check_brincode(brincode)
    except ValueError as exc:
        raise error("brincode", str(exc)) from None
    try:
        return brin, check_dependancecode(dependancecode)
    except ValueError as exc:
        raise error("dependancecode", str(exc)) from None


def check_schooljaar(value: object) -> str:
    """A valid schooljaar like "2026-2027" whose years follow each other."""
    if not isinstance(value, str) or not SCHOOLJAAR_RE.fullmatch(value):
        raise ValueError(f"schooljaar must look like 2026-2027, got {value!r}")
    start, end = (int(part) for part in value.split("-"))
    if end != start + 1:
        raise ValueError(f"schooljaar must span two consecutive years, got {value!r}")
    return value


def schooljaar_of(year: int, month: int) -> str:
    """The schooljaar a date falls in (a school year starts on 1 August)."""
    start = year if month >= 8 else year - 1
    return f"{start}-{start + 1}"
