"""The client every page uses to reach a partner's REST API over real HTTP.

Pages never hold business rules: they send what the user typed to the API and show what comes
back. A problem+json answer becomes :class:`ApiProblem` (with the field it names, so the form can
show the message next to that field); a partner that does not answer becomes :class:`Unavailable`.
"""

from __future__ import annotations

import re
from typing import Any

import requests
from flask import g, has_request_context

from koppeling.harness.service import CORRELATION_HEADER, Core

TIMEOUT = 15.0


class Unavailable(Exception):
    """The partner did not answer (not started, wrong URL, timed out)."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service} is niet bereikbaar: {reason}")
        self.service = service
        self.reason = reason


class ApiProblem(Exception):
    """A 4xx/5xx answer; ``field`` is the offending field the API named, if any."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.body = body
        self.title = str(body.get("title") or f"HTTP {status}")
        self.detail = str(body.get("detail") or self.title)
        field = body.get("field")
        self.field = str(field) if field else None
        super().__init__(f"{status} {self.title}: {self.detail}")


class Api:
    """JSON over HTTP to one partner, by its name in ``core.urls``."""

    def __init__(self, core: Core, service: str, *, timeout: float = TIMEOUT) -> None:
        self.core = core
        self.service = service
        self.timeout = timeout

    def get(self, path: str, **params: Any) -> Any:
        return self.call("GET", path, params=params or None)

    def get_or_none(self, path: str) -> Any:
        """Like :meth:`get`, but None where the API has no such resource (404 or 405)."""
        try:
            return self.get(path)
        except ApiProblem as exc:
            if exc.status in (404, 405):
                return None
            raise

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.call("POST", path, body=body)

    def put(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.call("PUT", path, body=body)

    def delete(self, path: str) -> Any:
        return self.call("DELETE", path)

    def call(
        self,
        method: str,
        path: str,
        *,
        body: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
    ) -> Any:
        """The decoded JSON answer (None when empty); raises ApiProblem or Unavailable."""
        try:
            url = self.core.url(self.service) + path
        except RuntimeError as exc:
            raise Unavailable(self.service, str(exc)) from None
        try:
            resp = requests.request(
                method, url, json=body, params=params, headers=_headers(), timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise Unavailable(self.service, type(exc).__name__) from None
        data = _decode(resp)
        if resp.status_code >= 400:
            raise ApiProblem(resp.status_code, data if isinstance(data, dict) else {})
        return data


def _headers() -> dict[str, str]:
    """Carry the page request's correlation id, so the journal ties the API calls to the click."""
    headers = {"Accept": "application/json"}
    if has_request_context() and g.get("correlation_id"):
        headers[CORRELATION_HEADER] = str(g.correlation_id)
    return headers


def _decode(resp: requests.Response) -> Any:
    if not resp.content:
        return None
    try:
        return resp.json()
    except ValueError:
        return {"title": f"HTTP {resp.status_code}", "detail": resp.text[:200]}


class FormErrors(dict[str, str]):
    """Messages per form field; ``"_"`` holds an error that belongs to no single field."""

    def add_problem(self, problem: ApiProblem, fields: dict[str, str] | None = None) -> None:
        """Put the API's message next to the form field it names (``fields`` maps API -> form)."""
        name = _form_field(problem.field, fields or {})
        self[name] = dutch(problem.detail)

    def require(self, form: dict[str, str], name: str, label: str) -> str:
        """The trimmed value of a required field, or an error saying it is empty."""
        value = (form.get(name) or "").strip()
        if not value:
            self[name] = f"{label} is verplicht."
        return value


def _form_field(api_field: str | None, fields: dict[str, str]) -> str:
    if not api_field:
        return "_"
    leaf = api_field.strip("/").replace("/", ".").split(".")[-1]
    for candidate in (api_field, leaf):
        if candidate in fields:
            return fields[candidate]
    return leaf if leaf in fields.values() else "_"


_SCHEMA_PHRASES = (
    (re.compile(r"^[\w.]+: (.*) does not match .*$"), "{0} heeft niet de juiste vorm."),
    (re.compile(r"^[\w.]+: (.*) is not one of .*$"), "{0} is geen toegestane waarde."),
    (re.compile(r"^[\w.]+: (.*) is too long$"), "{0} is te lang."),
    (re.compile(r"^[\w.]+: (.*) should be non-empty$"), "Dit veld is verplicht."),
    (re.compile(r"^[\w.]+: (.*) is too short$"), "Dit veld is verplicht."),
    (re.compile(r"^([\w.]+) is required$"), "Dit veld is verplicht."),
)


def dutch(detail: str) -> str:
    """The API's schema messages (jsonschema's English) in plain Dutch; others unchanged."""
    for pattern, template in _SCHEMA_PHRASES:
        match = pattern.match(detail)
        if match:
            return template.format(*match.groups())
    return detail
