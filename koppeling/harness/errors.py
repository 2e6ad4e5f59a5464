"""The small exception hierarchy every service raises; one hook per app renders it.

REST errors become ``application/problem+json`` (RFC 9457) naming the offending field; SOAP errors
become a SOAP 1.1 Fault with the UWLR code (HTTP 500, as SOAP 1.1 requires).
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

#: the media type of problem details (RFC 9457)
PROBLEM_TYPE = "application/problem+json"


def problem_body(status: int, detail: str) -> bytes:
    """The problem+json document for ``status``, titled with its standard reason phrase (what a
    server answers before any app sees the request: ``early_errors``, ``granian_server``)."""
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    problem = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return json.dumps(problem).encode("utf-8")


class KoppelingError(Exception):
    """Base of every error a service turns into a clean answer."""


class ApiError(KoppelingError):
    """A REST error: rendered as problem details."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        field: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.field = field
        self.extra = extra

    def as_problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "detail": self.detail or self.title,
        }
        if self.field is not None:
            body["field"] = self.field
        body.update(self.extra)
        return body


def invalid(field: str, detail: str, status: int = 422) -> ApiError:
    """The usual validation error: 422 naming the field."""
    return ApiError(status, "Ongeldige invoer", detail, field=field)


def not_found(what: str, detail: str) -> ApiError:
    return ApiError(404, f"{what} niet gevonden", detail)


def conflict(detail: str, **extra: Any) -> ApiError:
    return ApiError(409, "Conflict", detail, **extra)


class SoapFault(KoppelingError):
    """A UWLR SOAP fault, e.g. ``SoapFault("Client.AutorisatieOngeldig", "Sleutel onbekend")``."""

    def __init__(self, code: str, message: str, detail: str | None = None) -> None:
        if not code.startswith(("Client.", "Server.")):
            raise ValueError(f"UWLR fault codes start with Client. or Server., got {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message
        self.detail = detail

    @property
    def is_client(self) -> bool:
        return self.code.startswith("Client.")
