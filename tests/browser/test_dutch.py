"""Every screen speaks Dutch: the API's English messages are translated where a page shows them,
pages that are not there (or not for that method) answer with a Dutch HTML page while the API
keeps problem+json, and a date or a date-time is written one way on every screen."""

from __future__ import annotations

import re

import pytest
import requests
from playwright.sync_api import Page, expect

from koppeling.harness.process import Harness
from tests.browser import flows
from tests.browser.support import DemoSchoolHandle, Shots

pytestmark = pytest.mark.browser

ENGLISH = re.compile(r"\b(must|got|is less than|not found|entered the URL|no message)\b", re.I)
DATUM = re.compile(r"^\d{1,2}-\d{1,2}-\d{4}$")
TIJD = re.compile(r"^\d{1,2}-\d{1,2}-\d{4} \d{2}:\d{2}$")


def expect_dutch(page: Page) -> None:
    """No English phrase from an API or Flask anywhere on the page."""
    text = page.locator("main").inner_text()
    assert not ENGLISH.search(text), text


def test_api_messages_on_the_screens_are_dutch(
    page: Page, live: Harness, school: DemoSchoolHandle, shots: Shots
) -> None:
    """Score out of range and below zero, an unknown tab, a mail that is not there."""
    flows.las_koppeling_via_api(live, school)
    nummer = school.leerlingen[0]["leerlingnummer"]
    page.goto(flows.testcentrum_url(live, school, f"/leerlingen/{nummer}/score"))
    page.get_by_label("Test").select_option("TTA")
    page.get_by_label("Ruwe score").fill("999")
    page.get_by_role("button", name="Opslaan", exact=True).click()
    fout = page.locator(".veld:has(#ruwe_score) > .fout")
    expect(fout).to_have_text("De ruwe score voor TTA ligt tussen 0 en 200; 999 kan niet.")
    expect(page.locator("#ruwe_score")).to_have_value("999")
    page.get_by_label("Ruwe score").fill("-5")
    page.get_by_role("button", name="Opslaan", exact=True).click()
    expect(fout).to_have_text("De ruwe score is minimaal 0; -5 kan niet.")
    expect_dutch(page)
    shots(page, "score-buiten-bereik")

    page.goto(flows.testcentrum_url(live, school, "/leerlingen?tab=onzin"))
    expect(page.locator(".fout.algemeen")).to_contain_text("Het tabblad 'onzin' bestaat niet")
    expect(page.locator("nav.tabs a")).to_have_count(3)
    expect_dutch(page)

    page.goto(live.url("mailbox") + "/berichten/bestaat-niet")
    expect(page.locator(".fout.algemeen")).to_have_text("Er is geen bericht met ID 'bestaat-niet'.")
    expect_dutch(page)


def test_missing_pages_are_dutch_html_and_the_api_keeps_problem_json(
    page: Page, live: Harness, school: DemoSchoolHandle, shots: Shots
) -> None:
    """404 and 405 on page URLs of every partner with screens; the JSON API is unchanged."""
    tc = live.url("testcentrum")
    for url in (
        tc + "/onzin",
        flows.testcentrum_url(live, school, "/onzin"),
        flows.testcentrum_url(live, school, "/leerlingen/0000000000/score"),
        live.url("schoolkr8") + "/scholen/99AB/00/leerlingen/999999",
        live.url("klantenservice") + "/onzin",
        live.url("mailbox") + "/onzin",
    ):
        answer = page.goto(url)
        assert answer is not None and answer.status == 404, url
        expect(page.get_by_role("heading", name="Niet gevonden")).to_be_visible()
        expect_dutch(page)
    shots(page, "niet-gevonden")

    answer = page.goto(flows.testcentrum_url(live, school, "/beheer/las"))
    assert answer is not None and answer.status == 405
    assert "POST" in (answer.headers.get("allow") or "")
    expect(page.get_by_role("heading", name="Niet toegestaan")).to_be_visible()
    shots(page, "niet-toegestaan")

    api = requests.get(tc + "/api/onzin", timeout=10)
    assert api.status_code == 404
    assert api.headers["Content-Type"].startswith("application/problem+json")


def test_dates_and_times_are_written_one_way_on_every_screen(
    page: Page, live: Harness, school: DemoSchoolHandle, shots: Shots
) -> None:
    """Dates d-m-jjjj, date-times d-m-jjjj uu:mm, on the testcentrum, Schoolkr8, klantenservice
    and the mailbox alike."""
    flows.dashboard_actief_via_api(live, school)
    nummer = school.leerlingen[0]["leerlingnummer"]
    flows.score_en_normeer(page, live, school, nummer, "TTA", 120)
    met_tijden = [
        flows.testcentrum_url(live, school, "/leerlingen?tab=genormeerd"),
        flows.testcentrum_url(live, school, "/beheer/koppelen-met-las"),
        flows.schoolkr8_url(live, school, "/koppeling"),
        live.url("klantenservice") + "/",
        live.url("mailbox") + f"/?aan={school.beheerder_email}",
    ]
    for url in met_tijden:
        page.goto(url)
        tijden = page.locator("main time").all_inner_texts()
        assert tijden and all(TIJD.match(t) for t in tijden), (url, tijden)
    for url, cellen in (
        (met_tijden[0], "table.afnames tbody td:nth-child(4)"),
        (
            flows.schoolkr8_url(live, school, "/leerlingen"),
            "table.leerlingen tbody td:nth-child(2)",
        ),
    ):
        page.goto(url)
        datums = page.locator(cellen).all_inner_texts()
        assert datums and all(DATUM.match(d) for d in datums), (url, datums)
    shots(page, "datums")
