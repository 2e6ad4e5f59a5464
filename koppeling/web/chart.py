"""A small server-rendered SVG line chart: vaardigheidsscore over time, no JavaScript.

The Schoolkr8 pupil page shows a pupil's progress this way; rendering it on the server keeps the
pages free of chart libraries and external assets, and makes the chart testable as plain markup.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from markupsafe import Markup, escape

WIDTH, HEIGHT = 480, 200
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 36


def score_chart(points: Iterable[tuple[date, float]], title: str = "Vaardigheidsscore") -> Markup:
    """An inline ``<svg>`` of (date, score) points in date order; a note if there are none."""
    data = sorted((d, float(v)) for d, v in points)
    if not data:
        return Markup('<p class="leeg">Nog geen resultaten om te tonen.</p>')
    xs = [d.toordinal() for d, _ in data]
    ys = [v for _, v in data]
    x_lo, x_hi = min(xs), max(xs)
    y_lo, y_hi = _y_range(ys)
    coords = [
        (
            _scale(x, x_lo, x_hi, LEFT, WIDTH - RIGHT, middle=True),
            _scale(y, y_lo, y_hi, HEIGHT - BOTTOM, TOP),
        )
        for x, y in zip(xs, ys, strict=True)
    ]
    parts = [
        Markup(
            '<svg class="grafiek" role="img" viewBox="0 0 {} {}" width="{}" height="{}" '
            'xmlns="http://www.w3.org/2000/svg" aria-label="{}">'
        ).format(WIDTH, HEIGHT, WIDTH, HEIGHT, title),
        Markup("<title>{}</title>").format(title),
        _axes(y_lo, y_hi, data[0][0], data[-1][0]),
    ]
    if len(coords) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(Markup('<polyline class="lijn" fill="none" points="{}"/>').format(path))
    for (d, v), (x, y) in zip(data, coords, strict=True):
        parts.append(
            Markup(
                '<circle class="punt" cx="{:.1f}" cy="{:.1f}" r="4"><title>{}: {}</title></circle>'
            ).format(x, y, f"{d.day}-{d.month}-{d.year}", _fmt(v))
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _y_range(ys: list[float]) -> tuple[float, float]:
    lo, hi = min(ys), max(ys)
    pad = max((hi - lo) * 0.1, 5.0)
    return lo - pad, hi + pad


def _scale(
    v: float, lo: float, hi: float, out_lo: float, out_hi: float, *, middle: bool = False
) -> float:
    if hi == lo:
        return (out_lo + out_hi) / 2 if middle else out_lo
    return out_lo + (v - lo) * (out_hi - out_lo) / (hi - lo)


def _axes(y_lo: float, y_hi: float, first: date, last: date) -> Markup:
    bottom, right = HEIGHT - BOTTOM, WIDTH - RIGHT
    return Markup(
        '<g class="assen">'
        '<line x1="{l}" y1="{t}" x2="{l}" y2="{b}"/><line x1="{l}" y1="{b}" x2="{r}" y2="{b}"/>'
        '<text x="{lt}" y="{tt}" text-anchor="end">{hi}</text>'
        '<text x="{lt}" y="{b}" text-anchor="end">{lo}</text>'
        '<text x="{l}" y="{bt}">{d1}</text>'
        '<text x="{r}" y="{bt}" text-anchor="end">{d2}</text>'
        "</g>"
    ).format(
        l=LEFT,
        t=TOP,
        b=bottom,
        r=right,
        lt=LEFT - 6,
        tt=TOP + 4,
        bt=HEIGHT - 12,
        hi=_fmt(y_hi),
        lo=_fmt(y_lo),
        d1=escape(f"{first.day}-{first.month}-{first.year}"),
        d2=escape(f"{last.day}-{last.month}-{last.year}"),
    )


def _fmt(v: float) -> str:
    return f"{v:.0f}" if v == int(v) else f"{v:.1f}"
