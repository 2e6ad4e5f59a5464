"""The Leerresultaten WSDL file (koppeling/uwlr/wsdl/) as Schoolkr8 renders and serves it."""

from __future__ import annotations

import pytest
from flask import Flask
from lxml import etree

from koppeling.uwlr.autorisatie import NS_AUTORISATIE
from koppeling.uwlr.leerresultaten import NS, SOAP_ACTION
from koppeling.uwlr.wsdl import render_wsdl

WSDL = "{http://schemas.xmlsoap.org/wsdl/}"
SOAP = "{http://schemas.xmlsoap.org/wsdl/soap/}"
XS = "{http://www.w3.org/2001/XMLSchema}"
ADDRESS = "http://sk8.example:9000/uwlr/leerresultaten"
NS_OSO = "http://www.edustandaard.nl/oso_gegevensset/1.2/dossier"


def test_the_file_spells_the_codec_constants() -> None:
    """Namespaces and soapAction are written out in the file: they are the codec's own."""
    text = render_wsdl("leerresultaten", ADDRESS)
    assert "$" not in text
    root = etree.fromstring(text.encode("utf-8"))
    assert root.get("targetNamespace") == NS
    schemas = root.findall(f"{WSDL}types/{XS}schema")
    assert [s.get("targetNamespace") for s in schemas] == [NS_AUTORISATIE, NS_OSO, NS]
    operation = root.find(f"{WSDL}binding/{WSDL}operation")
    assert operation is not None and operation.get("name") == SOAP_ACTION
    action = operation.find(f"{SOAP}operation")
    assert action is not None and action.get("soapAction") == SOAP_ACTION
    address = root.find(f".//{SOAP}address")
    assert address is not None and address.get("location") == ADDRESS


@pytest.mark.parametrize("query", ["wsdl", "singleWsdl", "WSDL"])
def test_served_wsdl_is_the_rendered_file(sk8_app: Flask, query: str) -> None:
    """``GET ?wsdl`` (or ``?singleWsdl``, any case) serves the file with the endpoint that served
    it as its address."""
    resp = sk8_app.test_client().get(
        f"/uwlr/leerresultaten?{query}", base_url="http://sk8.example:9000"
    )
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert resp.data == render_wsdl("leerresultaten", ADDRESS).encode("utf-8")
