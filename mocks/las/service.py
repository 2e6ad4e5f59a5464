"""The business of a LAS mock, with no Flask: answering UWLR requests and the admin API.

One class serves both flavours; a :class:`Flavour` holds everything that differs between
ParnasSys and ESIS (path, key prefix, accepted xsdversies and the ESIS quirks in
docs/architecture.md). Views in ``app.py`` only move bytes and JSON in and out of
:class:`LasService`, which opens the transactions (a read for every pure read) and hands the
connection to :class:`LasStore`."""

from __future__ import annotations

import hmac
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from koppeling.fakedata import FakeGroup, FakePupil, FakeStaff, generate_school, new_pupil
from koppeling.harness.clock import Clock
from koppeling.harness.derived import Derived
from koppeling.harness.errors import SoapFault, conflict, invalid, not_found
from koppeling.harness.keys import key_hash, key_matches, new_key
from koppeling.harness.schemas import validate_body
from koppeling.harness.schools import (
    check_brincode,
    check_dependancecode,
    check_schooljaar,
    schooljaar_of,
)
from koppeling.harness.store import Database, metadata, watch
from koppeling.uwlr import leerlinggegevens as uwlr
from koppeling.uwlr.autorisatie import Autorisatie
from koppeling.uwlr.leerlinggegevens import (
    AnswerKind,
    GroepRef,
    Verzoek,
    answer_envelope,
    build_exception_answer,
    render_answer,
)
from mocks.las.store import LasStore, Leerling, School, SchoolData, Sleutel

RIJK = "rijk"
MINIMAAL = "minimaal"
PROFIELEN = (RIJK, MINIMAAL)


@dataclass(frozen=True)
class Flavour:
    """What differs between the two LAS vendors.

    ``stack`` is the SOAP stack the vendor runs on ("cxf": ParnasSys, Apache CXF; "wcf": ESIS,
    Windows Communication Foundation), which decides how SOAPAction is checked. The last three
    are the vendor's habits in the rich profile (docs/las.md#what-a-rich-answer-carries)."""

    name: str
    title: str
    path: str
    key_prefix: str
    xsd_versions: tuple[str, ...]
    empty_schooljaar_is_current: bool
    samengestelde_opt_in: bool
    one_key_per_school: bool
    stack: str = "cxf"
    sends_schoolkey: bool = False
    sends_vestigingen: bool = False
    sends_voorletters: bool = False


FLAVOURS = {
    "parnassys": Flavour(
        "parnassys",
        "ParnasSys",
        "/uwlr/leerlinggegevens",
        "pns",
        ("2.1", "2.2"),
        False,
        False,
        False,
        stack="cxf",
        sends_schoolkey=True,
        sends_voorletters=True,
    ),
    "esis": Flavour(
        "esis",
        "ESIS",
        "/UWLR/UwlrStandaard2.2.svc",
        "esis",
        ("2.2",),
        True,
        True,
        True,
        stack="wcf",
        sends_vestigingen=True,
    ),
}


def flavour_of(name: object) -> Flavour:
    """The flavour named in the config, or ValueError listing the two."""
    if not isinstance(name, str) or name not in FLAVOURS:
        raise ValueError(f"LAS flavour must be one of {', '.join(FLAVOURS)}, got {name!r}")
    return FLAVOURS[name]


#: Every write to a LAS table moves this generation; answers are derived once per generation.
GENERATION = "las"
watch(GENERATION, *(t for t in metadata.sorted_tables if t.name.startswith("las_")))


def _ongeldig(message: str) -> SoapFault:
    return SoapFault("Client.OngeldigBericht", message)


class LasService:
    """One LAS: its schools, keys and the UWLR Leerlinggegevens answers."""

    def __init__(self, flavour: Flavour, db: Database, store: LasStore, clock: Clock) -> None:
        self.flavour = flavour
        self.db = db
        self.store = store
        self.clock = clock
        # derived once per LAS generation: a school with its keys and data; answer bytes
        self._schools: Derived[tuple[School | None, list[Sleutel], SchoolData | None]]
        self._schools = Derived(db, GENERATION, size=64)
        self._answers: Derived[bytes] = Derived(db, GENERATION, size=16)
        self._pupil_lists: Derived[bytes] = Derived(db, GENERATION, size=64)

    # --- UWLR ----------------------------------------------------------------------------------

    def check_soap_action(self, action: str | None, op: uwlr.Operation | None) -> None:
        """The SOAPAction checked as the vendor's SOAP stack checks it (docs/las.md#soapaction).

        ``action`` is the header without quotes (None: absent). A body that is no Leerlinggegevens
        request is left to :func:`parse_request`. Apache CXF (ParnasSys) dispatches on the body
        when the action is absent or empty; WCF (ESIS) dispatches on the action alone and refuses
        a message without one. An action naming another operation, or none, is a fault on both,
        worded as the stack words it, with the UWLR code ``Client.OngeldigBericht``. ``op``:
        the operation the body asks for (:func:`koppeling.uwlr.leerlinggegevens
        .request_operation`)."""
        if op is None or action == op.soap_action:
            return
        named = uwlr.operation_of_action(action) if action else None
        element = f"{{{uwlr.NS}}}{op.request}"
        if self.flavour.stack == "cxf":
            if not action:
                return
            if named is None:
                raise SoapFault(
                    "Client.OngeldigBericht",
                    f"The given SOAPAction {action} does not match an operation.",
                    "Apache CXF: SOAP_ACTION_MISMATCH",
                )
            raise SoapFault(
                "Client.OngeldigBericht",
                f"Message part {element} was not recognized.  (Does it exist in service WSDL?)",
                "Apache CXF: soap:Client (NO_PART_FOUND)",
            )
        if named is None:
            raise SoapFault(
                "Client.OngeldigBericht",
                f"The message with Action '{action or ''}' cannot be processed at the receiver, "
                "due to a ContractFilter mismatch at the EndpointDispatcher. This may be because "
                "of either a contract mismatch (mismatched Actions between sender and receiver) "
                "or a binding/security mismatch between the sender and the receiver.  Check that "
                "sender and receiver have the same contract and the same binding (including "
                "security requirements, e.g. Message, Transport, None).",
                "WCF: a:ActionNotSupported",
            )
        raise SoapFault(
            "Client.OngeldigBericht",
            "The formatter threw an exception while trying to deserialize the message: Error in "
            f"deserializing body of request message for operation '{named.name}'. "
            "OperationFormatter encountered an invalid Message body. Expected to find node type "
            f"'Element' with name '{named.request}' and namespace '{uwlr.NS}'. Found node type "
            f"'Element' with name '{op.request}' and namespace '{uwlr.NS}'",
            "WCF: a:DeserializationFailed",
        )

    def identify(self, verzoek: Verzoek) -> tuple[str, str]:
        """BRIN and dependancecode of a request, or ``Client.OngeldigBericht``."""
        if verzoek.brincode is None:
            raise _ongeldig("schoolkey wordt niet ondersteund; geef brincode en dependancecode")
        try:
            return (
                check_brincode(verzoek.brincode),
                check_dependancecode(verzoek.dependancecode or None),
            )
        except ValueError as exc:
            raise _ongeldig(str(exc)) from None

    def answer(self, verzoek: Verzoek, autorisatie: Autorisatie) -> bytes:
        """The ``*_antwoord`` envelope for a request, or the SoapFault a real LAS would give."""
        brin, dep = self.identify(verzoek)
        if verzoek.xsdversie not in self.flavour.xsd_versions:
            accepted = ", ".join(self.flavour.xsd_versions)
            raise SoapFault(
                "Client.XsdVersieOngeldig",
                f"xsdversie {verzoek.xsdversie!r} wordt niet ondersteund; "
                f"{self.flavour.title} accepteert {accepted}",
            )
        now = self.clock.now(brin, dep)
        schooljaar = self._schooljaar(verzoek.schooljaar, now)
        school, keys, data = self._schools.get((brin, dep), lambda: self._read(brin, dep))
        self._authorise(school, keys, autorisatie)  # per request, constant time
        assert data is not None
        # the bytes depend on the data, the request and aanmaakdatum (whole seconds) only
        key = (verzoek, schooljaar, now.replace(microsecond=0))
        return self._answers.get(key, lambda: self._render(data, verzoek, schooljaar, now))

    def _read(self, brin: str, dep: str) -> tuple[School | None, list[Sleutel], SchoolData | None]:
        with self.db.read() as conn:
            school = self.store.school(conn, brin, dep)
            if school is None:
                return None, [], None
            return school, self.store.keys(conn, school), self.store.data(conn, school)

    def _render(self, data: SchoolData, verzoek: Verzoek, schooljaar: str, now: datetime) -> bytes:
        if schooljaar != data.school.schooljaar:
            return _exception(verzoek, "geengegevens")
        since = verzoek.laatstontvangengegevens
        if since is not None and data.school.changed_at <= since:
            return _exception(verzoek, "geenwijzigingen")
        gegevens = self._gegevens(data, verzoek, now)
        if not self._has_content(verzoek.operation, gegevens):
            return _exception(verzoek, "geengegevens")
        return render_answer(verzoek.operation, gegevens)

    def _schooljaar(self, value: str, now: datetime) -> str:
        if value == "" and self.flavour.empty_schooljaar_is_current:
            return schooljaar_of(now.year, now.month)
        try:
            return check_schooljaar(value)
        except ValueError as exc:
            raise _ongeldig(str(exc)) from None

    @staticmethod
    def _authorise(school: School | None, keys: list[Sleutel], autorisatie: Autorisatie) -> None:
        """Key issued by this LAS for this school; then the klantcode it was issued to."""
        if school is None:
            key_matches(autorisatie.autorisatiesleutel, "0" * 64)  # same work as a real check
            raise _refused()
        matched = [k for k in keys if key_matches(autorisatie.autorisatiesleutel, k.key_hash)]
        if not matched:
            raise _refused()
        if not any(
            hmac.compare_digest(k.klantcode.encode(), autorisatie.klantcode.encode())
            for k in matched
        ):
            raise SoapFault(
                "Client.OngeldigeKlantIdentificatie",
                "De klantcode hoort niet bij deze autorisatiesleutel",
            )

    def _gegevens(self, data: SchoolData, verzoek: Verzoek, now: datetime) -> uwlr.Leerlinggegevens:
        show_sg = data.school.samengestelde_groepen or not self.flavour.samengestelde_opt_in
        groups = [g for g in data.groepen if show_sg or not g.samengesteld]
        visible = {g.key for g in groups}
        rich = data.school.profiel == RIJK
        flavour = self.flavour
        vestiging = _vestiging(data.school) if rich and flavour.sends_vestigingen else None
        convert = _rich_leerling if rich else _leerling
        pupils = [
            convert(p, visible, flavour.sends_voorletters, vestiging) for p in data.leerlingen
        ]
        staff = [_leerkracht(s, visible) for s in data.leerkrachten]
        if verzoek.groepen:
            pupils = [p for p in pupils if _pupil_in(p, verzoek.groepen)]
            staff = [s for s in staff if _staff_in(s, verzoek.groepen)]
        school = uwlr.School(
            data.school.schooljaar,
            data.school.brincode,
            data.school.dependancecode,
            aanmaakdatum=now,
            xsdversie=verzoek.xsdversie,
            schoolkey=_schoolkey(data.school) if rich and flavour.sends_schoolkey else None,
        )
        # Minimal: stamgroepen first. Rich: the samengestelde groepen among them, as the standard
        # allows and real LASes send (a client must not expect one kind before the other).
        ordered = _mixed(groups) if rich else sorted(groups, key=lambda g: g.samengesteld)
        return uwlr.Leerlinggegevens(
            school,
            tuple(_groep(g) for g in ordered),
            tuple(pupils),
            tuple(staff),
            (vestiging,) if vestiging is not None else (),
        )

    @staticmethod
    def _has_content(operation: str, gegevens: uwlr.Leerlinggegevens) -> bool:
        if operation == "HaalLeerkrachten":
            return bool(gegevens.leerkrachten)
        if operation == "HaalStructuur":
            return True
        return bool(gegevens.leerlingen)

    # --- admin API -----------------------------------------------------------------------------

    def create_school(self, body: Any) -> dict[str, Any]:
        """``POST /api/scholen``: generate a school from its seed and keep it."""
        body = validate_body("las_school", body)
        brin, dep = body["brincode"], body.get("dependancecode", "00")
        now = self.clock.now(brin, dep)
        schooljaar = body.get("schooljaar") or schooljaar_of(now.year, now.month)
        _check_years(schooljaar)
        seed = body["seed"] if "seed" in body else random.SystemRandom().randrange(2**31)
        fake = generate_school(
            seed,
            brincode=brin,
            dependancecode=dep,
            schooljaar=schooljaar,
            naam=body.get("naam"),
            aantal_leerlingen=body.get("aantal_leerlingen", 60),
        )
        profiel = body.get("profiel", RIJK)
        # ESIS shows samengestelde groepen only to a school that uses them; a rich school does,
        # a minimal one does not, unless the body says otherwise.
        samengesteld = body.get("samengestelde_groepen", profiel == RIJK)
        with self.db.begin() as conn:
            if self.store.school(conn, brin, dep) is not None:
                raise conflict(
                    f"{self.flavour.title} kent school {brin}-{dep} al", field="brincode"
                )
            school = self.store.insert_school(
                conn, fake, samengestelde_groepen=samengesteld, now=now, profiel=profiel
            )
            data = self.store.data(conn, school)
        return data.as_json()

    def delete_school(self, brin: str, dep: str) -> None:
        """``DELETE`` a school and all it holds; also fine when it is not there (idempotent)."""
        with self.db.begin() as conn:
            self.store.delete_school(conn, brin, dep)

    def school(self, brin: str, dep: str) -> School:
        """The school, or 404 problem details."""
        with self.db.read() as conn:
            return self._known(self.store.school(conn, brin, dep), brin, dep)

    def school_data(self, brin: str, dep: str) -> SchoolData:
        """The school and all it holds, or 404 problem details (as kept for the SOAP answers:
        read again only when a LAS table changed)."""
        school, _keys, data = self._schools.get((brin, dep), lambda: self._read(brin, dep))
        self._known(school, brin, dep)
        assert data is not None
        return data

    def _known(self, school: School | None, brin: str, dep: str) -> School:
        if school is None:
            raise not_found("School", f"{self.flavour.title} kent school {brin}-{dep} niet")
        return school

    def issue_key(self, brin: str, dep: str, body: Any) -> dict[str, Any]:
        """A new key for a klant; the only answer that ever carries it in full."""
        body = validate_body("las_sleutel", body)
        school = self.school(brin, dep)
        key = new_key(self.flavour.key_prefix)
        sleutel = Sleutel(body["klantcode"], body["klantnaam"], key_hash(key))
        now = self.clock.now(brin, dep)
        with self.db.begin() as conn:
            self.store.store_key(
                conn, school, sleutel, now, one_per_school=self.flavour.one_key_per_school
            )
        return {
            "autorisatiesleutel": key,
            "klantcode": body["klantcode"],
            "klantnaam": body["klantnaam"],
            "brincode": brin,
            "dependancecode": dep,
        }

    def pupils(self, brin: str, dep: str) -> dict[str, Any]:
        data = self.school_data(brin, dep)
        return {
            "school": data.school.as_json(),
            "leerlingen": [p.as_json() for p in data.leerlingen],
        }

    def pupils_encoded(
        self, brin: str, dep: str, encode: Callable[[dict[str, Any]], bytes]
    ) -> bytes:
        """:meth:`pupils` as ``encode`` writes it, kept until a LAS table changes: under load
        the list is asked for as often as the SOAP answers, and building and encoding 40
        pupils costs more than the rest of the request."""
        return self._pupil_lists.get((brin, dep), lambda: encode(self.pupils(brin, dep)))

    def add_pupil(self, brin: str, dep: str, body: Any) -> dict[str, Any]:
        """A new pupil: generated from ``seed``, any field given in the body wins."""
        body = validate_body("las_leerling", body)
        data = self.school_data(brin, dep)
        group = self._group(data, body.get("groep"))
        taken = {p.leerlingnummer for p in data.leerlingen}
        seed = body.get("seed", random.SystemRandom().randrange(2**31))
        eckids = {p.eckid for p in data.leerlingen if p.eckid}
        fake = new_pupil(seed, group, data.school.schooljaar, taken, eckids)
        values = self._pupil_values(data, {**_pupil_dict(fake), **body}, own=None)
        now = self.clock.now(brin, dep)
        pupil = Leerling(**values, mutatiedatum=now)
        with self.db.begin() as conn:
            if self.store.leerling_id(conn, data.school.id, pupil.leerlingnummer) is not None:
                raise conflict(
                    f"leerlingnummer {pupil.leerlingnummer} bestaat al", field="leerlingnummer"
                )
            self.store.insert_leerlingen(conn, data.school.id, [pupil])
            self.store.touch(conn, data.school.id, now)
        return pupil.as_json()

    def change_pupil(
        self, brin: str, dep: str, nummer: str, body: Any, *, replace: bool
    ) -> dict[str, Any]:
        """PUT (``replace``) or PATCH a pupil; a new ``leerlingnummer`` renumbers it."""
        body = validate_body("las_leerling_put" if replace else "las_leerling_patch", body)
        data = self.school_data(brin, dep)
        current = next((p for p in data.leerlingen if p.leerlingnummer == nummer), None)
        if current is None:
            raise not_found("Leerling", f"leerling {nummer} is niet van school {brin}-{dep}")
        base = _pupil_dict(current)
        if replace:
            base.update(
                voorvoegsel=None, voornamen=None, voorletters=None, samengestelde_groepen=()
            )
        values = self._pupil_values(data, {**base, **body}, own=nummer)
        now = self.clock.now(brin, dep)
        school_id = data.school.id
        with self.db.begin() as conn:
            renumbered = values["leerlingnummer"]
            if renumbered != nummer and (
                self.store.leerling_id(conn, school_id, renumbered) is not None
            ):
                raise conflict(f"leerlingnummer {renumbered} bestaat al", field="leerlingnummer")
            pupil_id = self.store.leerling_id(conn, school_id, nummer)
            if pupil_id is not None:
                self.store.update_leerling(conn, pupil_id, values, now)
                self.store.touch(conn, school_id, now)
        return Leerling(**values, mutatiedatum=now).as_json()

    def remove_pupil(self, brin: str, dep: str, nummer: str) -> None:
        school = self.school(brin, dep)
        now = self.clock.now(brin, dep)
        with self.db.begin() as conn:
            pupil_id = self.store.leerling_id(conn, school.id, nummer)
            if pupil_id is None:
                raise not_found("Leerling", f"leerling {nummer} is niet van school {brin}-{dep}")
            self.store.delete_leerling(conn, pupil_id)
            self.store.touch(conn, school.id, now)

    def _group(self, data: SchoolData, key: str | None) -> FakeGroup:
        stam = [g for g in data.groepen if not g.samengesteld]
        if key is None:
            return stam[0]
        for group in stam:
            if group.key == key:
                return group
        raise invalid(
            "groep", f"geen stamgroep met key {key!r}; bekend: " + ", ".join(g.key for g in stam)
        )

    def _pupil_values(
        self, data: SchoolData, values: dict[str, Any], *, own: str | None
    ) -> dict[str, Any]:
        """The stored fields of a pupil; ``own`` is its current leerlingnummer (a change)."""
        group = self._group(data, values["groep"])
        eckid = values.get("eckid")
        if eckid and any(p.eckid == eckid for p in data.leerlingen if p.leerlingnummer != own):
            raise invalid("eckid", "een andere leerling van deze school heeft dit eckid al")
        combined = {g.key for g in data.groepen if g.samengesteld}
        unknown = [k for k in values.get("samengestelde_groepen") or () if k not in combined]
        if unknown:
            raise invalid("samengestelde_groepen", f"onbekende samengestelde groep {unknown[0]!r}")
        geboortedatum = _a_date(values, "geboortedatum")
        return {
            "leerlingnummer": values["leerlingnummer"],
            "roepnaam": values["roepnaam"],
            "voorvoegsel": values.get("voorvoegsel"),
            "achternaam": values["achternaam"],
            "geboortedatum": geboortedatum,
            "geslacht": values.get("geslacht") or "0",
            "jaargroep": group.jaargroep or "",
            "groep": group.key,
            "samengestelde_groepen": tuple(values.get("samengestelde_groepen") or ()),
            "bsn": values.get("bsn") or "",
            "voornamen": values.get("voornamen"),
            "voorletters": values.get("voorletters"),
            "eckid": values.get("eckid"),
            "instroomdatum": _a_date(values, "instroomdatum"),
        }


def _a_date(values: dict[str, Any], field: str) -> Any:
    """A date field of a pupil body (a date, an ISO string, or None), or 422 naming it."""
    value = values.get(field)
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise invalid(field, f"geen datum: {value!r}") from None
        if not 1900 <= value.year <= 2999:
            raise invalid(field, f"{value.isoformat()} ligt buiten 1900-2999")
    return value


def _refused() -> SoapFault:
    return SoapFault(
        "Client.AutorisatieOngeldig", "De autorisatiesleutel is niet geldig voor deze school"
    )


def _exception(verzoek: Verzoek, kind: AnswerKind) -> bytes:
    return answer_envelope(build_exception_answer(verzoek.operation, kind))


def _check_years(schooljaar: str) -> None:
    try:
        check_schooljaar(schooljaar)
    except ValueError as exc:
        raise invalid("schooljaar", str(exc)) from None


# --- conversions -------------------------------------------------------------------------------


def _groep(g: FakeGroup) -> uwlr.Groep:
    return uwlr.Groep(g.key, g.naam, g.jaargroep, g.omschrijving, g.samengesteld)


def _schoolkey(school: School) -> str:
    """ParnasSys's own id of a school (stable: derived from the school's seed)."""
    return f"PNS-{100000 + school.seed % 900000}"


def _vestiging(school: School) -> uwlr.Vestiging:
    """ESIS's one vestiging of a BRIN+dependance: the school's main location."""
    return uwlr.Vestiging(
        f"{school.brincode}{school.dependancecode}", school.naam[:64], "Hoofdvestiging"
    )


def _mixed(groups: list[FakeGroup]) -> list[FakeGroup]:
    """The stamgroepen in their order, the n-th samengestelde groep right after the stamgroepen
    of jaargroep 3n (3, 6, then the end): mixed, as a real LAS lists them."""
    stam = [g for g in groups if not g.samengesteld]
    slots: dict[str, list[FakeGroup]] = {}
    for index, group in enumerate(g for g in groups if g.samengesteld):
        slots.setdefault(str(min(8, 3 * (index + 1))), []).append(group)
    ordered: list[FakeGroup] = []
    for index, group in enumerate(stam):
        ordered.append(group)
        last_of_year = index + 1 == len(stam) or stam[index + 1].jaargroep != group.jaargroep
        if last_of_year:
            ordered.extend(slots.pop(group.jaargroep or "", []))
    for rest in slots.values():
        ordered.extend(rest)
    return ordered


def _rich_leerling(
    p: Leerling, visible: set[str], voorletters: bool, vestiging: uwlr.Vestiging | None
) -> uwlr.Leerling:
    # Positional, in the field order of uwlr.Leerling: 1,000 of these per answer.
    sg = p.samengestelde_groepen
    return uwlr.Leerling(
        p.leerlingnummer,
        p.achternaam,
        p.roepnaam,
        p.voorvoegsel,
        p.geboortedatum,
        p.geslacht,
        p.jaargroep or None,
        p.groep or None,
        tuple(k for k in sg if k in visible) if sg else (),
        p.bsn[-4:] if p.bsn else None,
        p.mutatiedatum,
        p.voornamen,
        p.voorletters if voorletters else None,
        p.eckid,
        p.instroomdatum,
        vestiging.key if vestiging is not None else None,
    )


def _leerling(
    p: Leerling, visible: set[str], voorletters: bool = False, vestiging: object = None
) -> uwlr.Leerling:
    """The minimal profile: the fields every LAS sends, nothing optional beyond them."""
    return uwlr.Leerling(
        key=p.leerlingnummer,
        achternaam=p.achternaam,
        roepnaam=p.roepnaam,
        voorvoegsel=p.voorvoegsel,
        geboortedatum=p.geboortedatum,
        geslacht=p.geslacht,
        jaargroep=p.jaargroep or None,
        groep=p.groep or None,
        samengestelde_groepen=tuple(k for k in p.samengestelde_groepen if k in visible),
        bsn_ondwnr_4=p.bsn[-4:] if p.bsn else None,
        mutatiedatum=p.mutatiedatum,
    )


def _leerkracht(s: FakeStaff, visible: set[str]) -> uwlr.Leerkracht:
    return uwlr.Leerkracht(
        key=s.key,
        achternaam=s.achternaam,
        roepnaam=s.roepnaam,
        voorvoegsel=s.voorvoegsel,
        emailadres=s.emailadres,
        groepen=s.groepen,
        samengestelde_groepen=tuple(k for k in s.samengestelde_groepen if k in visible),
    )


def _matches(stam: str | None, combined: tuple[str, ...], refs: tuple[GroepRef, ...]) -> bool:
    for ref in refs:
        if ref.samengesteld and (ref.key in combined if ref.key else not combined):
            return True
        if not ref.samengesteld and (ref.key == stam if ref.key else not stam):
            return True
    return False


def _pupil_in(p: uwlr.Leerling, refs: tuple[GroepRef, ...]) -> bool:
    return _matches(p.groep, p.samengestelde_groepen, refs)


def _staff_in(s: uwlr.Leerkracht, refs: tuple[GroepRef, ...]) -> bool:
    if not s.groepen and not s.samengestelde_groepen:
        return _matches(None, (), refs)
    return any(_matches(g, s.samengestelde_groepen, refs) for g in s.groepen or (None,))


def _pupil_dict(p: FakePupil | Leerling) -> dict[str, Any]:
    return {
        "leerlingnummer": p.leerlingnummer,
        "roepnaam": p.roepnaam,
        "voorvoegsel": p.voorvoegsel,
        "achternaam": p.achternaam,
        "geboortedatum": p.geboortedatum,
        "geslacht": p.geslacht,
        "groep": p.groep,
        "samengestelde_groepen": p.samengestelde_groepen,
        "bsn": p.bsn,
        "voornamen": p.voornamen,
        "voorletters": p.voorletters,
        "eckid": p.eckid,
        "instroomdatum": p.instroomdatum,
    }


__all__ = ["FLAVOURS", "MINIMAAL", "PROFIELEN", "RIJK", "Flavour", "LasService", "flavour_of"]
