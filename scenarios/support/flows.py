"""The manual's flow as reusable steps: LAS koppeling, key issuance, AANVRAGEN, pupil numbers,
norming and waiting for forwarding. Scenarios compose these and add their own checks.

Every function records itself as a named step of the scenario, so the report reads like the
manual: "LAS koppeling: WIJZIGINGEN OPSLAAN + GEGEVENS IMPORTEREN", "Schoolkr8 activates", ….
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from koppeling.client.flows import SCHOOLKR8_SLEUTEL, schoolkr8_sleutel
from scenarios.driver import Forwarding, Normed
from scenarios.support.schools import School
from scenarios.support.steps import Scenario
from scenarios.support.waits import eventually

TOETS = "LVS RW 2019"


@dataclass
class Mail:
    """One message as the Mailpit-style API shows it."""

    id: str
    sender: str
    to: list[str]
    subject: str
    text: str
    html: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, data: dict[str, Any]) -> Mail:
        return cls(
            id=str(data["ID"]),
            sender=_address(data.get("From")),
            to=[_address(a) for a in data.get("To") or []],
            subject=str(data.get("Subject", "")),
            text=str(data.get("Text", "")),
            html=str(data.get("HTML", "")),
            raw=data,
        )


def _address(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("Address", ""))
    return str(value or "")


def las_koppeling(sc: Scenario, school: School) -> dict[str, Any]:
    """Prerequisite: the LAS key, WIJZIGINGEN OPSLAAN and GEGEVENS IMPORTEREN."""
    with sc.step(f"LAS koppeling with {school.las}: opslaan + importeren"):
        las = sc.partners.las(school.las)
        school.las_key = las.issue_sleutel(school.ref, sc.klant)
        sc.driver.save_las_settings(
            school.ref,
            las=school.las,
            schooljaar=school.schooljaar,
            autorisatiesleutel=school.las_key,
        )
        counts = sc.driver.import_las(school.ref)
        sc.note(
            "import: "
            + ", ".join(
                f"{k} {counts[k]}" for k in ("leerlingen", "groepen", "leerkrachten") if k in counts
            )
        )
        imported = {str(p.get("leerlingnummer")) for p in sc.driver.pupils(school.ref)}
        missing = set(school.numbers()) - imported
        assert not missing, f"pupils of the LAS missing in the testcentrum after import: {missing}"
        return dict(counts)


def mails_to(sc: Scenario, address: str) -> list[Mail]:
    """Every message for ``address``, oldest first."""
    mailbox = sc.partners.mailbox
    found = mailbox.messages_to(address)
    return [Mail.of(mailbox.message(str(m["ID"]))) for m in reversed(found)]


def wait_for_mail(
    sc: Scenario, address: str, *, seen: Collection[Mail] = (), timeout: float = 10
) -> Mail:
    """Wait for a new message to ``address`` (not among ``seen``), over real SMTP and the API."""
    ignore = {m.id for m in seen}
    return Mail.of(sc.partners.mailbox.wait_for(address, timeout=timeout, ignore=ignore))


def issue_sk8_key(sc: Scenario, school: School) -> str:
    """Step 1: the school asks Schoolkr8; Schoolkr8 activates; the key arrives by e-mail."""
    with sc.step("Schoolkr8 activates the koppeling; key arrives by e-mail"):
        issued = schoolkr8_sleutel(
            sc.partners.schoolkr8,
            sc.partners.mailbox,
            school.ref,
            school.contact_email,
            koppeling_id=school.koppeling_id,
        )
        assert not SCHOOLKR8_SLEUTEL.search(str(issued.activated)), (
            "Schoolkr8's API returned the key itself"
        )
        school.koppeling_id, school.sk8_key = issued.koppeling_id, issued.sleutel
        mail = Mail.of(issued.mail)
        sc.note(f"key mail: {mail.subject!r} from {mail.sender}")
        return school.sk8_key


def request_dashboard(
    sc: Scenario, school: School, *, key: str | None = None, type_dashboard: str = "Schoolkr8"
) -> dict[str, Any]:
    """Step 2: AANVRAGEN in the testcentrum with the key."""
    with sc.step(f"AANVRAGEN: type dashboard {type_dashboard}"):
        return sc.driver.request_dashboard(
            school.ref,
            type_dashboard=type_dashboard,
            autorisatiesleutel=key if key is not None else str(school.sk8_key),
            beheerder_email=school.beheerder_email,
        )


def wait_dashboard(sc: Scenario, school: School, status: str, timeout: float = 10) -> Any:
    """Wait until the testcentrum shows the dashboard koppeling with ``status``."""
    return eventually(
        lambda: sc.driver.dashboard_status(school.ref),
        lambda s: s.status == status,
        what=f"dashboard koppeling of {school.key} to become {status!r}",
        timeout=timeout,
    )


def wait_decided(sc: Scenario, school: School, expected: str, timeout: float = 10) -> Any:
    """Wait until klantenservice has decided (no longer ``aangevraagd``); assert ``expected``."""
    state = eventually(
        lambda: sc.driver.dashboard_status(school.ref),
        lambda s: s.status not in (None, "aangevraagd"),
        what=f"a decision on the dashboard koppeling of {school.key}",
        timeout=timeout,
    )
    assert state.status == expected, (
        f"the dashboard koppeling of {school.key} became {state.status!r}, expected {expected!r}"
        + (f" (reden: {state.reden})" if state.reden else "")
    )
    return state


def activate_dashboard(sc: Scenario, school: School) -> Any:
    """AANVRAGEN and wait for approval (status actief, geactiveerd_op set)."""
    request_dashboard(sc, school)
    with sc.step("klantenservice approves; koppeling actief"):
        state = wait_decided(sc, school, "actief")
        assert state.geactiveerd_op is not None, "actief without geactiveerd_op"
        sc.note(f"geactiveerd_op {state.geactiveerd_op.isoformat()}")
        return state


def register_pupils(
    sc: Scenario,
    school: School,
    numbers: dict[str, str] | None = None,
    *,
    only: list[str] | None = None,
) -> None:
    """Step 3: the pupils at Schoolkr8 and, by hand, Wijzig leerlingnummer for each.

    ``numbers`` maps a leerlingnummer to what is typed (e.g. with spaces); ``only`` limits which
    pupils get a number (the rest stay unmapped)."""
    with sc.step("Schoolkr8: pupils entered, Wijzig leerlingnummer"):
        sk8 = sc.partners.schoolkr8
        for pupil in school.pupils:
            number = str(pupil["leerlingnummer"])
            if number not in school.sk8_pupils:
                made = sk8.add_leerling(school.ref, **_sk8_pupil(pupil))
                school.sk8_pupils[number] = str(made["id"])
            if only is not None and number not in only:
                continue
            typed = (numbers or {}).get(number, number)
            sk8.set_leerlingnummer(school.sk8_pupils[number], typed)
        sc.note(
            f"{len(school.sk8_pupils)} pupils, "
            f"{len(only) if only is not None else len(school.sk8_pupils)} numbered"
        )


def _sk8_pupil(pupil: dict[str, Any]) -> dict[str, str]:
    return {
        "voornaam": pupil.get("voornaam") or pupil.get("roepnaam") or "Leerling",
        "achternaam": pupil.get("achternaam") or "Onbekend",
        "geboortedatum": pupil.get("geboortedatum") or "2016-01-01",
        "groep": str(pupil.get("groep") or pupil.get("jaargroep") or "5"),
    }


def ready_school(
    sc: Scenario, *, las: str = "parnassys", pupils: int = 3, map_pupils: bool = True
) -> School:
    """A school through steps 0–3: LAS import, key, approved koppeling, numbers typed in."""
    with sc.step("a fresh school"):
        school = sc.new_school(las=las, pupils=pupils)
    las_koppeling(sc, school)
    issue_sk8_key(sc, school)
    activate_dashboard(sc, school)
    if map_pupils:
        register_pupils(sc, school)
    return school


def norm(
    sc: Scenario,
    school: School,
    number: str,
    *,
    ruwe_score: int = 30,
    toets: str = TOETS,
    afnamedatum: str | None = None,
) -> Normed:
    """Score invoeren + normeren for one pupil."""
    afname = sc.driver.score(
        school.ref,
        leerlingnummer=number,
        toets=toets,
        ruwe_score=ruwe_score,
        afnamedatum=afnamedatum or date.today().isoformat(),
    )
    return sc.driver.norm(afname)


def forwarding_of(sc: Scenario, school: School) -> dict[str, Forwarding]:
    return {f.afname_id: f for f in sc.driver.forwarding(school.ref)}


def wait_forwarding(
    sc: Scenario, school: School, afname_id: str, status: str, timeout: float = 15
) -> Forwarding:
    """Wait until one afname's forwarding status is ``status``."""
    found = eventually(
        lambda: forwarding_of(sc, school).get(afname_id),
        lambda f: f is not None and f.status == status,
        what=f"afname {afname_id} of {school.key} to be {status!r}",
        timeout=timeout,
    )
    assert found is not None
    return found


def wait_settled(
    sc: Scenario, school: School, afname_ids: list[str], timeout: float = 15
) -> dict[str, Forwarding]:
    """Wait until every given afname has a final forwarding status."""

    def settled(found: dict[str, Forwarding]) -> bool:
        return all(a in found and found[a].settled for a in afname_ids)

    return eventually(
        lambda: forwarding_of(sc, school),
        settled,
        what=f"afnames {afname_ids} of {school.key} to settle",
        timeout=timeout,
    )


def results_at_sk8(sc: Scenario, school: School, number: str) -> list[dict[str, Any]]:
    """The results Schoolkr8 shows for the pupil whose number is ``number``."""
    return sc.partners.schoolkr8.resultaten(school.sk8_pupils[number])
