"""The setup API of a LAS mock (ParnasSys or ESIS): schools with generated pupils, keys for a klant
(the party that fetches the school's data over UWLR), pupils joining and leaving."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from koppeling.client.http import SchoolApiClient, as_dict, items
from koppeling.client.school import SchoolRef


@dataclass(frozen=True)
class Klant:
    """Who a LAS key is issued for: the klantcode and klantnaam it presents in UWLR requests."""

    code: str
    naam: str


class LasAdmin(SchoolApiClient):
    """``LasAdmin(base_url, service="parnassys")``: schools, keys and pupils at one LAS."""

    service = "las"

    def create_school(
        self,
        school: SchoolRef,
        *,
        naam: str | None = None,
        schooljaar: str | None = None,
        aantal_leerlingen: int | None = None,
        seed: int | None = None,
        profiel: str | None = None,
    ) -> dict[str, Any]:
        """A new school (409 when it exists); the answer has its schooljaar, groepen, leerlingen.
        What is not given is the LAS's default (``profiel``: "rijk", or "minimaal")."""
        given = {
            "naam": naam,
            "schooljaar": schooljaar,
            "aantal_leerlingen": aantal_leerlingen,
            "seed": seed,
            "profiel": profiel,
        }
        body = {**school.args(), **{k: v for k, v in given.items() if v is not None}}
        return as_dict(self.post("/api/scholen", body))

    def school(self, school: SchoolRef) -> dict[str, Any]:
        return as_dict(self.get(school.path))

    def issue_sleutel(self, school: SchoolRef, klant: Klant) -> str:
        """A new autorisatiesleutel of the school for ``klant``."""
        body = {"klantcode": klant.code, "klantnaam": klant.naam}
        return str(self.post(f"{school.path}/sleutels", body)["autorisatiesleutel"])

    def leerlingen(self, school: SchoolRef) -> list[dict[str, Any]]:
        return items(self.get(f"{school.path}/leerlingen"), "leerlingen")

    def add_leerling(self, school: SchoolRef, **fields: Any) -> dict[str, Any]:
        """A pupil joins the school (``leerlingnummer`` etc. as given, the rest generated)."""
        return as_dict(self.post(f"{school.path}/leerlingen", fields))

    def remove_leerling(self, school: SchoolRef, leerlingnummer: str) -> None:
        """The pupil leaves the school (the next import drops it)."""
        self.delete(f"{school.path}/leerlingen/{leerlingnummer}")
