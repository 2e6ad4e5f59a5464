"""Stand-in testcentrum pages: Beheer › Koppelen met LAS and the Leerlingenoverzicht.

The screens of the manual, on top of the stand-in's own REST API (called over HTTP, so every rule
— validation, the LAS import, the dashboard request, norming, the forwarding — stays in the API).
A school account is the BRIN-nummer + vestigingsnummer in the URL, the way the real testcentrum
holds many school accounts; "inloggen" is choosing that account.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, redirect, request, url_for
from werkzeug.wrappers import Response

from koppeling import web
from koppeling.client.http import ProblemError, Unreachable
from koppeling.harness.schools import check_brincode, check_dependancecode, schooljaar_of
from koppeling.harness.service import Core
from koppeling.web import FormErrors
from mocks.testcentrum.afnames.norms import TOETSEN
from mocks.testcentrum.afnames.store import GENORMEERD, GESCOORD
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
    dep = (form.get("dependancecode") or "").strip() or "00"
    if not brin:
        fouten["brincode"] = "BRIN-nummer is verplicht."
    else:
        try:
            check_brincode(brin)
        except ValueError:
            fouten["brincode"] = (
                f"Een BRIN-nummer is 2 cijfers en 2 hoofdletters (bv. 99AB), niet {brin!r}."
            )
    try:
        check_dependancecode(dep)
    except ValueError:
        fouten["dependancecode"] = f"Een vestigingsnummer is 2 cijfers (bv. 00), niet {dep!r}."
    return brin, dep


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
        )

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
        importeren = form.get("actie") == "importeren"
        key = (form.get("autorisatiesleutel") or "").strip()
        if not key and not importeren:
            fouten["autorisatiesleutel"] = "Autorisatiesleutel is verplicht."
        if fouten:
            return self.koppelen_page(brin, dep, las_form=form, fouten=fouten), 422
        brin, dep = new_brin, new_dep
        try:
            melding = self._las_actions(brin, dep, form, key, importeren)
        except ProblemError as exc:
            fouten.add_problem(exc, LAS_FIELDS)
            return self.koppelen_page(brin, dep, las_form=form, fouten=fouten), 422
        except Unreachable as exc:
            fouten["_"] = str(exc)
            return self.koppelen_page(brin, dep, las_form=form, fouten=fouten), 502
        return redirect(url_for(".koppelen", brin=brin, dep=dep, melding=melding), code=303)

    def _las_actions(self, brin: str, dep: str, form: Any, key: str, importeren: bool) -> str:
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
        if importeren:
            counts = self.api.post(f"{self.base(brin, dep)}/las-koppeling/import") or {}
            melding = (melding + " " + import_melding(counts)).strip()
        return melding

    def aanvragen(self, brin: str, dep: str) -> Response | tuple[str, int]:
        """AANVRAGEN: request the dashboard koppeling with the key from the e-mail."""
        brin, dep = web.school_or_404(brin, dep)
        form = request.form
        fouten = FormErrors()
        typ = fouten.require(form, "type_dashboard", "Type dashboard")
        key = fouten.require(form, "dashboard_sleutel", "Autorisatiesleutel")
        email = fouten.require(form, "beheerder_email", "E-mailadres beheerder")
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
            melding = f"Uitzetten mislukt: {exc}"
        return redirect(url_for(".koppelen", brin=brin, dep=dep, melding=melding), code=303)

    # --- leerlingenoverzicht -----------------------------------------------------------------

    def leerlingen(self, brin: str, dep: str) -> str:
        """The Leerlingenoverzicht: tabs, search, leerlingnummer before the name."""
        brin, dep = web.school_or_404(brin, dep)
        tab = request.args.get("tab", MIJN)
        q = (request.args.get("q") or "").strip()
        groep = request.args.get("groep") or ""
        try:
            alle = web.items(
                self.api.get(f"{self.base(brin, dep)}/leerlingen", q=q or None), "leerlingen"
            )
            in_tab = (
                alle
                if tab == MIJN
                else web.items(
                    self.api.get(f"{self.base(brin, dep)}/leerlingen", tab=tab, q=q or None),
                    "leerlingen",
                )
            )
            afnames = self.afnames(brin, dep) if alle else []
        except (ProblemError, Unreachable) as exc:
            return self.render(
                "testcentrum/leerlingen.html",
                brin,
                dep,
                active="leerlingen",
                tab=tab,
                tabs=[],
                rijen=[],
                q=q,
                groep=groep,
                groepen=[],
                naam=naam,
                onbereikbaar=str(exc),
            )
        view = overzicht(alle, in_tab, afnames, tab=tab, groep=groep)
        return self.render(
            "testcentrum/leerlingen.html",
            brin,
            dep,
            active="leerlingen",
            tab=tab,
            q=q,
            groep=groep,
            naam=naam,
            **view,
        )

    def afnames(self, brin: str, dep: str) -> list[dict[str, Any]]:
        """Every afname of the school, each with its forwarding status."""
        afnames = web.items(self._get_or_none(f"{self.base(brin, dep)}/afnames"), "afnames")
        status = {
            str(d.get("afname_id")): d
            for d in web.items(self._get_or_none(f"{self.base(brin, dep)}/doorsturing"), "afnames")
        }
        for a in afnames:
            a["doorsturing"] = status.get(str(a.get("id")), {}).get("status")
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
        datum = fouten.require(form, "afnamedatum", "Afnamedatum")
        raw = fouten.require(form, "ruwe_score", "Ruwe score")
        if raw and not raw.lstrip("-").isdigit():
            fouten["ruwe_score"] = f"De ruwe score is een geheel getal, niet {raw!r}."
        if fouten:
            return self._score_page(brin, dep, pupil, form, fouten), 422
        try:
            made = self.api.post(
                f"{self.base(brin, dep)}/afnames",
                {
                    "leerlingnummer": str(pupil.get("leerlingnummer")),
                    "toets": toets,
                    "ruwe_score": int(raw),
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
        tab = GENORMEERD if normed else GESCOORD
        melding = "Score opgeslagen en genormeerd." if normed else "Score opgeslagen."
        return redirect(
            url_for(".leerlingen", brin=brin, dep=dep, tab=tab, melding=melding), code=303
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
            melding = f"Normeren mislukt: {exc}"
        return redirect(
            url_for(".leerlingen", brin=brin, dep=dep, tab=GENORMEERD, melding=melding), code=303
        )


def las_status(las: dict[str, Any] | None) -> str | None:
    """The status line (the API's own, e.g. U heeft een actieve koppeling met ParnasSys)."""
    if not las:
        return None
    if las.get("melding"):
        return str(las["melding"])
    naam_las = LAS_NAMEN.get(str(las.get("las")), str(las.get("las") or "het LAS"))
    if las.get("actief"):
        return f"U heeft een actieve koppeling met {naam_las}"
    return (
        f"Instellingen voor {naam_las} opgeslagen; importeer de gegevens om de koppeling "
        "te activeren"
    )


def import_melding(counts: dict[str, Any]) -> str:
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
    return "Gegevens geïmporteerd" + (": " + ", ".join(parts) if parts else "") + "."


def _is_normed(a: dict[str, Any]) -> bool:
    return bool(a.get("genormeerd_op")) or a.get("status") == GENORMEERD


def overzicht(
    alle: list[dict[str, Any]],
    in_tab: list[dict[str, Any]],
    afnames: list[dict[str, Any]],
    *,
    tab: str,
    groep: str,
) -> dict[str, Any]:
    """What the Leerlingenoverzicht shows, from the API's answers: tab counts (the API's
    ``tabs`` per pupil), the rows of the chosen tab, the groups to filter on."""

    def in_groep(p: dict[str, Any]) -> bool:
        return not groep or groep_van(p) == groep

    alle = [p for p in alle if in_groep(p)]
    in_tab = sorted((p for p in in_tab if in_groep(p)), key=naam)
    counts = {key: sum(1 for p in alle if key in (p.get("tabs") or ())) for key, _ in TABS}
    counts[MIJN] = len(alle)
    tests: dict[str, list[str]] = {}
    for a in afnames:
        names = tests.setdefault(str(a.get("leerlingnummer")), [])
        if a.get("toets") not in names:
            names.append(str(a.get("toets")))
    rows: list[dict[str, Any]] = []
    if tab in (GESCOORD, GENORMEERD):
        nummers = {str(p.get("leerlingnummer")): p for p in in_tab}
        rows = [
            {"afname": a, "leerling": nummers[str(a.get("leerlingnummer"))]}
            for a in afnames
            if str(a.get("leerlingnummer")) in nummers and _is_normed(a) == (tab == GENORMEERD)
        ]
    else:
        rows = [
            {"leerling": p, "tests": tests.get(str(p.get("leerlingnummer")), [])} for p in in_tab
        ]
    return {
        "tabs": [(key, label, counts[key]) for key, label in TABS],
        "rijen": rows,
        "groepen": sorted({groep_van(p) for p in alle if groep_van(p)}),
    }
