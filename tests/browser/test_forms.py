"""Bad form input: the error stands next to the field it is about, and what was typed stays.

Also the klantenservice queue (manual mode: reject needs a reason, approve sends the mail) and
the harness home (services, clock form, journal timeline).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from koppeling.harness.process import Harness
from tests.browser import flows
from tests.browser.support import DemoSchoolHandle, Shots, reload_until

pytestmark = pytest.mark.browser


def field_error(page: Page, field_id: str) -> Locator:
    """The error message inside the same form row as the field (i.e. next to it)."""
    return page.locator(f".veld:has(#{field_id}) > .fout")


def expect_error_next_to(page: Page, field_id: str, text: str, typed: str) -> None:
    expect(field_error(page, field_id)).to_contain_text(text)
    expect(page.locator(f"#{field_id}")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#{field_id}")).to_have_value(typed)


def test_bad_input_shows_error_next_to_field_and_keeps_typing(
    page: Page, live: Harness, school: DemoSchoolHandle, shots: Shots
) -> None:
    """LAS form, dashboard form, Score invoeren and Wijzig leerlingnummer, each with bad input."""
    flows.login_testcentrum(page, live, school)
    las = page.locator("#las-sectie")
    las.get_by_label("BRIN-nummer").fill("9X")
    las.get_by_label("Autorisatiesleutel").fill("pns_wat-ik-typte")
    las.get_by_role("button", name="WIJZIGINGEN OPSLAAN").click()
    expect_error_next_to(page, "brincode", "2 cijfers en 2 hoofdletters", "9X")
    expect(page.locator("#autorisatiesleutel")).to_have_value("pns_wat-ik-typte")
    expect(page.locator(".fout")).to_have_count(1)
    shots(page, "brin-fout")

    las.get_by_label("BRIN-nummer").fill(school.brincode)
    las.get_by_label("Autorisatiesleutel").fill("pns_verkeerdesleutel")
    las.get_by_role("button", name="GEGEVENS IMPORTEREN").click()
    expect_error_next_to(
        page, "autorisatiesleutel", "Client.AutorisatieOngeldig", "pns_verkeerdesleutel"
    )
    shots(page, "las-weigert-sleutel")

    dash = page.locator("#dashboard-sectie")
    dash.get_by_label("Autorisatiesleutel").fill("sk8_getypt")
    dash.get_by_label("E-mailadres beheerder").fill("geen-adres")
    dash.get_by_role("button", name="AANVRAGEN", exact=True).click()
    expect_error_next_to(page, "beheerder_email", "niet de juiste vorm", "geen-adres")
    expect(page.locator("#dashboard_sleutel")).to_have_value("sk8_getypt")
    shots(page, "email-fout")

    flows.las_koppeling_via_api(live, school)
    nummer = school.leerlingen[0]["leerlingnummer"]
    page.goto(
        f"{live.url('testcentrum')}/scholen/{school.brincode}/{school.dependancecode}"
        f"/leerlingen/{nummer}/score"
    )
    page.get_by_label("Test").select_option("TTA")
    page.get_by_label("Ruwe score").fill("veel")
    page.get_by_role("button", name="Opslaan", exact=True).click()
    expect_error_next_to(page, "ruwe_score", "geheel getal", "veel")
    expect(page.locator("#toets")).to_have_value("TTA")
    shots(page, "score-fout")

    page.goto(
        f"{live.url('schoolkr8')}/scholen/{school.brincode}/{school.dependancecode}/leerlingen"
    )
    page.get_by_role("link", name=school.schoolkr8_naam(nummer), exact=True).click()
    page.get_by_role("link", name="wijzigen leerlingnummer").click()
    page.get_by_label("Leerlingnummer").fill("12 34")
    page.get_by_role("button", name="Opslaan").click()
    expect_error_next_to(page, "leerlingnummer", "spaties", "12 34")
    shots(page, "leerlingnummer-fout")


def test_klantenservice_queue_reject_needs_reason_then_approve(
    page: Page, live: Harness, school: DemoSchoolHandle, shots: Shots
) -> None:
    """Manual mode: the aanvraag waits in the queue; GOEDKEUREN sends the confirmation."""
    ks = live.url("klantenservice")
    page.goto(ks + "/")
    page.get_by_label("BRIN-nummer").fill(school.brincode)
    page.get_by_label("Vestigingsnummer").fill(school.dependancecode)
    page.get_by_label("Behandeling", exact=True).select_option("handmatig")
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator(".melding")).to_contain_text("handmatig")

    flows.las_koppeling_via_api(live, school)
    key = flows.schoolkr8_key_via_api(live, school)
    flows.aanvragen(page, live, school, key)
    expect(page.locator("#dashboard-status")).to_contain_text("wacht op goedkeuring")

    page.goto(ks + "/")
    card = page.locator(f"article[data-school='{school.key}']")
    expect(card).to_contain_text("In behandeling")
    expect(card.locator("td.controle")).to_have_text(
        [
            "Type dashboard",
            "Autorisatiesleutel (bij Schoolkr8)",
            "Koppeling met het LAS (in het testcentrum)",
        ]
    )
    card.get_by_role("button", name="Afwijzen").click()
    card = page.locator(f"article[data-school='{school.key}']")
    expect(card.locator(".veld > .fout")).to_have_text("Reden is verplicht.")
    shots(page, "reden-verplicht")
    card.get_by_role("button", name="Goedkeuren").click()
    expect(page.locator(".melding")).to_contain_text("goedgekeurd")
    expect(page.locator(f"article[data-school='{school.key}']")).to_contain_text("Goedgekeurd")
    shots(page, "goedgekeurd")

    flows.open_mail(page, live, school, "goedgekeurd")
    expect(page.locator("iframe.mail-html")).to_have_attribute("sandbox", "")
    shots(page, "bevestiging")
    page.goto(
        f"{live.url('testcentrum')}/scholen/{school.brincode}/{school.dependancecode}"
        "/beheer/koppelen-met-las"
    )
    reload_until(page, "U heeft een actieve koppeling met Schoolkr8")


def test_harness_home_links_clock_and_journal(
    page: Page, live: Harness, school: DemoSchoolHandle, shots: Shots
) -> None:
    """/__admin/ on any port: every service linked, the clock form checks input, the journal."""
    page.goto(live.url("schoolkr8") + "/__admin/")
    for name in ("testcentrum", "schoolkr8", "klantenservice", "mailbox"):
        expect(page.locator(f"a[data-dienst='{name}']")).to_have_attribute(
            "href", live.url(name) + "/"
        )
    page.get_by_label("Vooruitzetten met").fill("twee")
    page.get_by_role("button", name="Vooruitzetten").click()
    expect_error_next_to(page, "aantal", "Vul een getal in", "twee")
    page.get_by_label("Alleen voor school: BRIN-nummer").fill(school.brincode)
    page.get_by_label("Vestigingsnummer").fill(school.dependancecode)
    page.get_by_label("Vooruitzetten met").fill("3")
    page.get_by_label("Eenheid").select_option("dagen")
    page.get_by_role("button", name="Vooruitzetten").click()
    expect(page.locator(".melding")).to_have_text("Klok bijgewerkt")
    assert live.core is not None
    state = live.core.clock.state(school.brincode, school.dependancecode)
    assert state.own and round((state.now - live.core.clock.now()).total_seconds() / 86400) == 3
    live.core.clock.reset(school.brincode, school.dependancecode)

    page.get_by_label("School (bv. 99AB-00)").fill(school.key)
    page.get_by_role("button", name="Filteren").click()
    expect(page.locator("ol.tijdlijn li").first).to_contain_text(school.key)
    shots(page, "harness-home")
    page.locator("a[data-dienst='mailbox']").click()
    expect(page.get_by_role("heading", name="Berichten")).to_be_visible()
