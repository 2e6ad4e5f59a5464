"""The harness home at ``/__admin/`` on every port: every service, the clock, the journal.

Someone giving a demo opens any service's port and finds the way to all the others, can move the
shared clock (or one school's clock) without curl, and reads the journal as a timeline of what
happened — requests, SOAP operations and e-mails, secrets already masked by the journal.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import Flask, redirect, render_template, request
from werkzeug.wrappers import Response

from koppeling import web
from koppeling.harness.clock import AMSTERDAM
from koppeling.harness.schools import check_brincode, check_dependancecode
from koppeling.harness.service import Core
from koppeling.harness.services import SERVICES
from koppeling.web import Field, FormErrors, check_form

PAGE_PATHS = {
    "testcentrum": ("/", "Beheer › Koppelen met LAS, Leerlingenoverzicht"),
    "parnassys": ("/uwlr/leerlinggegevens?wsdl", "UWLR Leerlinggegevens (WSDL)"),
    "esis": ("/UWLR/UwlrStandaard2.2.svc?wsdl", "UWLR Leerlinggegevens (WSDL)"),
    "schoolkr8": ("/", "Leerlingen, koppeling, resultaten"),
    "klantenservice": ("/", "Wachtrij met aanvragen"),
    "mailbox": ("/", "Berichten"),
}
UNITS = {"minuten": 60, "uren": 3600, "dagen": 86400}
JOURNAL_LIMIT = 200
#: The clock form's fields by the field vocabulary: every one is checked when filled in; the
#: button (``actie``: zetten, vooruit, reset) decides which one must be.
KLOK_FORM = {
    "brincode": Field("brincode", "Het BRIN-nummer", required=False),
    "dependancecode": Field("dependancecode", "Het vestigingsnummer", required=False),
    "moment": Field("local_instant", "De datum en tijd", required=False),
    "aantal": Field("decimal", "Het aantal", required=False),
}
KLOK_NODIG = {"zetten": "moment", "vooruit": "aantal"}


def register(app: Flask, core: Core, options: dict[str, Any] | None = None) -> None:
    """Mount the home page and the clock form on ``app`` (called by the harness for every app)."""
    web.install(app)
    if "harness_home" in app.view_functions:
        return
    me = str(app.config.get("SERVICE_NAME", ""))

    def home() -> str:
        """The harness home: services, clock and journal timeline."""
        return _render(core, me)

    def klok() -> Response | tuple[str, int]:
        """Set, advance or reset the harness clock (or one school's) from the form."""
        fouten = FormErrors()
        form = request.form
        velden = dict(KLOK_FORM)
        nodig = KLOK_NODIG.get(form.get("actie", "zetten"))
        if nodig:
            velden[nodig] = replace(velden[nodig], required=True)
        check_form({**form, "brincode": form.get("brincode", "").upper()}, velden, fouten)
        if not fouten:
            _change_clock(core, form, fouten)
        if fouten:
            return _render(core, me, fouten=fouten, form=request.form), 422
        return redirect("/__admin/?melding=Klok+bijgewerkt", code=303)

    app.add_url_rule("/__admin/", "harness_home", home, methods=["GET"])
    app.add_url_rule("/__admin/klok", "harness_klok", klok, methods=["POST"])


def _render(core: Core, me: str, *, fouten: FormErrors | None = None, form: Any = None) -> str:
    args = request.args
    service = args.get("service") or None
    school = (args.get("school") or "").strip() or None
    klik = (args.get("correlatie") or "").strip() or None
    entries = core.journal.entries(
        service=service, school=school, correlation_id=klik, limit=JOURNAL_LIMIT
    )
    brin, dep = _scope_args(form or {}, FormErrors())
    return render_template(
        "home/home.html",
        brand="Koppeling-harness",
        theme="harness",
        home_url="/__admin/",
        page_title="Harness",
        me=me,
        services=_services(core),
        clock=core.clock.state(brin, dep),
        harness_clock=core.clock.state(),
        entries=list(reversed(entries)),
        filter_service=service or "",
        filter_school=school or "",
        filter_klik=klik or "",
        fouten=fouten or FormErrors(),
        form=form or {},
        melding=args.get("melding"),
        limit=JOURNAL_LIMIT,
        local_input=local_input,
        units=list(UNITS),
    )


def _services(core: Core) -> list[dict[str, str]]:
    rows = []
    for spec in SERVICES:
        base = core.urls.get(spec.name)
        path, what = PAGE_PATHS.get(spec.name, ("/", ""))
        rows.append(
            {
                "name": spec.name,
                "title": spec.title,
                "base": base or "",
                "page": (base.rstrip("/") + path) if base else "",
                "what": what,
                "admin": (base.rstrip("/") + "/__admin/") if base else "",
            }
        )
    return rows


def _scope_args(form: Any, fouten: FormErrors) -> tuple[str | None, str | None]:
    brin = (form.get("brincode") or "").strip().upper()
    if not brin:
        return None, None
    try:
        return check_brincode(brin), check_dependancecode(
            (form.get("dependancecode") or "").strip() or None
        )
    except ValueError as exc:
        name = "brincode" if "brincode" in str(exc) else "dependancecode"
        fouten[name] = (
            "BRIN-nummer: 2 cijfers en 2 hoofdletters, bv. 99AB."
            if name == "brincode"
            else "Vestigingsnummer: 2 cijfers, bv. 00."
        )
        return None, None


def _change_clock(core: Core, form: Any, fouten: FormErrors) -> None:
    brin, dep = _scope_args(form, fouten)
    if fouten:
        return
    actie = form.get("actie")
    if actie == "reset":
        core.clock.reset(brin, dep)
    elif actie == "vooruit":
        seconds = _advance_seconds(form, fouten)
        if seconds is not None:
            core.clock.advance(seconds, brincode=brin, dependancecode=dep)
    else:
        moment = _local_instant(form.get("moment", ""), fouten)
        if moment is not None:
            core.clock.set(
                moment, frozen=form.get("bevroren") == "ja", brincode=brin, dependancecode=dep
            )


def _advance_seconds(form: Any, fouten: FormErrors) -> float | None:
    raw = (form.get("aantal") or "").strip().replace(",", ".")
    try:
        amount = float(raw)
    except ValueError:
        fouten["aantal"] = f"Vul een getal in (bijvoorbeeld 2), niet {raw!r}."
        return None
    unit = form.get("eenheid", "minuten")
    if unit not in UNITS:
        fouten["eenheid"] = "Kies minuten, uren of dagen."
        return None
    return amount * UNITS[unit]


def _local_instant(raw: str, fouten: FormErrors) -> datetime | None:
    """A ``datetime-local`` value read as Europe/Amsterdam time."""
    text = raw.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        fouten["moment"] = "Vul een datum en tijd in, bijvoorbeeld 2026-09-01T09:00."
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=AMSTERDAM)
    return value


def local_input(value: datetime) -> str:
    """An instant as a ``datetime-local`` value in Europe/Amsterdam."""
    return value.astimezone(AMSTERDAM).strftime("%Y-%m-%dT%H:%M")
