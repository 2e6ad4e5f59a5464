"""A sequence diagram of one scenario's journal, as inline SVG (no JavaScript, no assets).

The journal records the *receiving* service of each request; the sender is inferred: a request
that shares its correlation id with an enclosing request at another service was made by that
service (the enclosing one is journaled last, when its answer is done); otherwise SOAP calls come
from the testcentrum (it is the only UWLR client) and REST calls from the scenario itself.
E-mails are drawn from the sending service to the mailbox.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from typing import Any

LANES = ("scenario", "testcentrum", "parnassys", "esis", "klantenservice", "schoolkr8", "mailbox")
LANE_TITLES = {"scenario": "scenario / school", "mailbox": "mailbox (SMTP)"}
LANE_W = 150
ROW_H = 24
TOP = 46
LEFT = 20


@dataclass(frozen=True)
class Message:
    """One arrow: who called whom, what, and whether it went wrong."""

    sender: str
    receiver: str
    label: str
    kind: str  # http | soap | email | event
    failed: bool
    entry_id: int


def messages(entries: list[dict[str, Any]]) -> list[Message]:
    """Arrows for journal entries, parents before the calls they caused."""
    by_corr: dict[str, list[dict[str, Any]]] = {}
    for e in entries:
        if e.get("correlation_id"):
            by_corr.setdefault(str(e["correlation_id"]), []).append(e)
    out: list[tuple[tuple[int, int, int], Message]] = []
    for e in entries:
        group = by_corr.get(str(e.get("correlation_id") or ""), [e])
        parent = max(group, key=lambda x: int(x["id"]))
        is_parent = parent is e or parent["service"] == e["service"]
        order = (min(int(x["id"]) for x in group), 0 if is_parent else 1, int(e["id"]))
        out.append((order, _message(e, None if is_parent else str(parent["service"]))))
    return [m for _, m in sorted(out, key=lambda pair: pair[0])]


# Who calls these endpoints when the correlation id does not tell (service, path prefix, sender).
KNOWN_CALLERS = (
    ("schoolkr8", "/api/sleutels", "klantenservice"),
    ("testcentrum", "/api/scholen/", "scenario"),
    ("klantenservice", "/api/aanvragen", "testcentrum"),
)
SCHOOL_PATH = re.compile(r"^/api/scholen/\d{2}[A-Z]{2}/\d{2}/")
LABEL_MAX = 58


def _sender(e: dict[str, Any], caller: str | None) -> str:
    service, kind = str(e.get("service")), str(e.get("kind") or "http")
    if caller and caller != service:
        return caller
    if kind == "soap":
        return "testcentrum"
    path = str(e.get("path") or "")
    for svc, prefix, sender in KNOWN_CALLERS:
        if service == svc and path.startswith(prefix):
            if (
                svc == "testcentrum"
                and path.endswith("/las-koppeling")
                and e.get("method") == "GET"
            ):
                return "klantenservice"  # klantenservice's check of the LAS koppeling
            return sender
    return "scenario"


def _message(e: dict[str, Any], caller: str | None) -> Message:
    service = str(e.get("service"))
    kind = str(e.get("kind") or "http")
    status = e.get("status") or 0
    data = e.get("data") or {}
    failed = bool(status and int(status) >= 400) or bool(data.get("fault"))
    if kind == "email":
        to = ", ".join(data.get("to") or [])
        return Message(
            service,
            "mailbox",
            _short(f"✉ {data.get('subject', '')} → {to}"),
            kind,
            False,
            int(e["id"]),
        )
    if kind == "soap":
        label = f"{e.get('operation')} → {data.get('fault') or status}"
    else:
        path = SCHOOL_PATH.sub("…/", str(e.get("path") or ""))
        label = f"{e.get('method')} {_short(path)} → {status}"
    return Message(_sender(e, caller), service, label, kind, failed, int(e["id"]))


def _short(text: str) -> str:
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


def collapse(msgs: list[Message]) -> list[tuple[Message, int]]:
    """Consecutive identical arrows (polling) as one arrow with a count."""
    out: list[tuple[Message, int]] = []
    for m in msgs:
        if out and (out[-1][0].sender, out[-1][0].receiver, out[-1][0].label) == (
            m.sender,
            m.receiver,
            m.label,
        ):
            out[-1] = (out[-1][0], out[-1][1] + 1)
        else:
            out.append((m, 1))
    return out


def lane_x(name: str) -> int:
    index = LANES.index(name) if name in LANES else len(LANES) - 1
    return LEFT + LANE_W // 2 + index * LANE_W


COLOURS = {"http": "#1570ef", "soap": "#7a5af8", "email": "#039855", "failed": "#d92d20"}
RIGHT_PAD = 160


def render_svg(entries: list[dict[str, Any]]) -> str:
    """The diagram as an ``<svg>`` element (a note when there is nothing to draw). Styling is in
    attributes, so the SVG also renders on its own."""
    rows = collapse(messages(entries))
    if not rows:
        return '<p class="muted">No journal entries for this scenario\'s schools.</p>'
    width = LEFT * 2 + LANE_W * len(LANES) + RIGHT_PAD
    height = TOP + ROW_H * (len(rows) + 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'class="seq" role="img" aria-label="sequence diagram" font-family="sans-serif" '
        f'font-size="11">',
        "<defs>",
    ]
    for name, colour in COLOURS.items():
        parts.append(
            f'<marker id="arrow-{name}" viewBox="0 0 10 10" refX="10" refY="5" '
            f'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
            f'<path d="M0,0L10,5L0,10z" fill="{colour}"/></marker>'
        )
    parts.append("</defs>")
    for lane in LANES:
        x = lane_x(lane)
        parts.append(
            f'<text x="{x}" y="18" text-anchor="middle" font-weight="bold" '
            f'font-size="12" fill="#344054">{escape(LANE_TITLES.get(lane, lane))}</text>'
            f'<line x1="{x}" y1="26" x2="{x}" y2="{height}" stroke="#d0d5dd" '
            f'stroke-dasharray="4 3"/>'
        )
    for row, (m, count) in enumerate(rows):
        parts.append(_arrow(m, count, TOP + row * ROW_H))
    parts.append("</svg>")
    return "".join(parts)


def _arrow(m: Message, count: int, y: int) -> str:
    x1, x2 = lane_x(m.sender), lane_x(m.receiver)
    style = "failed" if m.failed else m.kind if m.kind in COLOURS else "http"
    colour = COLOURS[style]
    dash = ' stroke-dasharray="5 3"' if m.kind == "email" else ""
    if x1 == x2:
        x2 = x1 + 40
    label = m.label + (f"  ×{count}" if count > 1 else "")
    anchor, tx = (
        ("start", min(x1, x2) + 6) if abs(x2 - x1) < LANE_W * 2 else ("middle", (x1 + x2) / 2)
    )
    return (
        f'<g class="msg {m.kind}{" failed" if m.failed else ""}"><title>#{m.entry_id} '
        f"{escape(m.sender)} → {escape(m.receiver)}: {escape(label)}</title>"
        f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{colour}" stroke-width="1.4"'
        f'{dash} marker-end="url(#arrow-{style})"/>'
        f'<text x="{tx}" y="{y - 4}" text-anchor="{anchor}" '
        f'fill="{"#b42318" if m.failed else "#344054"}">{escape(label)}</text></g>'
    )
