"""The testcentrum's afname routes: Score invoeren, Normeren, the afname list and Doorsturing.

Thin views over :class:`mocks.testcentrum.afnames_service.AfnameService`; ``register`` is called by
the testcentrum's ``create_app``. ``OPERATIONS`` lists them for the testcentrum's /openapi.json.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from mocks.core.schemas import Operation, validate_body
from mocks.core.service import Core, json_body, set_school
from mocks.testcentrum.afnames_service import AfnameService, ImportedPupils, school
from mocks.testcentrum.afnames_store import Afname

SCHOOL = "/api/scholen/<brincode>/<dependancecode>"
_DOC_SCHOOL = "/api/scholen/{brincode}/{dependancecode}"

OPERATIONS = [
    Operation("POST", f"{_DOC_SCHOOL}/afnames", "Score invoeren: record an afname",
              "afname_invoer", {"201": "Created", "404": "Not found", "422": "Invalid"}),
    Operation("GET", f"{_DOC_SCHOOL}/afnames", "The school's afnames with their norming"),
    Operation("GET", "/api/afnames/{afname_id}", "One afname",
              responses={"200": "OK", "404": "Not found"}),
    Operation("POST", "/api/afnames/{afname_id}/normeren",
              "Normeren (again): norm at the school's clock; the first norming decides forwarding",
              "afname_normering", {"200": "OK", "404": "Not found"}),
    Operation("GET", f"{_DOC_SCHOOL}/doorsturing",
              "Forwarding status per normed afname: verzonden | wachtend | niet_van_toepassing"
              " | mislukt"),
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
        brin, dep = school(brincode, dependancecode)
        set_school(brin, dep)
        body = validate_body("afname_invoer", json_body())
        afname = service.score(brin, dep, body)
        return _afname(afname), 201, {"Location": f"/api/afnames/{afname.id}"}

    @app.get(f"{SCHOOL}/afnames")
    def afnames_lijst(brincode: str, dependancecode: str) -> Any:
        """Every afname of the school (gescoord or genormeerd), oldest first."""
        brin, dep = school(brincode, dependancecode)
        set_school(brin, dep)
        return {"afnames": [_afname(a) for a in service.list(brin, dep)]}

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
        forwarding = service.store.doorsturing_of(afname.id)
        return {**_afname(afname), **(afname.normering or {}), "afname_id": afname.id,
                "doorsturing": forwarding.status if forwarding else None}

    @app.get(f"{SCHOOL}/doorsturing")
    def doorsturing(brincode: str, dependancecode: str) -> Any:
        """Forwarding status of every normed afname of the school."""
        brin, dep = school(brincode, dependancecode)
        set_school(brin, dep)
        return {"afnames": [d.as_json() for d in service.doorsturing(brin, dep)]}


def _afname(afname: Afname) -> dict[str, Any]:
    return afname.as_json()
