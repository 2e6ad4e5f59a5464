"""The klantenservice's two check clients against scripted partners (``responses``)."""

from __future__ import annotations

import json

import pytest
import requests
import responses

from mocks.klantenservice.clients import (
    PartnerOnbereikbaar,
    Schoolkr8SleutelClient,
    TestcentrumLasClient,
)

SK8 = "http://sk8.test"
TC = "http://tc.test"


@responses.activate
def test_key_check_sends_the_exact_interface() -> None:
    responses.post(f"{SK8}/api/sleutels/controle", json={"geldig": True})
    assert Schoolkr8SleutelClient(SK8).controleer("99AB", "01", "sk8_Secret123456")
    assert json.loads(responses.calls[0].request.body) == {
        "brincode": "99AB",
        "dependancecode": "01",
        "autorisatiesleutel": "sk8_Secret123456",
    }


@responses.activate
@pytest.mark.parametrize(
    "answer",
    [
        {"json": {"geldig": False}},
        {"json": {"geldig": "true"}},
        {"status": 404, "json": {"title": "onbekend"}},
        {"status": 422, "json": {"title": "Ongeldige invoer"}},
    ],
)
def test_key_check_only_true_is_valid(answer: dict[str, object]) -> None:
    responses.post(f"{SK8}/api/sleutels/controle", **answer)  # type: ignore[arg-type]
    assert not Schoolkr8SleutelClient(SK8).controleer("99AB", "00", "sk8_x")


@responses.activate
@pytest.mark.parametrize(
    "answer",
    [
        {"status": 503, "body": "down"},
        {"body": requests.ConnectionError("refused")},
        {"body": requests.ReadTimeout("slow")},
        {"status": 200, "body": "<html>"},
    ],
)
def test_key_check_outage_is_not_a_verdict(answer: dict[str, object]) -> None:
    responses.post(f"{SK8}/api/sleutels/controle", **answer)  # type: ignore[arg-type]
    with pytest.raises(PartnerOnbereikbaar):
        Schoolkr8SleutelClient(SK8).controleer("99AB", "00", "sk8_x")


@responses.activate
def test_las_status_active_inactive_and_unknown() -> None:
    url = f"{TC}/api/scholen/99AB/00/las-koppeling"
    responses.get(url, json={"actief": True, "las": "parnassys", "school_naam": "De Klimop"})
    status = TestcentrumLasClient(TC).las_koppeling("99AB", "00")
    assert (status.actief, status.las, status.school_naam) == (True, "parnassys", "De Klimop")
    responses.replace(responses.GET, url, json={"actief": False, "las": "esis"})
    assert not TestcentrumLasClient(TC).las_koppeling("99AB", "00").actief
    responses.replace(responses.GET, url, status=404, json={"title": "niet gevonden"})
    assert not TestcentrumLasClient(TC).las_koppeling("99AB", "00").actief


@responses.activate
def test_las_status_outage() -> None:
    responses.get(f"{TC}/api/scholen/99AB/00/las-koppeling", status=502, body="bad gateway")
    with pytest.raises(PartnerOnbereikbaar):
        TestcentrumLasClient(TC).las_koppeling("99AB", "00")
