"""The client every page uses to reach a partner's REST API over real HTTP.

Pages never hold business rules: they send what the user typed to the API and show what comes
back. :class:`Api` is the shared transport (:class:`koppeling.client.ApiClient`) with the partner's
URL looked up per call in ``core.urls``, the click's correlation id passed on, and failures
shown as the problem alone: a refusal is :class:`ProblemError` (with the field it names, so the form
can show the message next to that field); a partner that does not answer is :class:`Unreachable`.
"""

from __future__ import annotations

import re

from flask import g, has_request_context

from koppeling.client.http import ApiClient, ProblemError, Unreachable
from koppeling.harness.service import CORRELATION_HEADER, Core

TIMEOUT = 15.0


class Api(ApiClient):
    """JSON over HTTP to one partner, by its name in ``core.urls``."""

    def __init__(self, core: Core, service: str, *, timeout: float = TIMEOUT) -> None:
        super().__init__("", timeout=timeout, service=service)
        self.core = core

    def _url(self, path: str) -> str:
        try:
            return self.core.url(self.service) + path
        except RuntimeError as exc:
            raise Unreachable(self.service, str(exc)) from None

    def _headers(self) -> dict[str, str]:
        """Carry the page request's correlation id, so the journal ties the API calls to the
        click."""
        headers = super()._headers()
        if has_request_context() and g.get("correlation_id"):
            headers[CORRELATION_HEADER] = str(g.correlation_id)
        return headers

    def _describe(self, method: str, path: str) -> str:
        return ""  # a page shows the problem itself, not the call behind it


class FormErrors(dict[str, str]):
    """Messages per form field; ``"_"`` holds an error that belongs to no single field."""

    def add_problem(self, problem: ProblemError, fields: dict[str, str] | None = None) -> None:
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


#: How a page names an API field in a sentence.
_LABELS = {
    "ruwe_score": "De ruwe score",
    "afnamedatum": "De afnamedatum",
    "leerlingnummer": "Het leerlingnummer",
    "groep": "De groep",
    "toets": "De test",
    "tab": "Het tabblad",
}

_PHRASES = (
    (re.compile(r"^[\w.\[\]]+: (.*) does not match .*$"), "{0} heeft niet de juiste vorm."),
    (re.compile(r"^[\w.\[\]]+: (.*) is not one of .*$"), "{0} is geen toegestane waarde."),
    (re.compile(r"^[\w.\[\]]+: (.*) is too long$"), "{0} is te lang."),
    (re.compile(r"^[\w.\[\]]+: (.*) should be non-empty$"), "Dit veld is verplicht."),
    (re.compile(r"^[\w.\[\]]+: (.*) is too short$"), "Dit veld is verplicht."),
    (re.compile(r"^([\w.]+) is required$"), "Dit veld is verplicht."),
    (re.compile(r"^[\w.]+ must not be blank$"), "Dit veld is verplicht."),
    (
        re.compile(r"^(?:[\w.\[\]]+\.)?(\w+): (.*) is less than the minimum of (.*)$"),
        "{label} is minimaal {2}; {1} kan niet.",
    ),
    (
        re.compile(r"^(?:[\w.\[\]]+\.)?(\w+): (.*) is greater than the maximum of (.*)$"),
        "{label} is maximaal {2}; {1} kan niet.",
    ),
    (
        re.compile(r"^(?:[\w.\[\]]+\.)?(\w+): (.*) is not of type .*$"),
        "{label} heeft niet de juiste vorm: {1}.",
    ),
    (
        re.compile(r"^(ruwe_score) for (.+) is (\d+)\.\.(\d+), got (-?\d+)$"),
        "{label} voor {1} ligt tussen {2} en {3}; {4} kan niet.",
    ),
    (
        re.compile(r"^(tab) must be one of (.+), got '(.*)'$"),
        "Het tabblad '{2}' bestaat niet (wel: {1}).",
    ),
    (
        re.compile(r"^(afnamedatum) must be a date like (\S+), got (.*)$"),
        "{label} moet een datum zijn zoals {1}, niet {2}.",
    ),
    (
        re.compile(r"^leerlingnummer '(.*)' is not among the pupils imported for (.*)$"),
        "Leerlingnummer '{0}' hoort niet bij de leerlingen die voor {1} zijn geïmporteerd.",
    ),
    (
        re.compile(r"^no pupils imported for (.*): give the pupil's groep.*$"),
        "Voor {0} zijn nog geen leerlingen geïmporteerd; importeer ze eerst via Beheer › "
        "Koppelen met LAS.",
    ),
    (
        re.compile(r"^pupil '(.*)' has no jaargroep 1\.\.8.*$"),
        "Leerling '{0}' zit niet in jaargroep 1 tot en met 8.",
    ),
    (re.compile(r"^no afname with id '(.*)'$"), "Er is geen afname met id '{0}'."),
    (re.compile(r"^no message with ID '(.*)'$"), "Er is geen bericht met ID '{0}'."),
)


def dutch(detail: str) -> str:
    """The API's English messages (its own and jsonschema's) in plain Dutch; others unchanged."""
    for pattern, template in _PHRASES:
        match = pattern.match(detail)
        if match:
            label = _LABELS.get(match.group(1), match.group(1)) if match.groups() else ""
            return template.format(*match.groups(), label=label)
    return detail


def uitleg(exc: ProblemError | Unreachable) -> str:
    """What a page says about a failed call: the API's message in Dutch, or who did not answer."""
    return dutch(exc.detail) if isinstance(exc, ProblemError) else str(exc)
