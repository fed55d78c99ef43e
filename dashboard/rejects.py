"""Rejected data where operators look: the last rejected files and rows of a source, each reason
in plain words (Vietnamese and English) next to the technical text, for the Sources page, the
rejects view (``/sources/rejects?source=NAME``, with CSV export) and ``ioc collect rejects``.

Kinds (``rejected_record.kind``): ``file`` — a whole file refused or stopped (it went to
``failed/`` or is tried once more); ``row`` — a value the runner refused; ``duplicate`` — an id
seen twice in one batch (the first row kept); ``future`` — a timestamp later than now plus the
source's tolerance; ``personal`` — fields holding a petitioner's personal data, dropped from
rows that were kept (the note names the fields, never their values).

>>> explain_reject("hop.csv is not valid UTF-8 on line 3 (byte 0xE0): export it as UTF-8").vi
'Tệp không phải mã UTF-8: xuất lại tệp dạng UTF-8 (hoặc đặt options.encoding = "cp1258" nếu từ phần mềm Windows tiếng Việt).'
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboard.health import PlainError
from dashboard.i18n import register, t
from dashboard.models import RejectedRecord
from dashboard.timeutil import utcnow

KINDS = ("file", "row", "duplicate", "future", "personal")

register(
    {
        "state_refused": {"vi": "Có tệp bị từ chối", "en": "File refused"},
        "rj_title": {"vi": "Dữ liệu bị loại – {source}", "en": "Rejected data – {source}"},
        "rj_view_all": {"vi": "Xem tất cả và xuất", "en": "See all and export"},
        "rj_none": {"vi": "Không có dữ liệu bị loại.", "en": "Nothing rejected."},
        "rj_back": {"vi": "← Về trang nguồn dữ liệu", "en": "← Back to data sources"},
        "rj_files_refused": {"vi": "{n} tệp bị từ chối trong 24 giờ", "en": "{n} file(s) refused in 24 h"},
        "rj_shown": {"vi": "{n} mục gần nhất", "en": "latest {n}"},
        "rj_at": {"vi": "Thời điểm", "en": "When"},
        "rj_kind": {"vi": "Loại", "en": "Kind"},
        "rj_file": {"vi": "Tệp", "en": "File"},
        "rj_line": {"vi": "Dòng", "en": "Line"},
        "rj_reason": {"vi": "Lý do", "en": "Reason"},
        "rj_detail": {"vi": "Chi tiết kỹ thuật", "en": "Technical detail"},
        "rj_payload": {"vi": "Dữ liệu gốc", "en": "Raw data"},
        "rj_kind_file": {"vi": "Cả tệp bị từ chối", "en": "Whole file refused"},
        "rj_kind_row": {"vi": "Dòng bị loại", "en": "Row rejected"},
        "rj_kind_duplicate": {"vi": "Mã trùng", "en": "Duplicate"},
        "rj_kind_future": {"vi": "Ngày ở tương lai", "en": "Future date"},
        "rj_kind_personal": {
            "vi": "Dữ liệu cá nhân đã bỏ, không lưu",
            "en": "Personal data dropped, not stored",
        },
        "rj_kind_column": {"vi": "Cột dữ liệu cá nhân bị từ chối", "en": "Personal-data column refused"},
    }
)

_REASONS: tuple[tuple[re.Pattern, str, str], ...] = (
    (
        re.compile(r"personal data dropped at intake"),
        "Nguồn gửi kèm thông tin cá nhân của người phản ánh (họ tên, điện thoại, địa chỉ…): IOC đã bỏ các trường này, "
        "không lưu; đề nghị bỏ chúng khỏi view hoặc ánh xạ API.",
        "The source sends the petitioner's personal data (name, phone, address…): IOC dropped those fields and stored "
        "nothing of them; remove them from the view or the API mapping.",
    ),
    (
        re.compile(r"not valid UTF-8|cannot be decoded as"),
        'Tệp không phải mã UTF-8: xuất lại tệp dạng UTF-8 (hoặc đặt options.encoding = "cp1258" nếu từ phần mềm Windows tiếng Việt).',
        'The file is not UTF-8: export it again as UTF-8 (or set options.encoding = "cp1258" for a Vietnamese Windows program).',
    ),
    (
        re.compile(r"cannot be opened as an Excel workbook|could not be read \("),
        "Tệp Excel hỏng hoặc không phải Excel (có thể là trang web lưu thành tệp): mở và lưu lại bằng Excel, hoặc xuất CSV.",
        "The workbook is damaged or not a workbook (perhaps a web page saved as a file): save it again in Excel, or export CSV.",
    ),
    (
        re.compile(r"no header row with the configured columns"),
        "Không tìm thấy dòng tiêu đề với các cột đã cấu hình (tệp không đúng mẫu, hoặc là trang web lưu thành CSV): kiểm tra tệp và options.columns.",
        "No header row with the configured columns (wrong template, or a web page saved as CSV): check the file and options.columns.",
    ),
    (
        re.compile(r"lacks required columns"),
        "Dòng tiêu đề thiếu cột bắt buộc: kiểm tra mẫu xuất và options.required_columns.",
        "The header lacks required columns: check the export template and options.required_columns.",
    ),
    (
        re.compile(r"inflates to"),
        "Tệp Excel giải nén ra quá lớn (tệp hỏng hoặc cố tình làm quá tải): đã chuyển vào failed/, kiểm tra nguồn gốc tệp.",
        "The workbook inflates far too much (damaged, or built to overload us): moved to failed/, check where it came from.",
    ),
    (
        re.compile(r"more than options\.max_file_bytes"),
        "Tệp lớn hơn giới hạn (options.max_file_bytes): chia nhỏ tệp xuất hoặc nâng giới hạn.",
        "The file is larger than options.max_file_bytes: split the export or raise the limit.",
    ),
    (
        re.compile(r"more than options\.max_rows"),
        "Tệp có nhiều dòng hơn giới hạn (options.max_rows): chia nhỏ tệp xuất hoặc nâng giới hạn.",
        "The file has more rows than options.max_rows: split the export or raise the limit.",
    ),
    (
        re.compile(r"took more than options\.max_file_seconds"),
        "Đọc tệp quá thời gian cho phép (options.max_file_seconds): chia nhỏ tệp xuất hoặc nâng giới hạn.",
        "Reading the file took longer than options.max_file_seconds: split the export or raise the limit.",
    ),
    (
        re.compile(r"failed \d+ times"),
        "Tệp lỗi nhiều lần nên đã chuyển vào failed/: sửa tệp rồi đặt lại vào thư mục.",
        "The file failed repeatedly and was moved to failed/: fix it and drop it in again.",
    ),
    (
        re.compile(r"old Excel 97"),
        "Tệp Excel đời cũ (.xls) không đọc được: lưu lại dạng .xlsx hoặc .csv.",
        "Old Excel 97–2003 workbook: save it as .xlsx or .csv.",
    ),
    (
        re.compile(r"not a well-formed CSV|has \d+ cells but the header has"),
        "Dòng CSV sai cấu trúc (số cột lệch, có thể do dấu phân cách trong giá trị): sửa dòng hoặc xuất lại tệp.",
        "A malformed CSV line (shifted columns, perhaps a separator inside a value): fix it or export again.",
    ),
    (
        re.compile(r"^duplicate id"),
        "Mã trùng trong cùng một lô: giữ dòng đầu tiên, dòng này bị bỏ qua.",
        "The same id twice in one batch: the first row was kept, this one dropped.",
    ),
    (
        re.compile(r"^future date"),
        "Thời điểm ở tương lai (sau thời điểm hiện tại quá mức cho phép): kiểm tra đồng hồ hoặc dữ liệu của hệ thống nguồn.",
        "A timestamp in the future (beyond the allowed tolerance): check the source system's clock or data.",
    ),
    (
        re.compile(r"unparseable date|implausible date"),
        "Ngày tháng không đọc được hoặc không hợp lý.",
        "A date that cannot be read or is implausible.",
    ),
)


def explain_reject(reason: str) -> PlainError:
    for pattern, vi, en in _REASONS:
        if pattern.search(reason):
            return PlainError(vi, en)
    return PlainError(f"Bị loại: {reason}", f"Rejected: {reason}")


@dataclass(frozen=True)
class RejectView:
    id: int
    source: str
    at: datetime
    kind: str
    file_name: str | None
    line_no: int | None
    reason: str
    plain: PlainError
    payload: str

    @property
    def where(self) -> str:
        """``file.csv:12``, ``file.csv`` or '' — where to look."""
        if self.file_name and self.line_no:
            return f"{self.file_name}:{self.line_no}"
        return self.file_name or (f"#{self.line_no}" if self.line_no else "")


def _view(r: RejectedRecord) -> RejectView:
    return RejectView(
        r.id,
        r.source,
        r.rejected_at,
        r.kind or "row",
        r.file_name,
        r.line_no,
        r.reason,
        explain_reject(r.reason),
        r.payload,
    )


def recent_rejects(
    session: Session, source: str, limit: int = 500, kind: str | None = None
) -> list[RejectView]:
    """The source's latest rejects, newest first."""
    query = select(RejectedRecord).where(RejectedRecord.source == source)
    if kind is not None:
        query = query.where(RejectedRecord.kind == kind)
    return [_view(r) for r in session.scalars(query.order_by(RejectedRecord.id.desc()).limit(limit))]


@dataclass(frozen=True)
class RejectSummary:
    files_refused_24h: int
    latest: tuple[RejectView, ...]  # files first, then rows: the few an operator should see at once


def reject_summaries(
    session: Session, sources: list[str], now: datetime | None = None, shown: int = 3
) -> dict[str, RejectSummary]:
    since = (now or utcnow()) - timedelta(hours=24)
    refused = dict(
        session.execute(
            select(RejectedRecord.source, func.count())
            .where(RejectedRecord.kind == "file", RejectedRecord.rejected_at >= since)
            .group_by(RejectedRecord.source)
        ).all()
    )
    out = {}
    for name in sources:
        files = recent_rejects(session, name, shown, kind="file") if refused.get(name) else []
        rows = recent_rejects(session, name, shown) if len(files) < shown else []
        latest = files + [r for r in rows if r.id not in {f.id for f in files}]
        out[name] = RejectSummary(int(refused.get(name, 0)), tuple(latest[:shown]))
    return out


def export_rows(rejects: list[RejectView], lang: str, tz) -> list[dict[str, object]]:
    """The rejects as rows for :func:`dashboard.exports.to_csv` (payload kept as plain JSON text)."""
    return [
        {
            t("rj_at", lang): r.at.astimezone(tz).strftime("%d/%m/%Y %H:%M:%S"),
            t("rj_kind", lang): t(f"rj_kind_{r.kind}", lang),
            t("rj_file", lang): r.file_name or "",
            t("rj_line", lang): r.line_no or "",
            t("rj_reason", lang): r.plain.text(lang),
            t("rj_detail", lang): r.reason,
            t("rj_payload", lang): _compact(r.payload),
        }
        for r in rejects
    ]


def _compact(payload: str) -> str:
    try:
        return json.dumps(json.loads(payload), ensure_ascii=False)
    except (TypeError, ValueError):
        return payload or ""


def rejects_cell(health, lang: str, tz):
    """The Sources page's rejects cell: the 24-hour count, the latest rejects with their reasons,
    and the link to the source's rejects view (plain text only: reasons quote source data)."""
    from urllib.parse import urlencode

    from dash import dcc, html

    from dashboard.i18n import fmt_number

    parts: list = [html.Div(fmt_number(health.rows_rejected_24h, lang))]
    if health.files_refused_24h:
        parts.append(
            html.Div(
                t("rj_files_refused", lang, n=health.files_refused_24h), className="ioc-rejects__refused"
            )
        )
    if health.latest_rejects:
        parts.append(
            html.Ul(
                className="ioc-rejects",
                children=[
                    html.Li(
                        className=f"ioc-rejects__item ioc-rejects__item--{r.kind}",
                        children=[
                            html.Span(
                                r.where or t(f"rj_kind_{r.kind}", lang), className="ioc-rejects__where"
                            ),
                            " — ",
                            html.Span(r.plain.text(lang), className="ioc-rejects__reason", title=r.reason),
                        ],
                    )
                    for r in health.latest_rejects
                ],
            )
        )
        query = urlencode({"source": health.name, "lang": lang})
        parts.append(
            dcc.Link(
                t("rj_view_all", lang),
                href=f"/sources/rejects?{query}",
                id=f"rejects-link-{health.name}",
                className="ioc-rejects__link",
            )
        )
    return parts
