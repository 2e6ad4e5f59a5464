"""What every demo page shares: one layout, one stylesheet, date filters and the API client.

The pages of each partner are thin: they call that partner's REST API (or another partner's) over
HTTP through :class:`Api`, so the APIs stay the one source of truth for every business rule, and a
page shows exactly what a client of the API would see. This module installs the shared layout
(``web/base.html``) and the static files (``/static/koppeling/…``) on an app once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, ClassVar

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    make_response,
    render_template,
    request,
    url_for,
)
from flask.sansio.app import App
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from koppeling.client.http import ProblemError, Unreachable, items
from koppeling.harness.clock import AMSTERDAM
from koppeling.harness.errors import ApiError
from koppeling.harness.schools import check_brincode, check_dependancecode
from koppeling.harness.service import Core, lane_safe
from koppeling.web.api import Api, FormErrors, dutch, uitleg
from koppeling.web.chart import score_chart
from koppeling.web.fields import Field, check_form, input_attrs
from koppeling.web.origin import foreign_origin

__all__ = [
    "Api",
    "FormErrors",
    "dutch",
    "check_form",
    "Field",
    "fout_pagina",
    "install",
    "items",
    "Pages",
    "page_errors",
    "school_or_404",
    "score_chart",
    "uitleg",
]

STATIC_URL = "/static/koppeling"
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'"
)


def install(app: Flask) -> None:
    """Register the shared layout, static files and filters on ``app`` (idempotent)."""
    if "koppeling_web" in app.blueprints:
        return
    bp = Blueprint(
        "koppeling_web",
        __name__,
        static_folder="static",
        static_url_path=STATIC_URL,
        template_folder="templates",
    )
    app.register_blueprint(bp)
    app.add_template_filter(datum)
    app.add_template_filter(tijd)
    app.add_template_filter(score_chart)
    app.add_template_global(input_attrs)
    # neither does anything to a plain SOAP post (an HTML answer, a request with Origin or
    # Referer): a SOAP lane in front of the app stays open
    app.after_request(lane_safe(_security_headers))
    app.before_request(lane_safe(lambda: _refuse_foreign_form(app)))


#: The Dutch error pages: title and explanation per status.
FOUTEN = {
    400: ("Onjuist verzoek", "De gegevens van dit verzoek konden niet worden gelezen."),
    403: (
        "Niet toegestaan vanaf een andere website",
        "Dit formulier werd vanaf een andere website verstuurd en is niet uitgevoerd.",
    ),
    404: ("Niet gevonden", "Deze pagina, school of leerling bestaat niet."),
    405: (
        "Niet toegestaan",
        "Deze pagina kan niet op deze manier worden geopend. Gebruik de knoppen en links op "
        "de pagina's.",
    ),
    422: ("Niet te verwerken", "De ingevulde gegevens konden niet worden verwerkt."),
    502: ("Niet bereikbaar", "Een onderdeel van de demo-omgeving gaf geen antwoord."),
}
#: The harness home's form: answered with an HTML page, like the partners' pages.
HOME_FORMS = ("/__admin/klok",)
#: Why a form post from another website was refused ({herkomst}: that website's origin).
ANDERE_WEBSITE = (
    "Dit formulier werd verstuurd vanaf een andere website ({herkomst}). Zo'n verzoek voert de "
    "demo-omgeving niet uit; gebruik de knoppen op de pagina's van de demo-omgeving zelf."
)
#: Paths that are never pages: the REST API, the harness's own routes, the API description.
NIET_PAGINA = ("/api/", "/__admin", "/openapi.json", STATIC_URL + "/")


def page_errors(bp: Blueprint, brand: str, theme: str) -> None:
    """Errors on the pages answer with a Dutch HTML page; the API keeps problem+json.

    On ``bp``: an HTTP error or an API refusal a view did not handle. On the app (once, when
    ``bp`` is registered): 404 and 405, also for a URL no route matches, unless the path is the
    API's, the harness's or a SOAP endpoint's."""

    def on_page_error(exc: Exception) -> tuple[str, int]:
        status, uitleg = _status_of(exc)
        return fout_pagina(brand, theme, status, uitleg), status

    for kind in (HTTPException, ProblemError, Unreachable):
        bp.register_error_handler(kind, on_page_error)
    bp.record_once(lambda state: _routing_errors(state.app, brand, theme))


def fout_pagina(brand: str, theme: str, status: int, uitleg: str | None = None) -> str:
    """The Dutch error page for ``status``, with ``uitleg`` (or the standard explanation)."""
    titel, standaard = FOUTEN.get(status, ("Er ging iets mis", "Probeer het later opnieuw."))
    return render_template(
        "web/fout.html", brand=brand, theme=theme, titel=titel, uitleg=uitleg or standaard
    )


def _status_of(exc: Exception) -> tuple[int, str | None]:
    if isinstance(exc, ProblemError):
        return exc.status, dutch(exc.detail)
    if isinstance(exc, Unreachable):
        return 502, str(exc)
    return (exc.code if isinstance(exc, HTTPException) and exc.code else 500), None


def _routing_errors(app: App, brand: str, theme: str) -> None:
    """404/405 on the app (Flask looks these up before a blueprint's HTTPException handler):
    a Dutch page for a page path, else the harness's answer."""
    harness = app.error_handler_spec[None][None].get(HTTPException)

    def on_routing_error(exc: HTTPException) -> Any:
        if not _page_path(app, request.path):
            return harness(exc) if harness else exc
        status = exc.code or 404
        response = make_response(fout_pagina(brand, theme, status), status)
        allow = exc.get_response().headers.get("Allow")
        if allow:
            response.headers["Allow"] = allow
        return response

    for code in (404, 405):
        app.register_error_handler(code, on_routing_error)


def _refuse_foreign_form(app: Flask) -> Response | None:
    """A form post from another website changes nothing (:mod:`koppeling.web.origin`): a Dutch
    403 page on a page path or the home's form, problem details (or a SOAP Fault) elsewhere."""
    sender = foreign_origin()
    if sender is None:
        return None
    uitleg = ANDERE_WEBSITE.format(herkomst=sender)
    if _page_path(app, request.path) or request.path in HOME_FORMS:
        return make_response(fout_pagina("Koppeling-harness", "harness", 403, uitleg), 403)
    raise ApiError(403, "Verzoek van een andere website", uitleg, field="Origin")


def _page_path(app: App, path: str) -> bool:
    soap = tuple(app.config.get("SOAP_PATHS") or ())
    lowered = path.lower()
    return not path.startswith(NIET_PAGINA) and not (soap and lowered.startswith(soap))


class Pages:
    """Base of a partner's page views: its API client, and the shared layout with its brand and
    the menu of a school (``nav``: endpoint and label of each tab)."""

    service: ClassVar[str]
    brand: ClassVar[str]
    theme: ClassVar[str]
    nav: ClassVar[Sequence[tuple[str, str]]]
    #: A template shown below every page of the partner (contact details), or None.
    hulp: ClassVar[str | None] = None

    def __init__(self, core: Core) -> None:
        self.core = core
        self.api = Api(core, self.service)

    def render(
        self,
        template: str,
        brin: str | None = None,
        dep: str | None = None,
        active: str = "",
        **ctx: Any,
    ) -> str:
        """Render ``template`` in the layout; ``active`` is the endpoint of the current tab."""
        links = []
        if brin and dep:
            links = [
                {
                    "label": label,
                    "url": url_for(f".{endpoint}", brin=brin, dep=dep),
                    "active": active == endpoint,
                }
                for endpoint, label in self.nav
            ]
        ctx.setdefault("melding", request.args.get("melding"))
        ctx.setdefault("waarschuwing", request.args.get("waarschuwing"))
        ctx.setdefault("fouten", FormErrors())
        ctx.setdefault("hulp", self.hulp)
        return render_template(
            template, brand=self.brand, theme=self.theme, nav=links, brin=brin, dep=dep, **ctx
        )

    def base(self, brin: str, dep: str) -> str:
        """The API path of the school."""
        return f"/api/scholen/{brin}/{dep}"


def school_or_404(brin: str, dep: str) -> tuple[str, str]:
    """The school of a page URL, checked; a malformed one is a page that is not there."""
    try:
        return check_brincode(brin), check_dependancecode(dep)
    except ValueError:
        abort(404)


def _security_headers(response: Response) -> Response:
    """Pages load nothing from elsewhere; mail HTML is shown in a sandboxed frame only."""
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def _parse(value: Any) -> datetime | date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return value
    text = str(value)
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def datum(value: Any) -> str:
    """A date as the manual writes it: ``1-6-2010`` (times shown in Europe/Amsterdam)."""
    parsed = _parse(value)
    if parsed is None:
        return "" if value is None else str(value)
    if isinstance(parsed, datetime) and parsed.tzinfo is not None:
        parsed = parsed.astimezone(AMSTERDAM)
    return f"{parsed.day}-{parsed.month}-{parsed.year}"


def tijd(value: Any) -> Markup | str:
    """An instant in Europe/Amsterdam, ``29-11-2026 13:05`` (the date as :func:`datum` writes
    it), in a <time> element carrying the exact instant."""
    parsed = _parse(value)
    if not isinstance(parsed, datetime):
        return datum(value)
    local = parsed.astimezone(AMSTERDAM) if parsed.tzinfo else parsed
    text = f"{datum(local)} {local:%H:%M}"
    return Markup('<time datetime="{}">{}</time>').format(parsed.isoformat(), text)
