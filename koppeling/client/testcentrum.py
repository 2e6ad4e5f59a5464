"""The REST API of the stand-in testcentrum: the manual's steps (WIJZIGINGEN OPSLAAN, GEGEVENS
IMPORTEREN, AANVRAGEN, Score invoeren, Normeren) and what it shows (Leerlingenoverzicht, the
dashboard koppeling, the doorsturing per afname). Scenarios reach it through their driver
(scenarios/driver.py), which speaks this client for the stand-in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from koppeling.client.http import ApiClient, as_dict, items
from koppeling.client.las import Klant
from koppeling.client.school import SchoolRef

# THE klantcode of the koppeling (docs/testcentrum.md): how the stand-in testcentrum identifies
# itself in every UWLR autorisatie header — at the LAS unless WIJZIGINGEN OPSLAAN names another
# klant (the LAS key is issued for it), and at Schoolkr8. Its defaults, the consumer contracts and
# the demo all take it from here.
STAND_IN_KLANT = Klant("boom-testcentrum", "Boom testcentrum")


class TestcentrumClient(ApiClient):
    """``TestcentrumClient(base_url)``: one school's koppelingen and afnames at the testcentrum."""

    service = "testcentrum"

    def save_las_koppeling(
        self, school: SchoolRef, *, las: str, schooljaar: str, autorisatiesleutel: str
    ) -> dict[str, Any]:
        """WIJZIGINGEN OPSLAAN in Beheer › Koppelen met LAS."""
        body = {"las": las, "schooljaar": schooljaar, "autorisatiesleutel": autorisatiesleutel}
        return as_dict(self.put(f"{school.path}/las-koppeling", body))

    def importeer(self, school: SchoolRef) -> dict[str, Any]:
        """GEGEVENS IMPORTEREN; the counts of pupils, groups and staff."""
        return as_dict(self.post(f"{school.path}/las-koppeling/import"))

    def leerlingen(self, school: SchoolRef) -> list[dict[str, Any]]:
        """The Leerlingenoverzicht: each pupil with its ``leerlingnummer``."""
        return items(self.get(f"{school.path}/leerlingen"), "leerlingen")

    def aanvragen(
        self,
        school: SchoolRef,
        *,
        type_dashboard: str,
        autorisatiesleutel: str,
        beheerder_email: str,
    ) -> dict[str, Any]:
        """AANVRAGEN in *Koppelen met Focus PO of SchoolKr8*."""
        body = {
            "type_dashboard": type_dashboard,
            "autorisatiesleutel": autorisatiesleutel,
            "beheerder_email": beheerder_email,
        }
        return as_dict(self.post(f"{school.path}/dashboard-koppeling", body))

    def dashboard_koppeling(self, school: SchoolRef) -> dict[str, Any] | None:
        """The dashboard koppeling (``status``, ``geactiveerd_op``, ``reden`` …), None if never
        requested."""
        found = self.get_or_none(f"{school.path}/dashboard-koppeling")
        return None if found is None else as_dict(found)

    def deactiveren(self, school: SchoolRef) -> None:
        """Switch the dashboard koppeling off."""
        self.post(f"{school.path}/dashboard-koppeling/deactiveren")

    def score(
        self,
        school: SchoolRef,
        *,
        leerlingnummer: str,
        toets: str,
        ruwe_score: int,
        afnamedatum: str,
    ) -> str:
        """Score invoeren: a new afname; returns its id."""
        body = {
            "leerlingnummer": leerlingnummer,
            "toets": toets,
            "ruwe_score": ruwe_score,
            "afnamedatum": afnamedatum,
        }
        return str(self.post(f"{school.path}/afnames", body)["id"])

    def score_bulk(self, school: SchoolRef, afnames: Sequence[Mapping[str, Any]]) -> list[str]:
        """Score invoeren for many afnames at once (all or none); their ids."""
        made = self.post(f"{school.path}/afnames/bulk", {"afnames": [dict(a) for a in afnames]})
        return [str(i) for i in made["ids"]]

    def normeren(self, afname_id: str) -> dict[str, Any]:
        """Normeren at the school's clock: ``genormeerd_op`` and the normed figures."""
        return as_dict(self.post(f"/api/afnames/{afname_id}/normeren"))

    def normeren_bulk(self, school: SchoolRef, afname_ids: Sequence[str]) -> dict[str, Any]:
        """Normeren of many afnames of the school at one instant of its clock."""
        body = {"afname_ids": list(afname_ids)}
        return as_dict(self.post(f"{school.path}/afnames/normeren", body))

    def doorsturing(self, school: SchoolRef) -> list[dict[str, Any]]:
        """The forwarding status of every normed afname of the school."""
        return items(self.get(f"{school.path}/doorsturing"), "afnames")

    def doorsturing_samenvatting(self, school: SchoolRef) -> dict[str, Any]:
        """How many normed afnames are verzonden, wachtend, niet_van_toepassing, mislukt."""
        return as_dict(self.get(f"{school.path}/doorsturing/samenvatting"))
