"""Every consumer interaction, declared once: what the stand-in's real clients send and expect.

A :class:`Case` is one interaction: ``declare`` adds it to a fresh :class:`pact.Pact` (one Pact per
case — pact-python cannot add interactions after ``serve()``), ``drive`` runs the stand-in's *real*
client code against the Pact mock server and checks what the client made of the answer. The
consumer tests run each case; :func:`generate` runs them all, in a fixed order, into a directory
and normalises the files — that is how ``contracts/pacts/`` is written and how the drift test
regenerates it byte-identically.

Example data is synthetic and fixed (test BRIN 99AB, schooljaar 2026-2027); what varies in real
life (keys, dates, names, ids) carries a matcher, and a value only the provider can know (a key it
issued, an aanvraag id, its own "now") is injected from the provider state.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from contracts.beheerder import BeheerderMail, read_decision, read_key
from contracts.pactkit import (
    BEHEERDER,
    CONSUMER,
    ESIS,
    KLANTENSERVICE,
    PARNASSYS,
    SCHOOLKR8,
    normalise_file,
    pact_files,
    quiet,
)
from contracts.soapmatch import Vary, regex, text, xml_body
from contracts.state_names import (
    KS_APPROVED,
    KS_BY_HAND,
    KS_REJECTED,
    LAS_SCHOOL,
    LAS_SCHOOL_UNCHANGED,
    SK8_DELIVERED,
    SK8_KOPPELING,
    SK8_PUPIL,
)
from koppeling.client.testcentrum import STAND_IN_KLANT
from koppeling.harness.errors import SoapFault
from koppeling.uwlr import leerlinggegevens as lg
from koppeling.uwlr import leerresultaten as lr
from koppeling.uwlr.autorisatie import Autorisatie
from koppeling.uwlr.soap import SOAP_CONTENT_TYPE, envelope, fault_envelope

# The key check's real caller is the klantenservice (mocks/klantenservice/clients.py).
KEYCHECK_CONSUMER = KLANTENSERVICE

BRIN, DEP, SCHOOLJAAR = "99AB", "00", "2026-2027"
# The official Leerlinggegevens XSD enumerates school/schooljaar in answers only up to 2024-2025,
# so the LAS contract asks for that year (requests take any year matching the pattern).
LAS_SCHOOLJAAR = "2024-2025"
KLANTCODE, KLANTNAAM = STAND_IN_KLANT.code, STAND_IN_KLANT.naam
LEERLINGNUMMER = "4866010819"
WRONG_KEY = "onbekende-sleutel-0000"
BEHEERDER_EMAIL = "beheerder@99ab.school.test"
IDEMPOTENCY_KEY = "6f1c2a4e-8d3b-4c1a-9e2f-0a1b2c3d4e5f"

DATE = r"^\d{4}-\d{2}-\d{2}$"
DATETIME = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$"
XML_CONTENT_TYPE = r"^text/xml(\s*;.*)?$"
JSON_CONTENT_TYPE = r"^application/json(\s*;.*)?$"
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"

Driver = Callable[[str], None]


@dataclass(frozen=True)
class Case:
    """One interaction of one consumer with one provider."""

    name: str
    consumer: str
    provider: str
    declare: Callable[[Any], None]
    drive: Callable[..., None]
    kind: Literal["HTTP", "Async"] = "HTTP"


def _match() -> Any:
    quiet()
    from pact import match

    return match


# --- shared SOAP pieces ------------------------------------------------------------------------


def _xml_content_type() -> Any:
    return _match().regex(SOAP_CONTENT_TYPE, regex=XML_CONTENT_TYPE)


def _soap_request(interaction: Any, path: str, action: str, body: bytes, *vary: Vary) -> None:
    interaction.with_request("POST", path)
    interaction.with_header("SOAPAction", f'"{action}"', "Request")
    interaction.with_header("Content-Type", _xml_content_type(), "Request")
    xml_body(body, *vary).apply(interaction, "Request", SOAP_CONTENT_TYPE)


def _soap_response(interaction: Any, status: int, body: bytes, *vary: Vary) -> None:
    interaction.will_respond_with(status)
    interaction.with_header("Content-Type", _xml_content_type(), "Response")
    xml_body(body, *vary).apply(interaction, "Response", SOAP_CONTENT_TYPE)


def _fault(code: str) -> tuple[bytes, tuple[Vary, ...]]:
    body = fault_envelope(SoapFault(code, "De autorisatiesleutel is niet geldig voor deze school"))
    return body, (
        Vary("Fault/faultcode", regex(rf"^([\w.-]+:)?{code.replace('.', '[.]')}$")),
        Vary("Fault/faultstring", text()),
    )


KEY_FROM_STATE = Vary("autorisatie/autorisatiesleutel", text(), "${autorisatiesleutel}")
ANY_KEY = Vary("autorisatie/autorisatiesleutel", text())


# --- UWLR Leerlinggegevens (ParnasSys, ESIS) ---------------------------------------------------

LAS_FLAVOUR = {PARNASSYS: "parnassys", ESIS: "esis"}
EXAMPLE_KEY = {
    PARNASSYS: "pns_VoorbeeldSleutel0000000000000000",
    ESIS: "esis_VoorbeeldSleutel000000000000000",
}


def _las_state() -> dict[str, str]:
    return {
        "brincode": BRIN,
        "dependancecode": DEP,
        "schooljaar": LAS_SCHOOLJAAR,
        "klantcode": KLANTCODE,
        "klantnaam": KLANTNAAM,
    }


def _gegevens() -> lg.Leerlinggegevens:
    return lg.Leerlinggegevens(
        school=lg.School(LAS_SCHOOLJAAR, BRIN, DEP),
        groepen=(lg.Groep("g-5a", "Dolfijnen", "5"),),
        leerlingen=(
            lg.Leerling(
                LEERLINGNUMMER,
                "Jansen",
                "Sanne",
                geboortedatum=date(2016, 3, 14),
                geslacht="2",
                jaargroep="5",
                groep="g-5a",
            ),
        ),
        leerkrachten=(lg.Leerkracht("lk-1", "de Vries", "Joost", groepen=("g-5a",)),),
    )


GEGEVENS_VARY = (
    Vary("groepen/groep/@key", text()),
    Vary("groepen/groep/naam", text()),
    Vary("groepen/groep/jaargroep", text()),
    Vary("leerling/@key", regex(r"^\S{1,64}$")),
    Vary("leerling/achternaam", text()),
    Vary("leerling/roepnaam", text()),
    Vary("leerling/geboortedatum", regex(DATE)),
    Vary("leerling/geslacht", regex(r"^[0129]$")),
    Vary("leerling/jaargroep", text()),
    Vary("leerling/groep/@key", text()),
    Vary("leerkracht/@key", text()),
    Vary("leerkracht/achternaam", text()),
    Vary("leerkracht/roepnaam", text()),
    Vary("leerkracht/groepen/groep/@key", text()),
)


def _las_request(provider: str, key: str, since: datetime | None = None) -> bytes:
    return lg.build_request(
        "HaalLeerlinggegevens",
        Autorisatie(key, KLANTCODE, KLANTNAAM),
        schooljaar=LAS_SCHOOLJAAR,
        brincode=BRIN,
        dependancecode=DEP,
        laatstontvangengegevens=since,
    )


def _las_client(provider: str, url: str) -> Any:
    from mocks.testcentrum.beheer.las_client import LasClient, endpoint_of

    return LasClient(endpoint_of(LAS_FLAVOUR[provider], url), timeout=5)


def _las_path(provider: str) -> str:
    from mocks.testcentrum.beheer.las_client import LAS_PATHS

    return LAS_PATHS[LAS_FLAVOUR[provider]]


def _las_cases(provider: str) -> list[Case]:
    key = EXAMPLE_KEY[provider]
    since = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)

    def declare_gegevens(pact: Any) -> None:
        i = pact.upon_receiving("HaalLeerlinggegevens for a school with pupils")
        i.given(LAS_SCHOOL, **_las_state())
        _soap_request(
            i,
            _las_path(provider),
            "HaalLeerlinggegevens",
            _las_request(provider, key),
            KEY_FROM_STATE,
        )
        answer = lg.answer_envelope(lg.build_answer("HaalLeerlinggegevens", _gegevens()))
        _soap_response(i, 200, answer, *GEGEVENS_VARY)

    def drive_gegevens(url: str) -> None:
        answer = _las_client(provider, url).haal_leerlinggegevens(
            Autorisatie(key, KLANTCODE, KLANTNAAM),
            schooljaar=LAS_SCHOOLJAAR,
            brincode=BRIN,
            dependancecode=DEP,
        )
        assert answer.kind == "gegevens" and answer.gegevens is not None
        assert [ll.leerlingnummer for ll in answer.gegevens.leerlingen] == [LEERLINGNUMMER]

    def declare_unchanged(pact: Any) -> None:
        i = pact.upon_receiving("HaalLeerlinggegevens when nothing changed since the last import")
        i.given(LAS_SCHOOL_UNCHANGED, **_las_state())
        _soap_request(
            i,
            _las_path(provider),
            "HaalLeerlinggegevens",
            _las_request(provider, key, since),
            KEY_FROM_STATE,
            Vary("laatstontvangengegevens", regex(DATETIME), "${laatstontvangengegevens}"),
        )
        answer = lg.answer_envelope(
            lg.build_exception_answer("HaalLeerlinggegevens", "geenwijzigingen")
        )
        _soap_response(i, 200, answer)

    def drive_unchanged(url: str) -> None:
        answer = _las_client(provider, url).haal_leerlinggegevens(
            Autorisatie(key, KLANTCODE, KLANTNAAM),
            schooljaar=LAS_SCHOOLJAAR,
            brincode=BRIN,
            dependancecode=DEP,
            laatstontvangengegevens=since,
        )
        assert answer.kind == "geenwijzigingen"

    def declare_wrong_key(pact: Any) -> None:
        i = pact.upon_receiving("HaalLeerlinggegevens with a key the LAS did not issue")
        i.given(LAS_SCHOOL, **_las_state())
        _soap_request(
            i,
            _las_path(provider),
            "HaalLeerlinggegevens",
            _las_request(provider, WRONG_KEY),
            ANY_KEY,
        )
        body, vary = _fault("Client.AutorisatieOngeldig")
        _soap_response(i, 500, body, *vary)

    def drive_wrong_key(url: str) -> None:
        from mocks.testcentrum.beheer.las_client import LasFout

        try:
            _las_client(provider, url).haal_leerlinggegevens(
                Autorisatie(WRONG_KEY, KLANTCODE, KLANTNAAM),
                schooljaar=LAS_SCHOOLJAAR,
                brincode=BRIN,
                dependancecode=DEP,
            )
        except LasFout as fout:
            assert fout.code == "Client.AutorisatieOngeldig", fout
            return
        raise AssertionError("a wrong key must be refused with Client.AutorisatieOngeldig")

    return [
        Case(f"{provider}-gegevens", CONSUMER, provider, declare_gegevens, drive_gegevens),
        Case(f"{provider}-geenwijzigingen", CONSUMER, provider, declare_unchanged, drive_unchanged),
        Case(
            f"{provider}-autorisatie-ongeldig",
            CONSUMER,
            provider,
            declare_wrong_key,
            drive_wrong_key,
        ),
    ]


# --- UWLR Leerresultaten (Schoolkr8) -----------------------------------------------------------

SK8_EXAMPLE_KEY = "sk8_VoorbeeldSleutel00000000000000000"
AANMAAKDATUM = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
TOETS = "LVS RW 2019"
AFNAME_ID = "afname-0001"


def leerresultaten_verzoek(
    leerlingid: str = LEERLINGNUMMER,
    *,
    brincode: str = BRIN,
    dependancecode: str = DEP,
    afname_id: str = AFNAME_ID,
) -> lr.LeerresultatenVerzoek:
    """One normed LVS Rekenen-Wiskunde afname, built by the forwarder's own ``build_verzoek``."""
    from mocks.testcentrum.afnames.forwarder import build_verzoek
    from mocks.testcentrum.afnames.store import Afname

    school = f"{brincode}-{dependancecode}"
    afname = Afname(
        id=afname_id,
        school=school,
        brincode=brincode,
        dependancecode=dependancecode,
        leerlingnummer=leerlingid,
        toets=TOETS,
        ruwe_score=42,
        afnamedatum=date(2026, 10, 28),
        groep=5,
        ingevoerd_op=AANMAAKDATUM,
        eerst_genormeerd_op=AANMAAKDATUM,
        genormeerd_op=AANMAAKDATUM,
        normeringen=1,
        doorsturing=None,
        normering={
            "vaardigheidsscore": 187,
            "percentiel": 63,
            "niveau": "II",
            "niveau_ae": "B",
            "dle": 24,
        },
    )
    return build_verzoek(school, SCHOOLJAAR, [afname], AANMAAKDATUM)


def deliver_once(base_url: str, key: str, params: Mapping[str, Any]) -> None:
    """Deliver the example result once (the state "already received"), with the real client."""
    client = _sk8_client(base_url)
    client.breng_leerresultaten(
        leerresultaten_verzoek(
            str(params["leerlingnummer"]),
            brincode=str(params["brincode"]),
            dependancecode=str(params.get("dependancecode", "00")),
            afname_id=str(params.get("afname_id", AFNAME_ID)),
        ),
        key,
    )


def _sk8_client(url: str) -> Any:
    from mocks.testcentrum.afnames.schoolkr8_client import Schoolkr8Client, Schoolkr8Config

    return Schoolkr8Client(Schoolkr8Config(url, KLANTCODE, KLANTNAAM, timeout=5))


def _sk8_request(key: str, leerlingid: str = LEERLINGNUMMER) -> bytes:
    verzoek = lr.build_verzoek(leerresultaten_verzoek(leerlingid))
    return lr.request_envelope(verzoek, Autorisatie(key, KLANTCODE, KLANTNAAM))


SK8_VARY = (
    Vary("school/aanmaakdatum", regex(DATETIME)),
    Vary("resultaat/@key", text()),
    Vary("resultaat/afnamedatum", regex(DATE)),
)


def _sk8_state(**extra: str) -> dict[str, str]:
    return {"brincode": BRIN, "dependancecode": DEP, **extra}


def _bevestiging() -> bytes:
    return envelope(lr.leerresultaten_bevestiging())


def _sk8_case(
    name: str,
    description: str,
    state: str,
    params: dict[str, str],
    key: str,
    leerlingid: str,
    fault: str | None,
) -> Case:
    from mocks.testcentrum.afnames.schoolkr8_client import LEERRESULTATEN_PATH

    def declare(pact: Any) -> None:
        i = pact.upon_receiving(description).given(state, **params)
        key_vary = KEY_FROM_STATE if key == SK8_EXAMPLE_KEY else ANY_KEY
        _soap_request(
            i,
            LEERRESULTATEN_PATH,
            lr.SOAP_ACTION,
            _sk8_request(key, leerlingid),
            key_vary,
            *SK8_VARY,
        )
        if fault is None:
            _soap_response(i, 200, _bevestiging())
        else:
            body, vary = _fault(fault)
            _soap_response(i, 500, body, *vary)

    def drive(url: str) -> None:
        from mocks.testcentrum.afnames.schoolkr8_client import RejectedDelivery

        client = _sk8_client(url)
        try:
            client.breng_leerresultaten(leerresultaten_verzoek(leerlingid), key)
        except RejectedDelivery as exc:
            assert fault is not None and exc.code == fault, exc
            return
        assert fault is None, f"expected {fault}"

    return Case(name, CONSUMER, SCHOOLKR8, declare, drive)


def _sk8_cases() -> list[Case]:
    return [
        _sk8_case(
            "schoolkr8-aanvaard",
            "BrengLeerresultaten for a pupil with that leerlingnummer",
            SK8_PUPIL,
            _sk8_state(leerlingnummer=LEERLINGNUMMER),
            SK8_EXAMPLE_KEY,
            LEERLINGNUMMER,
            None,
        ),
        _sk8_case(
            "schoolkr8-idempotent",
            "BrengLeerresultaten again with the same result",
            SK8_DELIVERED,
            _sk8_state(leerlingnummer=LEERLINGNUMMER, afname_id=AFNAME_ID),
            SK8_EXAMPLE_KEY,
            LEERLINGNUMMER,
            None,
        ),
        _sk8_case(
            "schoolkr8-onbekende-leerling",
            "BrengLeerresultaten for a leerlingnummer no pupil carries yet",
            SK8_KOPPELING,
            _sk8_state(),
            SK8_EXAMPLE_KEY,
            "0000000001",
            None,
        ),
        _sk8_case(
            "schoolkr8-autorisatie-ongeldig",
            "BrengLeerresultaten with a key Schoolkr8 did not issue for the school",
            SK8_KOPPELING,
            _sk8_state(),
            WRONG_KEY,
            LEERLINGNUMMER,
            "Client.AutorisatieOngeldig",
        ),
    ]


def _keycheck_case(name: str, valid: bool) -> Case:
    key = SK8_EXAMPLE_KEY if valid else WRONG_KEY

    def declare(pact: Any) -> None:
        match = _match()
        what = "a key Schoolkr8 issued" if valid else "a key Schoolkr8 did not issue"
        i = pact.upon_receiving(f"a key check of {what} for the school")
        i.given(SK8_KOPPELING, **_sk8_state())
        i.with_request("POST", "/api/sleutels/controle")
        i.with_body(
            {"brincode": BRIN, "dependancecode": DEP, "autorisatiesleutel": match.str(key)},
            "application/json",
            "Request",
        )
        if valid:
            i.with_generators(
                {
                    "body": {
                        "$.autorisatiesleutel": {
                            "type": "ProviderState",
                            "expression": "${autorisatiesleutel}",
                        }
                    }
                },
                "Request",
            )
        i.will_respond_with(200)
        i.with_header(
            "Content-Type", match.regex("application/json", regex=JSON_CONTENT_TYPE), "Response"
        )
        i.with_body({"geldig": valid}, "application/json", "Response")

    def drive(url: str) -> None:
        from mocks.klantenservice.clients import Schoolkr8SleutelClient

        assert Schoolkr8SleutelClient(url, timeout=5).controleer(BRIN, DEP, key) is valid

    return Case(name, KEYCHECK_CONSUMER, SCHOOLKR8, declare, drive)


# --- Boom klantenservice -----------------------------------------------------------------------


def _ks_client(url: str) -> Any:
    from mocks.testcentrum.beheer.klantenservice_client import KlantenserviceClient

    return KlantenserviceClient(url, timeout=5)


def _ks_submit_case() -> Case:
    def declare(pact: Any) -> None:
        match = _match()
        i = pact.upon_receiving("a request for a Schoolkr8 dashboard koppeling")
        i.given(KS_BY_HAND, brincode=BRIN, dependancecode=DEP)
        i.with_request("POST", "/api/aanvragen")
        i.with_header(
            "Idempotency-Key", match.regex(IDEMPOTENCY_KEY, regex=r"^\S{8,128}$"), "Request"
        )
        i.with_body(
            {
                "brincode": BRIN,
                "dependancecode": DEP,
                "type_dashboard": "Schoolkr8",
                "autorisatiesleutel": match.str(SK8_EXAMPLE_KEY),
                "beheerder_email": match.regex(BEHEERDER_EMAIL, regex=EMAIL),
            },
            "application/json",
            "Request",
        )
        i.will_respond_with(202)
        i.with_header(
            "Content-Type", match.regex("application/json", regex=JSON_CONTENT_TYPE), "Response"
        )
        i.with_body(
            {"id": match.str("aanvraag-0001"), "status": "in_behandeling"},
            "application/json",
            "Response",
        )

    def drive(url: str) -> None:
        status = _ks_client(url).dien_in(
            brincode=BRIN,
            dependancecode=DEP,
            type_dashboard="Schoolkr8",
            autorisatiesleutel=SK8_EXAMPLE_KEY,
            beheerder_email=BEHEERDER_EMAIL,
            idempotency_key=IDEMPOTENCY_KEY,
        )
        assert (status.id, status.status) == ("aanvraag-0001", "in_behandeling")

    return Case("klantenservice-aanvraag", CONSUMER, KLANTENSERVICE, declare, drive)


def _ks_status_case(name: str, state: str, status: str, reden: str | None) -> Case:
    def declare(pact: Any) -> None:
        match = _match()
        params = {"brincode": BRIN, "dependancecode": DEP, "type_dashboard": "Schoolkr8"}
        if reden:
            params["reden"] = reden
        i = pact.upon_receiving(f"the status of an aanvraag that was {status}")
        i.given(state, **params)
        i.with_request("GET", "/api/aanvragen/aanvraag-0001")
        i.with_generators(
            {"path": {"type": "ProviderState", "expression": "/api/aanvragen/${id}"}}, "Request"
        )
        i.will_respond_with(200)
        i.with_header(
            "Content-Type", match.regex("application/json", regex=JSON_CONTENT_TYPE), "Response"
        )
        body: dict[str, Any] = {"id": match.str("aanvraag-0001"), "status": status}
        if reden:
            body["reden"] = match.str(reden)
        i.with_body(body, "application/json", "Response")

    def drive(url: str) -> None:
        answer = _ks_client(url).status("aanvraag-0001")
        assert (answer.status, answer.reden) == (status, reden)

    return Case(name, CONSUMER, KLANTENSERVICE, declare, drive)


REJECTION_REASON = "De autorisatiesleutel is niet geldig voor deze school"


def _ks_cases() -> list[Case]:
    return [
        _ks_submit_case(),
        _ks_status_case("klantenservice-goedgekeurd", KS_APPROVED, "goedgekeurd", None),
        _ks_status_case("klantenservice-afgewezen", KS_REJECTED, "afgewezen", REJECTION_REASON),
    ]


# --- the two e-mails (consumer school-beheerder) -----------------------------------------------

KEY_TEXT = r"^[\s\S]*[Aa]utorisatiesleutel( is)?\s*:\s*[A-Za-z0-9_-]{8,64}[ \t]*(\n[\s\S]*)?$"
APPROVAL_TEXT = r"^[\s\S]*\bis goedgekeurd\b[\s\S]*$"
REJECTION_TEXT = r"^[\s\S]*\bis afgewezen\b[\s\S]*\n[ \t]*Reden:[ \t]*\S[^\n]*\n[\s\S]*$"
KEY_MAIL = "the e-mail with the autorisatiesleutel after Schoolkr8 activated the koppeling"
APPROVAL_MAIL = "the e-mail confirming the approved dashboard request"
REJECTION_MAIL = "the e-mail rejecting the dashboard request with the reason"


# Message regexes run in Rust's regex (consumer) and Oniguruma (provider): no inline flags,
# so "anything" is [\s\S]* and a line is delimited by \n.
def _mail_case(
    name: str,
    provider: str,
    description: str,
    example: BeheerderMail,
    text_pattern: str,
    check: Callable[[BeheerderMail], None],
    sender_literal: bool,
) -> Case:
    def declare(pact: Any) -> None:
        match = _match()
        i = pact.upon_receiving(description, "Async")
        i.with_body(
            {
                "from": example.sender
                if sender_literal
                else match.regex(example.sender, regex=EMAIL),
                "to": [match.regex(example.to[0], regex=EMAIL)],
                "subject": match.str(example.subject),
                "text": match.regex(example.text, regex=text_pattern),
            },
            "application/json",
        )

    def handler(body: str | bytes | None, metadata: dict[str, object]) -> None:
        assert body is not None, "an e-mail message without contents"
        check(BeheerderMail.from_message(json.loads(body)))

    return Case(name, BEHEERDER, provider, declare, handler, kind="Async")


def _mail_cases() -> list[Case]:
    key_mail = BeheerderMail(
        "support@schoolkr8.test",
        (BEHEERDER_EMAIL,),
        "Uw autorisatiesleutel voor de koppeling",
        "Beste beheerder,\n\nSchoolkr8 heeft de koppeling voor uw school geactiveerd. "
        f"Uw autorisatiesleutel is:\n\n    {SK8_EXAMPLE_KEY}\n\nMet vriendelijke groet,\n"
        "Schoolkr8\n",
    )
    approval = BeheerderMail(
        "klantenservice@boomtestonderwijs.nl",
        (BEHEERDER_EMAIL,),
        "Koppeling met Schoolkr8 goedgekeurd",
        "Beste beheerder,\n\nUw aanvraag voor de koppeling is goedgekeurd.\n\n"
        "Kenmerk: aanvraag-0001\n",
    )
    rejection = BeheerderMail(
        "klantenservice@boomtestonderwijs.nl",
        (BEHEERDER_EMAIL,),
        "Aanvraag koppeling met Schoolkr8 afgewezen",
        "Beste beheerder,\n\nUw aanvraag voor de koppeling is afgewezen.\n\n"
        f"Reden: {REJECTION_REASON}\n\nKenmerk: aanvraag-0001\n",
    )

    def check_key(mail: BeheerderMail) -> None:
        assert read_key(mail) == SK8_EXAMPLE_KEY

    def check_approval(mail: BeheerderMail) -> None:
        assert read_decision(mail).approved

    def check_rejection(mail: BeheerderMail) -> None:
        decision = read_decision(mail)
        assert not decision.approved and decision.reason == REJECTION_REASON

    return [
        _mail_case(
            "mail-sleutel", SCHOOLKR8, KEY_MAIL, key_mail, KEY_TEXT, check_key, sender_literal=False
        ),
        _mail_case(
            "mail-goedgekeurd",
            KLANTENSERVICE,
            APPROVAL_MAIL,
            approval,
            APPROVAL_TEXT,
            check_approval,
            sender_literal=True,
        ),
        _mail_case(
            "mail-afgewezen",
            KLANTENSERVICE,
            REJECTION_MAIL,
            rejection,
            REJECTION_TEXT,
            check_rejection,
            sender_literal=True,
        ),
    ]


# --- running -----------------------------------------------------------------------------------


def all_cases() -> list[Case]:
    """Every case, in the fixed order the pact files are generated in."""
    return [
        *_las_cases(PARNASSYS),
        *_las_cases(ESIS),
        *_sk8_cases(),
        _keycheck_case("sleutelcontrole-geldig", True),
        _keycheck_case("sleutelcontrole-ongeldig", False),
        *_ks_cases(),
        *_mail_cases(),
    ]


def run_case(case: Case, directory: Path) -> None:
    """Declare the case on a fresh Pact, drive the real client against it, merge-write it."""
    quiet()
    from pact import Pact

    pact = Pact(case.consumer, case.provider).with_specification("V4")
    case.declare(pact)
    if case.kind == "Async":
        pact.verify(case.drive, "Async")
    else:
        with pact.serve(addr="127.0.0.1", verbose=False) as server:
            case.drive(str(server.url).rstrip("/"))
    pact.write_file(directory)


def generate(directory: Path) -> list[Path]:
    """(Re)write every pact file into ``directory``, stable byte for byte."""
    directory.mkdir(parents=True, exist_ok=True)
    for old in pact_files(directory):
        old.unlink()
    for case in all_cases():
        run_case(case, directory)
    written = pact_files(directory)
    for path in written:
        normalise_file(path)
    return written


def main() -> None:
    """``python -m contracts.consumer_cases [DIR]``: regenerate the committed pact files."""
    import os
    import sys

    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
    from contracts.pactkit import PACT_DIR

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else PACT_DIR
    target.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(target.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    written = generate(staging)
    for path in written:
        shutil.copyfile(path, target / path.name)
    shutil.rmtree(staging)
    print("\n".join(str(target / p.name) for p in written))


if __name__ == "__main__":
    main()
