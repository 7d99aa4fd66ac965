"""Reading generated reports back: PDF text and page count through pypdf, CSV tables from the zip."""

from __future__ import annotations

import csv
import io
import zipfile

from pypdf import PdfReader


def pdf_pages(blob: bytes):
    return PdfReader(io.BytesIO(blob)).pages


def pdf_text(blob: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in pdf_pages(blob))


def page_size_pts(blob: bytes) -> tuple[float, float]:
    box = pdf_pages(blob)[0].mediabox
    return float(box.width), float(box.height)


def csv_tables(blob: bytes) -> dict[str, list[dict]]:
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        return {name: list(csv.DictReader(io.StringIO(zf.read(name).decode()))) for name in zf.namelist()}


def row(table: list[dict], **match) -> dict:
    hits = [r for r in table if all(r[k] == v for k, v in match.items())]
    assert len(hits) == 1, (match, table)
    return hits[0]
