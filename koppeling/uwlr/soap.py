"""SOAP 1.1 envelopes for UWLR: safe parsing, building answers and faults.

Parsing never loads a DTD, resolves an entity or touches the network: a request carrying a DOCTYPE
(XXE, "billion laughs") is refused outright as ``Client.OngeldigBericht``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree

from koppeling.harness.errors import SoapFault

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP_CONTENT_TYPE = "text/xml; charset=utf-8"
MAX_REQUEST_BYTES = 2 * 1024 * 1024
# An answer is read by our clients: a rich 5,000-pupil HaalLeerlinggegevens is about 3 MB.
MAX_ANSWER_BYTES = 64 * 1024 * 1024

# Dates and times in a UWLR request must fall in these years. xs:date and xs:dateTime allow year
# 1 (what a .NET client sends for an unset DateTime: 0001-01-01T00:00:00) and years past 9999,
# but no pupil, test or import lies there: such a value is bad input (Client.OngeldigBericht),
# never a server error.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2999

#: The parser's settings: no entities, no DTD, no network, no huge trees.
_PARSER_OPTIONS: dict[str, bool] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_blank_text": True,
}
_PARSERS = threading.local()


def _parser() -> etree.XMLParser:
    """This thread's parser. An lxml parser serves one thread at a time (it holds a lock while
    it parses, with the GIL let go): one parser shared by a worker's request threads made them
    queue on that lock under load."""
    parser: etree.XMLParser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = etree.XMLParser(**_PARSER_OPTIONS)
    return parser


@dataclass(frozen=True)
class Envelope:
    """A parsed request: its header blocks and the one element in its Body."""

    headers: list[etree._Element]
    body: etree._Element

    def header(self, namespace: str, local: str) -> etree._Element | None:
        for block in self.headers:
            if block.tag == f"{{{namespace}}}{local}":
                return block
        return None


def out_of_range(value: date | datetime) -> str | None:
    """Why a date or time from a request is out of range (None when it is fine)."""
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        return f"ligt buiten {EARLIEST_YEAR}-{LATEST_YEAR}"
    return None


def soap_action_of(header: str | None) -> str | None:
    """The SOAPAction HTTP header as the action it names: surrounding whitespace and one pair of
    double quotes removed (``"HaalLeerlinggegevens"`` and ``HaalLeerlinggegevens`` are the same);
    None when the header is absent, "" when it is empty (``SOAPAction: ""``)."""
    if header is None:
        return None
    value = header.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].strip()
    return value


def parse_xml(data: bytes, max_bytes: int = MAX_REQUEST_BYTES) -> etree._Element:
    """Parse untrusted XML safely; any DTD or syntax error, or more than ``max_bytes``, is
    ``Client.OngeldigBericht``."""
    if len(data) > max_bytes:
        raise SoapFault("Client.OngeldigBericht", f"Bericht groter dan {max_bytes} bytes")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise SoapFault("Client.OngeldigBericht", "DTD's en entiteiten zijn niet toegestaan")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise SoapFault("Client.OngeldigBericht", f"Geen geldige XML: {exc.msg}") from None
    if root.getroottree().docinfo.internalDTD is not None:
        raise SoapFault("Client.OngeldigBericht", "DTD's zijn niet toegestaan")
    return root


_ENVELOPE = f"{{{SOAP_ENV}}}Envelope"
_HEADER = f"{{{SOAP_ENV}}}Header"
_BODY = f"{{{SOAP_ENV}}}Body"


def parse_envelope(data: bytes) -> Envelope:
    """A SOAP 1.1 request as header blocks and the body element."""
    root = parse_xml(data)
    if root.tag != _ENVELOPE:
        raise SoapFault("Client.OngeldigBericht", f"Geen SOAP 1.1 Envelope maar {root.tag}")
    # the first Header and the first Body child, as root.find() gives them (one pass over the
    # envelope's few children instead of two ElementPath searches: this runs on every request)
    header = body = None
    for child in root:
        tag = child.tag
        if tag == _BODY:
            if body is None:
                body = child
        elif tag == _HEADER and header is None:
            header = child
    if body is None or len(body) != 1:
        raise SoapFault("Client.OngeldigBericht", "De SOAP Body moet precies een element bevatten")
    headers = list(header) if header is not None else []
    return Envelope(headers=headers, body=body[0])


def envelope(body: etree._Element) -> bytes:
    """Wrap one element in a SOAP 1.1 envelope, serialised as UTF-8 with declaration."""
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    etree.SubElement(env, f"{{{SOAP_ENV}}}Header")
    etree.SubElement(env, f"{{{SOAP_ENV}}}Body").append(body)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


def fault_envelope(fault: SoapFault) -> bytes:
    """The SOAP 1.1 Fault for a UWLR error: faultcode ``soap:Client.XXX``."""
    env = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    body = etree.SubElement(env, f"{{{SOAP_ENV}}}Body")
    el = etree.SubElement(body, f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(el, "faultcode").text = f"soap:{fault.code}"
    etree.SubElement(el, "faultstring").text = fault.message
    if fault.detail:
        etree.SubElement(el, "detail").text = fault.detail
    return bytes(etree.tostring(env, xml_declaration=True, encoding="UTF-8"))


def read_fault(data: bytes) -> SoapFault | None:
    """The UWLR fault in an answer, if it is one (``None`` for a normal answer)."""
    try:
        root = parse_xml(data, MAX_ANSWER_BYTES)
    except SoapFault:
        return None
    return fault_in(root)


def fault_in(root: etree._Element) -> SoapFault | None:
    """The UWLR fault in a parsed answer, if it is one: a ``Fault`` in the envelope's ``Body``
    (where SOAP 1.1 puts it; the rest of a megabyte answer is not searched)."""
    body = root.find(f"{{{SOAP_ENV}}}Body")
    el = body.find(f"{{{SOAP_ENV}}}Fault") if body is not None else None
    if el is None:
        return None
    code = (el.findtext("faultcode") or "").strip()
    code = code.split(":", 1)[1] if ":" in code else code
    if not code.startswith(("Client.", "Server.")):
        code = "Server.InterneFout" if not code.startswith("Client") else "Client.OngeldigBericht"
    return SoapFault(code, (el.findtext("faultstring") or "").strip(), el.findtext("detail"))
