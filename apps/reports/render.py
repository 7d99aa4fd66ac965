"""Rendering of ``ReportData`` (apps/reports/selectors.py): the PDF through xhtml2pdf and the CSV export (one CSV per
table, zipped). Both read the same tables: the PDF formats the raw values for display (rounding happens only here),
the CSV writes them unrounded (floats as Python's shortest round-trip repr, datetimes as ISO 8601 UTC)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

from django.template.loader import render_to_string

from apps.reports.charts import svg_data_uri
from apps.reports.choices import PageSize

DASH = "—"


def display(value, fmt: str, tz) -> str:
    """One cell as shown in the PDF."""
    if value is None or value == "":
        return DASH if fmt not in ("text",) else ""
    if fmt == "pct":
        return f"{value * 100:.1f} %"
    if fmt == "min":
        return f"{value / 60:.1f} min"
    if fmt == "int":
        return f"{int(value):,}"
    if fmt == "num":
        return f"{value:,.2f}"
    if fmt == "num0":
        return f"{value:,.0f}"
    if fmt in ("dt", "hidden_dt"):
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")
    return str(value)


def csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _visible(fmt: str) -> bool:
    return not fmt.startswith("hidden")


def _table_view(table, tz) -> dict:
    cols = [(i, c) for i, c in enumerate(table.columns) if _visible(c[2])]
    unit_idx = next((i for i, c in enumerate(table.columns) if c[0] == "unit"), None)
    rows = []
    for row in table.rows:
        cells = []
        for i, (_, _, fmt) in cols:
            if fmt == "row":
                fmt = row[unit_idx] if unit_idx is not None else "text"
            cells.append(display(row[i], fmt, tz))
        rows.append(cells)
    return {"name": table.name, "title": table.title, "headers": [c[1] for _, c in cols], "rows": rows,
            "numeric": [c[2] not in ("text",) for _, c in cols]}


def pdf_context(data, *, page_size: str = PageSize.A4, generated_by: str = "", generated_at=None) -> dict:
    sections = []
    for s in data.sections:
        sections.append({"key": s.key, "title": s.title, "available": s.available, "note": s.note,
                         "tables": [_table_view(t, data.tz) for t in s.tables],
                         "charts": [svg_data_uri(c) for c in s.charts]})
    fig = data.figures
    return {
        "title": data.title, "line": data.line, "kind": data.kind, "sections": sections,
        "start": display(data.start, "dt", data.tz), "end": display(data.end, "dt", data.tz),
        "as_of": display(data.as_of, "dt", data.tz), "policy": fig.policy, "flags": fig.flags,
        "page_size": "letter" if page_size == PageSize.LETTER else "a4",
        "generated_by": generated_by or "scheduler",
        "generated_at": display(generated_at or data.as_of, "dt", data.tz),
    }


class PdfError(RuntimeError):
    pass


def render_pdf(data, *, page_size: str = PageSize.A4, generated_by: str = "", generated_at=None) -> bytes:
    from xhtml2pdf import pisa

    html = render_to_string("reports/report_pdf.html", pdf_context(
        data, page_size=page_size, generated_by=generated_by, generated_at=generated_at))
    out = io.BytesIO()
    result = pisa.CreatePDF(html, dest=out, encoding="utf-8")
    if result.err:
        raise PdfError(f"xhtml2pdf reported {result.err} error(s) rendering {data.title!r}")
    return out.getvalue()


def table_csv(table) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([c[0] for c in table.columns])
    for row in table.rows:
        writer.writerow([csv_value(v) for v in row])
    return buf.getvalue()


def csv_files(data) -> dict[str, str]:
    """{file name: CSV text}, one per table of every available section, plus a ``report.csv`` with the window."""
    meta = io.StringIO()
    w = csv.writer(meta, lineterminator="\n")
    w.writerow(["title", "line", "kind", "start", "end", "as_of", "policy", "flags"])
    w.writerow([data.title, data.line.code, data.kind, csv_value(data.start), csv_value(data.end),
                csv_value(data.as_of), data.figures.policy, " ".join(data.figures.flags)])
    files = {"report.csv": meta.getvalue()}
    for s in data.sections:
        for t in s.tables:
            files[f"{s.key}__{t.name}.csv"] = table_csv(t)
    return files


def render_csv_zip(data) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in csv_files(data).items():
            zf.writestr(name, text)
    return out.getvalue()
