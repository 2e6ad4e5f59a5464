"""The whole manual, clicked through in real Chromium, with a screenshot of every step.

From Beheer › Koppelen met LAS to a normed result on the Schoolkr8 pupil page; and the rule of
step 4 on the screens: a test normed before the koppeling was activated never shows in Schoolkr8.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from koppeling.harness.process import Harness
from tests.browser import flows
from tests.browser.support import DemoSchoolHandle, Shots, reload_until

pytestmark = pytest.mark.browser


def test_whole_manual_by_clicking(
    page: Page, live: Harness, school: DemoSchoolHandle, shots: Shots
) -> None:
    """LAS settings → import → key at Schoolkr8 → mailbox → AANVRAGEN → approval mail →
    leerlingnummers into Schoolkr8 → norm a test → the result on the Schoolkr8 pupil page."""
    flows.login_testcentrum(page, live, school)
    shots(page, "koppelen-met-las")
    flows.save_and_import_las(page, school)
    shots(page, "las-actief")

    flows.request_key_at_schoolkr8(page, live, school)
    shots(page, "schoolkr8-koppeling-geactiveerd")
    key = flows.read_key_from_mail(page, live, school)
    shots(page, "mail-met-autorisatiesleutel")

    flows.aanvragen(page, live, school, key)
    shots(page, "aangevraagd")
    reload_until(page, "U heeft een actieve koppeling met Schoolkr8")
    shots(page, "dashboard-actief")
    flows.open_mail(page, live, school, "goedgekeurd")
    expect(page.locator("dd.van")).to_contain_text("klantenservice@boomtestonderwijs.nl")
    shots(page, "bevestiging-klantenservice")

    nummers = flows.leerlingnummers(page, live, school)
    assert set(nummers) == {p["leerlingnummer"] for p in school.leerlingen}
    shots(page, "leerlingenoverzicht")
    for nummer in nummers:
        flows.copy_number_into_schoolkr8(page, live, school, nummer)
    shots(page, "leerlingnummer-overgenomen")
    page.get_by_role("link", name="Alle leerlingen").click()
    n = len(nummers)
    expect(page.locator("#gekoppeld")).to_have_text(f"{n} van {n}")
    expect(page.locator("#koppeling-status")).to_contain_text("definitief")
    shots(page, "koppeling-definitief")

    nummer = sorted(nummers)[0]
    flows.score_en_normeer(page, live, school, nummer, "LVS RW 2019", 42)
    row = page.locator(f"tr[data-leerlingnummer='{nummer}']")
    score = row.locator("td").nth(5).inner_text().strip()
    reload_until(page, "verzonden")
    expect(row.locator("span.doorsturing")).to_have_text("verzonden")
    shots(page, "genormeerd-en-verzonden")

    flows.open_scores(page, live, school, nummer)
    results = page.locator("tr.resultaat")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("LVS RW 2019")
    expect(results.first.locator("td.vaardigheidsscore")).to_have_text(score)
    expect(page.locator("svg.grafiek circle.punt")).to_have_count(1)
    shots(page, "resultaat-in-schoolkr8")


def test_test_normed_before_activation_never_shows(
    page: Page, live: Harness, school: DemoSchoolHandle, shots: Shots
) -> None:
    """Not retroactive: normed before activation → never in Schoolkr8, not even after re-norming;
    a test normed after activation for the same pupil does arrive (so we waited long enough)."""
    flows.las_koppeling_via_api(live, school)
    key = flows.schoolkr8_key_via_api(live, school)
    nummer = sorted(p["leerlingnummer"] for p in school.leerlingen)[0]
    flows.copy_number_into_schoolkr8(page, live, school, nummer)

    flows.score_en_normeer(page, live, school, nummer, "PI-dictee", 70)
    early = page.locator(f"tr[data-leerlingnummer='{nummer}']").first
    expect(early.locator("span.doorsturing")).to_have_text("niet van toepassing")
    shots(page, "genormeerd-voor-activering")

    flows.aanvragen(page, live, school, key)
    reload_until(page, "U heeft een actieve koppeling met Schoolkr8")
    shots(page, "dashboard-actief")

    page.goto(
        f"{live.url('testcentrum')}/scholen/{school.brincode}/{school.dependancecode}"
        "/leerlingen?tab=genormeerd"
    )
    page.locator("tr", has_text="PI-dictee").get_by_role("button", name="Opnieuw normeren").click()
    expect(page.locator(".melding")).to_have_text("De test is genormeerd.")
    flows.score_en_normeer(page, live, school, nummer, "TTA", 120)
    reload_until(page, "verzonden")
    shots(page, "na-activering-genormeerd")
    expect(page.locator("tr", has_text="PI-dictee").locator("span.doorsturing")).to_have_text(
        "niet van toepassing"
    )

    flows.open_scores(page, live, school, nummer)
    expect(page.locator("tr.resultaat")).to_have_count(1)
    expect(page.locator("tr.resultaat").first).to_contain_text("TTA")
    expect(page.locator("table.resultaten")).not_to_contain_text("PI-dictee")
    shots(page, "alleen-na-activering-in-schoolkr8")
    page.get_by_role("link", name="Niet-gekoppelde resultaten").click()
    expect(page.locator("table.niet-gekoppeld")).not_to_contain_text("PI-dictee")
