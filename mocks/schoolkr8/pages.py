"""Schoolkr8 pages: pupils, the Basis tab with "wijzigen leerlingnummer", scores with a chart,
the koppeling status and the results that could not be matched to a pupil.

Also the screen where a school asks Schoolkr8 for the koppeling and where Schoolkr8 activates it
(the manual's step 1 happens by mail or phone; in the demo it is a click). Everything goes through
the Schoolkr8 REST API over HTTP — matching, key issuance and the e-mail stay in the mock.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Flask, abort, redirect, request, url_for
from werkzeug.wrappers import Response

from koppeling import web
from koppeling.client.http import ProblemError, Unreachable
from koppeling.harness.service import Core
from koppeling.web import Field, FormErrors, check_form

SERVICE = "schoolkr8"
NUMMER_FIELDS = {"leerlingnummer": "leerlingnummer"}
LEERLING_FIELDS = {k: k for k in ("voornaam", "achternaam", "geboortedatum", "groep")}
NAV = [
    ("leerlingen", "Leerlingen"),
    ("niet_gekoppeld", "Niet-gekoppelde resultaten"),
    ("koppeling", "Koppeling Boom testcentrum"),
]
#: The forms' fields by the field vocabulary (contracts/schemas/defs.json), checked on POST
#: before any API call; the templates name the same types (``soort=``).
SCHOOL_FORM = {
    "brincode": Field("brincode", "Het BRIN-nummer"),
    "dependancecode": Field("dependancecode", "Het vestigingsnummer", required=False),
}
LEERLING_FORM = {
    "voornaam": Field("naam", "Voornaam"),
    "achternaam": Field("naam", "Achternaam"),
    "geboortedatum": Field("date", "Geboortedatum"),
    "groep": Field("naam", "Groep", narrowing={"maxLength": 64}),
}
NUMMER_FORM = {"leerlingnummer": Field("leerlingnummer", "Het leerlingnummer")}
KOPPELING_FORM = {"contact_email": Field("email", "E-mailadres contactpersoon")}
KOPPELING_FIELDS = {
    "brincode": "brincode",
    "dependancecode": "dependancecode",
    "contact_email": "contact_email",
}


def register(app: Flask, core: Core, options: dict[str, Any] | None = None) -> None:
    """Mount the Schoolkr8 pages on the Schoolkr8 app."""
    web.install(app)
    p = Schoolkr8Pages(core)
    bp = Blueprint("schoolkr8_pages", __name__, template_folder="templates")
    web.page_errors(bp, "Schoolkr8", "schoolkr8")
    bp.add_url_rule("/", "start", p.start, methods=["GET", "POST"])
    s = "/scholen/<brin>/<dep>"
    bp.add_url_rule(f"{s}/leerlingen", "leerlingen", p.leerlingen, methods=["GET", "POST"])
    bp.add_url_rule(f"{s}/leerlingen/<leerling_id>", "basis", p.basis)
    bp.add_url_rule(
        f"{s}/leerlingen/<leerling_id>/leerlingnummer", "nummer", p.nummer, methods=["POST"]
    )
    bp.add_url_rule(f"{s}/leerlingen/<leerling_id>/scores", "scores", p.scores)
    bp.add_url_rule(f"{s}/niet-gekoppeld", "niet_gekoppeld", p.niet_gekoppeld)
    bp.add_url_rule(f"{s}/koppeling", "koppeling", p.koppeling, methods=["GET", "POST"])
    bp.add_url_rule(
        f"{s}/koppeling/<koppeling_id>/<actie>",
        "koppeling_actie",
        p.koppeling_actie,
        methods=["POST"],
    )
    app.register_blueprint(bp)


def volledige_naam(p: dict[str, Any]) -> str:
    """Voornaam tussenvoegsel achternaam, as the heading of a pupil's page."""
    parts = [
        p.get("voornaam") or p.get("roepnaam"),
        p.get("tussenvoegsel") or p.get("voorvoegsel"),
        p.get("achternaam"),
    ]
    return " ".join(str(x) for x in parts if x)


def lijst_naam(p: dict[str, Any]) -> str:
    """The name as in the testcentrum's Leerlingenoverzicht, ``Achternaam, Voornaam
    tussenvoegsel``, so the two lists line up when copying leerlingnummers (step 3). A
    tussenvoegsel typed in front of the achternaam ("van Dijk") moves behind the voornaam."""
    woorden = str(p.get("achternaam") or "").split()
    tussen = [str(p.get("tussenvoegsel") or p.get("voorvoegsel") or "")]
    while len(woorden) > 1 and woorden[0].islower():
        tussen.append(woorden.pop(0))
    rest = " ".join(x for x in (p.get("voornaam") or p.get("roepnaam"), *tussen) if x)
    achter = " ".join(woorden)
    return f"{achter}, {rest}" if rest else achter


def chart_points(resultaten: list[dict[str, Any]]) -> list[tuple[date, float]]:
    """(afnamedatum, vaardigheidsscore) of every result that has both."""
    points = []
    for r in resultaten:
        score = r.get("vaardigheidsscore")
        when = str(r.get("afnamedatum") or "")[:10]
        try:
            points.append((date.fromisoformat(when), float(str(score))))
        except (TypeError, ValueError):
            continue
    return points


class Schoolkr8Pages(web.Pages):
    """The views: each click is one or two Schoolkr8 API calls."""

    service = SERVICE
    brand = "Schoolkr8"
    theme = "schoolkr8"
    nav = NAV
    hulp = "schoolkr8/_hulp.html"

    # --- school choice -----------------------------------------------------------------------

    def start(self) -> Response | tuple[str, int] | str:
        """Choose the school (BRIN-nummer + vestigingsnummer)."""
        if request.method == "GET":
            return self.render("schoolkr8/start.html", form={})
        form = request.form
        fouten = FormErrors()
        brin = (form.get("brincode") or "").strip().upper()
        dep = check_form({**form, "brincode": brin}, SCHOOL_FORM, fouten)["dependancecode"]
        dep = dep or "00"
        if fouten:
            return self.render("schoolkr8/start.html", form=form, fouten=fouten), 422
        return redirect(url_for(".leerlingen", brin=brin, dep=dep), code=303)

    # --- pupils ------------------------------------------------------------------------------

    def pupils(self, brin: str, dep: str) -> list[dict[str, Any]]:
        return web.items(self.api.get(f"{self.base(brin, dep)}/leerlingen"), "leerlingen")

    def status(self, brin: str, dep: str) -> dict[str, Any]:
        """x of y pupils mapped, definitief, and the koppeling's state (Schoolkr8's view)."""
        data = self.api.get(f"{self.base(brin, dep)}/koppelstatus") or {}
        return {
            "gekoppeld": data.get("met_leerlingnummer", 0),
            "totaal": data.get("leerlingen", 0),
            "definitief": bool(data.get("definitief")),
            "status": data.get("koppeling"),
            "niet_gekoppeld": data.get("niet_gekoppelde_resultaten", 0),
        }

    def leerlingen(self, brin: str, dep: str) -> Response | tuple[str, int] | str:
        """The pupil list with the koppeling status; POST adds a pupil."""
        brin, dep = web.school_or_404(brin, dep)
        fouten = FormErrors()
        form: Any = {}
        if request.method == "POST":
            form = request.form
            made = self._add_pupil(brin, dep, form, fouten)
            if made:
                return redirect(
                    url_for(".leerlingen", brin=brin, dep=dep, melding="Leerling toegevoegd."),
                    code=303,
                )
        try:
            pupils = self.pupils(brin, dep)
            status = self.status(brin, dep)
        except (ProblemError, Unreachable) as exc:
            return self.render(
                "schoolkr8/leerlingen.html",
                brin,
                dep,
                active="leerlingen",
                leerlingen=[],
                status=None,
                form=form,
                fouten=fouten,
                onbereikbaar=web.uitleg(exc),
            )
        page = self.render(
            "schoolkr8/leerlingen.html",
            brin,
            dep,
            active="leerlingen",
            leerlingen=sorted(pupils, key=lambda p: lijst_naam(p).lower()),
            status=status,
            form=form,
            fouten=fouten,
            naam=lijst_naam,
        )
        return (page, 422) if fouten else page

    def _add_pupil(self, brin: str, dep: str, form: Any, fouten: FormErrors) -> bool:
        body = check_form(form, LEERLING_FORM, fouten)
        if fouten:
            return False
        try:
            self.api.post(f"{self.base(brin, dep)}/leerlingen", body)
        except ProblemError as exc:
            fouten.add_problem(exc, LEERLING_FIELDS)
            return False
        except Unreachable as exc:
            fouten["_"] = str(exc)
            return False
        return True

    def pupil(self, brin: str, dep: str, leerling_id: str) -> dict[str, Any]:
        data = self.api.get_or_none(f"/api/leerlingen/{leerling_id}")
        if isinstance(data, dict):
            return data
        found = next((p for p in self.pupils(brin, dep) if str(p.get("id")) == leerling_id), None)
        if found is None:
            abort(404)
        return found

    def basis(self, brin: str, dep: str, leerling_id: str) -> str:
        """The Basis tab; ``?wijzig=1`` opens "wijzigen leerlingnummer"."""
        brin, dep = web.school_or_404(brin, dep)
        leerling = self.pupil(brin, dep, leerling_id)
        wijzig = request.args.get("wijzig") == "1"
        return self._basis_page(
            brin, dep, leerling, wijzig=wijzig, waarde=leerling.get("leerlingnummer") or ""
        )

    def _basis_page(
        self,
        brin: str,
        dep: str,
        leerling: dict[str, Any],
        *,
        wijzig: bool,
        waarde: str,
        fouten: FormErrors | None = None,
    ) -> str:
        return self.render(
            "schoolkr8/basis.html",
            brin,
            dep,
            active="leerlingen",
            leerling=leerling,
            naam=volledige_naam(leerling),
            tab="basis",
            wijzig=wijzig,
            waarde=waarde,
            fouten=fouten or FormErrors(),
        )

    def nummer(self, brin: str, dep: str, leerling_id: str) -> Response | tuple[str, int]:
        """Opslaan of "wijzigen leerlingnummer": the number pasted from the testcentrum."""
        brin, dep = web.school_or_404(brin, dep)
        leerling = self.pupil(brin, dep, leerling_id)
        typed = request.form.get("leerlingnummer", "")
        fouten = FormErrors()
        check_form(request.form, NUMMER_FORM, fouten)
        if fouten:
            return self._basis_page(
                brin, dep, leerling, wijzig=True, waarde=typed, fouten=fouten
            ), 422
        try:
            self.api.put(f"/api/leerlingen/{leerling_id}/leerlingnummer", {"leerlingnummer": typed})
        except ProblemError as exc:
            fouten.add_problem(exc, NUMMER_FIELDS)
            if "_" in fouten:
                fouten["leerlingnummer"] = fouten.pop("_")
            return self._basis_page(
                brin, dep, leerling, wijzig=True, waarde=typed, fouten=fouten
            ), 422
        except Unreachable as exc:
            fouten["leerlingnummer"] = str(exc)
            return self._basis_page(
                brin, dep, leerling, wijzig=True, waarde=typed, fouten=fouten
            ), 502
        return redirect(
            url_for(
                ".basis",
                brin=brin,
                dep=dep,
                leerling_id=leerling_id,
                melding="Leerlingnummer opgeslagen.",
            ),
            code=303,
        )

    def scores(self, brin: str, dep: str, leerling_id: str) -> str:
        """The Scores tab: every result that reached Schoolkr8, with the chart."""
        brin, dep = web.school_or_404(brin, dep)
        leerling = self.pupil(brin, dep, leerling_id)
        fout: str | None = None
        try:
            data = self.api.get(f"/api/leerlingen/{leerling_id}/resultaten")
        except (ProblemError, Unreachable) as exc:
            data, fout = [], web.uitleg(exc)
        resultaten = sorted(
            web.items(data, "resultaten", "items"), key=lambda r: str(r.get("afnamedatum") or "")
        )
        return self.render(
            "schoolkr8/scores.html",
            brin,
            dep,
            active="leerlingen",
            leerling=leerling,
            naam=volledige_naam(leerling),
            tab="scores",
            resultaten=resultaten,
            punten=chart_points(resultaten),
            onbereikbaar=fout,
        )

    def niet_gekoppeld(self, brin: str, dep: str) -> str:
        """Results whose leerlingnummer matches no pupil (kept, not lost)."""
        brin, dep = web.school_or_404(brin, dep)
        try:
            data = self.api.get(f"{self.base(brin, dep)}/niet-gekoppeld")
            fout = None
        except (ProblemError, Unreachable) as exc:
            data, fout = [], web.uitleg(exc)
        return self.render(
            "schoolkr8/niet_gekoppeld.html",
            brin,
            dep,
            active="niet_gekoppeld",
            resultaten=web.items(data, "resultaten", "niet_gekoppeld", "items"),
            onbereikbaar=fout,
        )

    # --- koppeling ---------------------------------------------------------------------------

    def koppeling(self, brin: str, dep: str) -> Response | tuple[str, int] | str:
        """The koppeling with the Boom testcentrum: request it, activate it, revoke it."""
        brin, dep = web.school_or_404(brin, dep)
        fouten = FormErrors()
        form: Any = {}
        if request.method == "POST":
            form = request.form
            made = self._request_koppeling(brin, dep, form, fouten)
            if made is not None:
                return redirect(
                    url_for(
                        ".koppeling", brin=brin, dep=dep, melding="De koppeling is aangevraagd."
                    ),
                    code=303,
                )
        page = self._koppeling_page(brin, dep, form, fouten)
        return (page, 422) if fouten else page

    def _koppeling_page(self, brin: str, dep: str, form: Any, fouten: FormErrors) -> str:
        try:
            koppelingen = web.items(
                self.api.get(f"{self.base(brin, dep)}/koppelingen"), "koppelingen"
            )
            fout = None
        except (ProblemError, Unreachable) as exc:
            koppelingen, fout = [], web.uitleg(exc)
        return self.render(
            "schoolkr8/koppeling.html",
            brin,
            dep,
            active="koppeling",
            koppelingen=list(reversed(koppelingen)),
            form=form,
            fouten=fouten,
            onbereikbaar=fout,
        )

    def _request_koppeling(self, brin: str, dep: str, form: Any, fouten: FormErrors) -> str | None:
        email = check_form(form, KOPPELING_FORM, fouten)["contact_email"]
        if fouten:
            return None
        try:
            made = self.api.post(
                "/api/koppelingen",
                {"brincode": brin, "dependancecode": dep, "contact_email": email},
            )
        except ProblemError as exc:
            fouten.add_problem(exc, KOPPELING_FIELDS)
            return None
        except Unreachable as exc:
            fouten["_"] = str(exc)
            return None
        return str(made.get("id"))

    def koppeling_actie(self, brin: str, dep: str, koppeling_id: str, actie: str) -> Response | str:
        """Schoolkr8's side: activeren (the key is e-mailed) or intrekken, after confirming."""
        brin, dep = web.school_or_404(brin, dep)
        if actie not in ("activeren", "intrekken"):
            abort(404)
        if actie == "intrekken" and request.form.get("bevestigd") != "ja":
            return self.render(
                "schoolkr8/intrekken.html",
                brin,
                dep,
                active="koppeling",
                koppeling_id=koppeling_id,
            )
        try:
            self.api.post(f"/api/koppelingen/{koppeling_id}/{actie}")
            melding = (
                "De koppeling is geactiveerd. De autorisatiesleutel is per e-mail "
                "verstuurd naar de contactpersoon."
                if actie == "activeren"
                else "De koppeling is ingetrokken; de sleutel werkt niet meer."
            )
        except ProblemError as exc:
            melding = f"Dat lukte niet: {web.dutch(exc.detail)}"
        except Unreachable as exc:
            melding = f"Dat lukte niet: {exc}"
        return redirect(url_for(".koppeling", brin=brin, dep=dep, melding=melding), code=303)
