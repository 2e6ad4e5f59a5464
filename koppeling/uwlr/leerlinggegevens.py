"""The UWLR 2.2 Leerlinggegevens codec: both ends of HaalLeerlinggegevens and its stepwise variant.

One home for the wire format, shared by the LAS mocks (server side) and the stand-in testcentrum's
LAS client (client side), so both speak exactly the same XML and the element order of the official
XSD (``UWLR_Leerlinggegevens_v2p2.xsd`` + ``EDEXML.elementen.xsd``) is written down once.

Plain dataclasses carry the data: :class:`School`, :class:`Groep` (a stamgroep, or a
samengestelde groep with ``samengesteld=True``), :class:`Leerling` (``key`` is the leerlingnummer,
always a string), :class:`Leerkracht`, bundled in :class:`Leerlinggegevens`.

Public functions

Client side (the testcentrum):
    build_request(operation, autorisatie, *, schooljaar, brincode, ...) -> bytes
        a complete SOAP 1.1 request with the ``aut:autorisatie`` header.
    soap_action(operation) -> str
        the SOAPAction header value for an operation (as in the official WSDL).
    parse_answer(data, operation=None) -> Antwoord
        an answer envelope as dataclasses; a SOAP Fault is raised as :class:`SoapFault`.

Server side (the LAS mocks):
    parse_request(env) -> Verzoek
        the body of a parsed envelope (:func:`koppeling.uwlr.soap.parse_envelope`) as a request;
        a wrong root element or a missing field raises ``Client.OngeldigBericht``. Values are NOT
        checked for format here (ESIS tolerates an empty schooljaar); the service checks them.
    build_answer(operation, gegevens) -> etree element
        the ``*_antwoord`` element with the data the operation carries.
    render_answer(operation, gegevens) -> bytes
        the same, already in its SOAP envelope (the fast path the mocks serve).
    build_exception_answer(operation, "geenwijzigingen" | "geengegevens") -> etree element
    answer_envelope(element) -> bytes
        the answer wrapped in a SOAP envelope.

Decisions: naive ``laatstontvangengegevens`` times are read as Europe/Amsterdam (the LAS's local
time); every time written is UTC with an explicit offset.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Literal
from zoneinfo import ZoneInfo

from lxml import etree

from koppeling.harness.errors import SoapFault
from koppeling.uwlr.autorisatie import NS_LEERLINGGEGEVENS, XSD_VERSION, Autorisatie
from koppeling.uwlr.soap import (
    MAX_ANSWER_BYTES,
    SOAP_ENV,
    Envelope,
    fault_in,
    out_of_range,
    parse_xml,
)

NS = NS_LEERLINGGEGEVENS
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

AnswerKind = Literal["gegevens", "geenwijzigingen", "geengegevens"]


@dataclass(frozen=True)
class Operation:
    """One UWLR Leerlinggegevens operation and the element names it uses."""

    name: str
    request: str
    answer: str
    payload: str
    soap_action: str
    stepwise: bool


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation(
            "HaalLeerlinggegevens",
            "leerlinggegevens_verzoek",
            "leerlinggegevens_antwoord",
            "leerlinggegevens",
            "HaalLeerlinggegevens",
            False,
        ),
        Operation(
            "HaalStructuur",
            "structuur_verzoek",
            "structuur_antwoord",
            "leerlinggegevens-structuur",
            NS + "/structuur_verzoek",
            False,
        ),
        Operation(
            "HaalLeerlingen",
            "leerlingen_verzoek",
            "leerlingen_antwoord",
            "leerlinggegevens-leerlingen",
            NS + "/leerlingen_verzoek",
            True,
        ),
        Operation(
            "HaalLeerkrachten",
            "leerkrachten_verzoek",
            "leerkrachten_antwoord",
            "leerlinggegevens-leerkrachten",
            NS + "/leerkrachten_verzoek",
            True,
        ),
    )
}
_BY_REQUEST = {op.request: op for op in OPERATIONS.values()}
_BY_ANSWER = {op.answer: op for op in OPERATIONS.values()}
_BY_ACTION = {op.soap_action: op for op in OPERATIONS.values()}


# --- the data ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class School:
    """The ``school`` block of an answer."""

    schooljaar: str
    brincode: str
    dependancecode: str = "00"
    aanmaakdatum: datetime | None = None
    xsdversie: str | None = XSD_VERSION
    schoolkey: str | None = None


@dataclass(frozen=True)
class Vestiging:
    """A location of the school (``vestigingen/vestiging``; pupils refer to it by key)."""

    key: str
    naam: str
    omschrijving: str | None = None
    mutatiedatum: datetime | None = None


@dataclass(frozen=True)
class Groep:
    """A stamgroep (``groep``: naam + jaargroep) or a ``samengestelde_groep`` (no jaargroep)."""

    key: str
    naam: str
    jaargroep: str | None = None
    omschrijving: str | None = None
    samengesteld: bool = False
    mutatiedatum: datetime | None = None


@dataclass(frozen=True)
class Leerling:
    """A pupil; ``key`` is the leerlingnummer (a string: leading zeros matter).

    The standard lets a LAS send a pupil with only a ``roepnaam``: then ``achternaam`` is ""
    (and ``voorvoegsel``, ``voornamen``, ``voorletters`` are None). ``voorletters`` is the
    element ``voorletters-1``; ``vestiging`` the key of the school's vestiging."""

    key: str
    achternaam: str
    roepnaam: str
    voorvoegsel: str | None = None
    geboortedatum: date | None = None
    geslacht: str | None = None
    jaargroep: str | None = None
    groep: str | None = None
    samengestelde_groepen: tuple[str, ...] = ()
    bsn_ondwnr_4: str | None = None
    mutatiedatum: datetime | None = None
    voornamen: str | None = None
    voorletters: str | None = None
    eckid: str | None = None
    instroomdatum: date | None = None
    vestiging: str | None = None

    @property
    def leerlingnummer(self) -> str:
        return self.key


@dataclass(frozen=True)
class Leerkracht:
    """A staff member and the groups (stam or samengesteld) they teach."""

    key: str
    achternaam: str
    roepnaam: str | None = None
    voorvoegsel: str | None = None
    emailadres: str | None = None
    groepen: tuple[str, ...] = ()
    samengestelde_groepen: tuple[str, ...] = ()
    mutatiedatum: datetime | None = None


@dataclass(frozen=True)
class Leerlinggegevens:
    """Everything one answer may carry (stepwise answers leave parts empty)."""

    school: School
    groepen: tuple[Groep, ...] = ()
    leerlingen: tuple[Leerling, ...] = ()
    leerkrachten: tuple[Leerkracht, ...] = ()
    vestigingen: tuple[Vestiging, ...] = ()

    @property
    def stamgroepen(self) -> tuple[Groep, ...]:
        return tuple(g for g in self.groepen if not g.samengesteld)

    @property
    def samengestelde_groepen(self) -> tuple[Groep, ...]:
        return tuple(g for g in self.groepen if g.samengesteld)


@dataclass(frozen=True)
class GroepRef:
    """A group asked for in a stepwise request; ``key=None`` means "not bound to any group"."""

    key: str | None
    samengesteld: bool = False


@dataclass(frozen=True)
class Verzoek:
    """A parsed request (values as sent, stripped; the service checks their format)."""

    operation: str
    schooljaar: str
    brincode: str | None
    dependancecode: str | None
    schoolkey: str | None
    xsdversie: str
    gegevenssetid: str | None = None
    laatstontvangengegevens: datetime | None = None
    groepen: tuple[GroepRef, ...] = ()


@dataclass(frozen=True)
class Antwoord:
    """A parsed answer: ``kind`` says whether data came, and ``gegevens`` holds it."""

    operation: str
    kind: AnswerKind
    gegevens: Leerlinggegevens | None = None


# --- helpers -----------------------------------------------------------------------------------


def _q(local: str) -> str:
    return f"{{{NS}}}{local}"


def _sub(parent: etree._Element, local: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, _q(local))
    if text is not None:
        el.text = text
    return el


def _opt(parent: etree._Element, local: str, value: object) -> None:
    if value is None or value == "":
        return
    if isinstance(value, datetime):
        _sub(parent, local, format_datetime(value))
    elif isinstance(value, date):
        _sub(parent, local, value.isoformat())
    else:
        _sub(parent, local, str(value))


def format_datetime(value: datetime) -> str:
    """An xs:dateTime in UTC with offset (naive values are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def parse_datetime(text: str) -> datetime:
    """An xs:dateTime; naive values are Europe/Amsterdam. ValueError when malformed, and when it
    has no UTC time (``9999-12-31T23:59:59-01:00``, ``0001-01-01T00:00:00`` in Amsterdam)."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=AMSTERDAM)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text.strip()!r} has no time in UTC (out of range)") from None


def operation_of(name: str) -> Operation:
    """The operation named ``name`` or ValueError listing the known ones."""
    try:
        return OPERATIONS[name]
    except KeyError:
        raise ValueError(f"unknown operation {name!r}; known: {', '.join(OPERATIONS)}") from None


def soap_action(operation: str) -> str:
    """The SOAPAction of an operation, as the official WSDL declares it."""
    return operation_of(operation).soap_action


def request_operation(body: etree._Element) -> Operation | None:
    """The operation whose request ``body`` is (None when it is no Leerlinggegevens request)."""
    qname = etree.QName(body)
    return _BY_REQUEST.get(qname.localname) if qname.namespace == NS else None


def operation_of_action(action: str) -> Operation | None:
    """The operation whose official soapAction is ``action`` (exactly), if any."""
    return _BY_ACTION.get(action)


# --- client side: requests ---------------------------------------------------------------------


def build_request_element(
    operation: str,
    *,
    schooljaar: str,
    brincode: str,
    dependancecode: str | None = "00",
    xsdversie: str = XSD_VERSION,
    laatstontvangengegevens: datetime | None = None,
    groepen: Sequence[GroepRef] | None = None,
) -> etree._Element:
    """The ``*_verzoek`` body element; the stepwise HaalLeerlingen/HaalLeerkrachten need ``groepen``
    (the keys from HaalStructuur; ``GroepRef(None)`` asks for those in no group)."""
    op = operation_of(operation)
    if op.stepwise and not groepen:
        raise ValueError(f"{operation} needs groepen (a list of GroepRef), got {groepen!r}")
    root = etree.Element(_q(op.request), nsmap={"lg": NS})
    _sub(root, "schooljaar", schooljaar)
    _sub(root, "brincode", brincode)
    _opt(root, "dependancecode", dependancecode)
    _sub(root, "xsdversie", xsdversie)
    _opt(root, "laatstontvangengegevens", laatstontvangengegevens)
    if op.stepwise:
        holder = _sub(root, "groepen")
        for ref in groepen or ():
            el = _sub(holder, "samengestelde_groep" if ref.samengesteld else "groep")
            if ref.key is not None:
                el.set("key", ref.key)
    return root


def build_request(
    operation: str,
    autorisatie: Autorisatie,
    *,
    schooljaar: str,
    brincode: str,
    dependancecode: str | None = "00",
    xsdversie: str = XSD_VERSION,
    laatstontvangengegevens: datetime | None = None,
    groepen: Sequence[GroepRef] | None = None,
) -> bytes:
    """A complete SOAP 1.1 request envelope with the autorisatie header."""
    body = build_request_element(
        operation,
        schooljaar=schooljaar,
        brincode=brincode,
        dependancecode=dependancecode,
        xsdversie=xsdversie,
        laatstontvangengegevens=laatstontvangengegevens,
        groepen=groepen,
    )
    return _envelope(body, headers=[autorisatie.to_element()])


def _envelope(body: etree._Element, headers: Iterable[etree._Element] = ()) -> bytes:
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    header = etree.SubElement(env, f"{{{SOAP_ENV}}}Header")
    for block in headers:
        header.append(block)
    etree.SubElement(env, f"{{{SOAP_ENV}}}Body").append(body)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


# --- server side: requests ---------------------------------------------------------------------


def parse_request(env: Envelope) -> Verzoek:
    """The request in a parsed envelope, or ``Client.OngeldigBericht`` naming what is wrong."""
    body = env.body
    qname = etree.QName(body)
    op = _BY_REQUEST.get(qname.localname) if qname.namespace == NS else None
    if op is None:
        raise SoapFault(
            "Client.OngeldigBericht",
            f"Onbekende operatie: {body.tag} is geen UWLR Leerlinggegevens-verzoek",
        )
    values = {
        child.tag.rpartition("}")[2]: (child.text or "").strip()
        for child in body
        if isinstance(child.tag, str) and child.tag != _q("groepen")
    }
    if "schooljaar" not in values:
        raise SoapFault("Client.OngeldigBericht", "schooljaar ontbreekt")
    if "brincode" not in values and "schoolkey" not in values:
        raise SoapFault("Client.OngeldigBericht", "brincode (of schoolkey) ontbreekt")
    if not values.get("xsdversie"):
        raise SoapFault("Client.OngeldigBericht", "xsdversie ontbreekt")
    return Verzoek(
        operation=op.name,
        schooljaar=values["schooljaar"],
        brincode=values.get("brincode"),
        dependancecode=values.get("dependancecode"),
        schoolkey=values.get("schoolkey"),
        xsdversie=values["xsdversie"],
        gegevenssetid=values.get("gegevenssetid"),
        laatstontvangengegevens=_request_time(values.get("laatstontvangengegevens")),
        groepen=_group_refs(body, op),
    )


def _request_time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        value = parse_datetime(text)
    except ValueError:
        raise SoapFault(
            "Client.OngeldigBericht", f"laatstontvangengegevens is geen xs:dateTime: {text!r}"
        ) from None
    problem = out_of_range(value)
    if problem:
        raise SoapFault("Client.OngeldigBericht", f"laatstontvangengegevens {problem}: {text!r}")
    return value


def _group_refs(body: etree._Element, op: Operation) -> tuple[GroepRef, ...]:
    if not op.stepwise:
        return ()
    holder = body.find(_q("groepen"))
    if holder is None or len(holder) == 0:
        raise SoapFault("Client.OngeldigBericht", f"{op.request} vraagt om groepen/groep")
    refs = []
    for el in holder:
        local = etree.QName(el).localname
        if local not in ("groep", "samengestelde_groep"):
            raise SoapFault("Client.OngeldigBericht", f"onverwacht element {local} in groepen")
        key = el.get("key")
        refs.append(
            GroepRef(key.strip() if key is not None else None, local == "samengestelde_groep")
        )
    return tuple(refs)


# --- server side: answers ----------------------------------------------------------------------


def build_answer(operation: str, gegevens: Leerlinggegevens) -> etree._Element:
    """The ``*_antwoord`` with the parts of ``gegevens`` this operation carries.

    An answer that would have to be empty where the XSD demands content (no pupils for
    HaalLeerlinggegevens/HaalLeerlingen) becomes ``geengegevens``.
    """
    return etree.fromstring(render_answer(operation, gegevens))[-1][0]


def render_answer(operation: str, gegevens: Leerlinggegevens) -> bytes:
    """:func:`build_answer` already in its SOAP envelope, written as text (the fast path: a
    1,000-pupil answer is 50,000 elements, which lxml builds ten times slower)."""
    op = operation_of(operation)
    if op.name in ("HaalLeerlinggegevens", "HaalLeerlingen") and not gegevens.leerlingen:
        return answer_envelope(build_exception_answer(operation, "geengegevens"))
    out = [_ENVELOPE_OPEN, f'<{op.answer} xmlns="{NS}"><{op.payload}>']
    _w_school(out, gegevens.school)
    if op.name in ("HaalLeerlinggegevens", "HaalStructuur") and gegevens.vestigingen:
        out.append("<vestigingen>")
        for vestiging in gegevens.vestigingen:
            out.append(
                f'<vestiging key="{_esc(vestiging.key)}"><naam>{_esc(vestiging.naam)}</naam>'
            )
            _w(out, "omschrijving", vestiging.omschrijving)
            _w(out, "mutatiedatum", vestiging.mutatiedatum)
            out.append("</vestiging>")
        out.append("</vestigingen>")
    if op.name in ("HaalLeerlinggegevens", "HaalStructuur") and gegevens.groepen:
        out.append("<groepen>")
        for groep in gegevens.groepen:
            _w_groep(out, groep)
        out.append("</groepen>")
    if op.name in ("HaalLeerlinggegevens", "HaalLeerlingen"):
        out.append("<leerlingen>")
        for leerling in gegevens.leerlingen:
            _w_leerling(out, leerling)
        out.append("</leerlingen>")
    if op.name in ("HaalLeerlinggegevens", "HaalLeerkrachten") and gegevens.leerkrachten:
        out.append("<leerkrachten>")
        for leerkracht in gegevens.leerkrachten:
            _w_leerkracht(out, leerkracht)
        out.append("</leerkrachten>")
    out.append(f"</{op.payload}></{op.answer}>{_ENVELOPE_CLOSE}")
    return "".join(out).encode("utf-8")


def build_exception_answer(operation: str, kind: AnswerKind) -> etree._Element:
    """``geenwijzigingen`` (nothing changed since) or ``geengegevens`` (nothing found)."""
    if kind not in ("geenwijzigingen", "geengegevens"):
        raise ValueError(f"kind must be geenwijzigingen or geengegevens, got {kind!r}")
    root = etree.Element(_q(operation_of(operation).answer), nsmap={None: NS})
    _sub(root, kind)
    return root


def answer_envelope(element: etree._Element) -> bytes:
    """An answer element in a SOAP 1.1 envelope."""
    return _envelope(element)


_ENVELOPE_OPEN = (
    "<?xml version='1.0' encoding='UTF-8'?>\n"
    f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Header/><soap:Body>'
)
_ENVELOPE_CLOSE = "</soap:Body></soap:Envelope>"
_NEEDS_ESCAPE = re.compile(r'[&<>"]').search


def _esc(value: object) -> str:
    if type(value) is not str:
        if isinstance(value, datetime):
            return _format_datetime_cached(value)
        if isinstance(value, date):
            return value.isoformat()
        value = str(value)
    if _NEEDS_ESCAPE(value) is None:  # the usual case; str.translate is ten times slower
        return value
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


@lru_cache(maxsize=256)
def _format_datetime_cached(value: datetime) -> str:
    return format_datetime(value)  # most pupils of a school share one mutatiedatum


def _w(out: list[str], local: str, value: object) -> None:
    """An optional simple element (skipped when None or empty)."""
    if value is None or value == "":
        return
    out.append(f"<{local}>{_esc(value)}</{local}>")


def _w_school(out: list[str], school: School) -> None:
    out.append(
        f"<school><schooljaar>{_esc(school.schooljaar)}</schooljaar>"
        f"<brincode>{_esc(school.brincode)}</brincode>"
    )
    _w(out, "dependancecode", school.dependancecode)
    _w(out, "schoolkey", school.schoolkey)
    _w(out, "aanmaakdatum", school.aanmaakdatum)
    _w(out, "xsdversie", school.xsdversie)
    out.append("</school>")


def _w_groep(out: list[str], groep: Groep) -> None:
    tag = "samengestelde_groep" if groep.samengesteld else "groep"
    out.append(f'<{tag} key="{_esc(groep.key)}"><naam>{_esc(groep.naam)}</naam>')
    if not groep.samengesteld:
        out.append(f"<jaargroep>{_esc(groep.jaargroep or '0')}</jaargroep>")
    _w(out, "omschrijving", groep.omschrijving)
    _w(out, "mutatiedatum", groep.mutatiedatum)
    out.append(f"</{tag}>")


_TEXT_FIELDS = (
    "key",
    "achternaam",
    "roepnaam",
    "voorvoegsel",
    "voornamen",
    "voorletters",
    "eckid",
    "geslacht",
    "jaargroep",
    "groep",
    "vestiging",
    "bsn_ondwnr_4",
)


def _escaped(ll: Leerling) -> Leerling:
    """The pupil with every text value XML-escaped (the rare path of :func:`_w_leerling`)."""
    changes: dict[str, object] = {
        name: _esc(getattr(ll, name)) for name in _TEXT_FIELDS if getattr(ll, name)
    }
    changes["samengestelde_groepen"] = tuple(_esc(k) for k in ll.samengestelde_groepen)
    return replace(ll, **changes)  # type: ignore[arg-type]


def _w_leerling(out: list[str], ll: Leerling) -> None:
    # The hot loop of a 1,000-pupil answer: one f-string per pupil, optional parts inline. The
    # text values are checked for characters to escape in one search over all of them; only a
    # pupil that has one is escaped field by field (a call per field cost a third of the answer).
    probe = "".join(
        (
            ll.key,
            ll.achternaam,
            ll.roepnaam,
            ll.voorvoegsel or "",
            ll.voornamen or "",
            ll.voorletters or "",
            ll.eckid or "",
            ll.geslacht or "",
            ll.jaargroep or "",
            ll.groep or "",
            ll.vestiging or "",
            ll.bsn_ondwnr_4 or "",
            *ll.samengestelde_groepen,
        )
    )
    if _NEEDS_ESCAPE(probe) is not None:
        ll = _escaped(ll)
    sg = ""
    if ll.samengestelde_groepen:
        sg = (
            "<samengestelde_groepen>"
            + "".join(f'<samengestelde_groep key="{k}"/>' for k in ll.samengestelde_groepen)
            + "</samengestelde_groepen>"
        )
    if ll.achternaam:  # the choice: achternaam with the other names, or a roepnaam alone
        names = (
            f"<achternaam>{ll.achternaam}</achternaam>"
            + (f"<voorvoegsel>{ll.voorvoegsel}</voorvoegsel>" if ll.voorvoegsel else "")
            + (f"<voornamen>{ll.voornamen}</voornamen>" if ll.voornamen else "")
            + (f"<voorletters-1>{ll.voorletters}</voorletters-1>" if ll.voorletters else "")
            + (f"<roepnaam>{ll.roepnaam}</roepnaam>" if ll.roepnaam else "")
        )
    else:
        names = f"<roepnaam>{ll.roepnaam}</roepnaam>"
    out.append(
        f'<leerling key="{ll.key}"'
        + (f' eckid="{ll.eckid}">' if ll.eckid else ">")
        + names
        + (
            f"<geboortedatum>{ll.geboortedatum.isoformat()}</geboortedatum>"
            if ll.geboortedatum
            else ""
        )
        + (f"<geslacht>{ll.geslacht}</geslacht>" if ll.geslacht else "")
        + (f"<jaargroep>{ll.jaargroep}</jaargroep>" if ll.jaargroep else "")
        + (f'<groep key="{ll.groep}"/>' if ll.groep else "")
        + sg
        + (f'<vestiging key="{ll.vestiging}"/>' if ll.vestiging else "")
        + (f"<bsn_ondwnr-4>{ll.bsn_ondwnr_4}</bsn_ondwnr-4>" if ll.bsn_ondwnr_4 else "")
        + (
            f"<instroomdatum>{ll.instroomdatum.isoformat()}</instroomdatum>"
            if ll.instroomdatum
            else ""
        )
        + (
            f"<mutatiedatum>{_format_datetime_cached(ll.mutatiedatum)}</mutatiedatum>"
            if ll.mutatiedatum
            else ""
        )
        + "</leerling>"
    )


def _w_leerkracht(out: list[str], lk: Leerkracht) -> None:
    out.append(f'<leerkracht key="{_esc(lk.key)}"><achternaam>{_esc(lk.achternaam)}</achternaam>')
    _w(out, "voorvoegsel", lk.voorvoegsel)
    _w(out, "roepnaam", lk.roepnaam)
    _w(out, "emailadres", lk.emailadres)
    if lk.groepen or lk.samengestelde_groepen:
        out.append("<groepen>")
        out.extend(f'<groep key="{_esc(k)}"/>' for k in lk.groepen)
        out.extend(f'<samengestelde_groep key="{_esc(k)}"/>' for k in lk.samengestelde_groepen)
        out.append("</groepen>")
    _w(out, "mutatiedatum", lk.mutatiedatum)
    out.append("</leerkracht>")


# --- client side: answers ----------------------------------------------------------------------


def parse_answer(data: bytes, operation: str | None = None) -> Antwoord:
    """An answer envelope as dataclasses; a Fault raises it, a wrong answer is OngeldigBericht."""
    root = parse_xml(data, MAX_ANSWER_BYTES)  # parsed once: an answer may be megabytes
    fault = fault_in(root)
    if fault is not None:
        raise fault
    body = root.find(f"{{{SOAP_ENV}}}Body")
    if root.tag != f"{{{SOAP_ENV}}}Envelope" or body is None or len(body) != 1:
        raise SoapFault("Client.OngeldigBericht", "antwoord is geen SOAP-envelope met een body")
    answer = body[0]
    op = _BY_ANSWER.get(etree.QName(answer).localname)
    if etree.QName(answer).namespace != NS or op is None:
        raise SoapFault("Client.OngeldigBericht", f"onverwacht antwoord {answer.tag}")
    if operation is not None and op.name != operation:
        raise SoapFault("Client.OngeldigBericht", f"antwoord op {op.name}, verwacht {operation}")
    return parse_answer_element(answer, op.name)


def parse_answer_element(answer: etree._Element, operation: str) -> Antwoord:
    """The ``*_antwoord`` element (outside its envelope) as an :class:`Antwoord`."""
    for kind in ("geenwijzigingen", "geengegevens"):
        if answer.find(_q(kind)) is not None:
            return Antwoord(operation, kind)
    payload = answer.find(_q(operation_of(operation).payload))
    if payload is None:
        raise SoapFault("Client.OngeldigBericht", f"{answer.tag} zonder gegevens")
    gegevens = Leerlinggegevens(
        school=_read_school(payload.find(_q("school"))),
        vestigingen=tuple(
            _read_vestiging(el) for el in payload.iterfind(f"{_q('vestigingen')}/{_q('vestiging')}")
        ),
        groepen=tuple(_read_groep(el) for el in payload.iterfind(f"{_q('groepen')}/*")),
        leerlingen=tuple(
            _read_leerling(el) for el in payload.iterfind(f"{_q('leerlingen')}/{_q('leerling')}")
        ),
        leerkrachten=tuple(
            _read_leerkracht(el)
            for el in payload.iterfind(f"{_q('leerkrachten')}/{_q('leerkracht')}")
        ),
    )
    return Antwoord(operation, "gegevens", gegevens)


def _text(el: etree._Element, local: str) -> str | None:
    value = el.findtext(_q(local))
    return value.strip() if value is not None else None


def _time(el: etree._Element, local: str) -> datetime | None:
    value = _text(el, local)
    return parse_datetime(value) if value else None


def _date(el: etree._Element, local: str) -> date | None:
    value = _text(el, local)
    return date.fromisoformat(value[:10]) if value else None


def _read_school(el: etree._Element | None) -> School:
    if el is None:
        raise SoapFault("Client.OngeldigBericht", "antwoord zonder school")
    return School(
        schooljaar=_text(el, "schooljaar") or "",
        brincode=_text(el, "brincode") or "",
        dependancecode=_text(el, "dependancecode") or "00",
        aanmaakdatum=_time(el, "aanmaakdatum"),
        xsdversie=_text(el, "xsdversie"),
        schoolkey=_text(el, "schoolkey"),
    )


def _read_vestiging(el: etree._Element) -> Vestiging:
    return Vestiging(
        key=el.get("key", ""),
        naam=_text(el, "naam") or "",
        omschrijving=_text(el, "omschrijving"),
        mutatiedatum=_time(el, "mutatiedatum"),
    )


def _read_groep(el: etree._Element) -> Groep:
    return Groep(
        key=el.get("key", ""),
        naam=_text(el, "naam") or "",
        jaargroep=_text(el, "jaargroep"),
        omschrijving=_text(el, "omschrijving"),
        samengesteld=etree.QName(el).localname == "samengestelde_groep",
        mutatiedatum=_time(el, "mutatiedatum"),
    )


def _read_leerling(el: etree._Element) -> Leerling:
    groep = el.find(_q("groep"))
    vestiging = el.find(_q("vestiging"))
    return Leerling(
        key=el.get("key", ""),
        achternaam=_text(el, "achternaam") or "",
        roepnaam=_text(el, "roepnaam") or "",
        voorvoegsel=_text(el, "voorvoegsel"),
        voornamen=_text(el, "voornamen"),
        voorletters=_text(el, "voorletters-1"),
        eckid=el.get("eckid"),
        geboortedatum=_date(el, "geboortedatum"),
        instroomdatum=_date(el, "instroomdatum"),
        vestiging=vestiging.get("key") if vestiging is not None else None,
        geslacht=_text(el, "geslacht"),
        jaargroep=_text(el, "jaargroep"),
        groep=groep.get("key") if groep is not None else None,
        samengestelde_groepen=tuple(
            ref.get("key", "")
            for ref in el.iterfind(f"{_q('samengestelde_groepen')}/{_q('samengestelde_groep')}")
        ),
        bsn_ondwnr_4=_text(el, "bsn_ondwnr-4"),
        mutatiedatum=_time(el, "mutatiedatum"),
    )


def _read_leerkracht(el: etree._Element) -> Leerkracht:
    return Leerkracht(
        key=el.get("key", ""),
        achternaam=_text(el, "achternaam") or "",
        roepnaam=_text(el, "roepnaam"),
        voorvoegsel=_text(el, "voorvoegsel"),
        emailadres=_text(el, "emailadres"),
        groepen=tuple(r.get("key", "") for r in el.iterfind(f"{_q('groepen')}/{_q('groep')}")),
        samengestelde_groepen=tuple(
            r.get("key", "") for r in el.iterfind(f"{_q('groepen')}/{_q('samengestelde_groep')}")
        ),
        mutatiedatum=_time(el, "mutatiedatum"),
    )


__all__ = [
    "NS",
    "OPERATIONS",
    "Antwoord",
    "Groep",
    "GroepRef",
    "Leerkracht",
    "Leerling",
    "Leerlinggegevens",
    "Operation",
    "School",
    "Verzoek",
    "Vestiging",
    "answer_envelope",
    "build_answer",
    "build_exception_answer",
    "build_request",
    "build_request_element",
    "format_datetime",
    "operation_of",
    "operation_of_action",
    "parse_answer",
    "parse_answer_element",
    "parse_datetime",
    "parse_request",
    "render_answer",
    "request_operation",
    "soap_action",
]
