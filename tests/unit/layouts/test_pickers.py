"""Pickers bound to the URL: the query string becomes a unit and a period, the controls show them in
Vietnamese or English, and a page's controls write into its URL (pure: no app, no database)."""

from datetime import date

import dash._callback
import pytest

from dashboard.access import UnitNotAllowed, UnitOption
from dashboard.kpi.periods import Period
from layouts.components import pickers
from layouts.components.frame import PageContext
from layouts.components.pickers import (
    ALL_UNITS,
    PERIOD_CHOICES,
    Selection,
    UrlBinding,
    parse_selection,
    period_picker,
    picker_bar,
    unit_options,
    unit_picker,
)
from tests.dash_support import render_text, reset_dash_globals

TODAY = date(2026, 3, 20)
VI = PageContext(lang="vi", kiosk=False, theme="dark", query={})
EN = PageContext(lang="en", kiosk=False, theme="light", query={"lang": "en"})
UNITS = [
    UnitOption("BMP", "Bộ Mô phỏng", "Simulated Ministry", "ministry", 0, None),
    UnitOption("BMP-SO", "Khối Sở", "Provincial departments", "group", 1, "BMP"),
    UnitOption("SO-01", "Sở … Hà Nội", "Ha Noi Department", "province", 2, "BMP-SO"),
]
URL = UrlBinding("documents")


def test_no_query_is_the_whole_agency_month_to_date():
    sel = parse_selection({}, TODAY)
    assert sel == Selection(None, Period.month_to_date(TODAY))
    assert sel.query() == {"period": "mtd"} and sel.notices("vi") == []


@pytest.mark.parametrize("kind", PERIOD_CHOICES)
def test_every_offered_period_comes_back_from_the_url(kind):
    sel = parse_selection({"period": kind, "unit": "SO-01"}, TODAY)
    assert sel.period == Period.parse(kind, TODAY) and sel.unit == "SO-01"
    assert parse_selection(sel.query(), TODAY) == sel  # a bookmark reopens the same view


def test_period_choices_are_the_issues():
    assert PERIOD_CHOICES == ("today", "week", "mtd", "qtd", "ytd", "rolling7", "rolling30", "reporting")


def test_the_reporting_period_runs_from_the_15th_to_the_14th():
    from datetime import date

    sel = parse_selection({"period": "reporting"}, date(2026, 10, 14))
    assert (sel.period.start, sel.period.end) == (date(2026, 9, 15), date(2026, 10, 14))
    after = parse_selection({"period": "reporting"}, date(2026, 10, 15)).period
    assert (after.start, after.end) == (date(2026, 10, 15), date(2026, 11, 14))
    assert after.previous().end == date(2026, 10, 14)


def test_what_cannot_be_used_is_said_not_guessed():
    sel = parse_selection({"period": "forever", "unit": " "}, TODAY)
    assert sel.period.kind == "mtd" and sel.unit is None
    assert sel.notices("vi") == ["Kỳ “forever” không hợp lệ: đang hiển thị số liệu từ đầu tháng."]
    assert sel.notices("en") == ["“forever” is not a period we know: showing month to date."]
    assert parse_selection({"period": "custom"}, TODAY).period.kind == "mtd"  # not offered by the picker


def test_all_units_and_repeated_parameters():
    assert parse_selection({"unit": ALL_UNITS}, TODAY).unit is None
    assert parse_selection({"unit": ["SO-79", "SO-01"], "period": ["ytd"]}, TODAY) == Selection(
        "SO-79", Period.year_to_date(TODAY)
    )


def test_selection_asks_access_and_falls_back_to_the_principals_own_scope(monkeypatch):
    asked = []

    def refuse(session, requested):
        asked.append(requested)
        raise UnitNotAllowed(requested)

    monkeypatch.setattr(pickers, "resolve_unit", refuse)
    monkeypatch.setattr(pickers, "default_unit", lambda session: "SO-01")
    sel = pickers.selection(object(), {"unit": "SO-99", "period": "qtd"}, TODAY)
    assert asked == ["SO-99"]
    assert sel.unit == "SO-01" and sel.period.kind == "qtd"
    assert sel.notices("vi") == [
        "Không có quyền xem đơn vị này (hoặc đơn vị không tồn tại): đang hiển thị phạm vi của bạn."
    ]
    monkeypatch.setattr(pickers, "resolve_unit", lambda session, requested: requested)
    assert pickers.selection(object(), {"unit": "SO-01"}, TODAY).unit == "SO-01"


def test_period_picker_in_both_languages():
    vi = period_picker(VI, Period.year_to_date(TODAY), URL)
    radio = vi.children[1]
    assert radio.id == {"type": "ioc-url-param", "page": "documents", "param": "period"}
    assert radio.value == "ytd"
    assert [o["label"] for o in radio.options] == [
        "Hôm nay",
        "Tuần này",
        "Từ đầu tháng",
        "Từ đầu quý",
        "Từ đầu năm",
        "7 ngày qua",
        "30 ngày qua",
        "Kỳ báo cáo (15–14)",
    ]
    en = period_picker(EN, "rolling7", URL).children[1]
    assert en.value == "rolling7" and en.options[-1]["label"] == "Reporting period (15th–14th)"


def test_unit_picker_lists_the_visible_units_as_a_tree():
    options = unit_options(UNITS, "vi")
    assert options[0] == {"label": "Toàn cơ quan", "value": "all"}
    assert [o["value"] for o in options[1:]] == ["BMP", "BMP-SO", "SO-01"]
    assert options[3]["label"] == "\u2003\u2003Sở … Hà Nội"  # indented under its group
    assert "SO-01" in options[3]["search"]
    dropdown = unit_picker(EN, UNITS, None, URL).children[1]
    assert dropdown.value == ALL_UNITS and dropdown.options[0]["label"] == "Whole agency"
    assert dropdown.labels["search"] == "Find a unit…" and dropdown.clearable is False
    assert unit_picker(VI, UNITS, "SO-01", URL).children[1].value == "SO-01"


def test_picker_bar_carries_the_url_and_disappears_on_wall_screens():
    sel = Selection("SO-01", Period.month_to_date(TODAY))
    bar = picker_bar(VI, sel, UNITS, URL)
    location = bar.children[0]
    assert location.id == {"type": "ioc-url", "page": "documents"}
    assert location.refresh == "callback-nav"  # the page renders again without a reload
    assert "Từ đầu tháng" in render_text(bar)
    kiosk = PageContext(lang="vi", kiosk=True, theme="dark", query={"kiosk": "1"})
    assert picker_bar(kiosk, sel, UNITS, URL) is None


def test_binding_registers_one_client_side_writer_per_page():
    reset_dash_globals()
    try:
        url = pickers.bind_url("meetings")
        callbacks = dash._callback.GLOBAL_CALLBACK_LIST
        outputs = [c["output"] for c in callbacks]
        assert any(
            '"page":"meetings"' in o and '"type":"ioc-url"' in o and o.endswith(".search") for o in outputs
        )
        assert any(
            '"param":"unit"' in o and o.endswith(".value") for o in outputs
        )  # a click on a ranking bar
        assert all(c.get("clientside_function") for c in callbacks)  # no server round trip
        assert url.drill_id("ranking") == {"type": "ioc-url-drill", "page": "meetings", "name": "ranking"}
        assert "params.delete(item.id.param)" in pickers._WRITE_QUERY  # "all" and empty remove a parameter
    finally:
        reset_dash_globals()
