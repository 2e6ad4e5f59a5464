"""The testcentrum's afname routes: Score invoeren, Normeren, the afname list and Doorsturing.

Thin views over :class:`mocks.testcentrum.afnames_service.AfnameService`; ``register`` is called by
the testcentrum's ``create_app``. ``OPERATIONS`` lists them for the testcentrum's /openapi.json.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from flask import Flask, request

from koppeling.harness.schemas import Operation, validate_body
from koppeling.harness.service import Core, json_body, school_in_path, set_school
from mocks.testcentrum.afnames_service import AfnameService, ImportedPupils
from mocks.testcentrum.afnames_store import Afname, forwarding_status

SCHOOL = "/api/scholen/<brincode>/<dependancecode>"
_DOC_SCHOOL = "/api/scholen/{brincode}/{dependancecode}"

OPERATIONS = [
    Operation(
        "POST",
        f"{_DOC_SCHOOL}/afnames",
        "Score invoeren: record an afname",
        "afname_invoer",
        {"201": "Created", "404": "Not found", "422": "Invalid"},
    ),
    Operation(
        "POST",
        f"{_DOC_SCHOOL}/afnames/bulk",
        "Score invoeren for many afnames (all or none)",
        "afname_bulk",
        {"201": "Created", "422": "Invalid"},
    ),
    Operation(
        "POST",
        f"{_DOC_SCHOOL}/afnames/normeren",
        "Normeren of many afnames at one instant of the school's clock",
        "afname_normeren_bulk",
        {"200": "OK", "404": "Not found", "422": "Invalid"},
    ),
    Operation("GET", f"{_DOC_SCHOOL}/afnames", "The school's afnames with their norming"),
    Operation(
        "GET", "/api/afnames/{afname_id}", "One afname", responses={"200": "OK", "404": "Not found"}
    ),
    Operation(
        "POST",
        "/api/afnames/{afname_id}/normeren",
        "Normeren (again): norm at the school's clock; the first norming decides forwarding",
        "afname_normering",
        {"200": "OK", "404": "Not found"},
    ),
    Operation(
        "GET",
        f"{_DOC_SCHOOL}/doorsturing",
        "Forwarding status per normed afname: verzonden | wachtend | niet_van_toepassing | mislukt",
    ),
    Operation(
        "GET",
        f"{_DOC_SCHOOL}/doorsturing/samenvatting",
        "Counts of normed afnames per forwarding status",
    ),
]


def register(app: Flask, core: Core, options: dict[str, Any] | None = None) -> AfnameService:
    """Add the afname routes to the testcentrum app."""
    from mocks.testcentrum.store import DashboardKoppelingen

    service = AfnameService(core, DashboardKoppelingen(core.db), ImportedPupils(core))
    _routes(app, service)
    return service


def _routes(app: Flask, service: AfnameService) -> None:
    @app.post(f"{SCHOOL}/afnames")
    def afname_invoeren(brincode: str, dependancecode: str) -> Any:
        """Score invoeren: 201 with the new afname (``id``)."""
        brin, dep = school_in_path(brincode, dependancecode)
        afname = service.score(brin, dep, json_body())
        return _afname(afname), 201, {"Location": f"/api/afnames/{afname.id}"}

    @app.post(f"{SCHOOL}/afnames/bulk")
    def afnames_invoeren(brincode: str, dependancecode: str) -> Any:
        """Score invoeren for many afnames at once (all or none): 201 with their ids."""
        brin, dep = school_in_path(brincode, dependancecode)
        body = validate_body("afname_bulk", json_body())
        made = service.score_many(brin, dep, body["afnames"])
        return {"aantal": len(made), "ids": [a.id for a in made]}, 201

    @app.post(f"{SCHOOL}/afnames/normeren")
    def afnames_normeren(brincode: str, dependancecode: str) -> Any:
        """Normeren of many afnames of the school at one instant of its clock."""
        brin, dep = school_in_path(brincode, dependancecode)
        body = validate_body("afname_normeren_bulk", json_body())
        normed = service.normeer_many(brin, dep, body["afname_ids"])
        decisions = Counter(a.doorsturing for a in normed)
        return {
            "aantal": len(normed),
            "genormeerd_op": normed[0].genormeerd_op.isoformat()  # type: ignore[union-attr]
            if normed
            else None,
            "doorsturing": dict(decisions),
            "afnames": [
                {
                    "afname_id": a.id,
                    "genormeerd_op": _iso(a.genormeerd_op),
                    "eerst_genormeerd_op": _iso(a.eerst_genormeerd_op),
                    "doorsturing": a.doorsturing,
                }
                for a in normed
            ],
        }

    @app.get(f"{SCHOOL}/afnames")
    def afnames_lijst(brincode: str, dependancecode: str) -> Any:
        """Every afname of the school (gescoord or genormeerd), oldest first."""
        brin, dep = school_in_path(brincode, dependancecode)
        return {"afnames": [_afname(a) for a in service.of_school(brin, dep)]}

    @app.get("/api/afnames/<afname_id>")
    def afname_bekijken(afname_id: str) -> Any:
        """One afname."""
        afname = service.get(afname_id)
        set_school(afname.brincode, afname.dependancecode)
        return _afname(afname)

    @app.post("/api/afnames/<afname_id>/normeren")
    def afname_normeren(afname_id: str) -> Any:
        """Normeren: ``genormeerd_op`` (school clock) and the normed figures."""
        if request.get_data():
            validate_body("afname_normering", json_body())
        afname = service.normeer(afname_id)
        set_school(afname.brincode, afname.dependancecode)
        return {
            **_afname(afname),
            **(afname.normering or {}),
            "afname_id": afname.id,
            "doorsturing": forwarding_status(afname),
        }

    @app.get(f"{SCHOOL}/doorsturing/samenvatting")
    def doorsturing_samenvatting(brincode: str, dependancecode: str) -> Any:
        """How many normed afnames are verzonden, wachtend, niet_van_toepassing, mislukt."""
        brin, dep = school_in_path(brincode, dependancecode)
        return service.samenvatting(brin, dep)

    @app.get(f"{SCHOOL}/doorsturing")
    def doorsturing(brincode: str, dependancecode: str) -> Any:
        """Forwarding status of every normed afname of the school."""
        brin, dep = school_in_path(brincode, dependancecode)
        return {"afnames": [d.as_json() for d in service.doorsturing(brin, dep)]}


def _afname(afname: Afname) -> dict[str, Any]:
    return afname.as_json()


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
