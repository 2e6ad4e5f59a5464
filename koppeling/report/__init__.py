"""The scenario report: one self-contained HTML file (no external assets) QA can open offline."""

from koppeling.report.html import load_records, render_report, write_report

__all__ = ["load_records", "render_report", "write_report"]
