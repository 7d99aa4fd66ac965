"""Charts drawn server-side with reportlab.graphics (a dependency of xhtml2pdf, nothing new). Each chart is a
reportlab ``Drawing``; ``svg_data_uri`` turns it into an SVG image that xhtml2pdf embeds as vector graphics (through
svglib) and that a browser shows as is. Values are only drawn here, never computed."""

from __future__ import annotations

import base64

from reportlab.graphics import renderSVG
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors

WIDTH, HEIGHT = 480, 200
BLUE, GREY, GREEN, RED = colors.HexColor("#2563eb"), colors.HexColor("#9ca3af"), colors.HexColor("#16a34a"), \
    colors.HexColor("#dc2626")


def _title(d: Drawing, text: str) -> None:
    d.add(String(WIDTH / 2, HEIGHT - 12, text, textAnchor="middle", fontName="Helvetica-Bold", fontSize=10))


def _short(labels, n=12):
    return [str(x)[:n] for x in labels]


def kpi_bars(labels, actual, target) -> Drawing:
    """Actual vs target bars for OEE, A, P, Q (in %). A missing value is drawn as 0 and labelled 'n/a'."""
    d = Drawing(WIDTH, HEIGHT)
    _title(d, "Actual vs target (%)")
    bc = VerticalBarChart()
    bc.x, bc.y, bc.width, bc.height = 40, 30, WIDTH - 140, HEIGHT - 60
    bc.data = [[(v or 0) * 100 for v in actual], [(v or 0) * 100 for v in target]]
    bc.valueAxis.valueMin = 0
    bc.valueAxis.valueMax = max(100, *(x for row in bc.data for x in row))
    bc.categoryAxis.categoryNames = _short(labels)
    bc.bars[0].fillColor, bc.bars[1].fillColor = BLUE, GREY
    bc.barLabels.fontSize = 7
    bc.barLabelFormat = "%.1f"
    bc.barLabels.nudge = 6
    d.add(bc)
    _legend(d, [(BLUE, "actual"), (GREY, "target")])
    return d


def _legend(d: Drawing, pairs) -> None:
    lg = Legend()
    lg.x, lg.y = WIDTH - 90, HEIGHT - 40
    lg.fontSize = 8
    lg.colorNamePairs = pairs
    d.add(lg)


def grouped_bars(labels, series, *, title: str) -> Drawing:
    d = Drawing(WIDTH, HEIGHT)
    _title(d, title)
    bc = VerticalBarChart()
    bc.x, bc.y, bc.width, bc.height = 40, 30, WIDTH - 140, HEIGHT - 60
    bc.data = [list(values) for _, values in series]
    bc.valueAxis.valueMin = 0
    peak = max([x for _, values in series for x in values] + [1])
    bc.valueAxis.valueMax = peak * 1.1
    bc.categoryAxis.categoryNames = _short(labels, 5)
    bc.categoryAxis.labels.fontSize = 7
    palette = [GREY, BLUE, GREEN, RED]
    for i in range(len(series)):
        bc.bars[i].fillColor = palette[i % len(palette)]
    d.add(bc)
    _legend(d, [(palette[i % len(palette)], name) for i, (name, _) in enumerate(series)])
    return d


def pareto(labels, minutes, cumulative) -> Drawing:
    """Downtime minutes per reason, descending, with the cumulative share written above each bar."""
    d = Drawing(WIDTH, HEIGHT)
    _title(d, "Downtime Pareto (minutes; cumulative %)")
    bc = VerticalBarChart()
    bc.x, bc.y, bc.width, bc.height = 40, 30, WIDTH - 60, HEIGHT - 65
    bc.data = [list(minutes)]
    bc.valueAxis.valueMin = 0
    top = max(list(minutes) + [1]) * 1.15
    bc.valueAxis.valueMax = top
    bc.categoryAxis.categoryNames = _short(labels, 10)
    bc.categoryAxis.labels.fontSize = 7
    bc.bars[0].fillColor = RED
    d.add(bc)
    n = len(minutes)
    for i, c in enumerate(cumulative):
        if c is None:
            continue
        x = bc.x + bc.width * (i + 0.5) / n
        y = bc.y + bc.height * min(minutes[i] / top, 1) + 4
        d.add(String(x, y, f"{c * 100:.0f}%", textAnchor="middle", fontSize=7))
    return d


def trend(labels, values, target: float) -> Drawing:
    """OEE per window (%) with the target as a dashed line. Windows without a figure are drawn at 0."""
    d = Drawing(WIDTH, HEIGHT)
    _title(d, "OEE trend (%)")
    lc = HorizontalLineChart()
    lc.x, lc.y, lc.width, lc.height = 40, 30, WIDTH - 60, HEIGHT - 60
    lc.data = [[(v or 0) * 100 for v in values]]
    lc.valueAxis.valueMin = 0
    lc.valueAxis.valueMax = max([100] + lc.data[0])
    lc.categoryAxis.categoryNames = _short(labels, 10)
    lc.categoryAxis.labels.fontSize = 6
    lc.categoryAxis.labels.angle = 30
    lc.categoryAxis.labels.boxAnchor = "ne"
    lc.lines[0].strokeColor = BLUE
    lc.lines[0].strokeWidth = 1.5
    d.add(lc)
    y = lc.y + lc.height * target * 100 / lc.valueAxis.valueMax
    d.add(Line(lc.x, y, lc.x + lc.width, y, strokeColor=GREEN, strokeDashArray=[3, 2]))
    d.add(String(lc.x + lc.width, y + 2, f"target {target * 100:.0f}%", textAnchor="end", fontSize=7,
                 fillColor=GREEN))
    return d


def svg_data_uri(drawing: Drawing) -> str:
    svg = renderSVG.drawToString(drawing)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
