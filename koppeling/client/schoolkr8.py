"""The setup API of the Schoolkr8 mock: koppelingen (aanvragen, activeren, intrekken), pupils and
Wijzig leerlingnummer, the results that arrived and the niet-gekoppeld list, and the school's
setting for results of unknown pupils."""

from __future__ import annotations

from typing import Any

from koppeling.client.http import SchoolApiClient, as_dict, items
from koppeling.client.school import SchoolRef


class Schoolkr8Admin(SchoolApiClient):
    """``Schoolkr8Admin(base_url)``: what a school and Schoolkr8 do on the Schoolkr8 side."""

    service = "schoolkr8"

    def aanvragen(self, school: SchoolRef, contact_email: str) -> str:
        """Koppeling aanvragen; returns the koppeling's id."""
        made = self.post("/api/koppelingen", {**school.args(), "contact_email": contact_email})
        return str(made["id"])

    def activeren(self, koppeling_id: str) -> dict[str, Any]:
        """Schoolkr8 activates: the key goes by e-mail to the contact (never in this answer)."""
        return as_dict(self.post(f"/api/koppelingen/{koppeling_id}/activeren"))

    def intrekken(self, koppeling_id: str) -> dict[str, Any]:
        return as_dict(self.post(f"/api/koppelingen/{koppeling_id}/intrekken"))

    def leerlingen(self, school: SchoolRef) -> list[dict[str, Any]]:
        """The school's pupils at Schoolkr8 (none when Schoolkr8 does not know the school)."""
        return items(self.get_or_none(f"{school.path}/leerlingen"), "leerlingen")

    def add_leerling(
        self, school: SchoolRef, *, voornaam: str, achternaam: str, geboortedatum: str, groep: str
    ) -> dict[str, Any]:
        """A pupil entered at Schoolkr8 (without leerlingnummer); the answer has its ``id``."""
        body = {
            "voornaam": voornaam,
            "achternaam": achternaam,
            "geboortedatum": geboortedatum,
            "groep": groep,
        }
        return as_dict(self.post(f"{school.path}/leerlingen", body))

    def set_leerlingnummer(self, leerling_id: str, leerlingnummer: str) -> dict[str, Any]:
        """Wijzig leerlingnummer (409 when another pupil of the school has it)."""
        body = {"leerlingnummer": leerlingnummer}
        return as_dict(self.put(f"/api/leerlingen/{leerling_id}/leerlingnummer", body))

    def set_niet_gekoppeld(self, school: SchoolRef, beleid: str) -> dict[str, Any]:
        """What happens to a result for an unknown leerlingid: ``parkeren`` | ``weigeren``."""
        return as_dict(self.put(f"{school.path}/instellingen", {"niet_gekoppeld": beleid}))

    def resultaten(self, leerling_id: str) -> list[dict[str, Any]]:
        return items(self.get(f"/api/leerlingen/{leerling_id}/resultaten"), "resultaten")

    def niet_gekoppeld(self, school: SchoolRef) -> list[dict[str, Any]]:
        """The results parked because no pupil carries their leerlingid."""
        return items(self.get(f"{school.path}/niet-gekoppeld"), "resultaten")
