"""The spend page's charts: SVG drawn on the server with pygal.

Each chart is served as an image (`<img src=…>`), so it needs no script on the page
and keeps working under a Content-Security-Policy without inline script; pygal's
own `<script>` element (its tooltip configuration) is removed, and the response
carries the same sandboxing policy as any SVG the studio serves. Each chart has a
table beside it on the page with the same figures, for screen readers and copying.
"""

from __future__ import annotations

from xml.etree import ElementTree

import pygal
from pygal.style import Style

from recraft_studio.recraft import catalog

from .selectors import SpendReport, SpendRow

STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    foreground="#1d1d1f",
    foreground_strong="#1d1d1f",
    foreground_subtle="#6b6b70",
    opacity=".85",
    opacity_hover="1",
    colors=("#5b3df5", "#b3261e", "#1e7b34", "#9a6700", "#0b7285", "#c2255c", "#5c940d"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=12,
    title_font_size=14,
    value_font_size=11,
)

UNITS_AXIS = f"API units ({catalog.UNITS_PER_USD:,} = $1)"


def _common(**extra) -> dict:
    return {
        "style": STYLE,
        "js": [],
        "width": 760,
        "height": 320,
        "explicit_size": False,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 3,
        "print_values": False,
        "truncate_legend": 40,
        "value_formatter": lambda v: f"{v:,.0f}",
        **extra,
    }


def _svg(chart) -> bytes:
    """The chart's SVG without pygal's <script> (an <img> would not run it anyway)."""
    tree = chart.render_tree()
    for parent in tree.iter():
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(tree)


def cumulative(report: SpendReport) -> bytes:
    """Spent so far this month, day by day, against the month's budget line."""
    chart = pygal.Line(
        **_common(
            title="Spent so far this month",
            y_title=UNITS_AXIS,
            show_dots=False,
            fill=False,
            x_labels_major_every=5,
            show_minor_x_labels=False,
            range=(0, max(report.budget or 0, report.charged, 1) * 1.1),
        )
    )
    chart.x_labels = [str(d.day) for d, _ in report.days]
    chart.add("Charged", report.cumulative)
    if report.budget:
        chart.add(
            "Monthly budget",
            [report.budget] * len(report.days),
            stroke_style={"width": 2, "dasharray": "6,4"},
        )
    return _svg(chart)


def daily(report: SpendReport) -> bytes:
    chart = pygal.Bar(
        **_common(
            title="Charged each day",
            y_title=UNITS_AXIS,
            show_legend=False,
            x_labels_major_every=5,
            show_minor_x_labels=False,
        )
    )
    chart.x_labels = [str(d.day) for d, _ in report.days]
    chart.add("Charged", [units for _, units in report.days])
    return _svg(chart)


def breakdown(title: str, rows: list[SpendRow], *, with_budgets: bool = False) -> bytes:
    """A horizontal bar per project, person or tool; a project's budget beside it."""
    rows = rows[:12]
    chart = pygal.HorizontalBar(
        **_common(
            title=title,
            x_title=UNITS_AXIS,
            show_legend=with_budgets and any(r.budget for r in rows),
            height=max(160, 70 + 34 * max(len(rows), 1)),
        )
    )
    chart.x_labels = [r.label for r in rows] or ["Nothing yet"]
    chart.add("Charged", [r.units for r in rows] or [0])
    if with_budgets and any(r.budget for r in rows):
        chart.add("Monthly budget", [r.budget for r in rows])
    return _svg(chart)
