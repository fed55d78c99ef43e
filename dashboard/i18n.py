"""UI text catalogue (Vietnamese first, English second) and Babel number/date formatting.

>>> t("no_data", "vi")
'Chưa có dữ liệu'
>>> fmt_number(1234.5, "vi", decimals=1)
'1.234,5'
>>> fmt_percent(0.5347, "vi")
'53,47 %'
"""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

LANGUAGES = ("vi", "en")
_LOCALES = {"vi": "vi_VN", "en": "en_US"}

CATALOGUE: dict[str, dict[str, str]] = {
    "app_title": {"vi": "Trung tâm điều hành thông minh", "en": "Intelligent Operations Center"},
    "no_data": {"vi": "Chưa có dữ liệu", "en": "No data yet"},
    "simulated_badge": {"vi": "DỮ LIỆU MÔ PHỎNG", "en": "SIMULATED DATA"},
    "domain_documents": {"vi": "Văn bản", "en": "Documents"},
    "domain_dossiers": {"vi": "Dịch vụ công", "en": "Public services"},
    "domain_meetings": {"vi": "Họp trực tuyến", "en": "Online meetings"},
    "domain_tasks": {"vi": "Nhiệm vụ được giao", "en": "Assigned tasks"},
    "records": {"vi": "bản ghi", "en": "records"},
    "units": {"vi": "đơn vị", "en": "units"},
    "empty_store_title": {
        "vi": "Kho dữ liệu đang trống",
        "en": "The data store is empty",
    },
    "empty_store_body": {
        "vi": "Chưa có bộ thu thập nào ghi dữ liệu vào hệ thống. Khi các nguồn (hệ thống quản lý "
        "văn bản, dịch vụ công, họp trực tuyến) được kết nối, các chỉ số sẽ hiện ở đây.",
        "en": "No collector has written data yet. Once the sources (document system, public "
        "services, online meetings) are connected, the KPIs appear here.",
    },
    "no_units_body": {
        "vi": "Chưa có đơn vị nào. Nhập cơ cấu tổ chức bằng lệnh: ioc units import TỆP",
        "en": "No organisation units yet. Import the hierarchy with: ioc units import FILE",
    },
    "last_collector_run": {"vi": "Lần thu thập gần nhất", "en": "Last collector run"},
    "never": {"vi": "chưa có", "en": "never"},
    "page_not_found": {"vi": "Không tìm thấy trang", "en": "Page not found"},
    "back_home": {"vi": "Về trang tổng quan", "en": "Back to the overview"},
    "nav_overview": {"vi": "Tổng quan", "en": "Overview"},
    "nav_documents": {"vi": "Văn bản", "en": "Documents"},
    "nav_dossiers": {"vi": "Dịch vụ công", "en": "Public services"},
    "nav_meetings": {"vi": "Họp trực tuyến", "en": "Meetings"},
    "nav_tasks": {"vi": "Nhiệm vụ", "en": "Tasks"},
    "nav_units": {"vi": "Đơn vị", "en": "Units"},
    "nav_index": {"vi": "Chỉ số 766", "en": "766 index"},
    "nav_sources": {"vi": "Nguồn dữ liệu", "en": "Data sources"},
    "bell_title": {"vi": "{n} cảnh báo đang hoạt động", "en": "{n} firing alert(s)"},
    "nav_reports": {"vi": "Báo cáo giao ban", "en": "Briefings"},
    "switch_language": {"vi": "English", "en": "Tiếng Việt"},
    "switch_theme_light": {"vi": "Nền sáng", "en": "Light theme"},
    "switch_theme_dark": {"vi": "Nền tối", "en": "Dark theme"},
    "connection_lost": {"vi": "Mất kết nối – đang thử lại…", "en": "Connection lost – retrying…"},
    "sources_title": {"vi": "Tình trạng nguồn dữ liệu", "en": "Data source health"},
    "sources_none": {
        "vi": "Chưa cấu hình nguồn dữ liệu nào (IOC_SOURCES_FILE) và chưa có lần thu thập nào.",
        "en": "No data source is configured (IOC_SOURCES_FILE) and no collector has run yet.",
    },
    "col_source": {"vi": "Nguồn", "en": "Source"},
    "col_domain": {"vi": "Lĩnh vực", "en": "Domain"},
    "col_state": {"vi": "Trạng thái", "en": "State"},
    "col_last_success": {"vi": "Thu thập thành công gần nhất", "en": "Last success"},
    "col_freshness": {"vi": "Độ mới / mục tiêu", "en": "Age / target"},
    "col_runs_24h": {"vi": "Lần chạy 24 giờ (lỗi)", "en": "Runs 24 h (failed)"},
    "col_rows_24h": {"vi": "Bản ghi 24 giờ: đọc / mới / cập nhật", "en": "Rows 24 h: read / new / updated"},
    "col_rejects_24h": {"vi": "Bị loại 24 giờ", "en": "Rejected 24 h"},
    "col_last_error": {"vi": "Lỗi gần nhất", "en": "Last error"},
    "state_ok": {"vi": "Bình thường", "en": "Healthy"},
    "state_running": {"vi": "Đang chạy", "en": "Running"},
    "state_stale": {"vi": "Dữ liệu cũ", "en": "Stale"},
    "state_error": {"vi": "Lỗi", "en": "Error"},
    "state_never": {"vi": "Chưa chạy", "en": "Never run"},
    "state_disabled": {"vi": "Tắt", "en": "Disabled"},
    "domain_procedures": {"vi": "Thủ tục hành chính", "en": "Procedures"},
    "domain_meeting_samples": {"vi": "Máy chủ họp (trực tiếp)", "en": "Meeting servers (live)"},
    "domain_dossier_stats": {"vi": "Dịch vụ công (số liệu tổng hợp)", "en": "Public services (aggregates)"},
    "domain_document_status": {"vi": "Trạng thái văn bản (edXML)", "en": "Document status (edXML)"},
    "unconfigured": {"vi": "không còn trong cấu hình", "en": "no longer configured"},
    "every": {"vi": "mỗi", "en": "every"},
    "ago": {"vi": "trước", "en": "ago"},
    "schema_outdated_title": {
        "vi": "Cơ sở dữ liệu cần được nâng cấp",
        "en": "The database needs an upgrade",
    },
    "schema_outdated_body": {
        "vi": "Quản trị viên cần chạy lệnh `ioc db upgrade`. Trang sẽ tự tải lại sau 30 giây.",
        "en": "An administrator needs to run `ioc db upgrade`. This page reloads itself in 30 seconds.",
    },
    "database_unavailable_title": {
        "vi": "Tạm thời không kết nối được cơ sở dữ liệu",
        "en": "The database is temporarily unreachable",
    },
    "database_unavailable_body": {
        "vi": "Hệ thống sẽ tự thử lại sau 30 giây.",
        "en": "The page retries by itself in 30 seconds.",
    },
}


def normalise_language(lang: str | None, default: str = "vi") -> str:
    return lang if lang in LANGUAGES else default


def t(key: str, lang: str = "vi", **values: object) -> str:
    """The text for ``key`` in ``lang``; a missing key is a bug and raises KeyError."""
    entry = CATALOGUE[key]
    text = entry.get(normalise_language(lang)) or entry["vi"]
    return text.format(**values) if values else text


def fmt_number(value: float | int | None, lang: str = "vi", decimals: int = 0) -> str:
    """Group thousands the local way; ``None`` is shown as a dash, never as 0."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=_LOCALES[normalise_language(lang)])


def fmt_percent(ratio: float | None, lang: str = "vi", decimals: int = 2) -> str:
    """A ratio in 0…1 as a percentage with ``decimals`` places: 0.5347 → '53,47 %' (vi)."""
    if ratio is None:
        return "–"
    number = fmt_number(ratio * 100, lang, decimals)
    return f"{number} %" if normalise_language(lang) == "vi" else f"{number}%"


#: One English date form everywhere (tiles, periods, charts, tables, the clock): "04 Mar 2026" —
#: day first like the Vietnamese "04/03/2026", never the American "Mar 4, 2026".
EN_DATE = "dd MMM yyyy"


def fmt_date(value: date | datetime, lang: str = "vi") -> str:
    if normalise_language(lang) == "vi":
        return value.strftime("%d/%m/%Y")
    return format_date(value, format=EN_DATE, locale="en_GB")


def fmt_datetime(value: datetime, lang: str = "vi", tz=None) -> str:
    if tz is not None:
        value = value.astimezone(tz)
    if normalise_language(lang) == "vi":
        return value.strftime("%H:%M %d/%m/%Y")
    return format_datetime(value, format=f"HH:mm {EN_DATE}", locale="en_GB", tzinfo=value.tzinfo)


def fmt_duration(seconds: float | None, lang: str = "vi") -> str:
    """A short human duration: 45 giây, 12 phút, 3 giờ, 2 ngày (45 s, 12 min, 3 h, 2 d)."""
    if seconds is None:
        return "–"
    vi = normalise_language(lang) == "vi"
    seconds = max(0.0, seconds)
    for limit, size, unit_vi, unit_en in (
        (90, 1, "giây", "s"),
        (90 * 60, 60, "phút", "min"),
        (48 * 3600, 3600, "giờ", "h"),
        (float("inf"), 86400, "ngày", "d"),
    ):
        if seconds < limit:
            return f"{fmt_number(round(seconds / size), lang)} {unit_vi if vi else unit_en}"
    return "–"  # pragma: no cover


def register(entries: dict[str, dict[str, str]]) -> None:
    """Add a page's labels to the catalogue (each with "vi" and "en"); a key may be defined once."""
    for key, entry in entries.items():
        if not entry.get("vi") or not entry.get("en"):
            raise ValueError(f"label {key!r} needs both a Vietnamese and an English text")
        if key in CATALOGUE and CATALOGUE[key] != entry:
            raise ValueError(f"label {key!r} is already defined differently")
        CATALOGUE[key] = entry
