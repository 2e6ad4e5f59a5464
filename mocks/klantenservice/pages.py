"""Klantenservice pages: the queue of dashboard requests, with approve / reject by hand.

In manual mode (``PUT /api/scholen/{brin}/{dep}/modus`` ``{"modus": "handmatig"}``) a human
decides; this is that human's screen. Every action goes through the klantenservice REST API, so
the checks, the decision rules and the one e-mail stay where they are; the queue is
``GET /api/aanvragen`` (newest first), undecided ones on top.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from koppeling import web
from koppeling.client.http import ProblemError, Unreachable
from koppeling.harness.service import Core
from koppeling.web import Api, Field, FormErrors, check_form
from mocks.klantenservice.app import SERVICE
from mocks.klantenservice.store import AFGEWEZEN, GOEDGEKEURD, IN_BEHANDELING, INGETROKKEN

QUEUE_SIZE = 50
STATUS_LABELS = {
    IN_BEHANDELING: "In behandeling",
    GOEDGEKEURD: "Goedgekeurd",
    AFGEWEZEN: "Afgewezen",
    INGETROKKEN: "Ingetrokken",
}
#: The forms' fields by the field vocabulary (contracts/schemas/defs.json), checked on POST
#: before any API call; the template names the same types.
REDEN = Field("text", "Reden", narrowing={"minLength": 1})
MODUS_FORM = {
    "brincode": Field("brincode", "Het BRIN-nummer"),
    "dependancecode": Field("dependancecode", "Het vestigingsnummer", required=False),
}
#: The checks of an aanvraag by the names a klantenservice employee uses.
CONTROLE_LABELS = {
    "type_dashboard": "Type dashboard",
    "autorisatiesleutel": "Autorisatiesleutel (bij Schoolkr8)",
    "las_koppeling": "Koppeling met het LAS (in het testcentrum)",
}


def register(app: Flask, core: Core, options: dict[str, Any] | None = None) -> None:
    """Mount the queue on the klantenservice app."""
    web.install(app)
    api = Api(core, SERVICE)
    bp = Blueprint("klantenservice_pages", __name__, template_folder="templates")
    web.page_errors(bp, "Boom klantenservice", "klantenservice")

    @bp.get("/")
    def wachtrij() -> str:
        """The newest aanvragen, undecided first, with their checks and buttons."""
        return _queue_page(api)

    @bp.post("/aanvragen/<aanvraag_id>/goedkeuren")
    def goedkeuren(aanvraag_id: str) -> Response | tuple[str, int]:
        """Approve one aanvraag (the API sends the approval e-mail)."""
        try:
            api.post(f"/api/aanvragen/{aanvraag_id}/goedkeuren")
        except (ProblemError, Unreachable) as exc:
            return _queue_page(api, fouten={aanvraag_id: _detail(exc)}), 409
        return redirect(
            url_for(
                ".wachtrij",
                melding="Aanvraag goedgekeurd; de beheerder krijgt een bevestiging per e-mail.",
            ),
            code=303,
        )

    @bp.post("/aanvragen/<aanvraag_id>/afwijzen")
    def afwijzen(aanvraag_id: str) -> Response | tuple[str, int]:
        """Reject one aanvraag with a reason (required)."""
        fouten = FormErrors()
        reden = check_form(request.form, {"reden": REDEN}, fouten)["reden"]
        if fouten:
            return _queue_page(
                api,
                fouten={f"reden-{aanvraag_id}": fouten["reden"]},
                redenen={aanvraag_id: request.form.get("reden", "")},
            ), 422
        try:
            api.post(f"/api/aanvragen/{aanvraag_id}/afwijzen", {"reden": reden})
        except (ProblemError, Unreachable) as exc:
            return _queue_page(
                api, fouten={aanvraag_id: _detail(exc)}, redenen={aanvraag_id: reden}
            ), 409
        return redirect(url_for(".wachtrij", melding="Aanvraag afgewezen."), code=303)

    @bp.post("/modus")
    def modus() -> Response | tuple[str, int]:
        """Switch one school between automatic and manual handling."""
        form = request.form
        brin = (form.get("brincode") or "").strip().upper()
        fouten = FormErrors()
        dep = check_form({**form, "brincode": brin}, MODUS_FORM, fouten)["dependancecode"] or "00"
        if not fouten:
            try:
                api.put(f"/api/scholen/{brin}/{dep}/modus", {"modus": form.get("modus", "")})
            except ProblemError as exc:
                fouten.add_problem(
                    exc,
                    {"brincode": "brincode", "dependancecode": "dependancecode", "modus": "modus"},
                )
            except Unreachable as exc:
                fouten["_"] = str(exc)
        if fouten:
            return _queue_page(api, modus_fouten=fouten, modus_form=form), 422
        return redirect(
            url_for(".wachtrij", melding=f"School {brin}-{dep}: {form.get('modus')} behandelen."),
            code=303,
        )

    app.register_blueprint(bp)


def _detail(exc: Exception) -> str:
    return web.dutch(exc.detail) if isinstance(exc, ProblemError) else str(exc)


def _queue_page(
    api: Api,
    *,
    fouten: dict[str, str] | None = None,
    redenen: dict[str, str] | None = None,
    modus_fouten: FormErrors | None = None,
    modus_form: Any = None,
) -> str:
    aanvragen, onbereikbaar = _aanvragen(api)
    aanvragen.sort(key=lambda a: (a.get("status") != IN_BEHANDELING, _neg(a.get("ontvangen_op"))))
    return render_template(
        "klantenservice/wachtrij.html",
        brand="Boom klantenservice",
        theme="klantenservice",
        nav=[{"label": "Wachtrij", "url": "/", "active": True}],
        aanvragen=aanvragen,
        labels=STATUS_LABELS,
        controle_labels=CONTROLE_LABELS,
        rij_fouten=fouten or {},
        redenen=redenen or {},
        fouten=modus_fouten or FormErrors(),
        form=modus_form or {},
        melding=request.args.get("melding"),
        onbereikbaar=onbereikbaar,
    )


def _neg(iso: Any) -> str:
    """Sort key putting the newest first within a status (ISO strings sort as times)."""
    return "".join(chr(0x10FFFF - ord(c)) for c in str(iso or ""))


def _aanvragen(api: Api) -> tuple[list[dict[str, Any]], str | None]:
    """The newest aanvragen from ``GET /api/aanvragen`` (or why they could not be read)."""
    try:
        listed = api.get("/api/aanvragen", limit=QUEUE_SIZE)
    except ProblemError as exc:
        return [], web.dutch(exc.detail)
    except Unreachable as exc:
        return [], str(exc)
    return list((listed or {}).get("aanvragen", [])), None
