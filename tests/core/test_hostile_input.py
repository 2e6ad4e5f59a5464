"""Hostile input on every port, over real HTTP: never a 5xx, always problem details naming the
field, and a refused request changes nothing stored (issue items 2, 3 and 6).

The reproductions of the issue are plain tests; a Hypothesis test then throws hostile JSON —
nesting ~1,000 deep, lone surrogates, integers beyond 64 bits, NaN and Infinity, control
characters — at every write operation each service documents in its ``/openapi.json``. It runs on
a harness of its own, so the store it compares before and after is touched by nothing else.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from koppeling.client.admin import HarnessAdmin
from koppeling.harness.journal import Entry
from koppeling.harness.process import Harness
from koppeling.harness.service import JOURNAL_PAGE, JOURNAL_PAGE_MAX
from koppeling.harness.store import metadata

PROBLEM = "application/problem+json"
DEEP = "[" * 1000 + "]" * 1000
HOSTILE_LITERALS = [
    DEEP,
    '"\\ud800"',
    '"\\udfff tail"',
    "99999999999999999999999",
    "-99999999999999999999999",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e400",
]


def send(method: str, url: str, text: str | None = None) -> requests.Response:
    headers = {"Content-Type": "application/json"} if text is not None else {}
    return requests.request(method, url, data=text, headers=headers, timeout=15)


def assert_problem(resp: requests.Response, status: int, field: str | None = None) -> None:
    assert resp.status_code == status, f"{resp.status_code} {resp.text[:300]}"
    assert resp.headers["Content-Type"].startswith(PROBLEM)
    if field is not None:
        assert resp.json()["field"] == field, resp.text


# --- the reproductions ---------------------------------------------------------------------------


@pytest.mark.parametrize("literal", HOSTILE_LITERALS)
def test_hostile_json_in_a_body_field_is_a_400_naming_it(live: Harness, literal: str) -> None:
    body = (
        '{"brincode": "99HO", "dependancecode": "00", "type_dashboard": ' + literal + ", "
        '"autorisatiesleutel": "sk8_x", "beheerder_email": "b@99ho.test"}'
    )
    resp = send("POST", f"{live.url('klantenservice')}/api/aanvragen", body)
    assert resp.status_code == 400, resp.text[:300]
    assert resp.headers["Content-Type"].startswith(PROBLEM)
    # too deep to parse at all names the body; anything else names the field
    assert resp.json()["field"] == ("body" if literal == DEEP else "type_dashboard")


def test_a_huge_value_is_not_echoed_in_the_problem(live: Harness) -> None:
    body = {
        "brincode": "99HO",
        "dependancecode": "00",
        "type_dashboard": "S" * 100_000,
        "autorisatiesleutel": "sk8_x",
        "beheerder_email": "b@99ho.test",
    }
    resp = send("POST", f"{live.url('klantenservice')}/api/aanvragen", json.dumps(body))
    assert_problem(resp, 422, "type_dashboard")
    assert len(resp.content) < 2000


def test_deep_nesting_is_a_4xx_on_every_write_endpoint(live: Harness) -> None:
    for service, method, url in write_operations(live):
        resp = send(method, url, '{"x": ' + DEEP + "}")
        assert 400 <= resp.status_code < 500, f"{service} {method} {url}: {resp.status_code}"
        assert resp.headers["Content-Type"].startswith(PROBLEM), f"{service} {method} {url}"


def test_ids_beyond_64_bits_are_not_found(live: Harness) -> None:
    sk8 = live.url("schoolkr8")
    resp = send("GET", f"{sk8}/api/leerlingen/99999999999999999999999/resultaten")
    assert_problem(resp, 404)
    resp = send("GET", f"{sk8}/__admin/requests?since_id=99999999999999999999999")
    assert_problem(resp, 422, "since_id")


def test_fault_times_beyond_64_bits_is_a_400(live: Harness) -> None:
    url = f"{live.url('schoolkr8')}/__admin/faults"
    body = '{"path": "/api/*", "fault": "http_503", "times": 99999999999999999999999}'
    assert_problem(send("POST", url, body), 400, "times")
    assert send("GET", url).json()["faults"] == []


@pytest.mark.parametrize("seconds", ["NaN", "Infinity", "-Infinity", "1e20", "-1e20"])
def test_advance_seconds_not_finite_or_too_far_is_refused(live: Harness, seconds: str) -> None:
    url = f"{live.url('klantenservice')}/__admin/clock"
    send("POST", url, json.dumps({"now": "2027-01-04T09:00:00Z"}))
    resp = send("POST", url, '{"advance_seconds": ' + seconds + "}")
    assert 400 <= resp.status_code < 500 and resp.json()["field"] == "advance_seconds"
    assert send("GET", url).json()["now"] == "2027-01-04T09:00:00+00:00"
    send("POST", url, '{"reset": true}')


@pytest.mark.parametrize(
    "now", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-01:00"]
)
def test_a_clock_outside_the_sane_range_is_refused_and_not_saved(live: Harness, now: str) -> None:
    admin = f"{live.url('testcentrum')}/__admin/clock"
    assert_problem(send("POST", admin, json.dumps({"now": now})), 422, "now")
    for service in live.servers:
        if service == "mailbox-smtp":
            continue
        base = live.url(service)
        assert send("GET", f"{base}/__admin/clock").status_code == 200, service
        assert send("GET", f"{base}/__admin/").status_code == 200, service


def test_the_journal_answer_is_bounded_and_pages_by_since_id(live: Harness) -> None:
    core = live.core
    assert core is not None
    at = datetime(2027, 1, 4, tzinfo=UTC)
    for i in range(JOURNAL_PAGE + 20):
        core.journal.record(Entry(service="schoolkr8", kind="http", at=at, summary=f"n{i}"))
    base = f"{live.url('schoolkr8')}/__admin/requests"
    newest = send("GET", f"{base}?all=1").json()
    assert len(newest["requests"]) == JOURNAL_PAGE and newest["truncated"] is True
    assert newest["requests"][-1]["summary"] == f"n{JOURNAL_PAGE + 19}"
    assert_problem(send("GET", f"{base}?limit={JOURNAL_PAGE_MAX + 1}"), 422, "limit")
    first = send("GET", f"{base}?since_id=0&limit=7").json()
    assert [e["summary"] for e in first["requests"]] == [f"n{i}" for i in range(7)]
    assert first["next_since_id"] == first["requests"][-1]["id"]
    every = HarnessAdmin(live.url("schoolkr8")).journal()
    assert [e["summary"] for e in every] == [f"n{i}" for i in range(JOURNAL_PAGE + 20)]


# --- the hostile-JSON fuzz -----------------------------------------------------------------------


def write_operations(harness: Harness) -> list[tuple[str, str, str]]:
    """(service, method, url) of every documented operation that takes a JSON body."""
    found = []
    for service in harness.servers:
        resp = requests.get(f"{harness.url(service)}/openapi.json", timeout=10)
        if resp.status_code != 200:
            continue
        for path, operations in resp.json()["paths"].items():
            for method, operation in operations.items():
                if "requestBody" in operation:
                    url = harness.url(service) + fill(path, operation.get("parameters", []))
                    found.append((service, method.upper(), url))
    return found


def fill(path: str, parameters: list[dict[str, Any]]) -> str:
    """``path`` with a plausible value for every parameter (a test school, id 1)."""
    values = {"brincode": "99HZ", "dependancecode": "00"}
    for p in parameters:
        if p["in"] == "path":
            value = values.get(p["name"], "1" if p["schema"].get("type") == "integer" else "x1")
            path = path.replace("{" + p["name"] + "}", value)
    return path


@pytest.fixture(scope="module")
def private() -> Iterator[Harness]:
    """A harness of its own: nothing but this test writes to its store."""
    with Harness() as running:
        yield running


def snapshot(harness: Harness) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the journal (which records the refusal itself) and the
    leases (the background workers renew theirs while the test runs)."""
    assert harness.core is not None
    with harness.core.db.read() as conn:
        return {
            t.name: sorted(map(tuple, conn.execute(select(t))), key=repr)
            for t in metadata.sorted_tables
            if t.name not in ("journal", "leases")
        }


REFUSED = st.sampled_from(HOSTILE_LITERALS)
CONTROL = st.text(st.characters(codec="utf-8", categories=["Cc"]), min_size=1, max_size=4)
CONTROL_TEXT = st.builds("{}{}{}".format, st.text(max_size=5), CONTROL, st.text(max_size=5))


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,  # the same examples every run: a gate, not a slot machine
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_hostile_json_never_a_5xx_and_a_refusal_changes_nothing(
    private: Harness, data: st.DataObject
) -> None:
    service, method, url = data.draw(st.sampled_from(write_operations_of(private)))
    field = data.draw(
        st.sampled_from(["brincode", "type_dashboard", "leerlingnummer", "times", "naam", "x"])
    )
    literal = data.draw(st.one_of(REFUSED, CONTROL_TEXT.map(json.dumps)))
    refused_by_json_rules = literal in HOSTILE_LITERALS
    before = snapshot(private) if refused_by_json_rules else None
    resp = send(method, url, body_with(field, literal))
    assert resp.status_code < 500, f"{service} {method} {url}: {resp.text[:300]}"
    if resp.status_code >= 400:
        assert resp.headers["Content-Type"].startswith(PROBLEM), resp.text[:300]
        assert "title" in resp.json() and "status" in resp.json()
    if refused_by_json_rules:
        assert 400 <= resp.status_code < 500, f"{service} {method} {url} took {literal[:20]}"
        assert snapshot(private) == before
    assert private.core is not None and private.core.errors == []


def body_with(field: str, literal: str) -> str:
    """A JSON object holding ``literal`` (raw JSON text) at ``field``, in a test school."""
    school = "" if field == "brincode" else ', "brincode": "99HZ"'
    return '{"' + field + '": ' + literal + school + "}"


_OPERATIONS: dict[int, list[tuple[str, str, str]]] = {}


def write_operations_of(harness: Harness) -> list[tuple[str, str, str]]:
    """:func:`write_operations`, read once per harness."""
    key = id(harness)
    if key not in _OPERATIONS:
        _OPERATIONS[key] = write_operations(harness)
    return _OPERATIONS[key]
