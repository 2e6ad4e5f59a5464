"""The REST surface of the afnames: Score invoeren, Normeren, the afname list and Doorsturing, as
one route table (:func:`afnames_routes`) for the views and ``/openapi.json`` alike.

The views are thin: the work is in :class:`.service.AfnamesService`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import request

from koppeling.harness.clock import iso
from koppeling.harness.routes import Route
from koppeling.harness.schemas import validate_body
from koppeling.harness.service import json_body, school_in_path, set_school
from mocks.testcentrum.afnames.service import AfnamesService
from mocks.testcentrum.afnames.store import forwarding_status
from mocks.testcentrum.beheer.routes import SCHOOL

AFNAME = "/api/afnames/{afname_id}"


def afnames_routes(service: AfnamesService) -> list[Route]:
    """The afname routes, in the order ``/openapi.json`` lists them."""
    v = AfnamesViews(service)
    return [
        Route(
            "POST",
            SCHOOL + "/afnames",
            v.afname_invoeren,
            summary="Score invoeren: record an afname",
            request_schema="afname_invoer",
            responses={
                "201": "Created",
                "404": "Not found",
                "422": "Invalid; or a pupil not among those imported (groep needed when none are)",
            },
            depends_on_state=("422",),
        ),
        Route(
            "POST",
            SCHOOL + "/afnames/bulk",
            v.afnames_invoeren,
            summary="Score invoeren for many afnames (all or none)",
            request_schema="afname_bulk",
            responses={
                "201": "Created",
                "422": "Invalid; or a pupil not among those imported (groep needed when none are)",
            },
            depends_on_state=("422",),
        ),
        Route(
            "POST",
            SCHOOL + "/afnames/normeren",
            v.afnames_normeren,
            summary="Normeren of many afnames at one instant of the school's clock",
            request_schema="afname_normeren_bulk",
            responses={"200": "OK", "404": "Not found", "422": "Invalid"},
        ),
        Route(
            "GET",
            SCHOOL + "/afnames",
            v.afnames_lijst,
            summary="The school's afnames with their norming",
        ),
        Route(
            "GET",
            AFNAME,
            v.afname_bekijken,
            summary="One afname",
            responses={"200": "OK", "404": "Not found"},
        ),
        Route(
            "POST",
            AFNAME + "/normeren",
            v.afname_normeren,
            summary=(
                "Normeren (again): norm at the school's clock; the first norming decides forwarding"
            ),
            request_schema="afname_normering",
            responses={"200": "OK", "404": "Not found", "422": "Invalid"},
        ),
        Route(
            "GET",
            SCHOOL + "/doorsturing",
            v.doorsturing,
            summary=(
                "Forwarding status per normed afname: "
                "verzonden | wachtend | niet_van_toepassing | mislukt"
            ),
        ),
        Route(
            "GET",
            SCHOOL + "/doorsturing/samenvatting",
            v.doorsturing_samenvatting,
            summary="Counts of normed afnames per forwarding status",
        ),
    ]


class AfnamesViews:
    """The views of :func:`afnames_routes`, each one call on the service."""

    def __init__(self, service: AfnamesService) -> None:
        self.service = service

    def afname_invoeren(self, brincode: str, dependancecode: str) -> Any:
        """Score invoeren: 201 with the new afname (``id``)."""
        brin, dep = school_in_path(brincode, dependancecode)
        afname = self.service.score(brin, dep, json_body())
        return afname.as_json(), 201, {"Location": f"/api/afnames/{afname.id}"}

    def afnames_invoeren(self, brincode: str, dependancecode: str) -> Any:
        """Score invoeren for many afnames at once (all or none): 201 with their ids."""
        brin, dep = school_in_path(brincode, dependancecode)
        body = validate_body("afname_bulk", json_body())
        made = self.service.score_many(brin, dep, body["afnames"])
        return {"aantal": len(made), "ids": [a.id for a in made]}, 201

    def afnames_normeren(self, brincode: str, dependancecode: str) -> Any:
        """Normeren of many afnames of the school at one instant of its clock."""
        brin, dep = school_in_path(brincode, dependancecode)
        body = validate_body("afname_normeren_bulk", json_body())
        normed = self.service.normeer_many(brin, dep, body["afname_ids"])
        return {
            "aantal": len(normed),
            "genormeerd_op": iso(normed[0].genormeerd_op) if normed else None,
            "doorsturing": dict(Counter(a.doorsturing for a in normed)),
            "afnames": [
                {
                    "afname_id": a.id,
                    "genormeerd_op": iso(a.genormeerd_op),
                    "eerst_genormeerd_op": iso(a.eerst_genormeerd_op),
                    "doorsturing": a.doorsturing,
                }
                for a in normed
            ],
        }

    def afnames_lijst(self, brincode: str, dependancecode: str) -> Any:
        """Every afname of the school (gescoord or genormeerd), oldest first."""
        brin, dep = school_in_path(brincode, dependancecode)
        return {"afnames": [a.as_json() for a in self.service.of_school(brin, dep)]}

    def afname_bekijken(self, afname_id: str) -> Any:
        """One afname."""
        afname = self.service.get(afname_id)
        set_school(afname.brincode, afname.dependancecode)
        return afname.as_json()

    def afname_normeren(self, afname_id: str) -> Any:
        """Normeren: ``genormeerd_op`` (school clock) and the normed figures."""
        if request.get_data():
            validate_body("afname_normering", json_body())
        afname = self.service.normeer(afname_id)
        set_school(afname.brincode, afname.dependancecode)
        return {
            **afname.as_json(),
            **(afname.normering or {}),
            "afname_id": afname.id,
            "doorsturing": forwarding_status(afname),
        }

    def doorsturing_samenvatting(self, brincode: str, dependancecode: str) -> Any:
        """How many normed afnames are verzonden, wachtend, niet_van_toepassing, mislukt."""
        brin, dep = school_in_path(brincode, dependancecode)
        return self.service.samenvatting(brin, dep)

    def doorsturing(self, brincode: str, dependancecode: str) -> Any:
        """Forwarding status of every normed afname of the school."""
        brin, dep = school_in_path(brincode, dependancecode)
        return {"afnames": [d.as_json() for d in self.service.doorsturing(brin, dep)]}
