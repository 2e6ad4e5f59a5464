"""The differential test's machinery: mutate instances, judge them by two schemas, and measure how
much of the official schema the corpus exercises.

- :func:`mutations`: from one instance, every variant made by dropping, repeating, moving each
  element, adding an unknown element or attribute, dropping each attribute, and giving each leaf
  value and attribute each of the :data:`PROBES` (lengths, patterns, code-list values, dates).
- :func:`disagreements`: instances the official and the served schema judge differently.
- :func:`declared_pairs` / :func:`used_pairs`: every (parent, child) element and (element,
  @attribute) pair the official XSD files declare, and those the accepted instances contain; the
  test asserts the first is covered by the second, so every optional official field occurs in
  an instance the official schema accepts (dropping it from the served schema then fails the test).
- :func:`type_probe_schema`: a schema declaring one probe element per named simple type of a
  namespace, so each code list, pattern and length is compared value by value.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

XS = "http://www.w3.org/2001/XMLSchema"
UNKNOWN_NS = "urn:koppeling:onbekend"

#: Values each leaf element and attribute is tried with (besides its own).
PROBES: tuple[str, ...] = (
    "",
    " ",
    "x",
    "x" * 6,
    "x" * 7,
    "x" * 10,
    "x" * 11,
    "x" * 32,
    "x" * 33,
    "x" * 64,
    "x" * 65,
    "x" * 128,
    "x" * 129,
    "x" * 200,
    "x" * 201,
    "x" * 256,
    "x" * 257,
    "0",
    "00",
    "1",
    "2",
    "9",
    "12",
    "-1",
    "1.5",
    "0.25",
    "0,3",
    "?",
    "99AB",
    "99ab",
    "99AB1",
    "1234",
    "12345",
    "1234AB",
    "1234ab",
    "123456789",
    "12345678",
    "12345678901",
    "1234567",
    "NL",
    "XX",
    "B",
    "LRK",
    "2026-2027",
    "2024-2025",
    "1990-1991",
    "2199-2200",
    "2026-10-01",
    "2026-02-30",
    "2026-10-01T08:00:00",
    "2026-10-01T08:00:00Z",
    "0001-01-01T00:00:00",
    "soap:Client",
    "http://x.test/a b",
    "255",
    "256",
    "1.00",
    "10.01",
    "0.99",
)


@dataclass(frozen=True)
class Instance:
    """One document to judge: where it came from and how it was made."""

    name: str
    xml: bytes


@dataclass(frozen=True)
class Disagreement:
    name: str
    official: bool
    served: bool
    error: str


def _path(el: etree._Element) -> str:
    return el.getroottree().getpath(el)


def _leaf(el: etree._Element) -> bool:
    return len([c for c in el if isinstance(c.tag, str)]) == 0


def _unknown_like(el: etree._Element) -> etree._Element:
    """An element no schema declares, in ``el``'s namespace."""
    namespace = etree.QName(el).namespace
    return etree.Element(f"{{{namespace}}}onbekend" if namespace else "onbekend")


def mutations(base: Instance, probes: Iterable[str] = PROBES) -> Iterator[Instance]:
    """Every single-step variant of ``base`` (see the module doc)."""
    root = etree.fromstring(base.xml)
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    probes = tuple(probes)
    for i, original in enumerate(elements):
        where = _path(original)

        def variant(kind: str, change: Any, i: int = i, where: str = where) -> Instance:
            doc = copy.deepcopy(root)
            target = [e for e in doc.iter() if isinstance(e.tag, str)][i]
            change(target)
            return Instance(f"{base.name} {kind} {where}", etree.tostring(doc))

        if i > 0:
            yield variant("drop", lambda t: t.getparent().remove(t))
            yield variant("repeat", lambda t: t.addnext(copy.deepcopy(t)))
            nxt = original.getnext()
            if nxt is not None and isinstance(nxt.tag, str) and nxt.tag != original.tag:
                yield variant("swap-with-next", lambda t: t.getnext().addnext(t))
            yield variant("extra-element-before", lambda t: t.addprevious(_unknown_like(t)))
        yield variant("extra-element-inside", lambda t: t.append(_unknown_like(t)))
        yield variant("extra-attribute", lambda t: t.set("onbekend", "x"))
        yield variant("foreign-attribute", lambda t: t.set(f"{{{UNKNOWN_NS}}}a", "x"))
        for attr in original.attrib:
            yield variant(f"drop-@{attr}", lambda t, a=attr: t.attrib.pop(a))
            for value in probes:
                yield variant(f"@{attr}={value[:12]!r}", lambda t, a=attr, v=value: t.set(a, v))
        if _leaf(original) and i > 0:
            for value in probes:
                yield variant(f"text={value[:12]!r}", lambda t, v=value: setattr(t, "text", v))


def judge(schema: etree.XMLSchema, doc: etree._Element) -> tuple[bool, str]:
    ok = schema.validate(doc)
    return ok, "" if ok else str(schema.error_log.last_error)


def disagreements(
    instances: Iterable[Instance], official: etree.XMLSchema, served: etree.XMLSchema
) -> tuple[list[Disagreement], list[Instance], int]:
    """Instances judged differently; also the instances the official schema accepted, and the
    number judged."""
    differ: list[Disagreement] = []
    accepted: list[Instance] = []
    count = 0
    for instance in instances:
        count += 1
        doc = etree.fromstring(instance.xml)
        ok_official, err_official = judge(official, doc)
        ok_served, err_served = judge(served, doc)
        if ok_official:
            accepted.append(instance)
        if ok_official != ok_served:
            differ.append(
                Disagreement(instance.name, ok_official, ok_served, err_official or err_served)
            )
    return differ, accepted, count


# --- coverage ----------------------------------------------------------------------------------


def _local(qname: str | None) -> str:
    return (qname or "").rsplit(":", 1)[-1]


def declared_pairs(
    files: Iterable[Path], only_types: set[str] | None = None
) -> set[tuple[str, str]]:
    """(context element, child element) and (element, "@attribute") pairs declared in ``files``
    (one namespace's official XSDs, read as documents). A context is the name of the element a
    declaration ends up in: the element of an anonymous type, or every element using the named
    type/group that contains it (through extensions and group references)."""
    roots = [etree.parse(str(f)).getroot() for f in files]
    everything = [e for r in roots for e in r.iter() if isinstance(e.tag, str)]

    def top(el: etree._Element) -> etree._Element:
        while el.getparent() is not None and el.getparent().getparent() is not None:
            el = el.getparent()
        return el

    def contexts(el: etree._Element, seen: frozenset[str] = frozenset()) -> set[str]:
        """The element names a declaration at ``el`` lives in."""
        node = el.getparent()
        while node is not None:
            kind = etree.QName(node).localname
            if kind == "element" and node.get("name"):
                return {str(node.get("name"))}
            if node.getparent() is not None and node.getparent().getparent() is None:
                break
            node = node.getparent()
        if node is None:
            return set()
        kind, name = etree.QName(node).localname, str(node.get("name"))
        if name in seen:
            return set()
        seen = seen | {name}
        out: set[str] = set()
        for user in everything:
            ukind = etree.QName(user).localname
            uses_type = ukind == "element" and _local(user.get("type")) == name
            if kind in ("complexType", "simpleType") and uses_type:
                out.add(str(user.get("name")))
            if kind == "complexType" and ukind == "extension" and _local(user.get("base")) == name:
                out |= contexts(user, seen)
            if kind == "group" and ukind == "group" and _local(user.get("ref")) == name:
                out |= contexts(user, seen)
            if (
                kind == "attributeGroup"
                and ukind == "attributeGroup"
                and _local(user.get("ref")) == name
            ):
                out |= contexts(user, seen)
        return out

    referenced = {_local(e.get("ref")) for e in everything if e.get("ref")}
    pairs: set[tuple[str, str]] = set()
    for el in everything:
        kind = etree.QName(el).localname
        if kind not in ("element", "attribute"):
            continue
        holder = top(el)
        if only_types is not None and holder.get("name") not in only_types:
            continue
        if el.getparent() is not None and el.getparent().getparent() is None:
            if kind == "element" and str(el.get("name")) not in referenced:
                pairs.add(("(root)", str(el.get("name"))))
            continue
        name = el.get("name") or _local(el.get("ref"))
        child = f"@{name}" if kind == "attribute" else name
        for context in contexts(el):
            pairs.add((context, child))
    return pairs


def used_pairs(instances: Iterable[Instance]) -> set[tuple[str, str]]:
    pairs: set[tuple[str, str]] = set()
    for instance in instances:
        root = etree.fromstring(instance.xml)
        pairs.add(("(root)", etree.QName(root).localname))
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            name = etree.QName(el).localname
            for child in el:
                if isinstance(child.tag, str):
                    pairs.add((name, etree.QName(child).localname))
            for attr in el.attrib:
                pairs.add((name, "@" + etree.QName(attr).localname))
    return pairs


# --- named simple types ------------------------------------------------------------------------

PROBE_NS = "urn:koppeling:probe"


def simple_types(files: Iterable[Path]) -> dict[str, list[str]]:
    """Every named simple type in ``files`` with the enumeration values it lists."""
    out: dict[str, list[str]] = {}
    for f in files:
        for st in etree.parse(str(f)).getroot().iterfind(f"{{{XS}}}simpleType"):
            out[str(st.get("name"))] = [
                str(e.get("value")) for e in st.iterfind(f".//{{{XS}}}enumeration")
            ]
    return out


def type_probe_schema(namespace: str, location: str, types: Iterable[str]) -> bytes:
    """A schema in :data:`PROBE_NS` with one element ``<T>`` of type ``ns:T`` per named type."""
    root = etree.Element(
        f"{{{XS}}}schema",
        nsmap={"xs": XS, "t": namespace},
        targetNamespace=PROBE_NS,
        elementFormDefault="qualified",
    )
    etree.SubElement(root, f"{{{XS}}}import", namespace=namespace, schemaLocation=location)
    for name in types:
        etree.SubElement(root, f"{{{XS}}}element", name=name, type=f"t:{name}")
    return etree.tostring(root)


def type_probes(type_name: str, values: Iterable[str]) -> Iterator[Instance]:
    for value in values:
        el = etree.Element(f"{{{PROBE_NS}}}{type_name}")
        el.text = value
        yield Instance(f"{type_name}={value[:20]!r}", etree.tostring(el))


@dataclass
class Outcome:
    """What a differential run found."""

    judged: int
    accepted: list[Instance]
    differ: list[Disagreement]

    @property
    def rejected(self) -> int:
        return self.judged - len(self.accepted)

    def report(self, limit: int = 15) -> str:
        lines = [
            f"{len(self.differ)} of {self.judged} instances judged differently (official / served):"
        ]
        for d in self.differ[:limit]:
            lines.append(
                f"  {d.name}: official {'accepts' if d.official else 'rejects'}, served "
                f"{'accepts' if d.served else 'rejects'} ({d.error})"
            )
        return "\n".join(lines)


def run(
    bases: Iterable[Instance],
    official: etree.XMLSchema,
    served: etree.XMLSchema,
    mutate: bool = True,
) -> Outcome:
    """Judge every base instance and (with ``mutate``) every mutation of it by both schemas."""

    def everything() -> Iterator[Instance]:
        for base in bases:
            yield base
            if mutate:
                yield from mutations(base)

    differ, accepted, judged = disagreements(everything(), official, served)
    return Outcome(judged, accepted, differ)
