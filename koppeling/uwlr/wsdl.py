"""The WSDLs the UWLR mocks serve at ``?wsdl``: plain files in ``wsdl/``, one render function.

They are protocol artefacts, not code, so they live as files (``string.Template`` placeholders)
next to the codecs of the same messages:

- ``leerlinggegevens.wsdl``: the LAS mocks (ParnasSys, ESIS), ``${service_title}`` naming the
  vendor;
- ``leerresultaten.wsdl``: Schoolkr8's BrengLeerresultaten. It names the same operation, binding,
  soapAction, header and elements as the official ``UWLR_Leerresultaten_v2p2.wsdl`` (so clients
  generated from either fit). The official XSDs are not bundled (they stay a test-only oracle), so
  its types are this mock's own summary: the envelope of the request is typed, the inside of each
  ``resultaat`` and ``toets`` is left open (``xs:any``); the rules of the official XSD are checked
  in code.

Both carry ``${address}``: the endpoint that served them, taken from the request.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from string import Template
from typing import Literal
from xml.sax.saxutils import escape

WSDL_DIR = Path(__file__).with_name("wsdl")

WsdlName = Literal["leerlinggegevens", "leerresultaten"]


@cache
def _template(name: WsdlName) -> Template:
    return Template((WSDL_DIR / f"{name}.wsdl").read_text(encoding="utf-8"))


def render_wsdl(name: WsdlName, address: str, **values: str) -> str:
    """The WSDL ``wsdl/<name>.wsdl`` with ``address`` as the endpoint (XML-escaped: it comes from
    the client's Host header) and the template's other placeholders filled from ``values``."""
    return _template(name).substitute(values, address=escape(address, {'"': "&quot;"}))
