"""``DELETE /api/scholen/{brin}/{dep}`` on the LAS, Schoolkr8 and the klantenservice: a test
suite (or a Pact provider state) starts clean without restarting the harness."""

from __future__ import annotations

import pytest
import requests

from contracts.states import Setup
from koppeling.client import STAND_IN_KLANT, Clients, ProblemError, SchoolRef
from koppeling.client.flows import create_las_school
from koppeling.harness.process import Harness

KLANT = STAND_IN_KLANT


@pytest.fixture
def clients(live: Harness) -> Clients:
    assert live.core is not None
    return Clients(live.core.urls)


@pytest.mark.parametrize("flavour", ["parnassys", "esis"])
def test_a_deleted_las_school_is_gone_with_its_keys_and_can_be_made_again(
    clients: Clients, flavour: str
) -> None:
    """204; the school and its pupils are unknown; its old key opens nothing; no 409 after."""
    las, school = clients.las(flavour), SchoolRef("99DL")
    las.delete_school(school)
    first = create_las_school(las, school, KLANT, schooljaar="2024-2025", seed=1)
    las.delete_school(school)
    with pytest.raises(ProblemError) as gone:
        las.school(school)
    assert gone.value.status == 404
    las.delete_school(school)  # deleting what is not there is fine too
    again = create_las_school(las, school, KLANT, schooljaar="2024-2025", seed=1)
    assert again.leerlingnummers == first.leerlingnummers
    assert again.sleutel != first.sleutel


def test_a_deleted_schoolkr8_school_loses_pupils_keys_and_koppelingen(
    live: Harness, clients: Clients
) -> None:
    """After DELETE the school's pupils and koppelingen are gone and its key is no longer valid."""
    school = SchoolRef("99DS")
    sk8 = clients.schoolkr8
    with Setup(live.url("schoolkr8"), live.url("mailbox")) as setup:
        key = setup.sk8_pupil({**school.args(), "leerlingnummer": "0012345678"})
    check = {**school.args(), "autorisatiesleutel": key["autorisatiesleutel"]}
    assert sk8.post("/api/sleutels/controle", check) == {"geldig": True}
    sk8.delete_school(school)
    assert sk8.leerlingen(school) == []
    assert sk8.get(f"{school.path}/koppelingen")["koppelingen"] == []
    assert sk8.post("/api/sleutels/controle", check) == {"geldig": False}


def test_a_deleted_klantenservice_school_loses_its_aanvragen_and_mode(clients: Clients) -> None:
    """The school's aanvragen and its manual mode are forgotten."""
    school, ks = SchoolRef("99DK"), clients.klantenservice
    ks.set_modus(school, "handmatig")
    aanvraag = {
        "type_dashboard": "Schoolkr8",
        "autorisatiesleutel": "sk8_deletetest0000000000",
        "beheerder_email": "beheer@99dk.school.test",
    }
    made = ks.aanvragen(school, aanvraag, idempotency_key="delete-school-test")
    ks.delete_school(school)
    assert ks.get(f"{school.path}/modus")["modus"] == "automatisch"
    assert ks.get("/api/aanvragen", **school.args())["aanvragen"] == []
    assert ks.get_or_none(f"/api/aanvragen/{made['id']}") is None


def test_delete_names_a_bad_brincode(live: Harness) -> None:
    """A malformed school in the path is refused, never a 500."""
    resp = requests.delete(f"{live.url('parnassys')}/api/scholen/XX/00", timeout=5)
    assert resp.status_code == 422
    assert resp.json()["field"] == "brincode"
