"""The klantenservice's REST API on the test client (partners stubbed by their Protocols)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask.testing import FlaskClient

from koppeling.harness.service import Core
from mocks.klantenservice.app import create_app
from tests.klantenservice.conftest import GOOD_KEY, Las, Outbox, Sleutels

BODY = {
    "brincode": "99AB",
    "dependancecode": "00",
    "type_dashboard": "Schoolkr8",
    "autorisatiesleutel": GOOD_KEY,
    "beheerder_email": "beheer@klimop.test",
}


@pytest.fixture
def client(core: Core, sleutels: Sleutels, las: Las) -> FlaskClient:
    """The klantenservice app with stubbed partner checks."""
    app = create_app({}, core=core)
    service = app.extensions["klantenservice"]
    service.sleutels = lambda: sleutels
    service.las = lambda: las
    return app.test_client()


def post(client: FlaskClient, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return client.post("/api/aanvragen", json=body if body is not None else BODY, headers=headers)


def test_submit_is_202_with_id_status_and_masked_key(
    core: Core, client: FlaskClient, outbox: Outbox
) -> None:
    resp = post(client)
    assert resp.status_code == 202
    assert resp.json["status"] == "goedgekeurd" and resp.json["id"].startswith("ks-")
    assert resp.json["autorisatiesleutel"] == "sk8_Good…"
    got = client.get(f"/api/aanvragen/{resp.json['id']}").json
    assert got["status"] == "goedgekeurd" and got["reden"] is None
    journal = json.dumps([e.as_json() for e in core.journal.entries()], ensure_ascii=False)
    assert GOOD_KEY not in journal and "sk8_Good…" in journal
    assert len(outbox.sent) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"autorisatiesleutel": None}, "autorisatiesleutel"),
        ({"beheerder_email": "geen-adres"}, "beheerder_email"),
        ({"brincode": "12345"}, "brincode"),
        ({"dependancecode": "0"}, "dependancecode"),
        ({"type_dashboard": ""}, "type_dashboard"),
        ({"autorisatiesleutel": "k" * 65}, "autorisatiesleutel"),
        ({"modus": "soms"}, "modus"),
    ],
)
def test_invalid_fields_are_named(client: FlaskClient, change: dict[str, Any], field: str) -> None:
    body = {**BODY, **change}
    body = {k: v for k, v in body.items() if v is not None}
    resp = post(client, body)
    assert resp.status_code == 422
    assert resp.content_type == "application/problem+json"
    assert resp.json["field"] == field


def test_not_json_and_unknown_id(client: FlaskClient) -> None:
    resp = client.post("/api/aanvragen", data="x", content_type="text/plain")
    assert resp.status_code == 400 and resp.json["field"] == "body"
    assert client.get("/api/aanvragen/ks-nope").status_code == 404
    assert client.post("/api/aanvragen/ks-nope/goedkeuren").status_code == 404


def test_idempotency_key_reuse_with_other_fields_is_409(
    client: FlaskClient, outbox: Outbox
) -> None:
    first = post(client, **{"Idempotency-Key": "abc"}).json
    assert post(client, **{"Idempotency-Key": "abc"}).json["id"] == first["id"]
    other = post(
        client, {**BODY, "beheerder_email": "ander@klimop.test"}, **{"Idempotency-Key": "abc"}
    )
    assert other.status_code == 409 and other.json["field"] == "Idempotency-Key"
    assert len(outbox.sent) == 1


def test_manual_mode_over_http(client: FlaskClient, outbox: Outbox) -> None:
    assert client.put("/api/scholen/99AB/00/modus", json={"modus": "handmatig"}).status_code == 200
    assert client.get("/api/scholen/99AB/00/modus").json["modus"] == "handmatig"
    aanvraag = post(client).json
    assert aanvraag["status"] == "in_behandeling" and aanvraag["modus"] == "handmatig"
    assert {c["controle"] for c in aanvraag["controles"]} == {
        "type_dashboard",
        "autorisatiesleutel",
        "las_koppeling",
    }
    no_reason = client.post(f"/api/aanvragen/{aanvraag['id']}/afwijzen", json={})
    assert no_reason.status_code == 422 and no_reason.json["field"] == "reden"
    done = client.post(f"/api/aanvragen/{aanvraag['id']}/afwijzen", json={"reden": "Onbekend"})
    assert done.json["status"] == "afgewezen" and done.json["reden"] == "Onbekend"
    clash = client.post(f"/api/aanvragen/{aanvraag['id']}/goedkeuren")
    assert clash.status_code == 409
    assert len(outbox.sent) == 1


def test_per_request_manual_mode_and_goedkeuren(client: FlaskClient, outbox: Outbox) -> None:
    aanvraag = post(client, {**BODY, "modus": "handmatig"}).json
    assert aanvraag["status"] == "in_behandeling"
    resp = client.post(f"/api/aanvragen/{aanvraag['id']}/goedkeuren", json={"toelichting": "ok"})
    assert resp.status_code == 200 and resp.json["status"] == "goedgekeurd"
    assert client.post(f"/api/aanvragen/{aanvraag['id']}/goedkeuren").status_code == 200
    assert len(outbox.sent) == 1


def test_withdraw_sends_no_mail(client: FlaskClient, outbox: Outbox) -> None:
    aanvraag = post(client).json
    resp = client.post(f"/api/aanvragen/{aanvraag['id']}/intrekken")
    assert resp.json["status"] == "ingetrokken"
    assert len(outbox.sent) == 1


def test_bad_school_in_modus_path(client: FlaskClient) -> None:
    resp = client.put("/api/scholen/ab/00/modus", json={"modus": "handmatig"})
    assert resp.status_code == 404 and resp.json["field"] == "brincode"


def test_openapi_document(client: FlaskClient) -> None:
    doc = client.get("/openapi.json").json
    assert doc["openapi"].startswith("3.1")
    post_op = doc["paths"]["/api/aanvragen"]["post"]
    schema = post_op["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["required"]) == set(BODY)
    assert "/api/aanvragen/{id}/afwijzen" in doc["paths"]


def test_list_newest_first_with_filters(client: FlaskClient, sleutels: Sleutels) -> None:
    approved = post(client).json
    rejected = post(client, {**BODY, "autorisatiesleutel": "sk8_" + "W" * 32}).json
    listed = [a["id"] for a in client.get("/api/aanvragen").json["aanvragen"]]
    assert listed.index(rejected["id"]) < listed.index(approved["id"])
    only = client.get("/api/aanvragen?status=afgewezen&brincode=99AB").json["aanvragen"]
    assert [a["id"] for a in only] == [rejected["id"]]
    assert all(a["autorisatiesleutel"].endswith("…") for a in only)
    assert client.get("/api/aanvragen?status=x").json["field"] == "status"
    assert client.get("/api/aanvragen?limit=0").json["field"] == "limit"
    assert client.get("/api/aanvragen?brincode=99ZZ").json["aanvragen"] == []
