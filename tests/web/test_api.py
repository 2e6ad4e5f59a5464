"""The one transport (koppeling.client) and the pages' use of it: a refusal is a ProblemError with
the problem details, no answer an Unreachable; a failing test names the call, a page shows the
problem alone, and the click's correlation id travels with the page's API calls."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses
from flask import Flask, g

from koppeling.client import ApiClient, ProblemError, Unreachable
from koppeling.harness.service import CORRELATION_HEADER, Core
from koppeling.harness.store import Database
from koppeling.web.api import Api

BASE = "http://sk8.test"


@pytest.fixture
def core() -> Iterator[Core]:
    db = Database.memory()
    yield Core.create(db, urls={"schoolkr8": BASE})
    db.dispose()


@responses.activate
def test_a_problem_carries_its_details_and_names_the_call() -> None:
    responses.put(
        f"{BASE}/api/leerlingen/7/leerlingnummer",
        status=409,
        json={"title": "Conflict", "detail": "nummer bestaat al", "field": "leerlingnummer"},
        content_type="application/problem+json",
    )
    with pytest.raises(ProblemError) as caught:
        ApiClient(BASE, service="schoolkr8").put("/api/leerlingen/7/leerlingnummer", {"x": 1})
    problem = caught.value
    assert (problem.status, problem.title, problem.detail, problem.field) == (
        409,
        "Conflict",
        "nummer bestaat al",
        "leerlingnummer",
    )
    assert str(problem) == (
        "schoolkr8 PUT /api/leerlingen/7/leerlingnummer: 409 Conflict: nummer bestaat al "
        "(field leerlingnummer)"
    )


@responses.activate
def test_an_answer_without_problem_details_is_a_problem_quoting_its_text() -> None:
    responses.get(f"{BASE}/api/x", status=502, body="Bad gateway from the proxy")
    with pytest.raises(ProblemError) as caught:
        ApiClient(BASE).get("/api/x")
    assert (caught.value.status, caught.value.detail) == (502, "Bad gateway from the proxy")


@responses.activate
def test_json_text_and_empty_answers() -> None:
    responses.get(f"{BASE}/json", json={"a": 1})
    responses.delete(f"{BASE}/text", body="ok", content_type="text/plain")
    responses.post(f"{BASE}/empty", status=204)
    client = ApiClient(BASE)
    assert client.get("/json") == {"a": 1}
    assert client.delete("/text") == "ok"
    assert client.post("/empty") is None


def test_no_answer_is_unreachable() -> None:
    with pytest.raises(Unreachable, match="schoolkr8 is niet bereikbaar: ConnectionError"):
        ApiClient("http://127.0.0.1:9", service="schoolkr8", timeout=2).get("/api/x")


@responses.activate
def test_a_page_shows_the_problem_alone_and_passes_the_correlation_id(core: Core) -> None:
    responses.post(
        f"{BASE}/api/koppelingen/3/activeren",
        status=409,
        json={"title": "Conflict", "detail": "al actief", "field": "status"},
    )
    with Flask(__name__).test_request_context():
        g.correlation_id = "klik-42"
        with pytest.raises(ProblemError) as caught:
            Api(core, "schoolkr8").post("/api/koppelingen/3/activeren")
    assert str(caught.value) == "409 Conflict: al actief"
    assert responses.calls[0].request.headers[CORRELATION_HEADER] == "klik-42"


def test_a_page_without_the_partners_url_says_it_is_unreachable(core: Core) -> None:
    with pytest.raises(Unreachable) as caught:
        Api(core, "klantenservice").get("/api/aanvragen")
    assert str(caught.value).startswith("klantenservice is niet bereikbaar: no URL configured")
