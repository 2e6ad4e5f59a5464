"""Render scenario records (written by the scenario plugin) as one self-contained HTML page.

Everything is inline — CSS, the SVG sequence diagrams — so the file opens offline, can be attached
to a CI run or mailed, and shows per scenario: outcome, what it checks, seed and replay command,
its steps, the failure, and the SOAP calls, REST calls and e-mails of its schools.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

from koppeling.report.sequence import render_svg

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;
color:#1d2330;
background:#f6f7f9}
header{background:#1d3557;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
main{padding:18px 28px}.muted{color:#6b7280}.summary span{margin-right:14px}
section.sc{background:#fff;border:1px solid #dde1e7;border-radius:8px;margin:14px 0;
padding:12px 18px}
section.sc>h2{font-size:17px;margin:0 0 4px}.badge{display:inline-block;padding:1px 8px;
border-radius:10px;font-size:12px;font-weight:600;margin-right:8px;vertical-align:middle}
.passed{background:#d1fadf;color:#05603a}.failed{background:#fee4e2;color:#b42318}
.skipped,.xfailed{background:#eef0f3;color:#475467}.running{background:#fef0c7;color:#93370d}
table{border-collapse:collapse;width:100%;margin:6px 0}td,th{border-bottom:1px solid #eceef2;
padding:3px 6px;text-align:left;vertical-align:top;font-size:13px}th{color:#475467}
pre{background:#101828;color:#f2f4f7;padding:10px;border-radius:6px;overflow:auto;font-size:12px;
white-space:pre-wrap}code{background:#eef0f3;padding:0 4px;border-radius:4px}
.diagram{overflow-x:auto;border:1px solid #eceef2;border-radius:6px;background:#fcfcfd}
nav{display:flex;flex-wrap:wrap;gap:4px 12px}nav a{text-decoration:none}nav a.failed{color:#b42318}
.legend span{margin-right:12px;font-size:12px}
details summary{cursor:pointer;color:#344054}
"""

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>koppeling scenarios: {{ counts.get('failed', 0) }} failed,
 {{ counts.get('passed', 0) }} passed</title>
<style>{{ css }}</style></head><body>
<header><h1>koppeling scenario report</h1>
<div class="summary">
{% for outcome, n in counts.items() %}<span>{{ outcome }}: <b>{{ n }}</b></span>{% endfor %}
<span>run seed: <b>{{ run_seed }}</b></span><span>driver: <b>{{ driver }}</b></span>
<span>generated {{ generated }}</span></div></header>
<main>
<nav>{% for r in records %}
<a href="#{{ r.anchor }}" class="{{ r.outcome }}">{{ r.name }}</a>{% endfor %}</nav>
<p class="legend muted">Diagrams: <span style="color:#1570ef">— REST</span>
<span style="color:#7a5af8">— SOAP (UWLR)</span><span style="color:#039855">- - e-mail</span>
<span style="color:#d92d20">— error / fault</span>
(hover an arrow for its journal entry)</p>
{% for r in records %}
<section class="sc" id="{{ r.anchor }}">
<h2><span class="badge {{ r.outcome }}">{{ r.outcome }}</span>{{ r.name }}</h2>
{% if r.doc %}<p>{{ r.doc }}</p>{% endif %}
<p class="muted">seed <code>{{ r.seed }}</code> · school(s) {{ r.schools|join(', ') or '–' }} ·
{{ '%.2f'|format(r.duration or 0) }} s · replay: <code>{{ r.replay }}</code></p>
{% if r.steps %}<table>
<tr><th>#</th><th>step</th><th>outcome</th><th>s</th><th>detail</th></tr>
{% for s in r.steps %}<tr><td>{{ loop.index }}</td><td>{{ s.title }}</td>
<td><span class="badge {{ s.outcome }}">{{ s.outcome }}</span></td>
<td>{{ '%.2f'|format(s.duration) }}</td><td>{{ s.detail|join('; ') }}</td></tr>
{% endfor %}</table>{% endif %}
{% if r.failure %}<details open><summary>failure</summary>
<pre>{{ r.failure }}</pre></details>{% endif %}
<details {% if r.outcome == 'failed' %}open{% endif %}>
<summary>sequence diagram ({{ r.journal|length }} journal entries)</summary>
<div class="diagram">{{ r.svg }}</div></details>
<details><summary>journal</summary><table>
<tr><th>#</th><th>at (school clock)</th><th>service</th><th>kind</th><th>summary</th></tr>
{% for e in r.journal %}<tr><td>{{ e.id }}</td><td>{{ e.at }}</td><td>{{ e.service }}</td>
<td>{{ e.kind }}</td><td>{{ e.summary }}</td></tr>{% endfor %}</table></details>
</section>
{% else %}<p>No scenario records.</p>{% endfor %}
</main></body></html>
"""


def load_records(folder: Path) -> list[dict[str, Any]]:
    """Every record the scenario plugin wrote into ``folder``, sorted by name."""
    records = []
    for path in sorted(folder.glob("*.json")):
        try:
            records.append(json.loads(path.read_text(encoding="utf-8")))
        except ValueError:
            continue
    return sorted(records, key=lambda r: (r.get("outcome") != "failed", str(r.get("name"))))


def render_report(records: list[dict[str, Any]], *, run_seed: int | None = None) -> str:
    """The HTML page for these records."""
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    view = [_view(r, i) for i, r in enumerate(records)]
    counts = Counter(str(r.get("outcome", "unknown")) for r in records)
    drivers = sorted({str(r.get("driver", "stand-in")) for r in records}) or ["stand-in"]
    seeds = {r.get("run_seed") for r in records}
    return env.from_string(TEMPLATE).render(
        css=Markup(CSS),
        records=view,
        counts=dict(sorted(counts.items())),
        run_seed=run_seed if run_seed is not None else ", ".join(str(s) for s in seeds),
        driver=", ".join(drivers),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )


def _view(record: dict[str, Any], index: int) -> dict[str, Any]:
    view = dict(record)
    view.setdefault("outcome", "unknown")
    view.setdefault("steps", [])
    view.setdefault("schools", [])
    view["journal"] = list(record.get("journal") or [])
    view["anchor"] = f"s{index}"
    view["svg"] = Markup(render_svg(view["journal"]))
    return view


def write_report(records_dir: Path, out: Path, *, run_seed: int | None = None) -> Path:
    """Render the records in ``records_dir`` to ``out``; returns ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_report(load_records(records_dir), run_seed=run_seed), encoding="utf-8")
    return out
