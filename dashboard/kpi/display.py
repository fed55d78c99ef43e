"""How KPI values read on screen and in exports: the unit's format, Vietnamese first.

>>> format_value(0.5347, "percent", "vi"), format_value(1234, "count", "vi"), format_value(None, "percent")
('53,47 %', '1.234', 'Chưa có dữ liệu')
>>> format_delta(0.0213, "percent", "vi")          # percentage points
'+2,13 điểm %'
"""

from __future__ import annotations

from dashboard.i18n import fmt_number, fmt_percent, normalise_language, t

_SUFFIX = {"days": (" ngày", " days"), "hours": (" giờ", " h"), "points": (" điểm", " pts")}


def format_value(value: float | None, unit: str, lang: str = "vi") -> str:
    """A KPI value in its unit; no value reads "Chưa có dữ liệu" / "No data yet", never 0."""
    lang = normalise_language(lang)
    if value is None:
        return t("no_data", lang)
    if unit == "percent":
        return fmt_percent(value, lang, 2)
    if unit == "count":
        return fmt_number(round(value), lang)
    suffix = _SUFFIX.get(unit, ("", ""))[1 if lang == "en" else 0]
    return fmt_number(value, lang, 2 if unit == "points" else 1) + suffix


def format_delta(delta: float | None, unit: str, lang: str = "vi") -> str:
    """A change against a comparison period: signed, percentages as percentage points."""
    lang = normalise_language(lang)
    if delta is None:
        return "–"
    sign = "+" if delta > 0 else "−" if delta < 0 else "±"
    if unit == "percent":
        return f"{sign}{fmt_number(abs(delta) * 100, lang, 2)} {'điểm %' if lang == 'vi' else 'pp'}"
    if unit == "count":
        return f"{sign}{fmt_number(abs(round(delta)), lang)}"
    return f"{sign}{format_value(abs(delta), unit, lang)}"
