"""A sequence diagram of one scenario's journal, as inline SVG (no JavaScript, no assets).

The journal records the *receiving* service of each request; the sender is inferred: a request
that shares its correlation id with an enclosing request at another service was made by that
service (the enclosing one is journaled last, when its answer is done); otherwise SOAP calls come
from the testcentrum (it is the only UWLR client) and REST calls from the scenario itself.
E-mails are drawn from the sending service to the mailbox.
"""

from __future__ import annotations

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


def _message(e: dict[str, Any], caller: str | None) -> Message:
    service = str(e.get("service"))
    kind = str(e.get("kind") or "http")
    status = e.get("status") or 0
    data = e.get("data") or {}
    failed = bool(status and int(status) >= 400) or bool(data.get("fault"))
    if kind == "email":
        to = ", ".join(data.get("to") or [])
        return Message(service, "mailbox", f"✉ {data.get('subject', '')} → {to}", kind, False,
                       int(e["id"]))
    sender = caller or ("testcentrum" if kind == "soap" else "scenario")
    if sender == service:
        sender = "scenario"
    if kind == "soap":
        label = f"{e.get('operation')} → {data.get('fault') or status}"
    else:
        label = f"{e.get('method')} {_short(str(e.get('path') or ''))} → {status}"
    return Message(sender, service, label, kind, failed, int(e["id"]))


def _short(path: str) -> str:
    return path if len(path) <= 48 else path[:45] + "…"


def lane_x(name: str) -> int:
    index = LANES.index(name) if name in LANES else len(LANES) - 1
    return LEFT + LANE_W // 2 + index * LANE_W


def render_svg(entries: list[dict[str, Any]]) -> str:
    """The diagram as an ``<svg>`` element (empty note when there is nothing to draw)."""
    msgs = messages(entries)
    if not msgs:
        return '<p class="muted">No journal entries for this scenario\'s schools.</p>'
    width = LEFT * 2 + LANE_W * len(LANES)
    height = TOP + ROW_H * (len(msgs) + 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'class="seq" role="img" aria-label="sequence diagram">',
             '<defs><marker id="a" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
             'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" '
             'fill="context-stroke"/></marker></defs>']
    for lane in LANES:
        x = lane_x(lane)
        parts.append(f'<text x="{x}" y="18" class="lane">{escape(LANE_TITLES.get(lane, lane))}'
                     f'</text><line x1="{x}" y1="26" x2="{x}" y2="{height}" class="life"/>')
    for row, m in enumerate(msgs):
        parts.append(_arrow(m, TOP + row * ROW_H))
    parts.append("</svg>")
    return "".join(parts)


def _arrow(m: Message, y: int) -> str:
    x1, x2 = lane_x(m.sender), lane_x(m.receiver)
    css = f"msg {m.kind}" + (" failed" if m.failed else "")
    if x1 == x2:
        x2 = x1 + 40
    mid = (x1 + x2) / 2
    return (f'<g class="{css}"><title>#{m.entry_id} {escape(m.sender)} → {escape(m.receiver)}: '
            f'{escape(m.label)}</title>'
            f'<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" marker-end="url(#a)"/>'
            f'<text x="{mid}" y="{y - 4}">{escape(m.label)}</text></g>')
