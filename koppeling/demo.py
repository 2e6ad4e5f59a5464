"""Seeding for ``koppeling up --demo``: one demo school ready for the manual's click-through.

``seed_demo`` puts a school in a LAS (ParnasSys by default) with a key for the testcentrum, the
same pupils in Schoolkr8 (without leerlingnummers, as the manual says Schoolkr8 does not take them
from the LAS), and a welcome message in the beheerder's mailbox; it returns the steps to click,
in the manual's words, with this harness's URLs. It talks to the partners only over their REST
APIs, so it works against a running harness (Core) or a plain map of base URLs. Re-running it on
a kept state is safe: an existing school and existing Schoolkr8 pupils are reused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from koppeling.client import (
    STAND_IN_KLANT,
    Clients,
    ProblemError,
    Schoolkr8Admin,
    SchoolRef,
    Unreachable,
)
from koppeling.client.flows import create_las_school
from koppeling.harness.mail import Mail, SmtpMailer
from koppeling.harness.service import Core

DEMO_BRIN = "99DE"
DEMO_NAAM = "OBS De Regenboog (demo)"
DEMO_BEHEERDER = "beheerder@regenboog.school.test"
LAS_TITELS = {"parnassys": "ParnasSys", "esis": "ESIS"}


class DemoError(RuntimeError):
    """Seeding failed: a partner refused the demo data or did not answer (the message says
    which call and why)."""


@dataclass
class DemoSchool:
    """What was seeded: enough to click through (and for tests to check)."""

    brincode: str
    dependancecode: str
    las: str
    las_sleutel: str
    beheerder_email: str
    schooljaar: str
    leerlingen: list[dict[str, Any]] = field(default_factory=list)
    schoolkr8_leerlingen: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ref(self) -> SchoolRef:
        return SchoolRef(self.brincode, self.dependancecode)


def _clients(target: Core | Mapping[str, str]) -> Clients:
    return Clients(target.urls if isinstance(target, Core) else target)


def seed_school(
    target: Core | Mapping[str, str],
    *,
    brincode: str = DEMO_BRIN,
    dependancecode: str = "00",
    las: str = "parnassys",
    aantal_leerlingen: int = 8,
    seed: int = 2026,
    beheerder_email: str = DEMO_BEHEERDER,
    naam: str = DEMO_NAAM,
) -> DemoSchool:
    """Seed the LAS school + key and the Schoolkr8 pupils; returns what was made."""
    clients = _clients(target)
    made = create_las_school(
        clients.las(las),
        SchoolRef(brincode, dependancecode),
        STAND_IN_KLANT,
        reuse=True,
        naam=naam,
        aantal_leerlingen=aantal_leerlingen,
        seed=seed,
    )
    demo = DemoSchool(
        brincode,
        dependancecode,
        las,
        made.sleutel,
        beheerder_email,
        str(made.data.get("schooljaar", "")),
        leerlingen=list(made.data.get("leerlingen", [])),
    )
    if "schoolkr8" in clients.urls:
        demo.schoolkr8_leerlingen = seed_schoolkr8_pupils(clients.schoolkr8, demo, made.data)
    return demo


def seed_schoolkr8_pupils(
    sk8: Schoolkr8Admin, demo: DemoSchool, school: dict[str, Any]
) -> list[dict[str, Any]]:
    """The same pupils in Schoolkr8, without leerlingnummer (unless they are there already)."""
    existing = sk8.leerlingen(demo.ref)
    if existing:
        return existing
    groepen = {g.get("key"): g.get("naam") for g in school.get("groepen", [])}
    made = []
    for p in demo.leerlingen:
        achternaam = " ".join(x for x in (p.get("voorvoegsel"), p.get("achternaam")) if x)
        body: dict[str, Any] = {
            "voornaam": p.get("roepnaam") or "",
            "achternaam": achternaam,
            "geboortedatum": p.get("geboortedatum"),
            "groep": groepen.get(p.get("groep")) or str(p.get("groep") or ""),
        }
        made.append({**body, **sk8.add_leerling(demo.ref, **body)})
    return made


def welcome_mail(demo: DemoSchool) -> Mail:
    """The LAS's key for the testcentrum, delivered to the beheerder's inbox (a key is a secret:
    it is shown in a mail, never printed on the console or logged)."""
    las = LAS_TITELS.get(demo.las, demo.las)
    return Mail(
        sender=f"{las} (demo) <demo@koppeling.test>",
        to=[demo.beheerder_email],
        subject=f"Welkom bij de demo: UWLR-sleutel van {las} voor {demo.brincode}-"
        f"{demo.dependancecode}",
        text=(
            f"Dit is de inbox van de beheerder van {DEMO_NAAM}.\n\n"
            f"De autorisatiesleutel voor de UWLR-koppeling tussen {las} en het Boom "
            f"testcentrum is:\n\n    {demo.las_sleutel}\n\n"
            "Hier komen straks ook de autorisatiesleutel van Schoolkr8 en de bevestiging van "
            "Boom klantenservice binnen.\n"
        ),
    )


def seed_demo(
    target: Core | Mapping[str, str], *, smtp: tuple[str, int] | None = None, **school: Any
) -> str:
    """Seed the demo school everywhere and return the click-through text (see docs/demo.md);
    ``school`` as :func:`seed_school` (brincode, las, aantal_leerlingen …; the demo's defaults).

    The welcome message, which carries the LAS key, goes through ``target``'s mailer when it is
    a Core, else over SMTP to ``smtp`` (host, port) when given. Only when no mail can be sent
    does the click-through name the key itself (there is no other way to hand it over)."""
    try:
        demo = seed_school(target, **school)
    except (ProblemError, Unreachable) as exc:
        raise DemoError(str(exc)) from exc
    mailed = True
    try:
        if isinstance(target, Core):
            target.send_mail("mailbox", welcome_mail(demo), school=demo.ref.key)
        elif smtp is not None:
            SmtpMailer(*smtp).send(welcome_mail(demo))
        else:
            mailed = False
    except OSError:
        mailed = False
    return click_through(demo, _clients(target).urls, key_mailed=mailed)


CLICK_THROUGH = """\
Demo: {naam}, BRIN {b}, vestiging {d}, {aantal} leerlingen in {las}.
Harness home (klok, journaal): {tc}/__admin/

Voorbereiding - UWLR-koppeling met het LAS
  1. Open {tc}/ en log in met BRIN-nummer {b} en vestigingsnummer {d}.
  2. Klik in de blauwe balk op BEHEER en dan op 'Koppelen met LAS'.
  3. Bij 'Koppelen met ESIS of ParnasSys': kies LAS {las}, BRIN-nummer {b},
     Vestigingsnummer {d}, Schooljaar 'Huidig schooljaar ({schooljaar})',
     Autorisatiesleutel: {las_sleutel}
     en klik WIJZIGINGEN OPSLAAN en daarna GEGEVENS IMPORTEREN.
     U ziet: 'U heeft een actieve koppeling met {las}'.

Stap 1 - Koppeling aanvragen en activeren in Schoolkr8
  4. Open {sk8}/scholen/{b}/{d}/koppeling, vul als contactpersoon
     {email} in en klik KOPPELING AANVRAGEN.
  5. Klik ACTIVEREN (SCHOOLKR8): Schoolkr8 mailt de autorisatiesleutel.
  6. Open de mailbox {mailbox}/?aan={email},
     open de mail van Schoolkr8 en kopieer de autorisatiesleutel.

Stap 2 - Koppeling activeren in het Boom testcentrum
  7. Terug in {tc}/scholen/{b}/{d}/beheer/koppelen-met-las,
     bij 'Koppelen met Focus PO of SchoolKr8': Type dashboard SchoolKr8, plak de sleutel
     bij Autorisatiesleutel, E-mailadres beheerder {email}, klik AANVRAGEN.
  8. Klantenservice keurt goed als alle velden kloppen (automatisch; bij handmatige
     behandeling: {ks}/ en klik GOEDKEUREN). De bevestiging staat in de mailbox,
     en het testcentrum toont 'U heeft een actieve koppeling met Schoolkr8'.

Stap 3 - Leerlingnummers overnemen
  9. Open het Leerlingenoverzicht {tc}/scholen/{b}/{d}/leerlingen:
     het leerlingnummer staat voor de naam{voorbeeld}.
 10. In Schoolkr8 {sk8}/scholen/{b}/{d}/leerlingen: open de leerling, tab Basis,
     klik 'wijzigen leerlingnummer', plak het nummer en klik OPSLAAN.

Stap 4 - Koppeling is definitief
 11. Als alle leerlingnummers zijn overgenomen, toont Schoolkr8 'x van x' en 'definitief'.
 12. In het testcentrum: Score invoeren bij die leerling, OPSLAAN EN NORMEREN.
     Het resultaat verschijnt in Schoolkr8 op het tabblad Scores van de leerling.
     Let op: toetsen die vóór de activering genormeerd zijn, worden nooit doorgestuurd."""


def click_through(demo: DemoSchool, urls: Mapping[str, str], *, key_mailed: bool = True) -> str:
    """The manual's steps with this harness's URLs and the seeded values."""
    las_sleutel = (
        f"de sleutel uit de welkomstmail in de mailbox ({urls.get('mailbox', '?')}/?aan="
        f"{demo.beheerder_email})"
        if key_mailed
        else demo.las_sleutel
    )
    p = demo.leerlingen[0] if demo.leerlingen else None
    voorbeeld = f" (bv. {p['leerlingnummer']} voor {p['achternaam']}, {p['roepnaam']})" if p else ""
    return CLICK_THROUGH.format(
        naam=DEMO_NAAM,
        b=demo.brincode,
        d=demo.dependancecode,
        aantal=len(demo.leerlingen),
        las=LAS_TITELS.get(demo.las, demo.las),
        schooljaar=demo.schooljaar,
        las_sleutel=las_sleutel,
        email=demo.beheerder_email,
        voorbeeld=voorbeeld,
        tc=urls.get("testcentrum", "?"),
        sk8=urls.get("schoolkr8", "?"),
        mailbox=urls.get("mailbox", "?"),
        ks=urls.get("klantenservice", "?"),
    )
