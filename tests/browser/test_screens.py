"""Screens beyond the main flow: the Leerlingenoverzicht's search and tabs, and a hostile e-mail
shown safely (its HTML runs in a sandboxed frame: no script executes)."""

from __future__ import annotations

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
