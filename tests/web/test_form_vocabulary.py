"""Every form on every page speaks the field vocabulary (``contracts/schemas/defs.json``).

The pages of every service are crawled over real HTTP, on a harness of their own holding a school
in every state that shows a form (LAS imported, a dashboard aanvraag waiting in the klantenservice
queue, a koppeling at Schoolkr8). Then:

- every input a user types into carries ``data-veld="<type>"`` and exactly the attributes
  :func:`koppeling.web.fields.html_attrs` derives from that type (a ``maxlength`` may be
  narrower) — so a new form without the rules fails here;
- every such field of every POST form, sent breaking its rule (a control character), gets the
  page back with 422, the field marked ``aria-invalid`` with a message naming it, and no API
  call that writes anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode, urljoin, urlsplit

import lxml.html
import pytest
import requests

from koppeling.client import STAND_IN_KLANT, Clients, SchoolRef
from koppeling.client.flows import connect_las, create_las_school, schoolkr8_sleutel
from koppeling.demo import DemoSchool, seed_schoolkr8_pupils
from koppeling.harness.process import Harness
from koppeling.web.fields import html_attrs

SCHOOL = SchoolRef("99VF", "03")
BEHEERDER = "beheerder.99vf@formulieren.test"
PAGES_PER_SERVICE = 60
TYPED = ("text", "email", "date", "datetime-local", "search", "number", "tel", "url", "password")
NOT_PAGES = ("/api/", "/openapi.json", "/static/", "/__admin/requests", "/__admin/pact")
BREAKING = "12\x0134"  # a control character: no type of the vocabulary lets one in


@dataclass
class Form:
    page: str
    method: str
    action: str
    defaults: list[tuple[str, str]]
    fields: dict[str, dict[str, str]] = field(default_factory=dict)  # name -> attributes


@pytest.fixture(scope="module")
def crawled() -> Iterator[tuple[Harness, list[Form]]]:
    with Harness() as running:
        _school_in_every_state(running)
        yield running, list(_crawl(running))


def _school_in_every_state(running: Harness) -> None:
    assert running.core is not None
    clients = Clients(running.core.urls)
    made = create_las_school(
        clients.las("parnassys"), SCHOOL, STAND_IN_KLANT, aantal_leerlingen=3, seed=14
    )
    connect_las(
        clients.testcentrum,
        SCHOOL,
        las="parnassys",
        schooljaar=str(made.data["schooljaar"]),
        sleutel=made.sleutel,
    )
    demo = DemoSchool(
        SCHOOL.brincode,
        SCHOOL.dependancecode,
        "parnassys",
        made.sleutel,
        BEHEERDER,
        "",
        leerlingen=list(made.data["leerlingen"]),
    )
    seed_schoolkr8_pupils(clients.schoolkr8, demo, made.data)
    clients.klantenservice.put(
        f"/api/scholen/{SCHOOL.brincode}/{SCHOOL.dependancecode}/modus", {"modus": "handmatig"}
    )
    key = schoolkr8_sleutel(clients.schoolkr8, clients.mailbox, SCHOOL, BEHEERDER, timeout=15)
    clients.testcentrum.aanvragen(
        SCHOOL,
        type_dashboard="SchoolKr8",
        autorisatiesleutel=key.sleutel,
        beheerder_email=BEHEERDER,
    )


def _crawl(running: Harness) -> Iterator[Form]:
    school = f"/scholen/{SCHOOL.brincode}/{SCHOOL.dependancecode}"
    starts = {
        "testcentrum": ["/", f"{school}/beheer", f"{school}/leerlingen"],
        "schoolkr8": ["/", f"{school}/leerlingen", f"{school}/koppeling"],
    }
    assert running.core is not None
    for name, base in running.core.urls.items():
        if name not in running.apps:
            continue
        queue = [base + p for p in ["/__admin/", *starts.get(name, ["/"])]]
        seen: set[str] = set()
        while queue and len(seen) < PAGES_PER_SERVICE:
            url = queue.pop(0)
            key = _page_key(url)
            if key in seen:
                continue
            seen.add(key)
            resp = requests.get(url, timeout=15)
            if resp.status_code != 200 or "text/html" not in resp.headers.get("Content-Type", ""):
                continue
            doc = lxml.html.fromstring(resp.text, base_url=url)
            for link in doc.xpath("//a[@href]"):
                target = urljoin(url, link.get("href")).split("#")[0]
                if _same_origin(target, base) and not urlsplit(target).path.startswith(NOT_PAGES):
                    queue.append(target)
            for form in _forms(doc, url):
                yield form
                if form.method == "get" and _same_origin(form.action, base):
                    queue.append(form.action + "?" + urlencode(form.defaults))


def _page_key(url: str) -> str:
    """One visit per path and set of query names (not per ``melding`` text)."""
    parts = urlsplit(url)
    names = sorted({p.split("=")[0] for p in parts.query.split("&") if p} - {"melding"})
    return parts.path + "?" + "&".join(names)


def _same_origin(url: str, base: str) -> bool:
    return urlsplit(url).netloc == urlsplit(base).netloc


def _forms(doc: lxml.html.HtmlElement, url: str) -> Iterator[Form]:
    for node in doc.xpath("//form"):
        form = Form(
            page=url,
            method=(node.get("method") or "get").lower(),
            action=urljoin(url, node.get("action") or url).split("?")[0],
            defaults=[],
        )
        members = node.xpath(".//input|.//select|.//textarea")
        if node.get("id"):
            members += doc.xpath(f"//*[@form='{node.get('id')}']")
        for el in members:
            name, kind = el.get("name"), (el.get("type") or "text").lower()
            if not name:
                continue
            if el.tag == "select":
                chosen = el.xpath(".//option[@selected]") or el.xpath(".//option")
                form.defaults.append((name, chosen[0].get("value", "") if chosen else ""))
            elif kind in ("checkbox", "radio"):
                if el.get("disabled") is None:
                    form.defaults.append((name, el.get("value", "on")))
            elif kind not in ("submit", "button", "image", "reset"):
                form.defaults.append((name, el.get("value") or ""))
            if el.tag == "textarea" or (el.tag == "input" and kind in TYPED):
                form.fields[name] = dict(el.attrib)
        buttons = node.xpath(".//button[@name]")
        if buttons:
            form.defaults.append((buttons[0].get("name"), buttons[0].get("value", "")))
        yield form


def test_the_crawl_reaches_the_forms(crawled: tuple[Harness, list[Form]]) -> None:
    _, forms = crawled
    names = {name for f in forms for name in f.fields}
    expected = {
        "brincode", "dependancecode", "autorisatiesleutel", "dashboard_sleutel",
        "beheerder_email", "ruwe_score", "afnamedatum", "voornaam", "achternaam",
        "geboortedatum", "groep", "contact_email", "reden", "moment", "aantal", "aan", "q",
        "school", "leerlingnummer",
    }  # fmt: skip
    assert expected <= names, expected - names
    assert any(n.startswith("score-") for n in names)  # SCORES INVOEREN for several pupils


def test_every_typed_input_carries_its_vocabulary_attributes(
    crawled: tuple[Harness, list[Form]],
) -> None:
    _, forms = crawled
    problems = []
    for form in forms:
        for name, attrs in form.fields.items():
            where = f"{form.page} form {form.action} input {name!r}"
            soort = attrs.get("data-veld")
            if soort is None:
                problems.append(f"{where}: no data-veld (use field(..., soort=...))")
                continue
            expected = html_attrs(soort)
            for key, value in expected.items():
                got = attrs.get(key)
                if key == "maxlength":
                    ok = got is not None and int(got) <= int(value)
                elif key == "minlength":
                    ok = got is not None and int(got) >= int(value)
                else:
                    ok = got == value
                if not ok:
                    problems.append(f"{where}: {key}={got!r}, {soort} says {value!r}")
    assert not problems, "\n".join(problems)


def _writes(running: Harness, since: int) -> list[str]:
    assert running.core is not None
    return [
        f"{e.service} {e.method} {e.path}"
        for e in running.core.journal.entries(since_id=since, from_oldest=True, limit=5000)
        if e.kind == "http"
        and e.method in ("POST", "PUT", "PATCH", "DELETE")
        and (e.path or "").startswith("/api/")
    ]


def _last_id(running: Harness) -> int:
    assert running.core is not None
    newest = running.core.journal.entries(limit=1)
    return newest[-1].id or 0 if newest else 0


def test_a_field_breaking_its_rule_is_refused_before_any_api_call(
    crawled: tuple[Harness, list[Form]],
) -> None:
    running, forms = crawled
    tried, problems = [], []
    unique = {(f.action, tuple(sorted(f.fields))): f for f in forms if f.method == "post"}
    for form in unique.values():
        for name, attrs in form.fields.items():
            if "data-veld" not in attrs:
                continue  # the test above names it
            data = [(k, BREAKING if k == name else v) for k, v in form.defaults]
            if not any(k == name for k, _ in data):
                data.append((name, BREAKING))
            before = _last_id(running)
            resp = requests.post(form.action, data=data, timeout=15, allow_redirects=False)
            where = f"{form.action} {name}={BREAKING!r}"
            tried.append(where)
            if resp.status_code != 422:
                problems.append(f"{where}: {resp.status_code}, not 422")
                continue
            page = lxml.html.fromstring(resp.text)
            marked = page.xpath(f"//input[@name='{name}'][@aria-invalid='true']")
            if not marked:
                problems.append(f"{where}: the field is not marked invalid")
                continue
            message = page.xpath(f"//*[@id='{marked[0].get('aria-describedby')}']")
            if not message or not message[0].text_content().strip():
                problems.append(f"{where}: no message next to the field")
            writes = _writes(running, before)
            if writes:
                problems.append(f"{where}: the page still wrote {writes}")
    assert not problems, "\n".join(problems)
    assert len(tried) >= 15, tried


def test_messages_are_dutch_and_name_the_field() -> None:
    """The messages of :func:`check_form` for each kind of rule."""
    from koppeling.web import Field, FormErrors, check_form

    fields = {
        "brin": Field("brincode", "Het BRIN-nummer"),
        "mail": Field("email", "Het e-mailadres"),
        "score": Field("count", "De ruwe score"),
        "nr": Field("leerlingnummer", "Het leerlingnummer"),
        "dag": Field("date", "De afnamedatum"),
        "naam": Field("naam", "Voornaam", narrowing={"maxLength": 5}),
        "leeg": Field("text", "Reden"),
        "vrij": Field("text", "Toelichting", required=False),
    }
    fouten = FormErrors()
    values = check_form(
        {
            "brin": "9X",
            "mail": "geen-adres",
            "score": "-5",
            "nr": "12 34",
            "dag": "2027-02-30",
            "naam": "Anna-Sophie",
            "leeg": "  ",
            "vrij": "",
        },
        fields,
        fouten,
    )
    assert fouten == {
        "brin": "Het BRIN-nummer heeft niet de juiste vorm: 2 cijfers en 2 hoofdletters, bv. 99AB.",
        "mail": "Het e-mailadres heeft niet de juiste vorm: een e-mailadres zonder spaties, "
        "zoals naam@school.nl.",
        "score": "De ruwe score is minimaal 0; -5 kan niet.",
        "nr": "Het leerlingnummer heeft niet de juiste vorm: hoogstens 64 tekens, zonder "
        "spaties, regelovergangen of stuurtekens (spaties eromheen vallen weg).",
        "dag": "De afnamedatum heeft niet de juiste vorm: een datum zoals 2027-01-20.",
        "naam": "Voornaam is te lang: hoogstens 5 tekens.",
        "leeg": "Reden is verplicht.",
    }
    assert values["vrij"] is None
    ok = check_form(
        {"score": " 42 ", "brin": "99AB"},
        {k: fields[k] for k in ("score", "brin")},
        fouten := FormErrors(),
    )
    assert (ok, fouten) == ({"score": 42, "brin": "99AB"}, {})
    assert re.fullmatch(html_attrs("count")["pattern"], "1000000")
