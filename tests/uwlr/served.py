"""The schemas of a served WSDL, compiled with lxml exactly as a client finds them in the document.

A client gets one self-contained document: the ``xs:schema`` elements inside ``wsdl:types``,
importing each other by namespace only. To compile them, each is lifted out as a document of its
own (keeping every namespace declaration in scope, as its QName references need them) and given
to libxml2 through a resolver under a private URL; a driver schema imports them all.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from tests.uwlr.differential import type_probe_schema

XS = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
SCHEME = "served-wsdl:"


def inline_schemas(wsdl: bytes) -> dict[str, bytes]:
    """Each ``wsdl:types/xs:schema`` as a standalone document, by target namespace."""
    root = etree.fromstring(wsdl)
    out: dict[str, bytes] = {}
    for schema in root.iterfind(f"{{{WSDL}}}types/{{{XS}}}schema"):
        namespace = schema.get("targetNamespace", "")
        nsmap = {k: v for k, v in schema.nsmap.items()}
        standalone = etree.Element(schema.tag, nsmap=nsmap)
        for name, value in schema.attrib.items():
            standalone.set(name, value)
        for child in schema:
            standalone.append(etree.fromstring(etree.tostring(child)))
        assert namespace not in out, f"two inline schemas for {namespace!r}"
        out[namespace] = etree.tostring(standalone)
    return out


class _Resolver(etree.Resolver):  # type: ignore[misc]
    def __init__(self, documents: dict[str, bytes]) -> None:
        super().__init__()
        self.documents = documents

    def resolve(self, system_url: str, public_id: str | None, context: Any) -> Any:
        name = system_url.rsplit(SCHEME, 1)[-1] if SCHEME in system_url else None
        if name is None or name not in self.documents:
            raise AssertionError(f"the served schemas refer to {system_url!r}, not in the WSDL")
        return self.resolve_string(self.documents[name], context)


def compile_served(wsdl: bytes, probe: tuple[str, list[str]] | None = None) -> etree.XMLSchema:
    """One XMLSchema validating every namespace the served WSDL defines. With ``probe`` =
    (namespace, type names) the driver schema also declares, in
    :data:`tests.uwlr.differential.PROBE_NS`, one element per named type of that namespace."""
    schemas = inline_schemas(wsdl)
    names = {ns: f"s{i}.xsd" for i, ns in enumerate(schemas)}
    documents: dict[str, bytes] = {}
    for ns, text in schemas.items():
        doc = etree.fromstring(text)
        for imported in doc.iterfind(f"{{{XS}}}import"):
            target = imported.get("namespace", "")
            assert imported.get("schemaLocation") is None, "a served import names a location"
            assert target in names, f"import of {target!r}, which the WSDL does not define"
            imported.set("schemaLocation", SCHEME + names[target])
        assert doc.find(f"{{{XS}}}include") is None, "a served schema has xs:include"
        documents[names[ns]] = etree.tostring(doc)
    driver = etree.Element(f"{{{XS}}}schema", nsmap={"xs": XS})
    for ns, name in names.items():
        etree.SubElement(driver, f"{{{XS}}}import", namespace=ns, schemaLocation=SCHEME + name)
    if probe is not None:
        driver = etree.fromstring(type_probe_schema(probe[0], SCHEME + names[probe[0]], probe[1]))
        for ns, name in names.items():
            if ns != probe[0]:
                imp = etree.Element(f"{{{XS}}}import", namespace=ns, schemaLocation=SCHEME + name)
                driver.insert(0, imp)
    parser = etree.XMLParser()
    parser.resolvers.add(_Resolver(documents))
    tree = etree.fromstring(etree.tostring(driver), parser).getroottree()
    return etree.XMLSchema(tree)
