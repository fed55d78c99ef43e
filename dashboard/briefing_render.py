"""The briefing as files: a PDF (ReportLab, fonts embedded) and an XLSX of the same figures.

Why ReportLab (README, "Morning briefing"): it is pure Python on PyPI, draws text, tables and
vector charts (``reportlab.graphics``) itself and embeds TrueType fonts as subsets — nothing is
fetched at run time, no browser and no system library is needed, so it works the same on a closed
network, in a container and in CI. The font is DejaVu Sans (``dashboard/data/fonts``, its licence
beside it), which has every Vietnamese glyph; a PDF viewer needs no font of its own.

>>> FONT, FONT_BOLD
('IOC-DejaVuSans', 'IOC-DejaVuSans-Bold')
"""

from __future__ import annotations

import io
import math
from datetime import date, datetime
from pathlib import Path
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from dashboard.briefing import Briefing, Chart, SectionContent, Shown, header_rows, text
from dashboard.exports import append_row

FONTS_DIR = Path(__file__).resolve().parent / "data" / "fonts"
FONT = "IOC-DejaVuSans"
FONT_BOLD = "IOC-DejaVuSans-Bold"
RED = colors.HexColor("#c62828")
INK = colors.HexColor("#1b2a3a")
RULE = colors.HexColor("#b0bec5")
HEAD_BG = colors.HexColor("#e3ebf3")


def _register_fonts() -> None:
    if FONT in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(FONT, str(FONTS_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONTS_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT_BOLD, italic=FONT, boldItalic=FONT_BOLD)
    # A drawing starts from ReportLab's default state, whose font is Helvetica: a base-14 font a
    # PDF may not embed. Start charts from DejaVu Sans so that every font in the file is embedded.
    from reportlab.graphics import renderbase

    renderbase.STATE_DEFAULTS["fontName"] = FONT


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=8.5, leading=11, textColor=INK)
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=17, leading=21),
        "sub": ParagraphStyle("sub", parent=base, fontSize=11, leading=14),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=11.5,
            leading=15,
            spaceBefore=8,
            spaceAfter=3,
            keepWithNext=1,
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "head": ParagraphStyle("head", parent=base, fontName=FONT_BOLD, fontSize=8, leading=10),
        "note": ParagraphStyle("note", parent=base, textColor=colors.HexColor("#455a64")),
    }


def _cell_text(value) -> str:
    if isinstance(value, Shown):
        return value.text
    if isinstance(value, datetime):
        return value.strftime("%H:%M %d/%m/%Y")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return "" if value is None else str(value)


# --- PDF ----------------------------------------------------------------------------------------------
def _bar_chart(chart: Chart, width: float, height: float = 52 * mm) -> Drawing:
    drawing = Drawing(width, height)
    drawing.add(String(0, height - 10, chart.title, fontName=FONT_BOLD, fontSize=9, fillColor=INK))
    bars = VerticalBarChart()
    bars.x, bars.y = 28, 26
    bars.width, bars.height = width - 40, height - 48
    scale = 100.0 if chart.unit == "percent" else 1.0
    values = [0.0 if v is None else v * scale for v in chart.values]
    bars.data = [values]
    bars.valueAxis.valueMin = 0
    top = max(values) if values else 0
    step = 20.0 if chart.unit == "percent" else float(max(1, math.ceil(top * 1.1 / 5)))
    bars.valueAxis.valueStep = step
    bars.valueAxis.valueMax = 100.0 if chart.unit == "percent" else step * 5
    bars.valueAxis.labelTextFormat = "%.0f"
    bars.valueAxis.labels.fontName = FONT
    bars.valueAxis.labels.fontSize = 7
    labels = list(chart.labels)
    if len(labels) > 16:  # a month of days: every other label
        labels = [label if i % 2 == 0 else "" for i, label in enumerate(labels)]
    bars.categoryAxis.categoryNames = labels
    bars.categoryAxis.labels.fontName = FONT
    bars.categoryAxis.labels.fontSize = 6.5 if len(labels) > 8 else 7.5
    bars.categoryAxis.labels.angle = 45 if len(labels) > 8 else 0
    bars.categoryAxis.labels.boxAnchor = "ne" if len(labels) > 8 else "n"
    bars.barLabelFormat = "%.0f" if len(labels) <= 12 else None  # a month of labels would overlap
    bars.barLabels.fontName = FONT
    bars.barLabels.fontSize = 6.5 if len(labels) > 8 else 7.5
    bars.barLabels.nudge = 6
    bars.bars[0].fillColor = colors.HexColor("#3d5a80")
    bars.bars[0].strokeColor = None
    for i, colour in enumerate(chart.colours):
        bars.bars[(0, i)].fillColor = colors.HexColor(colour)
    drawing.add(bars)
    return drawing


def _chart_rows(charts: tuple[Chart, ...], width: float) -> list:
    """The charts two by two across the page."""
    half = (width - 6 * mm) / 2
    rows = []
    for i in range(0, len(charts), 2):
        pair = [_bar_chart(c, half) for c in charts[i : i + 2]]
        grid = Table([pair + [""] * (2 - len(pair))], colWidths=[half + 6 * mm, half])
        grid.setStyle(
            TableStyle(
                [
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("FONT", (0, 0), (-1, -1), FONT),
                ]
            )
        )
        rows.append(grid)
    return rows


def _table(content: SectionContent, styles, width: float) -> Table:
    table = content.table
    assert table is not None
    head = [Paragraph(escape(c), styles["head"]) for c in table.columns]
    body = [[Paragraph(escape(_cell_text(v)), styles["cell"]) for v in row] for row in table.rows]
    widths = _column_widths(content.key, len(table.columns), width)
    out = Table([head, *body], colWidths=widths, repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, -1), FONT),  # (a Table sets its cells' font even for paragraphs)
        ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if content.key == "kpis":  # the status column: red rows stand out
        for i, row in enumerate(table.rows, start=1):
            status = _cell_text(row[3])
            if status in ("Không đạt", "Off target"):
                style.append(("TEXTCOLOR", (3, i), (3, i), RED))
                style.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor("#fdecea")))
    out.setStyle(TableStyle(style))
    return out


def _column_widths(key: str, n: int, width: float) -> list[float]:
    shares = {
        "kpis": [0.09, 0.33, 0.11, 0.12, 0.13, 0.11, 0.11],
        "red": [0.09, 0.28, 0.11, 0.52],
        "overdue": [0.10, 0.22, 0.40, 0.12, 0.16],
        "index": [0.70, 0.15, 0.15],
        "sources": [0.24, 0.14, 0.16, 0.26, 0.20],
    }.get(key)
    if shares is None or len(shares) != n:
        shares = [1 / n] * n
    return [width * s for s in shares]


def _on_page(b: Briefing):
    def draw(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(colors.HexColor("#607d8b"))
        canvas.drawString(doc.leftMargin, 10 * mm, f"{b.title} — {b.subtitle} — {b.day:%d/%m/%Y}")
        canvas.drawRightString(
            doc.pagesize[0] - doc.rightMargin, 10 * mm, text("page", b.lang, n=canvas.getPageNumber())
        )
        canvas.restoreState()

    return draw


def to_pdf(b: Briefing, made_at: datetime | None = None) -> bytes:
    """The briefing as an A4 PDF (portrait; a long KPI table flows over pages)."""
    _register_fonts()
    styles = _styles()
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=14 * mm,
        rightMargin=14 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=f"{b.title} — {b.subtitle} — {b.day:%d/%m/%Y}",
        author=b.agency,
        subject=b.period.label(b.lang),
        creator="IOC dashboard",
        initialFontName=FONT,  # not Helvetica: every font of the file is embedded
        initialFontSize=8.5,
    )
    width = doc.width
    story: list = [
        Paragraph(escape(b.title), styles["title"]),
        Paragraph(escape(f"{b.subtitle} — {b.day:%d/%m/%Y}"), styles["sub"]),
        Spacer(1, 3 * mm),
    ]
    header = [
        [Paragraph(escape(k), styles["head"]), Paragraph(escape(v), styles["cell"])]
        for k, v in header_rows(b, made_at)
    ]
    info = Table(header, colWidths=[width * 0.22, width * 0.78])
    info.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, -1), (-1, -1), 0.6, RULE),
            ]
        )
    )
    story += [info, Spacer(1, 2 * mm)]
    story.append(Paragraph(escape(text("summary", b.lang)), styles["h2"]))
    from dashboard.briefing import summary_line

    story.append(Paragraph(escape(summary_line(b)), styles["base"]))
    story.append(Spacer(1, 2 * mm))
    story.extend(_chart_rows(b.charts, width))
    for content in b.sections:
        story.append(Paragraph(escape(content.title), styles["h2"]))
        if content.note:
            style = styles["note"] if not content.present else styles["base"]
            story.append(Paragraph(escape(content.note), style))
            story.append(Spacer(1, 1.5 * mm))
        if content.table is not None and content.table.rows:
            story.append(_table(content, styles, width))
    doc.build(story, onFirstPage=_on_page(b), onLaterPages=_on_page(b))
    return buffer.getvalue()


# --- XLSX ----------------------------------------------------------------------------------------------
def _xlsx_value(value):
    if isinstance(value, Shown):
        return value.value if value.value is not None else value.text
    return value


def to_xlsx(b: Briefing, made_at: datetime | None = None) -> bytes:
    """The same figures as the PDF: a summary sheet, then one sheet per section with a table.
    Numbers are numbers (percentages as ratios formatted 0.00 %), text cells never formulas."""
    book = Workbook()
    ws = book.active
    ws.title = text("summary", b.lang)[:31]
    append_row(ws, [f"{b.title} — {b.subtitle} — {b.day:%d/%m/%Y}"])
    ws["A1"].font = Font(bold=True, size=13)
    for k, v in header_rows(b, made_at):
        append_row(ws, [k, v])
    from dashboard.briefing import summary_line

    append_row(ws, [text("summary", b.lang), summary_line(b)])
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 80
    used = {ws.title}
    for content in b.sections:
        name = _sheet_name(content.title, used)
        sheet = book.create_sheet(name)
        append_row(sheet, [content.title])
        sheet["A1"].font = Font(bold=True, size=12)
        if content.note:
            append_row(sheet, [content.note])
        if content.table is None:
            continue
        append_row(sheet, list(content.table.columns))
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in content.table.rows:
            append_row(sheet, [_xlsx_value(v) for v in row])
            for cell, v in zip(sheet[sheet.max_row], row, strict=False):
                if isinstance(v, Shown) and v.fmt and isinstance(cell.value, int | float):
                    cell.number_format = v.fmt
        for i, column in enumerate(content.table.columns, start=1):
            longest = max([len(column), *(len(_cell_text(r[i - 1])) for r in content.table.rows)])
            sheet.column_dimensions[get_column_letter(i)].width = min(70, longest + 2)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_name(title: str, used: set[str]) -> str:
    """A sheet name Excel accepts (≤ 31 characters, none of ``[]:*?/\\``), unique in the book."""
    clean = "".join(" " if ch in "[]:*?/\\" else ch for ch in title)[:31].strip() or "Sheet"
    name, n = clean, 2
    while name in used:
        suffix = f" ({n})"
        name = clean[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name)
    return name
