"""Screens beyond the main flow: the Leerlingenoverzicht's search and tabs, and a hostile e-mail
shown safely (its HTML runs in a sandboxed frame: no script executes)."""

from __future__ import annotations

import re
from urllib.parse import quote_plus

import pytest
from playwright.sync_api import Dialog, Page, expect

from koppeling.harness.mail import Mail
from koppeling.harness.process import Harness
from tests.browser import flows
from tests.browser.support import DemoSchoolHandle, Shots

pytestmark = pytest.mark.browser


def test_leerlingenoverzicht_search_tabs_score_then_norm(
    page: Page, live: Harness, school: DemoSchoolHandle, shots: Shots
) -> None:
    """Search by part of a number or a name; Score invoeren puts the pupil under Gescoord,
    Normeren moves it to Genormeerd."""
    flows.las_koppeling_via_api(live, school)
    nummers = flows.leerlingnummers(page, live, school)
    nummer, naam = sorted(nummers.items())[0]
    tabs = page.locator("nav.tabs")
    expect(tabs).to_contain_text(f"Mijn leerlingen ({len(nummers)})")
    expect(tabs).to_contain_text("Gescoord (0)")

    page.get_by_label("Zoeken").fill(nummer[:6])
    page.get_by_role("button", name="Zoeken").click()
    rows = page.locator("table.leerlingen tbody tr[data-leerlingnummer]")
    expect(rows.first.locator("td.leerlingnummer")).to_have_text(nummer)
    assert all(
        n.startswith(nummer[:6])
        for n in rows.evaluate_all("rs => rs.map(r => r.dataset.leerlingnummer)")
    )
    page.get_by_label("Zoeken").fill(naam.split(",")[0].lower())
    page.get_by_role("button", name="Zoeken").click()
    expect(rows.first.locator("td.naam")).to_contain_text(naam.split(",")[0])
    shots(page, "zoeken")

    page.get_by_label("Zoeken").fill("")
    page.get_by_role("button", name="Zoeken").click()
    page.locator(f"tr[data-leerlingnummer='{nummer}']").get_by_role(
        "link", name="Score invoeren"
    ).click()
    page.get_by_label("Test").select_option("LVS BL")
    page.get_by_label("Ruwe score").fill("30")
    page.get_by_role("button", name="Opslaan", exact=True).click()
    expect(page.locator(".melding")).to_have_text("Score opgeslagen.")
    expect(page.locator("nav.tabs a[aria-current]")).to_have_text("Gescoord (1)")
    shots(page, "gescoord")
    page.locator(f"tr[data-leerlingnummer='{nummer}']").get_by_role(
        "button", name="Normeren"
    ).click()
    expect(page.locator("nav.tabs a[aria-current]")).to_have_text("Genormeerd (1)")
    expect(page.locator("nav.tabs")).to_contain_text("Gescoord (0)")
    row = page.locator(f"tr[data-leerlingnummer='{nummer}']")
    expect(row).to_contain_text("LVS BL")
    expect(row.locator("span.doorsturing")).to_have_text("niet van toepassing")
    shots(page, "genormeerd")


def test_mail_html_is_shown_sandboxed_without_running_scripts(
    page: Page, live: Harness, school: DemoSchoolHandle, shots: Shots
) -> None:
    """Script tags and event handlers in a mail do nothing; the text part is shown as text."""
    assert live.core is not None
    live.core.send_mail(
        "mailbox",
        Mail(
            sender="onbekend@example.test",
            to=[school.beheerder_email],
            subject="Verdacht bericht",
            text="<b>geen opmaak</b> in de tekst",
            html="<h1>Hallo</h1><script>parent.document.title='gehackt';alert(1)</script>"
            '<img src=x onerror="alert(2)">',
        ),
        school=school.key,
    )
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    flows.open_mail(page, live, school, "Verdacht bericht")
    frame = page.frame_locator("iframe.mail-html")
    expect(frame.locator("h1")).to_have_text("Hallo")
    page.wait_for_timeout(300)
    assert dialogs == []
    assert "gehackt" not in page.title()
    shots(page, "html-sandbox")
    page.get_by_role("navigation", name="Weergave").get_by_role("link", name="Tekst").click()
    expect(page.locator("pre.mail-tekst")).to_have_text("<b>geen opmaak</b> in de tekst")


def test_leerlingenoverzicht_filters_and_scores_for_selected_pupils(
    page: Page, live: Harness, school: DemoSchoolHandle, shots: Shots
) -> None:
    """GROEP keeps offering every group, JAARGROEP and TEST filter; the whole search hint shows;
    SCORES INVOEREN for the ticked pupils puts a bad score next to that pupil, then saves all."""
    flows.las_koppeling_via_api(live, school)
    flows.leerlingnummers(page, live, school)
    past = page.eval_on_selector(
        "#q",
        """el => { const c = document.createElement('canvas').getContext('2d');
                   const s = getComputedStyle(el); c.font = s.font;
                   const room = el.clientWidth - parseFloat(s.paddingLeft)
                                - parseFloat(s.paddingRight);
                   return c.measureText(el.placeholder).width <= room; }""",
    )
    assert past, "the search placeholder is cut off"
    groepen = page.locator("#groep option")
    aantal = groepen.count()
    page.get_by_label("Groep", exact=True).select_option(index=1)
    gekozen = groepen.nth(1).inner_text()
    waarde = groepen.nth(1).get_attribute("value") or ""
    page.get_by_role("button", name="Zoeken").click()
    rows = page.locator("table.leerlingen tbody tr[data-leerlingnummer]")
    # the filtered page, loaded (reading the rows at once could read them mid-navigation)
    expect(page).to_have_url(re.compile(rf"[?&]groep={re.escape(quote_plus(waarde))}(&|$)"))
    expect(rows.first).to_be_visible()
    assert set(rows.locator("td:nth-child(5)").all_inner_texts()) == {gekozen}
    expect(groepen).to_have_count(aantal)

    page.get_by_label("Groep", exact=True).select_option("")
    jaargroep = str(school.leerlingen[0]["jaargroep"])
    page.get_by_label("Jaargroep").select_option(jaargroep)
    page.get_by_role("button", name="Zoeken").click()
    verwacht = {p["leerlingnummer"] for p in school.leerlingen if str(p["jaargroep"]) == jaargroep}
    expect(rows).to_have_count(len(verwacht))
    assert set(rows.evaluate_all("rs => rs.map(r => r.dataset.leerlingnummer)")) == verwacht
    shots(page, "filter-jaargroep")

    page.get_by_label("Jaargroep").select_option("")
    page.get_by_role("button", name="Zoeken").click()
    expect(page.get_by_role("button", name="Uitnodigen")).to_be_disabled()
    nummers = sorted(p["leerlingnummer"] for p in school.leerlingen)[:2]
    for nummer in nummers:
        page.locator(f"tr[data-leerlingnummer='{nummer}'] input[type=checkbox]").check()
    page.get_by_role("button", name="Scores invoeren").click()
    expect(page.get_by_role("heading", name="Scores invoeren voor 2 leerlingen")).to_be_visible()
    page.get_by_label("Test").select_option("TTA")
    page.locator(f"#score-{nummers[0]}").fill("999")
    page.locator(f"#score-{nummers[1]}").fill("100")
    page.get_by_role("button", name="Opslaan en normeren").click()
    expect(page.locator(f".veld:has(#score-{nummers[0]}) > .fout")).to_contain_text(
        "ligt tussen 0 en 200"
    )
    expect(page.locator(f"#score-{nummers[1]}")).to_have_value("100")
    shots(page, "bulk-fout")
    page.locator(f"#score-{nummers[0]}").fill("50")
    page.get_by_role("button", name="Opslaan en normeren").click()
    expect(page.locator(".melding")).to_have_text("2 scores opgeslagen en genormeerd.")
    expect(page.locator("nav.tabs a[aria-current]")).to_have_text("Genormeerd (2)")

    page.get_by_role("link", name="Mijn leerlingen").click()
    page.get_by_label("Test").select_option("TTA")
    page.get_by_role("button", name="Zoeken").click()
    expect(rows).to_have_count(len(nummers))
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.leerlingnummer)")) == nummers
    shots(page, "filter-test")


def test_schoolkr8_list_lines_up_with_the_testcentrum_and_shows_the_manuals_fields(
    page: Page, live: Harness, school: DemoSchoolHandle, shots: Shots
) -> None:
    """Same names in the same order as the Leerlingenoverzicht (step 3 by hand), the Basis tab's
    fields and separate tabs, and both partners' contact details from the manual."""
    flows.las_koppeling_via_api(live, school)
    flows.leerlingnummers(page, live, school)
    testcentrum = page.locator("table.leerlingen td.naam").all_inner_texts()
    expect(page.get_by_role("heading", name="Hulp nodig?")).to_be_visible()
    hulp = page.locator("section.hulp")
    expect(hulp).to_contain_text("020-524 4514")
    expect(hulp).to_contain_text("klantenservice@boomtestonderwijs.nl")

    page.goto(flows.schoolkr8_url(live, school, "/leerlingen"))
    schoolkr8 = page.locator("table.leerlingen tbody td:first-child").all_inner_texts()
    assert schoolkr8 == testcentrum
    contact = page.get_by_role("link", name="www.schoolkr8.nl/contact").first
    expect(contact).to_have_attribute("href", "https://www.schoolkr8.nl/contact/")
    expect(page.locator("section.hulp")).to_contain_text("050 364 68 81")
    expect(page.locator("section.hulp")).to_contain_text("info@school360.nl")
    shots(page, "schoolkr8-lijst")

    page.get_by_role("link", name=schoolkr8[0], exact=True).click()
    for label in ("Beheersing Nederlands", "Taalverwant", "Handmatig bepalen fase"):
        expect(page.get_by_label(label)).to_be_disabled()
    expect(page.locator("dl.gegevens dt", has_text="Zorgnummer")).to_be_visible()
    tussenruimte = page.eval_on_selector(
        "nav[aria-label='Tabbladen leerling']",
        """nav => { const [a, b] = [...nav.children].filter(
                        e => ['Extra', 'Contact'].includes(e.textContent.trim()));
                    const text = e => { const r = document.createRange();
                                        r.selectNodeContents(e);
                                        return r.getBoundingClientRect(); };
                    return text(b).left - text(a).right; }""",
    )
    assert tussenruimte >= 12, f"inactive tabs run together ({tussenruimte}px apart)"
    shots(page, "schoolkr8-basis")
    page.get_by_role("link", name="Koppeling Boom testcentrum").click()
    expect(page.locator("#aanvragen-kop + p")).to_contain_text("050 364 68 81")
