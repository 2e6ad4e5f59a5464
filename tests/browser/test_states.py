"""The screens must not say "all is well" when it is not: an import that brought nothing, a result
that will never be forwarded and why, a koppeling Schoolkr8 revoked, an afname that repeats one
normed before the koppeling was active. Each is clicked through in Chromium."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from koppeling.harness.process import Harness
from tests.browser import flows
from tests.browser.support import DemoSchoolHandle, Shots, clients, reload_until

pytestmark = pytest.mark.browser

NIET_ACTIEF = "genormeerd voordat de dashboard-koppeling actief was"


def test_vorig_schooljaar_import_warns_instead_of_green_success(
    page: Page, live: Harness, school: DemoSchoolHandle, shots: Shots
) -> None:
    """The LAS answers geengegevens for last year's pupils: a warning, no green counts, and the
    status line says nothing was imported."""
    flows.login_testcentrum(page, live, school)
    las = page.locator("#las-sectie")
    vorig = las.locator("#schooljaar option", has_text="Vorig schooljaar").get_attribute("value")
    las.get_by_label("Schooljaar").select_option(vorig)
    las.get_by_label("Autorisatiesleutel").fill(school.las_sleutel)
    las.get_by_role("button", name="WIJZIGINGEN OPSLAAN").click()
    page.locator("#las-sectie").get_by_role("button", name="GEGEVENS IMPORTEREN").click()
    expect(page.locator(".waarschuwing[role=alert]")).to_contain_text("geen gegevens")
    expect(page.locator(".waarschuwing[role=alert]")).to_contain_text("niets geïmporteerd")
    expect(page.locator(".melding")).to_have_count(0)
    expect(page.locator("#las-status")).to_contain_text("geen leerlingen geïmporteerd")
    expect(page.locator("#las-status")).not_to_contain_text("actieve koppeling")
    shots(page, "vorig-schooljaar-geen-gegevens")

    las = page.locator("#las-sectie")
    huidig = las.locator("#schooljaar option", has_text="Huidig schooljaar").get_attribute("value")
    las.get_by_label("Schooljaar").select_option(huidig)
    las.get_by_label("Autorisatiesleutel").fill(school.las_sleutel)
    las.get_by_role("button", name="GEGEVENS IMPORTEREN").click()
    n = len(school.leerlingen)
    expect(page.locator(".melding")).to_contain_text(f"Gegevens geïmporteerd: {n} leerlingen")
    expect(page.locator(".waarschuwing")).to_have_count(0)
    expect(page.locator("#las-status")).to_have_text("U heeft een actieve koppeling met ParnasSys")


def test_repeat_after_activation_is_flagged_and_reasons_are_shown(
    page: Page, live: Harness, school: DemoSchoolHandle, shots: Shots
) -> None:
    """Normed before activation: "niet van toepassing" with its reason, the first norming time
    kept after Opnieuw normeren; the same afname entered again after activation is flagged as a
    repeat (a notice on saving and next to the row) and is the one forwarded."""
    flows.las_koppeling_via_api(live, school)
    key = flows.schoolkr8_key_via_api(live, school)
    nummer = sorted(p["leerlingnummer"] for p in school.leerlingen)[0]
    flows.score_en_normeer(page, live, school, nummer, "PI-dictee", 70)
    expect(page.locator(".waarschuwing")).to_have_count(0)
    first = page.locator("tr", has_text="PI-dictee").first
    eerst = first.locator("td.genormeerd-op time").first.inner_text()

    flows.aanvragen(page, live, school, key)
    reload_until(page, "U heeft een actieve koppeling met Schoolkr8")
    page.goto(flows.testcentrum_url(live, school, "/leerlingen?tab=genormeerd"))
    page.locator("tr", has_text="PI-dictee").get_by_role("button", name="Opnieuw normeren").click()
    old = page.locator("tr", has_text="PI-dictee").first
    expect(old.locator("span.doorsturing")).to_have_text("niet van toepassing")
    expect(old.locator(".reden")).to_contain_text(
        [re.compile("opnieuw genormeerd op"), NIET_ACTIEF]
    )
    expect(old.locator("td.genormeerd-op time").first).to_have_text(eerst)
    shots(page, "reden-en-eerste-normering")

    flows.score_en_normeer(page, live, school, nummer, "PI-dictee", 70)
    expect(page.locator(".waarschuwing")).to_contain_text("vóór de activering van de koppeling")
    rows = page.locator("tr", has_text="PI-dictee")
    expect(rows).to_have_count(2)
    repeat = page.locator("tr.herhaald")
    expect(repeat).to_have_count(1)
    expect(repeat.locator(".herhaling")).to_contain_text("vóór de activering")
    reload_until(page, "verzonden")
    expect(page.locator("tr.herhaald span.doorsturing")).to_have_text("verzonden")
    shots(page, "herhaling-gemarkeerd")


def test_revoked_at_schoolkr8_shows_on_both_sides(
    page: Page, live: Harness, school: DemoSchoolHandle, shots: Shots
) -> None:
    """Intrekken asks for confirmation; afterwards Schoolkr8 no longer says definitief, results
    fail with the reason, and Koppelen met LAS no longer claims an active koppeling."""
    koppeling_id = flows.dashboard_actief_via_api(live, school)
    sk8 = clients(live).schoolkr8
    nummers = {
        (p.get("roepnaam"), p["geboortedatum"]): p["leerlingnummer"] for p in school.leerlingen
    }
    for p in sk8.leerlingen(school.ref):
        sk8.set_leerlingnummer(str(p["id"]), nummers[(p["voornaam"], p["geboortedatum"])])
    page.goto(flows.schoolkr8_url(live, school, "/leerlingen"))
    expect(page.locator("#koppeling-status")).to_contain_text("definitief")

    page.goto(flows.schoolkr8_url(live, school, "/koppeling"))
    page.get_by_role("button", name="Intrekken").click()
    expect(page.get_by_role("heading", name="Koppeling intrekken?")).to_be_visible()
    shots(page, "bevestigen")
    page.get_by_role("link", name="Annuleren").click()
    expect(page.locator(f"[data-koppeling='{koppeling_id}'] .koppeling-status")).to_have_text(
        "actief"
    )
    page.get_by_role("button", name="Intrekken").click()
    page.get_by_role("button", name="Ja, intrekken").click()
    expect(page.locator(".melding")).to_contain_text("ingetrokken")
    expect(page.locator(".koppeling-status").first).to_have_text("ingetrokken")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Leerlingen").click()
    status = page.locator("#koppeling-status")
    expect(status).to_contain_text("ingetrokken")
    expect(status).not_to_contain_text("definitief")
    shots(page, "schoolkr8-ingetrokken")

    nummer = school.leerlingen[0]["leerlingnummer"]
    flows.score_en_normeer(page, live, school, nummer, "TTA", 120)
    reload_until(page, "mislukt")
    row = page.locator(f"tr[data-leerlingnummer='{nummer}']")
    expect(row.locator(".reden")).to_contain_text("AutorisatieOngeldig")
    shots(page, "mislukt-met-reden")
    page.goto(flows.testcentrum_url(live, school, "/beheer/koppelen-met-las"))
    expect(page.locator("#dashboard-status")).to_contain_text("werkt niet")
    expect(page.locator("#dashboard-sectie")).not_to_contain_text("U heeft een actieve koppeling")
    expect(page.locator("#dashboard-probleem")).to_contain_text("ingetrokken")
    shots(page, "testcentrum-koppeling-werkt-niet")
