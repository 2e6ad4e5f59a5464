"""The business of a LAS mock, with no Flask: answering UWLR requests and the admin API.

One class serves both flavours; a :class:`Flavour` holds everything that differs between
ParnasSys and ESIS (path, key prefix, accepted xsdversies and the ESIS quirks in
docs/architecture.md). Views in ``app.py`` only move bytes and JSON in and out of
:class:`LasService`."""

from __future__ import annotations

import hmac
import random
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from koppeling.fakedata import FakeGroup, FakePupil, FakeStaff, generate_school, new_pupil
from koppeling.harness.clock import Clock
from koppeling.harness.errors import SoapFault, conflict, invalid, not_found
from koppeling.harness.keys import key_hash, key_matches, new_key
from koppeling.harness.schemas import validate_body
from koppeling.harness.schools import (
    check_brincode,
    check_dependancecode,
    check_schooljaar,
    schooljaar_of,
)
from koppeling.uwlr.autorisatie import Autorisatie
from koppeling.uwlr.leerlinggegevens import (
    AnswerKind,
    GroepRef,
    Leerkracht,
    Leerling,
    Leerlinggegevens,
    School,
    Verzoek,
    answer_envelope,
    build_exception_answer,
    render_answer,
)
from koppeling.uwlr.leerlinggegevens import Groep as UwlrGroep
from mocks.las.store import LasStore, PupilRow, SchoolData, SchoolExists, SchoolRow


@dataclass(frozen=True)
class Flavour:
    """What differs between the two LAS vendors."""

    name: str
    title: str
    path: str
    key_prefix: str
    xsd_versions: tuple[str, ...]
    empty_schooljaar_is_current: bool
    samengestelde_opt_in: bool
    one_key_per_school: bool


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
    ),
    "esis": Flavour(
        "esis", "ESIS", "/UWLR/UwlrStandaard2.2.svc", "esis", ("2.2",), True, True, True
    ),
}


def flavour_of(name: object) -> Flavour:
    """The flavour named in the config, or ValueError listing the two."""
    if not isinstance(name, str) or name not in FLAVOURS:
        raise ValueError(f"LAS flavour must be one of {', '.join(FLAVOURS)}, got {name!r}")
    return FLAVOURS[name]


def _ongeldig(message: str) -> SoapFault:
    return SoapFault("Client.OngeldigBericht", message)


class LasService:
    """One LAS: its schools, keys and the UWLR Leerlinggegevens answers."""

    def __init__(self, flavour: Flavour, store: LasStore, clock: Clock) -> None:
        self.flavour = flavour
        self.store = store
        self.clock = clock

    # --- UWLR ----------------------------------------------------------------------------------

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
        data = self.store.data(brin, dep)
        self._authorise(data.school if data else None, autorisatie)
        assert data is not None
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

    def _authorise(self, school: SchoolRow | None, autorisatie: Autorisatie) -> None:
        """Key issued by this LAS for this school; then the klantcode it was issued to."""
        refused = SoapFault(
            "Client.AutorisatieOngeldig", "De autorisatiesleutel is niet geldig voor deze school"
        )
        if school is None:
            key_matches(autorisatie.autorisatiesleutel, "0" * 64)  # same work as a real check
            raise refused
        matched = [
            k
            for k in self.store.keys(school)
            if key_matches(autorisatie.autorisatiesleutel, k.key_hash)
        ]
        if not matched:
            raise refused
        if not any(
            hmac.compare_digest(k.klantcode.encode(), autorisatie.klantcode.encode())
            for k in matched
        ):
            raise SoapFault(
                "Client.OngeldigeKlantIdentificatie",
                "De klantcode hoort niet bij deze autorisatiesleutel",
            )

    def _gegevens(self, data: SchoolData, verzoek: Verzoek, now: datetime) -> Leerlinggegevens:
        show_sg = data.school.samengestelde_groepen or not self.flavour.samengestelde_opt_in
        groups = [g for g in data.groups if show_sg or not g.samengesteld]
        visible = {g.key for g in groups}
        pupils = [_leerling(p, at, visible) for p, at in data.pupils]
        staff = [_leerkracht(s, visible) for s in data.staff]
        if verzoek.groepen:
            pupils = [p for p in pupils if _pupil_in(p, verzoek.groepen)]
            staff = [s for s in staff if _staff_in(s, verzoek.groepen)]
        school = School(
            data.school.schooljaar,
            data.school.brincode,
            data.school.dependancecode,
            aanmaakdatum=now,
            xsdversie=verzoek.xsdversie,
        )
        ordered = sorted(groups, key=lambda g: g.samengesteld)  # stamgroepen first (our WSDL)
        return Leerlinggegevens(
            school, tuple(_groep(g) for g in ordered), tuple(pupils), tuple(staff)
        )

    @staticmethod
    def _has_content(operation: str, gegevens: Leerlinggegevens) -> bool:
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
        try:
            data = self.store.create_school(
                fake, samengestelde_groepen=body.get("samengestelde_groepen", False), now=now
            )
        except SchoolExists:
            raise conflict(
                f"{self.flavour.title} kent school {brin}-{dep} al", field="brincode"
            ) from None
        return school_json(data)

    def school(self, brin: str, dep: str) -> SchoolRow:
        """The school, or 404 problem details."""
        school = self.store.school(brin, dep)
        if school is None:
            raise not_found("School", f"{self.flavour.title} kent school {brin}-{dep} niet")
        return school

    def school_data(self, brin: str, dep: str) -> SchoolData:
        data = self.store.data(brin, dep)
        if data is None:
            raise not_found("School", f"{self.flavour.title} kent school {brin}-{dep} niet")
        return data

    def issue_key(self, brin: str, dep: str, body: Any) -> dict[str, Any]:
        """A new key for a klant; the only answer that ever carries it in full."""
        body = validate_body("las_sleutel", body)
        school = self.school(brin, dep)
        key = new_key(self.flavour.key_prefix)
        self.store.store_key(
            school,
            body["klantcode"],
            body["klantnaam"],
            key_hash(key),
            self.clock.now(brin, dep),
            one_per_school=self.flavour.one_key_per_school,
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
            "leerlingen": [pupil_json(p, at) for p, at in data.pupils],
        }

    def add_pupil(self, brin: str, dep: str, body: Any) -> dict[str, Any]:
        """A new pupil: generated from ``seed``, any field given in the body wins."""
        body = validate_body("las_leerling", body)
        data = self.school_data(brin, dep)
        group = self._group(data, body.get("groep"))
        taken = {p.leerlingnummer for p, _ in data.pupils}
        seed = body.get("seed", random.SystemRandom().randrange(2**31))
        fake = new_pupil(seed, group, data.school.schooljaar, taken)
        values = self._pupil_values(data, {**_pupil_dict(fake), **body})
        pupil = FakePupil(**values)
        now = self.clock.now(brin, dep)
        if not self.store.add_pupil(data.school, pupil, now):
            raise conflict(
                f"leerlingnummer {pupil.leerlingnummer} bestaat al", field="leerlingnummer"
            )
        return pupil_json(pupil, now)

    def change_pupil(
        self, brin: str, dep: str, nummer: str, body: Any, *, replace: bool
    ) -> dict[str, Any]:
        """PUT (``replace``) or PATCH a pupil; a new ``leerlingnummer`` renumbers it."""
        body = validate_body("las_leerling_put" if replace else "las_leerling_patch", body)
        data = self.school_data(brin, dep)
        current = next((p for p, _ in data.pupils if p.leerlingnummer == nummer), None)
        if current is None:
            raise not_found("Leerling", f"leerling {nummer} is niet van school {brin}-{dep}")
        base = _pupil_dict(current)
        if replace:
            base.update(voorvoegsel=None, samengestelde_groepen=())
        values = self._pupil_values(data, {**base, **body})
        if values["leerlingnummer"] != nummer and self.store.pupil_exists(
            data.school, values["leerlingnummer"]
        ):
            raise conflict(
                f"leerlingnummer {values['leerlingnummer']} bestaat al", field="leerlingnummer"
            )
        now = self.clock.now(brin, dep)
        self.store.update_pupil(data.school, nummer, values, now)
        return pupil_json(FakePupil(**values), now)

    def remove_pupil(self, brin: str, dep: str, nummer: str) -> None:
        school = self.school(brin, dep)
        if not self.store.delete_pupil(school, nummer, self.clock.now(brin, dep)):
            raise not_found("Leerling", f"leerling {nummer} is niet van school {brin}-{dep}")

    def _group(self, data: SchoolData, key: str | None) -> FakeGroup:
        stam = [g for g in data.groups if not g.samengesteld]
        if key is None:
            return stam[0]
        for group in stam:
            if group.key == key:
                return group
        raise invalid(
            "groep", f"geen stamgroep met key {key!r}; bekend: " + ", ".join(g.key for g in stam)
        )

    def _pupil_values(self, data: SchoolData, values: dict[str, Any]) -> dict[str, Any]:
        group = self._group(data, values["groep"])
        combined = {g.key for g in data.groups if g.samengesteld}
        unknown = [k for k in values.get("samengestelde_groepen") or () if k not in combined]
        if unknown:
            raise invalid("samengestelde_groepen", f"onbekende samengestelde groep {unknown[0]!r}")
        geboortedatum = values["geboortedatum"]
        if isinstance(geboortedatum, str):
            try:
                geboortedatum = date.fromisoformat(geboortedatum)
            except ValueError:
                raise invalid("geboortedatum", f"geen datum: {geboortedatum!r}") from None
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
        }


def _exception(verzoek: Verzoek, kind: AnswerKind) -> bytes:
    return answer_envelope(build_exception_answer(verzoek.operation, kind))


def _check_years(schooljaar: str) -> None:
    try:
        check_schooljaar(schooljaar)
    except ValueError as exc:
        raise invalid("schooljaar", str(exc)) from None


# --- conversions -------------------------------------------------------------------------------


def _groep(g: FakeGroup) -> UwlrGroep:
    return UwlrGroep(g.key, g.naam, g.jaargroep, g.omschrijving, g.samengesteld)


def _leerling(p: PupilRow, at: datetime, visible: set[str]) -> Leerling:
    return Leerling(
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
        mutatiedatum=at,
    )


def _leerkracht(s: FakeStaff, visible: set[str]) -> Leerkracht:
    return Leerkracht(
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


def _pupil_in(p: Leerling, refs: tuple[GroepRef, ...]) -> bool:
    return _matches(p.groep, p.samengestelde_groepen, refs)


def _staff_in(s: Leerkracht, refs: tuple[GroepRef, ...]) -> bool:
    if not s.groepen and not s.samengestelde_groepen:
        return _matches(None, (), refs)
    return any(_matches(g, s.samengestelde_groepen, refs) for g in s.groepen or (None,))


def _pupil_dict(p: FakePupil | PupilRow) -> dict[str, Any]:
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
    }


def pupil_json(p: FakePupil | PupilRow, at: datetime) -> dict[str, Any]:
    """A pupil as the admin API shows it."""
    return {
        "leerlingnummer": p.leerlingnummer,
        "roepnaam": p.roepnaam,
        "voorvoegsel": p.voorvoegsel,
        "achternaam": p.achternaam,
        "geboortedatum": p.geboortedatum.isoformat(),
        "geslacht": p.geslacht,
        "jaargroep": p.jaargroep,
        "groep": p.groep,
        "samengestelde_groepen": list(p.samengestelde_groepen),
        "bsn": p.bsn,
        "bsn_ondwnr_4": p.bsn[-4:] if p.bsn else None,
        "mutatiedatum": at.isoformat(),
    }


def school_json(data: SchoolData) -> dict[str, Any]:
    """A school with its groups, pupils and staff, as ``POST /api/scholen`` answers."""
    return {
        **data.school.as_json(),
        "groepen": [
            {
                "key": g.key,
                "naam": g.naam,
                "jaargroep": g.jaargroep,
                "samengesteld": g.samengesteld,
                "omschrijving": g.omschrijving,
            }
            for g in data.groups
        ],
        "leerlingen": [pupil_json(p, at) for p, at in data.pupils],
        "leerkrachten": [
            {
                "key": s.key,
                "roepnaam": s.roepnaam,
                "voorvoegsel": s.voorvoegsel,
                "achternaam": s.achternaam,
                "emailadres": s.emailadres,
                "groepen": list(s.groepen),
                "samengestelde_groepen": list(s.samengestelde_groepen),
            }
            for s in data.staff
        ],
    }


__all__ = ["FLAVOURS", "Flavour", "LasService", "flavour_of", "pupil_json", "school_json"]
