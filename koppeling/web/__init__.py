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

from flask import Blueprint, Flask, Response, abort, render_template, request, url_for
from markupsafe import Markup

from koppeling.client.http import items
from koppeling.harness.clock import AMSTERDAM
from koppeling.harness.schools import check_brincode, check_dependancecode
from koppeling.harness.service import Core
from koppeling.web.api import Api, FormErrors
from koppeling.web.chart import score_chart

__all__ = [
    "Api",
    "FormErrors",
    "install",
    "items",
    "Pages",
    "page_errors",
    "school_or_404",
    "score_chart",
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
    app.after_request(_security_headers)


def page_errors(bp: Blueprint, brand: str, theme: str) -> None:
    """A page that is not there answers with an HTML page (the API keeps problem+json)."""

    def not_found(_exc: Exception) -> tuple[str, int]:
        return render_template(
            "web/fout.html",
            brand=brand,
            theme=theme,
            titel="Niet gevonden",
            uitleg="Deze pagina, school of leerling bestaat niet.",
        ), 404

    bp.register_error_handler(404, not_found)


class Pages:
    """Base of a partner's page views: its API client, and the shared layout with its brand and
    the menu of a school (``nav``: endpoint and label of each tab)."""

    service: ClassVar[str]
    brand: ClassVar[str]
    theme: ClassVar[str]
    nav: ClassVar[Sequence[tuple[str, str]]]

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
        ctx.setdefault("fouten", FormErrors())
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
    """An instant in Europe/Amsterdam, ``29-11-2026 13:05:09``, in a <time> element."""
    parsed = _parse(value)
    if not isinstance(parsed, datetime):
        return datum(value)
    local = parsed.astimezone(AMSTERDAM) if parsed.tzinfo else parsed
    text = f"{local.day:02d}-{local.month:02d}-{local.year} {local:%H:%M:%S}"
    return Markup('<time datetime="{}">{}</time>').format(parsed.isoformat(), text)
