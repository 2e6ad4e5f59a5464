"""The harness home at /__admin/ as a route (test_client, no sockets): services, clock, journal."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask

from koppeling.harness.journal import Entry
from koppeling.harness.service import Core, create_service_app
from koppeling.harness.store import Database
from koppeling.web import home


@pytest.fixture
def core() -> Iterator[Core]:
    """A core on a throwaway store, with two partner URLs known."""
    db = Database.memory()
    yield Core.create(
        db, urls={"testcentrum": "http://127.0.0.1:9", "mailbox": "http://127.0.0.1:8"}
    )
    db.dispose()


@pytest.fixture
def app(core: Core) -> Flask:
    """A bare service app with the home mounted, as the harness mounts it."""
    service_app = create_service_app("schoolkr8", core)
    home.register(service_app, core, {})
    return service_app


def test_home_links_every_started_service(app: Flask) -> None:
    page = app.test_client().get("/__admin/").get_data(as_text=True)
    assert 'href="http://127.0.0.1:9/"' in page and 'href="http://127.0.0.1:8/"' in page
    assert "niet gestart" in page  # schoolkr8 itself has no URL in this core
    assert "/static/koppeling/koppeling.css" in page


def test_bad_clock_input_shows_error_next_to_field_and_keeps_it(app: Flask, core: Core) -> None:
    before = core.clock.now()
    resp = app.test_client().post(
        "/__admin/klok", data={"actie": "vooruit", "aantal": "veel", "eenheid": "uren"}
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert re.search(r'<input id="aantal" name="aantal" [^>]*type="text"[^>]* value="veel"', page)
    assert 'id="aantal-fout"' in page and "Vul een getal in" in page
    assert abs((core.clock.now() - before).total_seconds()) < 60


def test_clock_form_sets_a_schools_own_clock(app: Flask, core: Core) -> None:
    resp = app.test_client().post(
        "/__admin/klok",
        data={
            "actie": "zetten",
            "moment": "2027-03-01T09:30",
            "bevroren": "ja",
            "brincode": "99ab",
            "dependancecode": "03",
        },
    )
    assert resp.status_code == 303
    state = core.clock.state("99AB", "03")
    assert state.own and state.frozen
    assert state.now == datetime(2027, 3, 1, 8, 30, tzinfo=UTC)  # 09:30 Amsterdam (CET)
    assert not core.clock.state().frozen


def test_journal_timeline_filters_by_school_and_click(app: Flask, core: Core) -> None:
    at = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    core.journal.record(
        Entry(
            "schoolkr8",
            "email",
            at,
            school="99AB-00",
            correlation_id="k1",
            summary="mail to a@b.test: sleutel sk8_abcdefghijklmnop",
        )
    )
    core.journal.record(
        Entry(
            "mailbox",
            "http",
            at,
            school="99CD-00",
            correlation_id="k2",
            summary="GET /api/v1/messages -> 200",
        )
    )
    client = app.test_client()
    by_school = client.get("/__admin/?school=99AB-00").get_data(as_text=True)
    assert "mail to a@b.test" in by_school and "/api/v1/messages" not in by_school
    assert "sk8_abcdefghijklmnop" not in by_school  # masked by the journal
    by_click = client.get("/__admin/?correlatie=k2").get_data(as_text=True)
    assert "/api/v1/messages" in by_click and "mail to a@b.test" not in by_click
