"""Pact matching for SOAP/XML bodies that actually works on namespaced elements.

pact-python's ``pact.xml`` builder writes matching-rule paths with prefixes (``$.soap:Envelope…``),
but the Rust matcher names XML elements ``{namespace-uri}:{local}``: rules on anything inside a SOAP
envelope are then silently ignored and every value is compared literally (docs/architecture.md, Pact
notes; upstream pact-js #632, pact-specification #91). This module takes a real XML document (built
by the same codec the clients use, so it can be validated against the official XSDs) plus a list of
:class:`Vary` declarations saying which elements vary and how, and derives:

* matching rules on namespace-URI-qualified bracket paths
  (``$['http://…/envelope/:Envelope']['http://…/envelope/:Body']…['#text']``) — so a wrong value
  fails, and another prefix for the same namespace passes;
* provider-state generators, which the Rust generator code addresses by the *prefixed* names of
  the example document (``$['soap:Envelope']['soap:Header']['aut:autorisatie']…['#text']``), so a
  value only the provider knows (a freshly issued key) is injected into the replayed request.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from lxml import etree

Part = Literal["Request", "Response"]


@dataclass(frozen=True)
class Matcher:
    """One Pact matching rule; ``on_element`` rules apply to the element, not its text."""

    rule: Mapping[str, Any]
    on_element: bool = False


def regex(pattern: str) -> Matcher:
    """The text must match ``pattern`` (anchor it yourself; Pact uses a full match)."""
    return Matcher({"match": "regex", "regex": pattern})


def text() -> Matcher:
    """Any text of the same type (string): the value varies freely."""
    return Matcher({"match": "type"})


def each(minimum: int = 1) -> Matcher:
    """A repeated element: at least ``minimum`` of them, each shaped like the example."""
    return Matcher({"match": "type", "min": minimum}, on_element=True)


@dataclass(frozen=True)
class Vary:
    """Which elements vary: ``where`` is a local-name path matched at the end of the element's
    ancestry (``"achternaam"``, ``"leerling/achternaam"``, ``"leerling/@key"``).

    ``matcher`` is the rule; ``from_state`` a provider-state expression (``"${sleutel}"``)
    whose value the verifier writes into the replayed request.
    """

    where: str
    matcher: Matcher | None = None
    from_state: str | None = None

    def __post_init__(self) -> None:
        if self.matcher is None and self.from_state is None:
            raise ValueError(f"Vary({self.where!r}) needs a matcher or from_state")


@dataclass
class XmlBody:
    """An XML body with the rules and generators derived from :class:`Vary` declarations."""

    text: str
    rules: dict[str, Any] = field(default_factory=dict)
    generators: dict[str, Any] = field(default_factory=dict)

    def apply(self, interaction: Any, part: Part, content_type: str) -> Any:
        """Set body, matching rules and generators on a pact interaction part."""
        interaction.with_body(self.text, content_type, part)
        if self.rules:
            interaction.with_matching_rules({"body": self.rules}, part)
        if self.generators:
            interaction.with_generators({"body": self.generators}, part)
        return interaction


def xml_body(document: bytes | str | etree._Element, *vary: Vary) -> XmlBody:
    """Rules and generators for ``document``; every :class:`Vary` must match something."""
    root = _parse(document)
    body = XmlBody(text=_serialise(root))
    for item in vary:
        targets = list(_select(root, item.where))
        if not targets:
            raise ValueError(f"Vary({item.where!r}) matches nothing in <{_local(root)}>")
        for element, attribute in targets:
            _add(body, element, attribute, item)
    return body


def uri_path(element: etree._Element, attribute: str | None = None, *, text: bool = True) -> str:
    """The matcher's path: ``$['{uri}:{local}']…`` then ``['@attr']`` or ``['#text']``."""
    steps = "".join(f"['{_qualified(e)}']" for e in _ancestry(element))
    if attribute is not None:
        return f"${steps}['@{attribute}']"
    return f"${steps}['#text']" if text else f"${steps}"


def prefix_path(element: etree._Element, attribute: str | None = None) -> str:
    """The generator's path: the prefixed names as written in the example document."""
    steps = "".join(f"['{_prefixed(e)}']" for e in _ancestry(element))
    return f"${steps}['@{attribute}']" if attribute is not None else f"${steps}['#text']"


# --- internals ---------------------------------------------------------------------------------


def _parse(document: bytes | str | etree._Element) -> etree._Element:
    if isinstance(document, etree._Element):
        return document
    data = document.encode("utf-8") if isinstance(document, str) else document
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)
    return etree.fromstring(data, parser)


def _serialise(root: etree._Element) -> str:
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return bytes(data).decode("utf-8")


def _select(root: etree._Element, where: str) -> Iterable[tuple[etree._Element, str | None]]:
    steps = [s for s in where.strip("/").split("/") if s]
    attribute = steps.pop()[1:] if steps and steps[-1].startswith("@") else None
    for element in root.iter(etree.Element):
        chain = [_local(e) for e in _ancestry(element)]
        wanted = attribute is None or attribute in element.attrib
        if steps and chain[-len(steps) :] == steps and wanted:
            yield element, attribute


def _add(body: XmlBody, element: etree._Element, attribute: str | None, item: Vary) -> None:
    if item.matcher is not None:
        on_element = item.matcher.on_element and attribute is None
        path = uri_path(element, attribute, text=not on_element)
        body.rules[path] = {"combine": "AND", "matchers": [dict(item.matcher.rule)]}
    if item.from_state is not None:
        body.generators[prefix_path(element, attribute)] = {
            "type": "ProviderState",
            "expression": item.from_state,
        }


def _ancestry(element: etree._Element) -> list[etree._Element]:
    chain: list[etree._Element] = []
    node: etree._Element | None = element
    while node is not None:
        chain.append(node)
        node = node.getparent()
    return chain[::-1]


def _local(element: etree._Element) -> str:
    return str(etree.QName(element).localname)


def _qualified(element: etree._Element) -> str:
    qname = etree.QName(element)
    return f"{qname.namespace}:{qname.localname}" if qname.namespace else str(qname.localname)


def _prefixed(element: etree._Element) -> str:
    qname = etree.QName(element)
    return f"{element.prefix}:{qname.localname}" if element.prefix else str(qname.localname)
