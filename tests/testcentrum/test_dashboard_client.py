"""The testcentrum's klantenservice client against a scripted klantenservice (``responses``)."""

from __future__ import annotations

import json

import pytest
import requests
import responses

from mocks.testcentrum.beheer.klantenservice_client import (
    KlantenserviceClient,
    KlantenserviceOnbereikbaar,
    KlantenserviceWeigert,
)

BASE = "http://ks.test"


def submit(client: KlantenserviceClient) -> object:
    return client.dien_in(
        brincode="99AB",
        dependancecode="00",
        type_dashboard="Schoolkr8",
        autorisatiesleutel="sk8_SecretSecretSecret",
        beheerder_email="b@school.test",
        idempotency_key="abc123",
    )


@responses.activate
def test_submit_sends_fields_and_idempotency_key() -> None:
    responses.post(
        f"{BASE}/api/aanvragen", status=202, json={"id": "ks-1", "status": "in_behandeling"}
    )
    status = submit(KlantenserviceClient(BASE + "/"))
    assert status.id == "ks-1" and status.status == "in_behandeling"
    sent = responses.calls[0].request
    assert sent.headers["Idempotency-Key"] == "abc123"
    assert json.loads(sent.body) == {
        "brincode": "99AB",
        "dependancecode": "00",
        "type_dashboard": "Schoolkr8",
        "autorisatiesleutel": "sk8_SecretSecretSecret",
        "beheerder_email": "b@school.test",
    }


@responses.activate
def test_status_with_reason_and_withdraw() -> None:
    responses.get(
        f"{BASE}/api/aanvragen/ks-1",
        json={"id": "ks-1", "status": "afgewezen", "reden": "sleutel ongeldig"},
    )
    responses.post(
        f"{BASE}/api/aanvragen/ks-1/intrekken",
        json={"id": "ks-1", "status": "ingetrokken", "reden": None},
    )
    client = KlantenserviceClient(BASE)
    assert client.status("ks-1").reden == "sleutel ongeldig"
    assert client.trek_in("ks-1").status == "ingetrokken"


@responses.activate
@pytest.mark.parametrize(
    "failure",
    [
        {"status": 503, "body": "down"},
        {"body": requests.ConnectionError("refused")},
        {"status": 200, "body": "not json"},
        {"status": 202, "json": {"unexpected": True}},
    ],
)
def test_unusable_answers_are_retryable(failure: dict[str, object]) -> None:
    responses.post(f"{BASE}/api/aanvragen", **failure)  # type: ignore[arg-type]
    with pytest.raises(KlantenserviceOnbereikbaar):
        submit(KlantenserviceClient(BASE))


@responses.activate
def test_refusal_carries_the_problem_detail() -> None:
    responses.post(
        f"{BASE}/api/aanvragen",
        status=422,
        json={"title": "Ongeldige invoer", "detail": "beheerder_email is required"},
    )
    with pytest.raises(KlantenserviceWeigert) as info:
        submit(KlantenserviceClient(BASE))
    assert info.value.status == 422
    assert "beheerder_email" in info.value.detail
