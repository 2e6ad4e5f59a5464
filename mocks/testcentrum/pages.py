"""Stand-in testcentrum pages: Beheer › Koppelen met LAS and the Leerlingenoverzicht.

The screens of the manual, on top of the stand-in's own REST API (called over HTTP, so every rule
— validation, the LAS import, the dashboard request, norming, the forwarding — stays in the API).
A school account is the BRIN-nummer + vestigingsnummer in the URL, the way the real testcentrum
holds many school accounts; "inloggen" is choosing that account.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, abort, redirect, request, url_for
from werkzeug.wrappers import Response

from koppeling import web
from koppeling.client.http import ProblemError, Unreachable
from koppeling.harness.schools import schooljaar_of
from koppeling.harness.service import Core
from koppeling.web import Field, FormErrors, check_form
from mocks.testcentrum.afnames.norms import TOETSEN
from mocks.testcentrum.afnames.store import FAILED, GENORMEERD, GESCOORD, NOT_APPLICABLE
from mocks.testcentrum.beheer.las_client import LAS_NAMEN
from mocks.testcentrum.beheer.service import MIJN

SERVICE = "testcentrum"
DASHBOARDS = [("Schoolkr8", "SchoolKr8"), ("Focus PO", "Focus PO")]
TABS = [(MIJN, "Mijn leerlingen"), (GESCOORD, "Gescoord"), (GENORMEERD, "Genormeerd")]
NAV = [("leerlingen", "Leerlingen"), ("beheer", "Beheer")]
LAS_FIELDS = {
    "las": "las",
    "schooljaar": "schooljaar",
    "autorisatiesleutel": "autorisatiesleutel",
    "brincode": "brincode",
    "dependancecode": "dependancecode",
}
DASH_FIELDS = {
    "type_dashboard": "type_dashboard",
    "autorisatiesleutel": "dashboard_sleutel",
    "beheerder_email": "beheerder_email",
}
SCORE_FIELDS = {
    "toets": "toets",
    "ruwe_score": "ruwe_score",
    "afnamedatum": "afnamedatum",
}
#: The forms' fields by the field vocabulary (contracts/schemas/defs.json), checked on POST
#: before any API call; the templates name the same types (``soort=``).
SCHOOL_FORM = {
    "brincode": Field("brincode", "Het BRIN-nummer"),
    "dependancecode": Field("dependancecode", "Het vestigingsnummer", required=False),
}
LAS_FORM = {
    **SCHOOL_FORM,
    "schooljaar": Field("schooljaar", "Het schooljaar", required=False),
    "autorisatiesleutel": Field("sleutel", "De autorisatiesleutel", required=False),
}
DASH_FORM = {
    "type_dashboard": Field("header_text", "Type dashboard"),
    "dashboard_sleutel": Field("sleutel", "Autorisatiesleutel"),
    "beheerder_email": Field("email", "Het e-mailadres van de beheerder"),
}
SCORE_FORM = {
    "afnamedatum": Field("date", "De afnamedatum"),
    "ruwe_score": Field("count", "De ruwe score"),
}


def register(app: Flask, core: Core, options: dict[str, Any] | None = None) -> None:
    """Mount the testcentrum pages on the stand-in's app."""
    web.install(app)
    pages = TestcentrumPages(core)
    bp = Blueprint("testcentrum_pages", __name__, template_folder="templates")
    web.page_errors(bp, "Boomtestcentrum", "testcentrum")
    bp.add_url_rule("/", "inloggen", pages.inloggen, methods=["GET", "POST"])
    s = "/scholen/<brin>/<dep>"
    bp.add_url_rule(f"{s}/beheer", "beheer", pages.beheer)
    bp.add_url_rule(f"{s}/beheer/koppelen-met-las", "koppelen", pages.koppelen)
    bp.add_url_rule(f"{s}/beheer/las", "las_opslaan", pages.las_opslaan, methods=["POST"])
    bp.add_url_rule(f"{s}/beheer/dashboard", "aanvragen", pages.aanvragen, methods=["POST"])
    bp.add_url_rule(
        f"{s}/beheer/dashboard/uitzetten", "uitzetten", pages.uitzetten, methods=["POST"]
    )
    bp.add_url_rule(f"{s}/leerlingen", "leerlingen", pages.leerlingen)
    bp.add_url_rule(f"{s}/leerlingen/scores", "scores", pages.scores, methods=["GET", "POST"])
    bp.add_url_rule(
        f"{s}/leerlingen/<leerlingnummer>/score", "score", pages.score, methods=["GET", "POST"]
    )
    bp.add_url_rule(
        f"{s}/afnames/<afname_id>/normeren", "normeren", pages.normeren, methods=["POST"]
    )
    app.register_blueprint(bp)


def _school_fields(form: Any, fouten: FormErrors) -> tuple[str, str]:
    """BRIN-nummer and Vestigingsnummer as typed (upper-cased, trimmed), checked for shape."""
    brin = (form.get("brincode") or "").strip().upper()
    values = check_form({**form, "brincode": brin}, SCHOOL_FORM, fouten)
    return brin, values["dependancecode"] or "00"


def naam_volgorde(p: dict[str, Any]) -> str:
    """The order of the lists: by the shown name, case ignored, as Schoolkr8's list sorts."""
    return naam(p).lower()


def naam(p: dict[str, Any]) -> str:
    """The name as the Leerlingenoverzicht shows it: Achternaam, Roepnaam voorvoegsel."""
    achter = p.get("achternaam") or ""
    voor = p.get("roepnaam") or p.get("voornaam") or ""
    tussen = p.get("voorvoegsel") or p.get("tussenvoegsel") or ""
    rest = " ".join(x for x in (voor, tussen) if x)
    return f"{achter}, {rest}" if rest else achter


def groep_van(p: dict[str, Any]) -> str:
    g = p.get("groep")
    if isinstance(g, dict):
        return str(g.get("naam") or g.get("key") or "")
    return str(g or p.get("groepsnaam") or "")


class TestcentrumPages(web.Pages):
    """The views; each turns a click into one or two API calls and renders the answer."""

    service = SERVICE
    brand = "Boomtestcentrum"
    theme = "testcentrum"
    nav = NAV
    hulp = "testcentrum/_hulp.html"

    # --- inloggen / beheer -------------------------------------------------------------------

    def inloggen(self) -> Response | tuple[str, int] | str:
        """Choose the school account (BRIN-nummer + vestigingsnummer) to work in."""
        form = request.form if request.method == "POST" else {}
        fouten = FormErrors()
        if request.method == "POST":
            brin, dep = _school_fields(form, fouten)
            if not fouten:
                return redirect(url_for(".beheer", brin=brin, dep=dep), code=303)
            return self.render("testcentrum/inloggen.html", form=form, fouten=fouten), 422
        return self.render("testcentrum/inloggen.html", form=form, fouten=fouten)

    def beheer(self, brin: str, dep: str) -> str:
        """The Beheer menu (the manual: [Beheer] then [Koppelen met LAS])."""
        brin, dep = web.school_or_404(brin, dep)
        return self.render("testcentrum/beheer.html", brin, dep, active="beheer")

    def koppelen(self, brin: str, dep: str) -> str:
        """Beheer › Koppelen met LAS: both sections with their current state."""
        brin, dep = web.school_or_404(brin, dep)
        return self.koppelen_page(brin, dep)

    def koppelen_page(
        self,
        brin: str,
        dep: str,
        *,
        las_form: Any = None,
        dash_form: Any = None,
        fouten: FormErrors | None = None,
    ) -> str:
        las, dashboard, onbereikbaar = self.state(brin, dep)
        jaar = schooljaar_of(*self._ym(brin, dep))
        start = int(jaar[:4])
        jaren = [
            (jaar, f"Huidig schooljaar ({jaar})"),
            (f"{start + 1}-{start + 2}", f"Volgend schooljaar ({start + 1}-{start + 2})"),
            (f"{start - 1}-{start}", f"Vorig schooljaar ({start - 1}-{start})"),
        ]
        las_values = {
            "brincode": brin,
            "dependancecode": dep,
            "las": (las or {}).get("las") or "parnassys",
            "schooljaar": (las or {}).get("schooljaar") or jaar,
            "autorisatiesleutel": "",
        }
        if las_form is not None:
            las_values.update({k: las_form.get(k, "") for k in las_values})
        dash_values = {
            "type_dashboard": "Schoolkr8",
            "dashboard_sleutel": "",
            "beheerder_email": (dashboard or {}).get("beheerder_email") or "",
        }
        if dash_form is not None:
            dash_values.update({k: dash_form.get(k, "") for k in dash_values})
        return self.render(
            "testcentrum/koppelen.html",
            brin,
            dep,
            active="beheer",
            las=las,
            las_status=las_status(las),
            dashboard=dashboard,
            las_values=las_values,
            dash_values=dash_values,
            jaren=jaren,
            las_namen=LAS_NAMEN,
            dashboards=DASHBOARDS,
            fouten=fouten or FormErrors(),
            onbereikbaar=onbereikbaar,
            geweigerd=self._geweigerd(brin, dep, dashboard),
        )

    def _geweigerd(
        self, brin: str, dep: str, dashboard: dict[str, Any] | None
    ) -> list[dict[str, Any]]:
        """The results Schoolkr8 refused for good since the koppeling was activated: an active
        koppeling whose results fail (e.g. revoked at Schoolkr8) must not look healthy."""
        if not dashboard or dashboard.get("status") != "actief":
            return []
        sinds = str(dashboard.get("geactiveerd_op") or "")
        try:
            doorsturing = self.api.get(f"{self.base(brin, dep)}/doorsturing")
        except (ProblemError, Unreachable):
            return []
        return [
            d
            for d in web.items(doorsturing, "afnames")
            if d.get("status") == FAILED and _instant(d.get("genormeerd_op")) >= _instant(sinds)
        ]

    def _ym(self, brin: str, dep: str) -> tuple[int, int]:
        now = self.core.clock.now(brin, dep)
        return now.year, now.month

    def state(
        self, brin: str, dep: str
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str | None]:
        """The saved LAS settings and the dashboard koppeling (None where there is none)."""
        try:
            return (
                self._get_or_none(f"{self.base(brin, dep)}/las-koppeling"),
                self._get_or_none(f"{self.base(brin, dep)}/dashboard-koppeling"),
                None,
            )
        except Unreachable as exc:
            return None, None, str(exc)

    def _get_or_none(self, path: str) -> dict[str, Any] | None:
        data = self.api.get_or_none(path)
        return data if isinstance(data, dict) else None

    def las_opslaan(self, brin: str, dep: str) -> Response | tuple[str, int]:
        """WIJZIGINGEN OPSLAAN (actie=opslaan) or GEGEVENS IMPORTEREN (actie=importeren)."""
        brin, dep = web.school_or_404(brin, dep)
        form = request.form
        fouten = FormErrors()
        new_brin, new_dep = _school_fields(form, fouten)
        check_form(form, {k: LAS_FORM[k] for k in ("schooljaar", "autorisatiesleutel")}, fouten)
        importeren = form.get("actie") == "importeren"
        key = (form.get("autorisatiesleutel") or "").strip()
        if not key and not importeren and "autorisatiesleutel" not in fouten:
            fouten["autorisatiesleutel"] = "Autorisatiesleutel is verplicht."
        if fouten:
            return self.koppelen_page(brin, dep, las_form=form, fouten=fouten), 422
        brin, dep = new_brin, new_dep
        try:
            melding, waarschuwing = self._las_actions(brin, dep, form, key, importeren)
        except ProblemError as exc:
            fouten.add_problem(exc, LAS_FIELDS)
            return self.koppelen_page(brin, dep, las_form=form, fouten=fouten), 422
        except Unreachable as exc:
            fouten["_"] = str(exc)
            return self.koppelen_page(brin, dep, las_form=form, fouten=fouten), 502
        return redirect(
            url_for(
                ".koppelen",
                brin=brin,
                dep=dep,
                melding=melding or None,
                waarschuwing=waarschuwing or None,
            ),
            code=303,
        )

    def _las_actions(
        self, brin: str, dep: str, form: Any, key: str, importeren: bool
    ) -> tuple[str, str]:
        """Save and/or import; the green message and the warning (an import that got nothing)."""
        melding = ""
        if key:
            self.api.put(
                f"{self.base(brin, dep)}/las-koppeling",
                {
                    "las": form.get("las", ""),
                    "schooljaar": form.get("schooljaar", ""),
                    "autorisatiesleutel": key,
                },
            )
            melding = "De wijzigingen zijn opgeslagen."
        if not importeren:
            return melding, ""
        counts = self.api.post(f"{self.base(brin, dep)}/las-koppeling/import") or {}
        gelukt, waarschuwing = import_melding(counts, form.get("schooljaar", ""))
        return (melding + " " + gelukt).strip(), waarschuwing

    def aanvragen(self, brin: str, dep: str) -> Response | tuple[str, int]:
        """AANVRAGEN: request the dashboard koppeling with the key from the e-mail."""
        brin, dep = web.school_or_404(brin, dep)
        form = request.form
        fouten = FormErrors()
        values = check_form(form, DASH_FORM, fouten)
        typ, key = values["type_dashboard"], values["dashboard_sleutel"]
        email = values["beheerder_email"]
        if fouten:
            return self.koppelen_page(brin, dep, dash_form=form, fouten=fouten), 422
        try:
            self.api.post(
                f"{self.base(brin, dep)}/dashboard-koppeling",
                {"type_dashboard": typ, "autorisatiesleutel": key, "beheerder_email": email},
            )
        except ProblemError as exc:
            fouten.add_problem(exc, DASH_FIELDS)
            return self.koppelen_page(brin, dep, dash_form=form, fouten=fouten), 422
        except Unreachable as exc:
            fouten["_"] = str(exc)
            return self.koppelen_page(brin, dep, dash_form=form, fouten=fouten), 502
        melding = "De koppeling is aangevraagd. U ontvangt per e-mail een bevestiging."
        return redirect(url_for(".koppelen", brin=brin, dep=dep, melding=melding), code=303)

    def uitzetten(self, brin: str, dep: str) -> Response:
        """Switch the dashboard koppeling off (tests normed from then on are not sent)."""
        brin, dep = web.school_or_404(brin, dep)
        try:
            self.api.post(f"{self.base(brin, dep)}/dashboard-koppeling/deactiveren")
            melding = "De koppeling met het dashboard is uitgezet."
        except (ProblemError, Unreachable) as exc:
            melding = f"Uitzetten mislukt: {web.uitleg(exc)}"
        return redirect(url_for(".koppelen", brin=brin, dep=dep, melding=melding), code=303)

    # --- leerlingenoverzicht -----------------------------------------------------------------

    def leerlingen(self, brin: str, dep: str) -> str:
        """The Leerlingenoverzicht: tabs, filters, search, leerlingnummer before the name."""
        brin, dep = web.school_or_404(brin, dep)
        args = request.args
        tab = args.get("tab", MIJN)
        filters = {k: (args.get(k) or "").strip() for k in ("q", "groep", "jaargroep", "toets")}
        ctx: dict[str, Any] = {"tab": tab, "naam": naam, "toetsen": list(TOETSEN), **filters}
        try:
            alle = self._overzicht(brin, dep, MIJN, filters["q"])
            afnames = self.afnames(brin, dep) if alle else []
        except (ProblemError, Unreachable) as exc:
            return self._leerlingen_page(brin, dep, ctx, overzicht([], [], [], tab=tab), exc)
        fout: Exception | None = None
        in_tab = alle
        if tab != MIJN:
            try:
                in_tab = self._overzicht(brin, dep, tab, filters["q"])
            except (ProblemError, Unreachable) as exc:
                in_tab, fout = [], exc
        del filters["q"]
        view = overzicht(alle, in_tab, afnames, tab=tab, **filters)
        return self._leerlingen_page(brin, dep, ctx, view, fout)

    def _overzicht(self, brin: str, dep: str, tab: str, q: str) -> list[dict[str, Any]]:
        answer = self.api.get(
            f"{self.base(brin, dep)}/leerlingen", tab=None if tab == MIJN else tab, q=q or None
        )
        return web.items(answer, "leerlingen")

    def _leerlingen_page(
        self,
        brin: str,
        dep: str,
        ctx: dict[str, Any],
        view: dict[str, Any],
        fout: Exception | None,
    ) -> str:
        melding = None
        if isinstance(fout, ProblemError):
            melding = web.dutch(fout.detail)
        elif fout is not None:
            melding = str(fout)
        return self.render(
            "testcentrum/leerlingen.html",
            brin,
            dep,
            active="leerlingen",
            onbereikbaar=melding,
            **ctx,
            **view,
        )

    def afnames(self, brin: str, dep: str) -> list[dict[str, Any]]:
        """Every afname of the school, each with its forwarding status and the reason for it."""
        afnames = web.items(self._get_or_none(f"{self.base(brin, dep)}/afnames"), "afnames")
        status = {
            str(d.get("afname_id")): d
            for d in web.items(self._get_or_none(f"{self.base(brin, dep)}/doorsturing"), "afnames")
        }
        for a in afnames:
            d = status.get(str(a.get("id")), {})
            a["doorsturing"] = d.get("status")
            a["doorsturing_reden"] = d.get("reden")
        return afnames

    def score(self, brin: str, dep: str, leerlingnummer: str) -> Response | tuple[str, int] | str:
        """Score invoeren for one pupil; OPSLAAN, or OPSLAAN EN NORMEREN."""
        brin, dep = web.school_or_404(brin, dep)
        pupil = self._pupil(brin, dep, leerlingnummer)
        if pupil is None:
            abort(404)
        fouten = FormErrors()
        form: Any = (
            request.form
            if request.method == "POST"
            else {"afnamedatum": self.core.clock.now(brin, dep).date().isoformat()}
        )
        if request.method == "GET":
            return self._score_page(brin, dep, pupil, form, fouten)
        return self._score_post(brin, dep, pupil, form, fouten)

    def _score_post(
        self, brin: str, dep: str, pupil: dict[str, Any], form: Any, fouten: FormErrors
    ) -> Response | tuple[str, int]:
        toets = fouten.require(form, "toets", "Test")
        values = check_form(form, SCORE_FORM, fouten)
        datum, raw = values["afnamedatum"], values["ruwe_score"]
        if fouten:
            return self._score_page(brin, dep, pupil, form, fouten), 422
        try:
            made = self.api.post(
                f"{self.base(brin, dep)}/afnames",
                {
                    "leerlingnummer": str(pupil.get("leerlingnummer")),
                    "toets": toets,
                    "ruwe_score": raw,
                    "afnamedatum": datum,
                },
            )
            normed = form.get("actie") == "normeren"
            if normed:
                self.api.post(f"/api/afnames/{made['id']}/normeren")
        except ProblemError as exc:
            fouten.add_problem(exc, SCORE_FIELDS)
            return self._score_page(brin, dep, pupil, form, fouten), 422
        except Unreachable as exc:
            fouten["_"] = str(exc)
            return self._score_page(brin, dep, pupil, form, fouten), 502
        melding = "Score opgeslagen en genormeerd." if normed else "Score opgeslagen."
        return self._na_invoeren(brin, dep, [str(made["id"])], normed, melding)

    def _na_invoeren(
        self, brin: str, dep: str, ids: list[str], normed: bool, melding: str
    ) -> Response:
        """To the tab the new afnames are in; with a notice if one repeats an afname normed
        before the koppeling was active."""
        try:
            herhaald = herhalingen(self.afnames(brin, dep))
        except (ProblemError, Unreachable):
            herhaald = {}
        origineel = next((herhaald[i] for i in ids if i in herhaald), None)
        return redirect(
            url_for(
                ".leerlingen",
                brin=brin,
                dep=dep,
                tab=GENORMEERD if normed else GESCOORD,
                melding=melding,
                waarschuwing=herhaling_melding(origineel) if origineel else None,
            ),
            code=303,
        )

    def _score_page(
        self, brin: str, dep: str, pupil: dict[str, Any], form: Any, fouten: FormErrors
    ) -> str:
        return self.render(
            "testcentrum/score.html",
            brin,
            dep,
            active="leerlingen",
            leerling=pupil,
            leerling_naam=naam(pupil),
            form=form,
            fouten=fouten,
            toets_opties=[("", "Kies een test")] + [(t, t) for t in TOETSEN],
        )

    def scores(self, brin: str, dep: str) -> Response | tuple[str, int] | str:
        """SCORES INVOEREN for the selected pupils: one test and date, a raw score each."""
        brin, dep = web.school_or_404(brin, dep)
        nummers = request.values.getlist("nr")
        pupils = web.items(self.api.get(f"{self.base(brin, dep)}/leerlingen"), "leerlingen")
        gekozen = sorted(
            (p for p in pupils if str(p.get("leerlingnummer")) in nummers), key=naam_volgorde
        )
        fouten = FormErrors()
        if not gekozen:
            melding = "Kies eerst een of meer leerlingen (vink ze aan)."
            return redirect(url_for(".leerlingen", brin=brin, dep=dep, waarschuwing=melding))
        if request.method == "GET":
            form: Any = {"afnamedatum": self.core.clock.now(brin, dep).date().isoformat()}
            return self._scores_page(brin, dep, gekozen, form, fouten)
        return self._scores_post(brin, dep, gekozen, request.form, fouten)

    def _scores_post(
        self, brin: str, dep: str, gekozen: list[dict[str, Any]], form: Any, fouten: FormErrors
    ) -> Response | tuple[str, int]:
        toets = fouten.require(form, "toets", "Test")
        datum = check_form(form, {"afnamedatum": SCORE_FORM["afnamedatum"]}, fouten)["afnamedatum"]
        rijen = []
        for p in gekozen:
            nummer = str(p.get("leerlingnummer"))
            veld = f"score-{nummer}"
            score = Field("count", "De ruwe score", required=False)
            raw = check_form(form, {veld: score}, fouten)[veld]
            if raw is not None:
                rijen.append({"leerlingnummer": nummer, "ruwe_score": raw})
        if not rijen and not fouten:
            fouten["_"] = "Vul bij minstens één leerling een ruwe score in."
        if fouten:
            return self._scores_page(brin, dep, gekozen, form, fouten), 422
        try:
            ids, normed = self._bulk(brin, dep, toets, datum, rijen, form.get("actie"))
        except ProblemError as exc:
            self._bulk_fout(exc, rijen, fouten)
            return self._scores_page(brin, dep, gekozen, form, fouten), 422
        except Unreachable as exc:
            fouten["_"] = str(exc)
            return self._scores_page(brin, dep, gekozen, form, fouten), 502
        melding = f"{len(ids)} scores opgeslagen" + (" en genormeerd." if normed else ".")
        return self._na_invoeren(brin, dep, ids, normed, melding)

    def _bulk(
        self,
        brin: str,
        dep: str,
        toets: str,
        datum: str,
        rijen: list[dict[str, Any]],
        actie: str | None,
    ) -> tuple[list[str], bool]:
        """The afnames/bulk call (all or none), then normeren of them all when asked."""
        made = self.api.post(
            f"{self.base(brin, dep)}/afnames/bulk",
            {"afnames": [{**r, "toets": toets, "afnamedatum": datum} for r in rijen]},
        )
        ids = [str(i) for i in made.get("ids", [])]
        if actie == "normeren":
            self.api.post(f"{self.base(brin, dep)}/afnames/normeren", {"afname_ids": ids})
        return ids, actie == "normeren"

    @staticmethod
    def _bulk_fout(exc: ProblemError, rijen: list[dict[str, Any]], fouten: FormErrors) -> None:
        """The bulk API names ``afnames[i].field``: put the message next to pupil i's score."""
        match = re.match(r"afnames\[(\d+)\]\.(\w+)", exc.field or "")
        if match and match.group(2) == "ruwe_score" and int(match.group(1)) < len(rijen):
            nummer = rijen[int(match.group(1))]["leerlingnummer"]
            fouten[f"score-{nummer}"] = web.dutch(exc.detail)
            return
        fouten.add_problem(exc, SCORE_FIELDS)

    def _scores_page(
        self,
        brin: str,
        dep: str,
        gekozen: list[dict[str, Any]],
        form: Any,
        fouten: FormErrors,
    ) -> str:
        return self.render(
            "testcentrum/scores.html",
            brin,
            dep,
            active="leerlingen",
            leerlingen=gekozen,
            naam=naam,
            form=form,
            fouten=fouten,
            toets_opties=[("", "Kies een test")] + [(t, t) for t in TOETSEN],
        )

    def _pupil(self, brin: str, dep: str, leerlingnummer: str) -> dict[str, Any] | None:
        pupils = web.items(self.api.get(f"{self.base(brin, dep)}/leerlingen"), "leerlingen")
        return next((p for p in pupils if str(p.get("leerlingnummer")) == leerlingnummer), None)

    def normeren(self, brin: str, dep: str, afname_id: str) -> Response:
        """Normeren (or opnieuw normeren) one afname, at the school's clock."""
        brin, dep = web.school_or_404(brin, dep)
        try:
            self.api.post(f"/api/afnames/{afname_id}/normeren")
            melding = "De test is genormeerd."
        except (ProblemError, Unreachable) as exc:
            melding = f"Normeren mislukt: {web.uitleg(exc)}"
        return redirect(
            url_for(".leerlingen", brin=brin, dep=dep, tab=GENORMEERD, melding=melding), code=303
        )


def las_status(las: dict[str, Any] | None) -> str | None:
    """The status line (the API's own, e.g. U heeft een actieve koppeling met ParnasSys)."""
    if not las:
        return None
    laatste = las.get("laatste_import") or {}
    if any(str(w).endswith("geengegevens") for w in laatste.get("waarschuwingen") or ()):
        return (
            f"Het LAS had bij de laatste import geen gegevens voor schooljaar "
            f"{las.get('schooljaar')}: er zijn geen leerlingen geïmporteerd"
        )
    if las.get("melding"):
        return str(las["melding"])
    naam_las = LAS_NAMEN.get(str(las.get("las")), str(las.get("las") or "het LAS"))
    if las.get("actief"):
        return f"U heeft een actieve koppeling met {naam_las}"
    return (
        f"Instellingen voor {naam_las} opgeslagen; importeer de gegevens om de koppeling "
        "te activeren"
    )


def import_melding(counts: dict[str, Any], schooljaar: str = "") -> tuple[str, str]:
    """What GEGEVENS IMPORTEREN tells: the counts when the LAS sent data; a warning instead when
    it answered ``geengegevens`` (nothing imported), and its other warnings."""
    waarschuwingen = [str(w) for w in counts.get("waarschuwingen") or ()]
    if any(w.endswith("geengegevens") for w in waarschuwingen):
        jaar = f" voor schooljaar {schooljaar}" if schooljaar else ""
        return "", (
            f"Het LAS heeft geen gegevens{jaar}: er is niets geïmporteerd. Kies het schooljaar "
            "waarin uw leerlingen staan en importeer opnieuw."
        )
    if any(w.endswith("geenwijzigingen") for w in waarschuwingen):
        return "Het LAS meldt geen wijzigingen sinds de vorige import.", ""
    parts = [
        f"{counts[k]} {label}"
        for k, label in (
            ("leerlingen", "leerlingen"),
            ("groepen", "groepen"),
            ("medewerkers", "medewerkers"),
            ("leerkrachten", "leerkrachten"),
        )
        if isinstance(counts.get(k), int)
    ]
    gelukt = "Gegevens geïmporteerd" + (": " + ", ".join(parts) if parts else "") + "."
    return gelukt, "; ".join(waarschuwingen)


def _instant(value: Any) -> datetime:
    """An ISO instant from the API, comparable (a missing one counts as long ago)."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def _is_normed(a: dict[str, Any]) -> bool:
    return bool(a.get("genormeerd_op")) or a.get("status") == GENORMEERD


def _afname_key(a: dict[str, Any]) -> tuple[str, str, str, str]:
    """What makes two afnames the same test taken once: pupil, test, date and raw score."""
    return (
        str(a.get("leerlingnummer")),
        str(a.get("toets")),
        str(a.get("afnamedatum")),
        str(a.get("ruwe_score")),
    )


def herhalingen(afnames: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per afname id: the afname it repeats that was normed before the koppeling was active
    (``niet_van_toepassing``), for the notice next to the repeat."""
    eerder: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for a in afnames:
        if a.get("doorsturing") == NOT_APPLICABLE:
            eerder.setdefault(_afname_key(a), a)
    return {
        str(a.get("id")): eerder[_afname_key(a)]
        for a in afnames
        if a.get("doorsturing") != NOT_APPLICABLE and _afname_key(a) in eerder
    }


def herhaling_melding(origineel: dict[str, Any]) -> str:
    """The notice for an afname that repeats one normed before the koppeling was active."""
    wanneer = web.datum(origineel.get("afnamedatum"))
    return (
        f"Let op: dezelfde afname ({origineel.get('toets')}, {wanneer}, "
        f"ruwe score {origineel.get('ruwe_score')}) is eerder genormeerd, vóór de activering van "
        "de koppeling, en daarom niet naar Schoolkr8 gestuurd. Deze nieuwe afname wordt na "
        "normeren wel doorgestuurd."
    )


def overzicht(
    alle: list[dict[str, Any]],
    in_tab: list[dict[str, Any]],
    afnames: list[dict[str, Any]],
    *,
    tab: str,
    groep: str = "",
    jaargroep: str = "",
    toets: str = "",
) -> dict[str, Any]:
    """What the Leerlingenoverzicht shows, from the API's answers: tab counts (the API's
    ``tabs`` per pupil), the rows of the chosen tab, the groups and jaargroepen to filter on
    (always all of them), filtered by groep, jaargroep and test."""
    tests: dict[str, list[str]] = {}
    for a in afnames:
        names = tests.setdefault(str(a.get("leerlingnummer")), [])
        if a.get("toets") not in names:
            names.append(str(a.get("toets")))

    def past(p: dict[str, Any]) -> bool:
        nummer = str(p.get("leerlingnummer"))
        return (
            (not groep or groep_van(p) == groep)
            and (not jaargroep or str(p.get("jaargroep") or "") == jaargroep)
            and (not toets or toets in tests.get(nummer, ()))
        )

    gekozen = [p for p in alle if past(p)]
    in_tab = sorted((p for p in in_tab if past(p)), key=naam_volgorde)
    counts = {key: sum(1 for p in gekozen if key in (p.get("tabs") or ())) for key, _ in TABS}
    counts[MIJN] = len(gekozen)
    return {
        "tabs": [(key, label, counts[key]) for key, label in TABS],
        "rijen": _rijen(in_tab, afnames, tests, tab=tab, toets=toets),
        "groepen": sorted({groep_van(p) for p in alle if groep_van(p)}),
        "jaargroepen": sorted(
            {str(p.get("jaargroep")) for p in alle if p.get("jaargroep")}, key=_natural
        ),
    }


def _rijen(
    in_tab: list[dict[str, Any]],
    afnames: list[dict[str, Any]],
    tests: dict[str, list[str]],
    *,
    tab: str,
    toets: str,
) -> list[dict[str, Any]]:
    if tab not in (GESCOORD, GENORMEERD):
        return [
            {"leerling": p, "tests": tests.get(str(p.get("leerlingnummer")), [])} for p in in_tab
        ]
    nummers = {str(p.get("leerlingnummer")): p for p in in_tab}
    herhaald = herhalingen(afnames)
    return [
        {
            "afname": a,
            "leerling": nummers[str(a.get("leerlingnummer"))],
            "herhaalt": herhaald.get(str(a.get("id"))),
        }
        for a in afnames
        if str(a.get("leerlingnummer")) in nummers
        and _is_normed(a) == (tab == GENORMEERD)
        and (not toets or a.get("toets") == toets)
    ]


def _natural(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (10**6, text)
