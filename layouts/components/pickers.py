"""Period and unit pickers bound to the URL: ``/dossiers?period=ytd&unit=SO-01`` is a view anyone
can bookmark or put on a wall screen, and choosing in a picker changes the URL and so the page.

How a page uses them::

    URL = bind_url("dossiers")              # at import: one small client-side callback per page

    def layout(**query):
        ctx = context(query)
        with read_session() as session:
            sel = selection(session, query, today)     # today: the agency's local date; unit via dashboard.access
            units = visible_units(session)
        bar = picker_bar(ctx, sel, units, URL)                  # None in kiosk mode
        ...

- :func:`parse_selection` (pure) turns the query string into a :class:`Selection` — a unit code
  (None: the whole agency) and a :class:`~dashboard.kpi.periods.Period` — noting what it could not
  use; :func:`selection` does the same and checks the unit with :func:`dashboard.access.resolve_unit`,
  the one place that decides which units a visitor may see.
- :func:`period_picker` and :func:`unit_picker` draw the controls; any other control whose id is
  ``URL.param_id("name")`` is kept in the URL the same way (a dropdown of KPIs: ``?rank=DVC-06``).
- A graph with the id ``URL.drill_id("name")`` whose points carry a unit code first in their
  ``customdata`` selects that unit when a point is clicked (drill-down from a ranking).
- Choosing writes the new query into the URL in the browser (other parameters such as ``kiosk``,
  ``lang`` and ``theme`` are kept; the empty value and ``"all"`` remove a parameter) and Dash
  renders the page again from it: the page is a function of its URL.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import dash
from dash import ALL, Input, Output, dcc, html

from dashboard.access import UnitNotAllowed, UnitOption, default_unit, resolve_unit
from dashboard.db import ReadSession
from dashboard.i18n import register, t
from dashboard.kpi.periods import Period

#: The periods offered (domain pages and unit pages): kinds of :class:`Period`.
# "reporting": the Decree 09 reporting period (15th of the previous month to the 14th) that
# contains today — agencies report on it as well as on calendar months (domain.md §6).
PERIOD_CHOICES = ("today", "week", "mtd", "qtd", "ytd", "rolling7", "rolling30", "reporting")
DEFAULT_PERIOD = "mtd"
ALL_UNITS = "all"  # the unit picker's value for the whole agency (no ``unit`` in the URL)

register(
    {
        "picker_period": {"vi": "Kỳ báo cáo", "en": "Period"},
        "picker_unit": {"vi": "Đơn vị", "en": "Unit"},
        "picker_all_units": {"vi": "Toàn cơ quan", "en": "Whole agency"},
        "picker_period_today": {"vi": "Hôm nay", "en": "Today"},
        "picker_period_week": {"vi": "Tuần này", "en": "This week"},
        "picker_period_mtd": {"vi": "Từ đầu tháng", "en": "Month to date"},
        "picker_period_qtd": {"vi": "Từ đầu quý", "en": "Quarter to date"},
        "picker_period_ytd": {"vi": "Từ đầu năm", "en": "Year to date"},
        "picker_period_rolling7": {"vi": "7 ngày qua", "en": "Last 7 days"},
        "picker_period_rolling30": {"vi": "30 ngày qua", "en": "Last 30 days"},
        "picker_period_reporting": {"vi": "Kỳ báo cáo (15–14)", "en": "Reporting period (15th–14th)"},
        "picker_search": {"vi": "Tìm đơn vị…", "en": "Find a unit…"},
        "picker_no_match": {"vi": "Không có đơn vị nào khớp", "en": "No unit matches"},
        "picker_clear": {"vi": "Bỏ chọn", "en": "Clear"},
        "picker_unknown_unit": {
            "vi": "Không có quyền xem đơn vị này (hoặc đơn vị không tồn tại): đang hiển thị phạm vi của bạn.",
            "en": "You may not see this unit (or it does not exist): showing your own scope.",
        },
        "picker_unknown_period": {
            "vi": "Kỳ “{value}” không hợp lệ: đang hiển thị số liệu từ đầu tháng.",
            "en": "“{value}” is not a period we know: showing month to date.",
        },
    }
)


@dataclass(frozen=True)
class Selection:
    """What a page shows: a unit (with its sub-units; None = the whole agency) over a period."""

    unit: str | None
    period: Period
    problems: tuple[tuple[str, str], ...] = ()  # (label key, the value that could not be used)

    def query(self) -> dict[str, str]:
        """The selection as URL parameters (the inverse of :func:`parse_selection`)."""
        out = {"period": self.period.kind}
        if self.unit:
            out["unit"] = self.unit
        return out

    def notices(self, lang: str = "vi") -> list[str]:
        """What could not be used from the URL, in words."""
        return [t(key, lang, value=value) for key, value in self.problems]


def _text(value: Any) -> str | None:
    if isinstance(value, (list, tuple)):  # ?unit=a&unit=b: the first one
        value = value[0] if value else None
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def parse_selection(query: Mapping[str, Any], today: date) -> Selection:
    """The unit and period a URL asks for; an unknown period falls back to month to date.

    The unit is taken as written: :func:`selection` checks that the visitor may see it.

    >>> s = parse_selection({"period": "ytd", "unit": "SO-01"}, date(2026, 3, 20))
    >>> s.unit, s.period.kind, s.period.start
    ('SO-01', 'ytd', datetime.date(2026, 1, 1))
    >>> parse_selection({"period": "forever"}, date(2026, 3, 20)).problems
    (('picker_unknown_period', 'forever'),)
    """
    problems: list[tuple[str, str]] = []
    kind = _text(query.get("period")) or DEFAULT_PERIOD
    if kind not in PERIOD_CHOICES:
        problems.append(("picker_unknown_period", kind))
        kind = DEFAULT_PERIOD
    unit = _text(query.get("unit"))
    if unit == ALL_UNITS:
        unit = None
    return Selection(unit, Period.parse(kind, today), tuple(problems))


def selection(session: ReadSession, query: Mapping[str, Any], today: date) -> Selection:
    """:func:`parse_selection`, with the unit checked by :mod:`dashboard.access`: a unit the
    visitor may not see (or that does not exist) shows the whole agency and says so."""
    sel = parse_selection(query, today)
    try:
        unit = resolve_unit(session, sel.unit)
    except UnitNotAllowed:
        # Outside the scope (or unknown): the principal's own default view, and a notice.
        return Selection(
            default_unit(session), sel.period, (*sel.problems, ("picker_unknown_unit", sel.unit or ""))
        )
    return Selection(unit, sel.period, sel.problems)


# --- the URL ------------------------------------------------------------------------------------
_WRITE_QUERY = """
function () {
    const ctx = window.dash_clientside.callback_context;
    const params = new URLSearchParams(window.location.search);
    for (const item of ctx.inputs_list[0]) {
        const value = item.value;
        if (value === null || value === undefined || value === "" || value === "all") {
            params.delete(item.id.param);
        } else {
            params.set(item.id.param, String(value));
        }
    }
    const text = params.toString();
    const search = text ? "?" + text : "";
    if (search === window.location.search) {
        return window.dash_clientside.no_update;
    }
    return search;
}
"""


_DRILL = """
function () {
    const triggered = window.dash_clientside.callback_context.triggered;
    for (const item of triggered) {
        const point = item.value && item.value.points && item.value.points[0];
        const code = point && point.customdata && (Array.isArray(point.customdata) ? point.customdata[0] : point.customdata);
        if (code) {
            return String(code);
        }
    }
    return window.dash_clientside.no_update;
}
"""


@dataclass(frozen=True)
class UrlBinding:
    """The controls of one page that live in its URL (ids carry the page, so pages never clash)."""

    page: str

    @property
    def location_id(self) -> dict:
        return {"type": "ioc-url", "page": self.page}

    def param_id(self, name: str) -> dict:
        """The id to give a control whose value is the URL parameter ``name``."""
        return {"type": "ioc-url-param", "page": self.page, "param": name}

    def drill_id(self, name: str) -> dict:
        """The id to give a graph whose points carry a unit code first in ``customdata``:
        clicking a point selects that unit (a ranking drills down)."""
        return {"type": "ioc-url-drill", "page": self.page, "name": name}

    def location(self) -> dcc.Location:
        """Put once in the page's layout (:func:`picker_bar` does)."""
        # "callback-nav": the new URL is pushed without a reload and Dash renders the page again.
        return dcc.Location(id=self.location_id, refresh="callback-nav")


def bind_url(page: str) -> UrlBinding:
    """Call once per page module, at import: registers the client-side callback that writes the
    page's controls into its URL (no server round trip before the page is rendered again)."""
    binding = UrlBinding(page)
    dash.clientside_callback(
        _WRITE_QUERY,
        Output(binding.location_id, "search"),
        Input({"type": "ioc-url-param", "page": page, "param": ALL}, "value"),
        prevent_initial_call=True,
    )
    dash.clientside_callback(
        _DRILL,
        Output(binding.param_id("unit"), "value"),
        Input({"type": "ioc-url-drill", "page": page, "name": ALL}, "clickData"),
        prevent_initial_call=True,
    )
    return binding


# --- the controls -------------------------------------------------------------------------------
def period_label(kind: str, lang: str = "vi") -> str:
    return t(f"picker_period_{kind}", lang)


def period_picker(ctx, current: Period | str, url: UrlBinding) -> html.Div:
    """The period choices as one row of buttons (radio inputs, so keyboard and screen readers work)."""
    kind = current.kind if isinstance(current, Period) else current
    return html.Div(
        className="dom-picker dom-picker--period",
        children=[
            html.Span(
                t("picker_period", ctx.lang), className="dom-picker__label", id=f"{url.page}-period-label"
            ),
            dcc.RadioItems(
                id=url.param_id("period"),
                options=[{"label": period_label(k, ctx.lang), "value": k} for k in PERIOD_CHOICES],
                value=kind,
                inline=True,
                className="dom-segmented",
            ),
        ],
    )


def unit_options(units: Sequence[UnitOption], lang: str = "vi", whole_agency: bool = True) -> list[dict]:
    """The whole agency first (when offered), then the units as a tree (indented by depth)."""
    options = [{"label": t("picker_all_units", lang), "value": ALL_UNITS}] if whole_agency else []
    options += [
        {"label": u.label(lang), "value": u.code, "search": f"{u.code} {u.name_vi} {u.name_en}"}
        for u in units
    ]
    return options


def unit_picker(
    ctx, units: Sequence[UnitOption], current: str | None, url: UrlBinding, whole_agency: bool = True
) -> html.Div:
    """A searchable list of the units the visitor may see (from :func:`dashboard.access.visible_units`);
    ``whole_agency``: offer the whole agency too (only to a principal whose scope holds it)."""
    lang = ctx.lang
    return html.Div(
        className="dom-picker dom-picker--unit",
        children=[
            html.Span(t("picker_unit", lang), className="dom-picker__label"),
            dcc.Dropdown(
                id=url.param_id("unit"),
                options=unit_options(units, lang, whole_agency),
                value=current or ALL_UNITS,
                clearable=False,
                searchable=True,
                maxHeight=420,
                className="dom-dropdown",
                labels={
                    "search": t("picker_search", lang),
                    "no_options_found": t("picker_no_match", lang),
                    "clear_search": t("picker_clear", lang),
                    "clear_selection": t("picker_clear", lang),
                },
            ),
        ],
    )


def picker_bar(ctx, sel: Selection, units: Sequence[UnitOption], url: UrlBinding, *extra) -> html.Div | None:
    """The period and unit pickers (and ``extra`` controls) with the page's URL binding; nothing
    in kiosk mode, where a wall screen shows the view its URL names."""
    if ctx.kiosk:
        return None
    return html.Div(
        className="dom-pickers",
        children=[
            url.location(),
            period_picker(ctx, sel.period, url),
            unit_picker(ctx, units, sel.unit, url),
            *extra,
        ],
    )
