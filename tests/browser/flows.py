"""The manual's steps as browser actions (by clicking), shared by the browser tests.

Each function does one step of the manual on the screens, the way a beheerder would, and leaves
the page where the next step starts. Setup that the manual takes as given (the school exists in
the LAS, Schoolkr8 knows the pupils) is done over the REST APIs in conftest.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from koppeling.client.flows import connect_las, schoolkr8_sleutel
from koppeling.harness.process import Harness
from tests.browser.support import DemoSchoolHandle, clients, reload_until, wait_until

TIMEOUT = 15


def login_testcentrum(page: Page, live: Harness, school: DemoSchoolHandle) -> None:
    """Log in with the school account, then [Beheer] › [Koppelen met LAS]."""
    page.goto(live.url("testcentrum") + "/")
    page.get_by_label("BRIN-nummer").fill(school.brincode)
    page.get_by_label("Vestigingsnummer").fill(school.dependancecode)
    page.get_by_role("button", name="Inloggen").click()
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Beheer").click()
    page.get_by_role("link", name="Koppelen met LAS").click()
    expect(page.get_by_role("heading", name="Koppelen met ESIS of ParnasSys")).to_be_visible()


def save_and_import_las(page: Page, school: DemoSchoolHandle) -> None:
    """WIJZIGINGEN OPSLAAN with the LAS key, then GEGEVENS IMPORTEREN."""
    las = page.locator("#las-sectie")
    las.get_by_label("LAS", exact=False).first.select_option("parnassys")
    expect(las.get_by_label("BRIN-nummer")).to_have_value(school.brincode)
    las.get_by_label("Autorisatiesleutel").fill(school.las_sleutel)
    las.get_by_role("button", name="WIJZIGINGEN OPSLAAN").click()
    expect(page.locator(".melding")).to_contain_text("opgeslagen")
    page.locator("#las-sectie").get_by_role("button", name="GEGEVENS IMPORTEREN").click()
    expect(page.locator(".melding")).to_contain_text("Gegevens geïmporteerd")
    expect(page.locator("#las-status")).to_have_text("U heeft een actieve koppeling met ParnasSys")


def request_key_at_schoolkr8(page: Page, live: Harness, school: DemoSchoolHandle) -> None:
    """Schoolkr8: open the school, ask for the koppeling, and (as Schoolkr8) activate it."""
    page.goto(live.url("schoolkr8") + "/")
    page.get_by_label("BRIN-nummer").fill(school.brincode)
    page.get_by_label("Vestigingsnummer").fill(school.dependancecode)
    page.get_by_role("button", name="Openen").click()
    page.get_by_role("link", name="Koppeling Boom testcentrum").click()
    page.get_by_label("E-mailadres contactpersoon").fill(school.beheerder_email)
    page.get_by_role("button", name="Koppeling aanvragen").click()
    expect(page.locator(".koppeling-status")).to_have_text("aangevraagd")
    page.get_by_role("button", name="Activeren (Schoolkr8)").click()
    expect(page.locator(".melding")).to_contain_text("per e-mail verstuurd")
    expect(page.locator(".koppeling-status")).to_have_text("actief")


def open_mail(page: Page, live: Harness, school: DemoSchoolHandle, subject_part: str) -> None:
    """The beheerder's inbox in the mailbox page; open the message whose subject has the text."""
    page.goto(live.url("mailbox") + "/")
    page.get_by_label("Inbox van").fill(school.beheerder_email)
    page.get_by_role("button", name="Tonen").click()
    reload_until(page, subject_part)
    page.get_by_role("link", name=re.compile(re.escape(subject_part), re.I)).first.click()
    expect(page.locator("dd.aan")).to_contain_text(school.beheerder_email)


def read_key_from_mail(page: Page, live: Harness, school: DemoSchoolHandle) -> str:
    """Open Schoolkr8's mail, switch to the text view and copy the autorisatiesleutel."""
    open_mail(page, live, school, "autorisatiesleutel")
    page.get_by_role("navigation", name="Weergave").get_by_role("link", name="Tekst").click()
    text = page.locator("pre.mail-tekst").inner_text()
    match = re.search(r"\bsk8_[A-Za-z0-9]+", text)
    assert match, f"no Schoolkr8 key in the mail text: {text!r}"
    return match.group(0)


def aanvragen(page: Page, live: Harness, school: DemoSchoolHandle, key: str) -> None:
    """Beheer › Koppelen met LAS › Koppelen met Focus PO of SchoolKr8: AANVRAGEN."""
    page.goto(
        f"{live.url('testcentrum')}/scholen/{school.brincode}/{school.dependancecode}"
        "/beheer/koppelen-met-las"
    )
    dash = page.locator("#dashboard-sectie")
    dash.get_by_label("Type dashboard").select_option("Schoolkr8")
    dash.get_by_label("Autorisatiesleutel").fill(key)
    dash.get_by_label("E-mailadres beheerder").fill(school.beheerder_email)
    dash.get_by_role("button", name="AANVRAGEN", exact=True).click()
    expect(page.locator(".melding")).to_contain_text("aangevraagd")


def leerlingnummers(page: Page, live: Harness, school: DemoSchoolHandle) -> dict[str, str]:
    """The Leerlingenoverzicht: leerlingnummer (first column, before the name) -> name shown."""
    page.goto(f"{live.url('testcentrum')}/scholen/{school.brincode}/{school.dependancecode}/beheer")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Leerlingen").click()
    expect(page.get_by_role("heading", name="Leerlingenoverzicht")).to_be_visible()
    headers = page.locator("table.leerlingen thead th").all_inner_texts()
    assert headers[1:3] == ["Leerlingnummer", "Naam ▲"], headers
    rows = page.locator("table.leerlingen tbody tr[data-leerlingnummer]")
    expect(rows).to_have_count(len(school.leerlingen))
    return {
        r.locator("td.leerlingnummer").inner_text().strip(): r.locator("td.naam").inner_text()
        for r in rows.all()
    }


def copy_number_into_schoolkr8(
    page: Page, live: Harness, school: DemoSchoolHandle, nummer: str
) -> None:
    """Schoolkr8: the pupil's Basis tab, "wijzigen leerlingnummer", paste, Opslaan."""
    page.goto(
        f"{live.url('schoolkr8')}/scholen/{school.brincode}/{school.dependancecode}/leerlingen"
    )
    page.get_by_role("link", name=school.schoolkr8_naam(nummer), exact=True).click()
    page.get_by_role("link", name="wijzigen leerlingnummer").click()
    page.get_by_label("Leerlingnummer").fill(nummer)
    page.get_by_role("button", name="Opslaan").click()
    expect(page.locator(".melding")).to_have_text("Leerlingnummer opgeslagen.")
    expect(page.locator("#leerlingnummer-waarde")).to_have_text(nummer)


def score_en_normeer(
    page: Page, live: Harness, school: DemoSchoolHandle, nummer: str, toets: str, ruwe_score: int
) -> None:
    """Leerlingenoverzicht › Score invoeren › OPSLAAN EN NORMEREN."""
    page.goto(
        f"{live.url('testcentrum')}/scholen/{school.brincode}/{school.dependancecode}/leerlingen"
    )
    page.locator(f"tr[data-leerlingnummer='{nummer}']").get_by_role(
        "link", name="Score invoeren"
    ).click()
    page.get_by_label("Test").select_option(toets)
    page.get_by_label("Ruwe score").fill(str(ruwe_score))
    page.get_by_role("button", name="Opslaan en normeren").click()
    expect(page.locator(".melding")).to_have_text("Score opgeslagen en genormeerd.")
    expect(page.locator("nav.tabs a[aria-current]")).to_contain_text("Genormeerd")


def open_scores(page: Page, live: Harness, school: DemoSchoolHandle, nummer: str) -> None:
    """Schoolkr8: the pupil's Scores tab."""
    page.goto(
        f"{live.url('schoolkr8')}/scholen/{school.brincode}/{school.dependancecode}/leerlingen"
    )
    page.get_by_role("link", name=school.schoolkr8_naam(nummer), exact=True).click()
    page.get_by_role("navigation", name="Tabbladen leerling").get_by_role(
        "link", name="Scores"
    ).click()
    expect(page.get_by_role("heading", name="Scores uit het Boom testcentrum")).to_be_visible()


# --- the prerequisites over the APIs (for tests about one later step) -------------------------


def las_koppeling_via_api(live: Harness, school: DemoSchoolHandle) -> None:
    """WIJZIGINGEN OPSLAAN + GEGEVENS IMPORTEREN without the browser."""
    setup = clients(live)
    schooljaar = str(setup.las("parnassys").school(school.ref)["schooljaar"])
    connect_las(
        setup.testcentrum,
        school.ref,
        las="parnassys",
        schooljaar=schooljaar,
        sleutel=school.las_sleutel,
    )


def schoolkr8_key_via_api(live: Harness, school: DemoSchoolHandle) -> str:
    """Request and activate the koppeling at Schoolkr8; the key read from the mailbox API."""
    setup = clients(live)
    issued = schoolkr8_sleutel(
        setup.schoolkr8, setup.mailbox, school.ref, school.beheerder_email, timeout=TIMEOUT
    )
    return issued.sleutel


def dashboard_actief_via_api(live: Harness, school: DemoSchoolHandle) -> str:
    """The LAS imported, the key from Schoolkr8, AANVRAGEN, approved: the koppeling id at
    Schoolkr8 (for a test about what happens once the koppeling is active)."""
    setup = clients(live)
    las_koppeling_via_api(live, school)
    issued = schoolkr8_sleutel(
        setup.schoolkr8, setup.mailbox, school.ref, school.beheerder_email, timeout=TIMEOUT
    )
    setup.testcentrum.aanvragen(
        school.ref,
        type_dashboard="SchoolKr8",
        autorisatiesleutel=issued.sleutel,
        beheerder_email=school.beheerder_email,
    )
    wait_until(
        lambda: (setup.testcentrum.dashboard_koppeling(school.ref) or {}).get("status") == "actief",
        "the dashboard koppeling to be approved",
    )
    return issued.koppeling_id


def testcentrum_url(live: Harness, school: DemoSchoolHandle, path: str) -> str:
    """A page of the school's account in the testcentrum."""
    return f"{live.url('testcentrum')}/scholen/{school.brincode}/{school.dependancecode}{path}"


def schoolkr8_url(live: Harness, school: DemoSchoolHandle, path: str) -> str:
    """A page of the school in Schoolkr8."""
    return f"{live.url('schoolkr8')}/scholen/{school.brincode}/{school.dependancecode}{path}"
