"""UWLR 2.2 Leerresultaten (BrengLeerresultaten): the request as dataclasses, built and parsed.

Two parties speak this message: the stand-in testcentrum's forwarder sends it, the Schoolkr8 mock
receives it. Both use this one codec so that what is sent and what is understood cannot drift; the
official XSD (``UWLR_Leerresultaten_v2p2.xsd``) stays a test-only oracle, so the structure rules it
states are checked here, in code, and every violation is ``Client.OngeldigBericht`` naming the spot.

Public API:

- dataclasses ``School``, ``Toetsscore``, ``Referentiescore``, ``Resultaat``, ``Toetsafname``,
  ``Norm``, ``Normering``, ``Toets``, ``LeerresultatenVerzoek``;
- ``Resultaat.genormeerd(...)``: a normed result (ruwe score, vaardigheidsscore, percentiel, niveau,
  DLE) in the OSO form the XSD offers for them;
- ``build_verzoek(verzoek) -> lxml element`` (``leerresultaten_verzoek``);
- ``parse_verzoek(element) -> LeerresultatenVerzoek`` (raises ``SoapFault`` Client.OngeldigBericht);
- ``leerresultaten_bevestiging() -> lxml element`` (the empty answer);
- ``request_envelope(verzoek_element, autorisatie) -> bytes`` (SOAP 1.1 + autorisatie header);
- constants ``SOAP_ACTION`` ("BrengLeerresultaten"), ``NS`` (leerresultaten namespace), ``NS_OSO``.

Where the XSD is silent on meaning, the harness fixes it: a normed figure travels as an
``oso:referentiescore`` whose ``codereferentiescore`` names it (``percentiel``, ``niveau``, ``dle``,
``niveau_ae``) with ``codevergelijkingsgroep`` ``landelijk``; the ruwe score as ``oso:toetsscore/
aantalgoed``; the vaardigheidsscore as ``oso:toetsscore/vaardigheidsscore``. A plain ruwe score
without norming may instead use the XSD's ``score`` (a non-negative integer).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from koppeling.harness.errors import SoapFault
from koppeling.uwlr.autorisatie import NS_LEERRESULTATEN, XSD_VERSION, Autorisatie
from koppeling.uwlr.soap import SOAP_ENV, out_of_range

NS = NS_LEERRESULTATEN
NS_OSO = "http://www.edustandaard.nl/oso_gegevensset/1.2/dossier"
NS_XSI = "http://www.w3.org/2001/XMLSchema-instance"
SOAP_ACTION = "BrengLeerresultaten"
VERGELIJKINGSGROEP = "landelijk"
_VOCAB_ATTRS = frozenset({"vocabulaire", "vocabulairelocatie"})
_BRIN = re.compile(r"\d{2}[A-Z]{2}", re.ASCII)
_DEP = re.compile(r"\d{2}", re.ASCII)
_SCHOOLJAAR = re.compile(r"[1-2]\d{3}-[1-2]\d{3}", re.ASCII)
_DATE = re.compile(r"(-?\d{4,})-(\d{2})-(\d{2})(Z|[+-]\d{2}:\d{2})?", re.ASCII)
_DATETIME = re.compile(
    r"-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?", re.ASCII
)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)", re.ASCII)
# A score is a bounded decimal: at most 18 digits in all (xs:decimal guarantees 18), so a
# 1,000,000-digit vaardigheidsscore is refused at the door, not stored and shown.
_MAX_DIGITS = 18


# --------------------------------------------------------------------------- the message, as data


@dataclass(frozen=True)
class School:
    """``school`` (ctpSchool): who the results are for, identified by BRIN + dependancecode."""

    schooljaar: str
    brincode: str
    aanmaakdatum: datetime
    dependancecode: str = "00"
    xsdversie: str = XSD_VERSION
    auteur: str | None = None
    commentaar: str | None = None


@dataclass(frozen=True)
class Toetsscore:
    """``oso:toetsscore``: raw counts and the vaardigheidsscore of one afname."""

    aantalopgaven: int | None = None
    aantalgoed: int | None = None
    aantalfout: int | None = None
    aantalgelezen: int | None = None
    tijd: Decimal | None = None
    vaardigheidsscore: Decimal | None = None
    codevaardigheidsschaal: str | None = None
    bivlaag: Decimal | None = None
    bivhoog: Decimal | None = None


@dataclass(frozen=True)
class Referentiescore:
    """``oso:referentiescore``: one normed figure (code, comparison group, value)."""

    codereferentiescore: str
    waarde: str
    codevergelijkingsgroep: str = VERGELIJKINGSGROEP
    kwalificatie: str | None = None


@dataclass(frozen=True)
class Resultaat:
    """``resultaat@key``: one result; ``score`` or the OSO form (toetsscore/referentiescores)."""

    key: str
    afnamedatum: date
    toetscode: str
    score: int | None = None
    toetsscore: Toetsscore | None = None
    referentiescores: tuple[Referentiescore, ...] = ()
    versie: str | None = None
    toetsonderdeelcode: str | None = None
    infourl: str | None = None

    @classmethod
    def genormeerd(
        cls,
        key: str,
        afnamedatum: date,
        toetscode: str,
        *,
        ruwe_score: int | None = None,
        vaardigheidsscore: Decimal | int | float | None = None,
        percentiel: int | None = None,
        niveau: str | None = None,
        niveau_ae: str | None = None,
        dle: int | None = None,
        codevaardigheidsschaal: str | None = None,
    ) -> Resultaat:
        """A normed result in the OSO form (see the module docstring for the codes)."""
        figures = {"percentiel": percentiel, "niveau": niveau, "niveau_ae": niveau_ae, "dle": dle}
        refs = tuple(
            Referentiescore(code, str(value))
            for code, value in figures.items()
            if value is not None
        )
        score = Toetsscore(
            aantalgoed=ruwe_score,
            vaardigheidsscore=None
            if vaardigheidsscore is None
            else Decimal(str(vaardigheidsscore)),
            codevaardigheidsschaal=codevaardigheidsschaal,
        )
        return cls(key, afnamedatum, toetscode, toetsscore=score, referentiescores=refs)

    def referentie(self, code: str) -> str | None:
        """The value of the referentiescore named ``code`` (e.g. "percentiel"), if present."""
        for ref in self.referentiescores:
            if ref.codereferentiescore == code:
                return ref.waarde
        return None

    @property
    def ruwe_score(self) -> int | None:
        """``score`` or, in the OSO form, ``toetsscore/aantalgoed``."""
        if self.score is not None:
            return self.score
        return self.toetsscore.aantalgoed if self.toetsscore else None

    @property
    def vaardigheidsscore(self) -> Decimal | None:
        return self.toetsscore.vaardigheidsscore if self.toetsscore else None

    @property
    def percentiel(self) -> str | None:
        return self.referentie("percentiel")

    @property
    def niveau(self) -> str | None:
        return self.referentie("niveau")

    @property
    def dle(self) -> str | None:
        return self.referentie("dle")


@dataclass(frozen=True)
class Toetsafname:
    """``toetsafname``: the results of one pupil (``leerlingid`` = the leerlingnummer)."""

    leerlingid: str
    resultaten: tuple[Resultaat, ...]
    eckid: str | None = None
    resultaatverwerkerid: str | None = None


@dataclass(frozen=True)
class Norm:
    """``norm``: one band of a normering (term, begin and end score)."""

    term: str
    beginnormwaarde: int
    eindnormwaarde: int
    omschrijving: str | None = None
    schoolcijfer_vanaf: Decimal | None = None
    schoolcijfer_totenmet: Decimal | None = None


@dataclass(frozen=True)
class Normering:
    """``toetsnormering`` (ctpNormering): at least one norm."""

    normen: tuple[Norm, ...]
    toetscategorie: str | None = None
    toetsniveau: str | None = None
    wegingsfactor: Decimal | None = None


@dataclass(frozen=True)
class Toets:
    """``toets``: the definition of a test the results refer to by ``toetscode``."""

    toetscode: str
    toetsnaam: str | None = None
    versie: str | None = None
    leerjaar: str | None = None
    vakgebied: str | None = None
    normering: Normering | None = None


@dataclass(frozen=True)
class LeerresultatenVerzoek:
    """``leerresultaten_verzoek``: the whole BrengLeerresultaten request."""

    school: School
    toetsafnames: tuple[Toetsafname, ...]
    toetsen: tuple[Toets, ...] = field(default=())

    def resultaten(self) -> Iterator[tuple[Toetsafname, Resultaat]]:
        """Every result with the afname (pupil) it belongs to."""
        for afname in self.toetsafnames:
            for resultaat in afname.resultaten:
                yield afname, resultaat


# --------------------------------------------------------------------------- building


def _sub(parent: etree._Element, name: str, value: object, ns: str = NS) -> etree._Element | None:
    if value is None:
        return None
    el = etree.SubElement(parent, f"{{{ns}}}{name}")
    el.text = _text(value)
    return el


def _text(value: object) -> str:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def build_verzoek(verzoek: LeerresultatenVerzoek) -> etree._Element:
    """The ``leerresultaten_verzoek`` element for ``verzoek`` (valid against the official XSD)."""
    if not verzoek.toetsafnames:
        raise ValueError("a leerresultaten_verzoek needs at least one toetsafname")
    if not verzoek.toetsen:
        raise ValueError("a leerresultaten_verzoek needs at least one toets")
    root = etree.Element(f"{{{NS}}}leerresultaten_verzoek", nsmap={"lr": NS, "oso": NS_OSO})
    _build_school(root, verzoek.school)
    afnames = etree.SubElement(root, f"{{{NS}}}toetsafnames")
    for afname in verzoek.toetsafnames:
        _build_afname(afnames, afname)
    toetsen = etree.SubElement(root, f"{{{NS}}}toetsen")
    for toets in verzoek.toetsen:
        _build_toets(toetsen, toets)
    return root


def _build_school(root: etree._Element, school: School) -> None:
    el = etree.SubElement(root, f"{{{NS}}}school")
    _sub(el, "schooljaar", school.schooljaar)
    _sub(el, "brincode", school.brincode)
    _sub(el, "dependancecode", school.dependancecode)
    _sub(el, "aanmaakdatum", school.aanmaakdatum)
    _sub(el, "auteur", school.auteur)
    _sub(el, "xsdversie", school.xsdversie)
    _sub(el, "commentaar", school.commentaar)


def _build_afname(parent: etree._Element, afname: Toetsafname) -> None:
    if not afname.resultaten:
        raise ValueError(f"toetsafname {afname.leerlingid!r} needs at least one resultaat")
    el = etree.SubElement(parent, f"{{{NS}}}toetsafname")
    _sub(el, "leerlingid", afname.leerlingid)
    _sub(el, "eckid", afname.eckid)
    _sub(el, "resultaatverwerkerid", afname.resultaatverwerkerid)
    resultaten = etree.SubElement(el, f"{{{NS}}}resultaten")
    for resultaat in afname.resultaten:
        _build_resultaat(resultaten, resultaat)


def _build_resultaat(parent: etree._Element, r: Resultaat) -> None:
    el = etree.SubElement(parent, f"{{{NS}}}resultaat", key=r.key)
    _sub(el, "afnamedatum", r.afnamedatum)
    _sub(el, "toetscode", r.toetscode)
    _sub(el, "versie", r.versie)
    _sub(el, "toetsonderdeelcode", r.toetsonderdeelcode)
    if r.score is not None:
        if r.toetsscore is not None or r.referentiescores:
            raise ValueError(f"resultaat {r.key!r}: either score or the OSO form, not both")
        _sub(el, "score", r.score)
    else:
        _build_oso(etree.SubElement(el, f"{{{NS}}}osoresultaat"), r)
    _sub(el, "infourl", r.infourl)


def _build_oso(oso: etree._Element, r: Resultaat) -> None:
    ts = r.toetsscore
    if ts is not None:
        el = etree.SubElement(oso, f"{{{NS_OSO}}}toetsscore")
        for name in (
            "aantalopgaven",
            "aantalgoed",
            "aantalfout",
            "aantalgelezen",
            "tijd",
            "vaardigheidsscore",
            "codevaardigheidsschaal",
        ):
            _sub(el, name, getattr(ts, name), NS_OSO)
        if ts.bivlaag is not None and ts.bivhoog is not None:
            biv = etree.SubElement(el, f"{{{NS_OSO}}}betrouwbaarheidsinterval")
            _sub(biv, "bivlaag", ts.bivlaag, NS_OSO)
            _sub(biv, "bivhoog", ts.bivhoog, NS_OSO)
    for ref in r.referentiescores:
        el = etree.SubElement(oso, f"{{{NS_OSO}}}referentiescore")
        _sub(el, "codereferentiescore", ref.codereferentiescore, NS_OSO)
        _sub(el, "codevergelijkingsgroep", ref.codevergelijkingsgroep, NS_OSO)
        _sub(el, "waarde", ref.waarde, NS_OSO)
        _sub(el, "kwalificatie", ref.kwalificatie, NS_OSO)


def _build_toets(parent: etree._Element, toets: Toets) -> None:
    el = etree.SubElement(parent, f"{{{NS}}}toets")
    for name in ("toetscode", "versie", "toetsnaam", "leerjaar", "vakgebied"):
        _sub(el, name, getattr(toets, name))
    if toets.normering is None:
        return
    if not toets.normering.normen:
        raise ValueError(f"toets {toets.toetscode!r}: a toetsnormering needs at least one norm")
    norm_el = etree.SubElement(el, f"{{{NS}}}toetsnormering")
    _sub(norm_el, "toetscategorie", toets.normering.toetscategorie)
    _sub(norm_el, "toetsniveau", toets.normering.toetsniveau)
    _sub(norm_el, "wegingsfactor", toets.normering.wegingsfactor)
    for norm in toets.normering.normen:
        n = etree.SubElement(norm_el, f"{{{NS}}}norm")
        for name in (
            "term",
            "omschrijving",
            "beginnormwaarde",
            "eindnormwaarde",
            "schoolcijfer_vanaf",
            "schoolcijfer_totenmet",
        ):
            _sub(n, name, getattr(norm, name))


def leerresultaten_bevestiging() -> etree._Element:
    """The empty ``leerresultaten_bevestiging`` answer."""
    return etree.Element(f"{{{NS}}}leerresultaten_bevestiging", nsmap={"lr": NS})


def request_envelope(verzoek: etree._Element, autorisatie: Autorisatie) -> bytes:
    """A SOAP 1.1 request: the autorisatie header and ``verzoek`` in the body, UTF-8."""
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    etree.SubElement(env, f"{{{SOAP_ENV}}}Header").append(autorisatie.to_element())
    etree.SubElement(env, f"{{{SOAP_ENV}}}Body").append(verzoek)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


# --------------------------------------------------------------------------- parsing


def _fault(where: str, detail: str) -> SoapFault:
    return SoapFault("Client.OngeldigBericht", f"{where}: {detail}")


_QNAMES: dict[tuple[str, str], str] = {}


def _qname(ns: str, name: str) -> str:
    """``{ns}name``, memoised: the parser asks for the same few tags thousands of times."""
    try:
        return _QNAMES[(ns, name)]
    except KeyError:
        return _QNAMES.setdefault((ns, name), f"{{{ns}}}{name}")


class _Children:
    """The element children of one element, taken in XSD sequence order."""

    def __init__(self, parent: etree._Element, where: str) -> None:
        self.where = where
        self.items = [c for c in parent if isinstance(c.tag, str)]
        self.pos = 0
        if parent.text and parent.text.strip():
            raise _fault(where, "bevat tekst waar elementen horen")

    def peek(self, name: str, ns: str = NS) -> bool:
        return self.pos < len(self.items) and self.items[self.pos].tag == _qname(ns, name)

    def optional(self, name: str, ns: str = NS) -> etree._Element | None:
        if not self.peek(name, ns):
            return None
        self.pos += 1
        return self.items[self.pos - 1]

    def required(self, name: str, ns: str = NS) -> etree._Element:
        el = self.optional(name, ns)
        if el is None:
            found = (
                etree.QName(self.items[self.pos]).localname if self.pos < len(self.items) else None
            )
            raise _fault(
                self.where, f"element {name} ontbreekt" + (f" (gevonden: {found})" if found else "")
            )
        return el

    def repeated(self, name: str, ns: str = NS) -> list[etree._Element]:
        found = []
        while self.peek(name, ns):
            found.append(self.items[self.pos])
            self.pos += 1
        return found

    def done(self) -> None:
        if self.pos < len(self.items):
            extra = etree.QName(self.items[self.pos]).localname
            raise _fault(self.where, f"onverwacht element {extra}")


def _check_attrs(el: etree._Element, where: str, allowed: frozenset[str] = frozenset()) -> None:
    names = el.keys()
    if not names:
        return
    for name in names:
        if name.startswith(f"{{{NS_XSI}}}"):
            continue
        if name not in allowed:
            raise _fault(where, f"onverwacht attribuut {name}")


def _leaf(el: etree._Element, where: str, attrs: frozenset[str] = frozenset()) -> str:
    _check_attrs(el, where, attrs)
    if len(el) and any(isinstance(c.tag, str) for c in el):
        raise _fault(where, "mag geen elementen bevatten")
    return el.text or ""


def _string(
    el: etree._Element, where: str, maxlen: int | None, attrs: frozenset[str] = frozenset()
) -> str:
    value = _leaf(el, where, attrs)
    if len(value) < 1 or (maxlen is not None and len(value) > maxlen):
        limit = f"1 tot {maxlen}" if maxlen else "minstens 1"
        raise _fault(where, f"moet {limit} tekens lang zijn, kreeg {len(value)}")
    return value


def _opt_string(
    c: _Children, name: str, maxlen: int | None, ns: str = NS, attrs: frozenset[str] = frozenset()
) -> str | None:
    el = c.optional(name, ns)
    return None if el is None else _string(el, f"{c.where}/{name}", maxlen, attrs)


def _integer(
    el: etree._Element, where: str, minimum: int | None = None, *, bits32: bool = True
) -> int:
    value = _leaf(el, where).strip()
    if not _INTEGER.fullmatch(value):
        raise _fault(where, f"moet een geheel getal zijn, kreeg {value[:40]!r}")
    if len(value.lstrip("+-")) > _MAX_DIGITS:
        raise _fault(where, f"getal te groot: {value[:40]}")
    number = int(value)
    if minimum is not None and number < minimum:
        raise _fault(where, f"moet minstens {minimum} zijn, kreeg {number}")
    if bits32 and not -(2**31) <= number <= 2**31 - 1:
        raise _fault(where, f"getal te groot: {value}")
    return number


def _decimal(
    el: etree._Element, where: str, low: Decimal | None = None, high: Decimal | None = None
) -> Decimal:
    value = _leaf(el, where).strip()
    if not _DECIMAL.fullmatch(value):
        raise _fault(where, f"moet een decimaal getal zijn, kreeg {value[:40]!r}")
    if sum(ch.isdigit() for ch in value) > _MAX_DIGITS:
        raise _fault(where, f"te veel cijfers (meer dan {_MAX_DIGITS}): {value[:40]}…")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise _fault(where, f"moet een decimaal getal zijn, kreeg {value!r}") from None
    if (low is not None and number < low) or (high is not None and number > high):
        raise _fault(where, f"moet tussen {low} en {high} liggen, kreeg {value}")
    return number


def _date(el: etree._Element, where: str) -> date:
    value = _leaf(el, where).strip()
    match = _DATE.fullmatch(value)
    try:
        if not match:
            raise ValueError
        parsed = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise _fault(where, f"moet een datum (JJJJ-MM-DD) zijn, kreeg {value!r}") from None
    problem = out_of_range(parsed)
    if problem:
        raise _fault(where, f"{problem}, kreeg {value!r}")
    return parsed


def _datetime(el: etree._Element, where: str) -> datetime:
    """An xs:dateTime (naive: UTC) that has a time in UTC within the accepted years."""
    value = _leaf(el, where).strip()
    try:
        if not _DATETIME.fullmatch(value):
            raise ValueError
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _fault(where, f"moet een datum-tijd (ISO 8601) zijn, kreeg {value!r}") from None
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    try:
        in_utc = parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-01:00 has no time in UTC
        raise _fault(where, f"ligt buiten het bereik van een datum-tijd, kreeg {value!r}") from None
    problem = out_of_range(in_utc)
    if problem:
        raise _fault(where, f"{problem}, kreeg {value!r}")
    return parsed


def _pattern(el: etree._Element, where: str, regex: re.Pattern[str], example: str) -> str:
    value = _leaf(el, where)
    if not regex.fullmatch(value):
        raise _fault(where, f"moet de vorm {example} hebben, kreeg {value!r}")
    return value


def parse_verzoek(element: etree._Element) -> LeerresultatenVerzoek:
    """The request in ``element``; any structure the XSD forbids is ``Client.OngeldigBericht``."""
    if element.tag != f"{{{NS}}}leerresultaten_verzoek":
        raise _fault("Body", f"verwacht leerresultaten_verzoek, kreeg {element.tag}")
    _check_attrs(element, "leerresultaten_verzoek")
    c = _Children(element, "leerresultaten_verzoek")
    school = _parse_school(c.required("school"))
    afnames = _parse_list(c.required("toetsafnames"), "toetsafname", _parse_afname)
    toetsen = _parse_list(c.required("toetsen"), "toets", _parse_toets)
    c.done()
    verzoek = LeerresultatenVerzoek(school, tuple(afnames), tuple(toetsen))
    _check_keys(verzoek)
    return verzoek


def _parse_list(el: etree._Element, name: str, parse: object) -> list:  # type: ignore[type-arg]
    where = etree.QName(el).localname
    _check_attrs(el, where)
    c = _Children(el, where)
    items = c.repeated(name)
    if not items:
        raise _fault(where, f"minstens een {name} vereist")
    c.done()
    return [parse(item, f"{where}/{name}[{i + 1}]") for i, item in enumerate(items)]  # type: ignore[operator]


def _parse_school(el: etree._Element) -> School:
    where = "school"
    _check_attrs(el, where)
    c = _Children(el, where)
    schooljaar = _pattern(c.required("schooljaar"), "school/schooljaar", _SCHOOLJAAR, "2026-2027")
    if c.peek("schoolkey"):
        raise _fault(where, "schoolkey wordt niet ondersteund; gebruik brincode en dependancecode")
    brincode = _pattern(c.required("brincode"), "school/brincode", _BRIN, "99AB")
    dep_el = c.optional("dependancecode")
    dep = "00" if dep_el is None else _pattern(dep_el, "school/dependancecode", _DEP, "00")
    aanmaakdatum = _datetime(c.required("aanmaakdatum"), "school/aanmaakdatum")
    auteur = _opt_string(c, "auteur", 128)
    xsdversie = _string(c.required("xsdversie"), "school/xsdversie", 32)
    commentaar = _opt_string(c, "commentaar", 128)
    c.done()
    return School(schooljaar, brincode, aanmaakdatum, dep, xsdversie, auteur, commentaar)


def _parse_afname(el: etree._Element, where: str) -> Toetsafname:
    _check_attrs(el, where)
    c = _Children(el, where)
    leerlingid = _string(c.required("leerlingid"), f"{where}/leerlingid", 256)
    eckid = _opt_string(c, "eckid", 256)
    verwerker = _opt_string(c, "resultaatverwerkerid", 256)
    resultaten = _parse_list(c.required("resultaten"), "resultaat", _parse_resultaat)
    c.done()
    return Toetsafname(leerlingid, tuple(resultaten), eckid, verwerker)


def _parse_resultaat(el: etree._Element, where: str) -> Resultaat:
    _check_attrs(el, where, frozenset({"key"}))
    key = el.get("key")
    if key is None or not 1 <= len(key) <= 256:
        raise _fault(where, "attribuut key ontbreekt of is niet 1 tot 256 tekens lang")
    c = _Children(el, f"{where}[@key={key!r}]")
    afnamedatum = _date(c.required("afnamedatum"), f"{c.where}/afnamedatum")
    toetscode = _string(c.required("toetscode"), f"{c.where}/toetscode", 256)
    versie = _opt_string(c, "versie", 256, attrs=_VOCAB_ATTRS)
    onderdeel = _opt_string(c, "toetsonderdeelcode", 256)
    score, toetsscore, refs = _parse_score_choice(c)
    infourl = _opt_string(c, "infourl", 256)
    c.done()
    return Resultaat(
        key, afnamedatum, toetscode, score, toetsscore, refs, versie, onderdeel, infourl
    )


def _parse_score_choice(
    c: _Children,
) -> tuple[int | None, Toetsscore | None, tuple[Referentiescore, ...]]:
    score_el = c.optional("score")
    if score_el is not None:
        return _integer(score_el, f"{c.where}/score", 0, bits32=False), None, ()
    oso = c.optional("osoresultaat")
    if oso is not None:
        return (None, *_parse_oso(oso, f"{c.where}/osoresultaat"))
    if c.peek("anderresultaat"):
        raise _fault(c.where, "anderresultaat (abstract type) wordt niet ondersteund")
    raise _fault(c.where, "score of osoresultaat ontbreekt")


def _parse_oso(
    el: etree._Element, where: str
) -> tuple[Toetsscore | None, tuple[Referentiescore, ...]]:
    _check_attrs(el, where)
    c = _Children(el, where)
    ts_el = c.optional("toetsscore", NS_OSO)
    toetsscore = None if ts_el is None else _parse_toetsscore(ts_el, f"{where}/toetsscore")
    refs = tuple(
        _parse_referentie(ref, f"{where}/referentiescore[{i + 1}]")
        for i, ref in enumerate(c.repeated("referentiescore", NS_OSO))
    )
    c.done()
    return toetsscore, refs


def _parse_toetsscore(el: etree._Element, where: str) -> Toetsscore:
    _check_attrs(el, where)
    c = _Children(el, where)
    ints = {}
    for name in ("aantalopgaven", "aantalgoed", "aantalfout", "aantalgelezen"):
        sub = c.optional(name, NS_OSO)
        ints[name] = None if sub is None else _integer(sub, f"{where}/{name}")
    tijd = _opt_decimal(c, "tijd", where)
    vaardigheid = _opt_decimal(c, "vaardigheidsscore", where)
    schaal = _opt_string(c, "codevaardigheidsschaal", None, NS_OSO)
    low = high = None
    biv = c.optional("betrouwbaarheidsinterval", NS_OSO)
    if biv is not None:
        _check_attrs(biv, f"{where}/betrouwbaarheidsinterval")
        bc = _Children(biv, f"{where}/betrouwbaarheidsinterval")
        low = _decimal(bc.required("bivlaag", NS_OSO), f"{bc.where}/bivlaag")
        high = _decimal(bc.required("bivhoog", NS_OSO), f"{bc.where}/bivhoog")
        bc.done()
    c.done()
    return Toetsscore(
        **ints,
        tijd=tijd,
        vaardigheidsscore=vaardigheid,
        codevaardigheidsschaal=schaal,
        bivlaag=low,
        bivhoog=high,
    )


def _opt_decimal(c: _Children, name: str, where: str, ns: str = NS_OSO) -> Decimal | None:
    el = c.optional(name, ns)
    return None if el is None else _decimal(el, f"{where}/{name}")


def _parse_referentie(el: etree._Element, where: str) -> Referentiescore:
    _check_attrs(el, where)
    c = _Children(el, where)
    code = _string(c.required("codereferentiescore", NS_OSO), f"{where}/codereferentiescore", None)
    groep = _string(
        c.required("codevergelijkingsgroep", NS_OSO), f"{where}/codevergelijkingsgroep", None
    )
    waarde = _string(c.required("waarde", NS_OSO), f"{where}/waarde", None)
    kwalificatie = _opt_string(c, "kwalificatie", None, NS_OSO)
    c.done()
    return Referentiescore(code, waarde, groep, kwalificatie)


def _parse_toets(el: etree._Element, where: str) -> Toets:
    _check_attrs(el, where)
    c = _Children(el, where)
    toetscode = _string(c.required("toetscode"), f"{where}/toetscode", 256, _VOCAB_ATTRS)
    versie = _opt_string(c, "versie", 256, attrs=_VOCAB_ATTRS)
    naam = _opt_string(c, "toetsnaam", 128)
    leerjaar = _opt_string(c, "leerjaar", 256, attrs=_VOCAB_ATTRS)
    vakgebied = _opt_string(c, "vakgebied", 256, attrs=_VOCAB_ATTRS)
    norm_el = c.optional("toetsnormering")
    normering = None if norm_el is None else _parse_normering(norm_el, f"{where}/toetsnormering")
    hier = c.optional("toetshierarchie")
    if hier is not None:
        _check_hierarchie(hier, f"{where}/toetshierarchie")
    onderdelen = c.optional("toetsonderdelen")
    if onderdelen is not None:
        _check_onderdelen(onderdelen, f"{where}/toetsonderdelen")
    c.done()
    return Toets(toetscode, naam, versie, leerjaar, vakgebied, normering)


def _parse_normering(el: etree._Element, where: str) -> Normering:
    _check_attrs(el, where, _VOCAB_ATTRS)
    c = _Children(el, where)
    categorie = _opt_string(c, "toetscategorie", 256, attrs=_VOCAB_ATTRS)
    niveau = _opt_string(c, "toetsniveau", 256, attrs=_VOCAB_ATTRS)
    weging = _opt_decimal(c, "wegingsfactor", where, NS)
    normen = [_parse_norm(n, f"{where}/norm[{i + 1}]") for i, n in enumerate(c.repeated("norm"))]
    if not normen:
        raise _fault(where, "minstens een norm vereist")
    c.done()
    return Normering(tuple(normen), categorie, niveau, weging)


def _parse_norm(el: etree._Element, where: str) -> Norm:
    _check_attrs(el, where)
    c = _Children(el, where)
    term = _string(c.required("term"), f"{where}/term", 64)
    omschrijving = _opt_string(c, "omschrijving", 128)
    begin = _integer(c.required("beginnormwaarde"), f"{where}/beginnormwaarde", 0, bits32=False)
    eind = _integer(c.required("eindnormwaarde"), f"{where}/eindnormwaarde", 0, bits32=False)
    kleur = c.optional("normkleur")
    if kleur is not None:
        _check_normkleur(kleur, f"{where}/normkleur")
    cijfers = [
        None if sub is None else _decimal(sub, f"{where}/{name}", Decimal(1), Decimal(10))
        for name in ("schoolcijfer_vanaf", "schoolcijfer_totenmet")
        for sub in [c.optional(name)]
    ]
    c.done()
    return Norm(term, begin, eind, omschrijving, cijfers[0], cijfers[1])


def _check_normkleur(el: etree._Element, where: str) -> None:
    _check_attrs(el, where)
    c = _Children(el, where)
    for name in ("rood_code", "groen_code", "blauw_code"):
        value = _integer(c.required(name), f"{where}/{name}", minimum=0)
        if value > 255:
            raise _fault(f"{where}/{name}", f"moet 0 tot 255 zijn, kreeg {value}")
    _decimal(c.required("transparantie"), f"{where}/transparantie", Decimal(0), Decimal(1))
    c.done()


def _check_hierarchie(el: etree._Element, where: str) -> None:
    _check_attrs(el, where)
    c = _Children(el, where)
    ingangen = c.repeated("ingang")
    if not ingangen:
        raise _fault(where, "minstens een ingang vereist")
    c.done()
    for i, ingang in enumerate(ingangen):
        spot = f"{where}/ingang[{i + 1}]"
        _string(ingang, spot, 256, _VOCAB_ATTRS | {"niveau"})
        if not _INTEGER.fullmatch((ingang.get("niveau") or "").strip()):
            raise _fault(spot, "attribuut niveau (geheel getal) ontbreekt")


def _check_onderdelen(el: etree._Element, where: str) -> None:
    _check_attrs(el, where)
    c = _Children(el, where)
    items = c.repeated("toetsonderdeel")
    if not items:
        raise _fault(where, "minstens een toetsonderdeel vereist")
    c.done()
    seen: set[int] = set()
    for i, item in enumerate(items):
        spot = f"{where}/toetsonderdeel[{i + 1}]"
        _check_attrs(item, spot)
        ic = _Children(item, spot)
        nummer = _integer(
            ic.required("toetsonderdeelvolgnummer"),
            f"{spot}/toetsonderdeelvolgnummer",
            1,
            bits32=False,
        )
        if nummer in seen:
            raise _fault(spot, f"toetsonderdeelvolgnummer {nummer} komt dubbel voor")
        seen.add(nummer)
        _string(ic.required("toetsonderdeelcode"), f"{spot}/toetsonderdeelcode", 256, _VOCAB_ATTRS)
        _opt_string(ic, "toetsonderdeelnaam", 128)
        norm = ic.optional("toetsonderdeelnormering")
        if norm is not None:
            _parse_normering(norm, f"{spot}/toetsonderdeelnormering")
        ic.done()


def _check_keys(verzoek: LeerresultatenVerzoek) -> None:
    """The XSD's key/keyref: unique resultaat@key and toetscode, every result's toets defined."""
    codes: set[str] = set()
    for toets in verzoek.toetsen:
        if toets.toetscode in codes:
            raise _fault("toetsen", f"toetscode {toets.toetscode!r} komt dubbel voor")
        codes.add(toets.toetscode)
    keys: set[str] = set()
    for _, resultaat in verzoek.resultaten():
        if resultaat.key in keys:
            raise _fault("toetsafnames", f"resultaat@key {resultaat.key!r} komt dubbel voor")
        keys.add(resultaat.key)
        if resultaat.toetscode not in codes:
            raise _fault(
                "toetsafnames",
                f"resultaat {resultaat.key!r}: toetscode {resultaat.toetscode!r} staat niet in "
                "toetsen",
            )
