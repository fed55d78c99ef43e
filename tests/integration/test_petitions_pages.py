"""The petitions pages in-process on SQLite and PostgreSQL: ``/phan-anh`` (tiles, charts, overdue
list, ranking; the kiosk variant), its export — re-read on the server within the principal's scope,
text kept from becoming formulas —, the unit page's petitions block and the wall tiles function.

Times are relative to the real now (the pages compute "now" themselves)."""

from __future__ import annotations

import base64
import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import dash
import pytest
from openpyxl import load_workbook

from dashboard.db import make_sessionmaker
from dashboard.units import DEMO_UNITS_FILE, import_units_file
from tests.access_support import PASSWORD, add_account, csrf_header, request_as, sign_in, unit_head
from tests.dash_support import render_text
from tests.integration.kpis.conftest import feed

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _local(days_ago: int, hour: int = 9) -> str:
    day = datetime.now(TZ).date() - timedelta(days=days_ago)
    return f"{day} {hour:02d}:00"


def _row(ident: str, unit: str, **fields) -> dict:
    row = {
        "MaPAKN": ident,
        "MaDonVi": unit,
        "KenhTiepNhan": 1,
        "LinhVuc": "dat-dai",
        "NgayTiepNhan": _local(10),
        "HanXuLy": _local(3, 17),
        "TrangThai": 2,
        "NgayCapNhat": _local(1),
    }
    row.update(fields)
    return row


@pytest.fixture
def store(engine):
    with make_sessionmaker(engine).begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)
        add_account(session, "head-so01", PASSWORD, ("truong_don_vi", "SO-01"))
    rows = [
        # SO-01: three overdue (3 days past the deadline; one with a formula-looking reference),
        # one overdue by 6 days, one handled on time.
        _row("IN-P-1", "SO-01"),
        _row("IN-P-2", "SO-01", SoHieu="=HYPERLINK(1)", KenhTiepNhan=3),
        _row("IN-P-3", "SO-01", LinhVuc="moi-truong", TrangThai=1),
        _row("IN-P-4", "SO-01", NgayTiepNhan=_local(12), HanXuLy=_local(6, 17)),
        _row("IN-P-5", "SO-01", TrangThai=3, NgayXuLy=_local(5), DanhGia=3),
        # SO-79: four overdue — never shown or exported to SO-01's head.
        *[_row(f"OUT-P-{n}", "SO-79") for n in range(4)],
    ]
    feed(engine, "petitions", rows)
    return engine


def _layout():
    return dash.page_registry["layouts.petitions"]["layout"]


def test_the_page_shows_the_scope_its_overdue_list_and_the_kiosk_variant(store, build_app):
    app = build_app(store)
    with request_as(app, "/phan-anh", unit_head("SO-01")):
        text = render_text(_layout()(unit="SO-01", period="rolling30"))
        # A forged unit outside the head's scope falls back to what it may see.
        forged = render_text(_layout()(unit="SO-79", period="rolling30"))
        kiosk = render_text(_layout()(unit="SO-01", period="rolling30", kiosk="1"))
    for kpi in ("PAKN-01", "PAKN-02", "PAKN-03", "PAKN-04", "PAKN-05"):
        assert f'"data-kpi": "{kpi}"' in text
    # The overdue list: 4 petitions, the longest overdue (IN-P-4, 6 days) first.
    assert (
        text.index("IN-P-4") < text.index("IN-P-1")
        and "IN-P-5" not in text.split("petitions-overdue-table")[1]
    )
    assert "petitions-export-csv" in text and "OUT-P" not in text
    assert "OUT-P" not in forged
    assert "petitions-export-csv" not in kiosk and "dom-sections--kiosk" in kiosk
    assert "petitions-channels-card" not in kiosk and "petitions-overdue-card" in kiosk
    assert "IOC không thu thập thông tin cá nhân" in text


def _export(client, unit, button="petitions-export-csv"):
    payload = {
        "output": "petitions-export-download.data",
        "outputs": {"id": "petitions-export-download", "property": "data"},
        "inputs": [
            {
                "id": "petitions-export-csv",
                "property": "n_clicks",
                "value": 1 if button.endswith("csv") else None,
            },
            {
                "id": "petitions-export-xlsx",
                "property": "n_clicks",
                "value": 1 if button.endswith("xlsx") else None,
            },
        ],
        "state": [
            {"id": "petitions-query", "property": "data", "value": {"unit": unit, "period": "rolling30"}}
        ],
        "changedPropIds": [f"{button}.n_clicks"],
    }
    return client.post("/_dash-update-component", json=payload, headers=csrf_header(client))


def test_export_is_scoped_on_the_server_and_keeps_text_from_becoming_formulas(store, build_app):
    app = build_app(store)
    client = app.server.test_client()
    assert sign_in(client, "head-so01", PASSWORD).status_code == 302
    client.get("/")
    answer = _export(client, "SO-01")
    assert answer.status_code == 200
    content = base64.b64decode(
        json.loads(answer.get_data(as_text=True))["response"]["petitions-export-download"]["data"]["content"]
    )
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:3] == ["Số hiệu", "Đơn vị xử lý", "Lĩnh vực"]
    assert [line.split(";")[0] for line in lines[1:]] == ["IN-P-4", "IN-P-1", "'=HYPERLINK(1)", "IN-P-3"]
    assert lines[1].split(";")[-1] == "6"
    # Another unit, the whole ministry, nothing: never a row outside SO-01.
    for forged in ("SO-79", "BMP", "*", "", None):
        answer = _export(client, forged)
        assert "OUT-P" not in answer.get_data(as_text=True)
    xlsx = _export(client, "SO-01", "petitions-export-xlsx")
    data = base64.b64decode(
        json.loads(xlsx.get_data(as_text=True))["response"]["petitions-export-download"]["data"]["content"]
    )
    sheet = load_workbook(io.BytesIO(data)).active
    refs = [sheet.cell(row=r, column=1).value for r in range(3, sheet.max_row + 1)]
    assert refs == ["IN-P-4", "IN-P-1", "=HYPERLINK(1)", "IN-P-3"]
    assert sheet.cell(row=5, column=1).data_type == "s"  # stored as text, not a formula


def test_the_unit_page_has_a_petitions_block(store, build_app):
    app = build_app(store)
    with request_as(app, "/units/SO-01", unit_head("SO-01")):
        text = render_text(dash.page_registry["layouts.unit"]["layout"](code="SO-01", period="rolling30"))
    assert "unit-petitions" in text and "unit-tile-PAKN-04" in text
    assert "/phan-anh?unit=SO-01" in text


def test_the_wall_tiles_function_gives_the_scopes_petition_tiles(store, build_app):
    from dashboard.webapp import read_session
    from layouts.components.petitions_wall import WALL_PETITION_KPIS, petition_wall_tiles, petitions_column
    from layouts.home import gather

    app = build_app(store)
    with request_as(app, "/"), read_session() as session:
        own = render_text(petition_wall_tiles(session, "SO-01", "rolling30"))
        other = render_text(petition_wall_tiles(session, "SO-79", "rolling30"))
        # The column the lead places on the overview wall, from the wall's own data.
        column = render_text(petitions_column(session, gather(session, "SO-01", "rolling30", "vi")))
    assert "domain-petitions" in column and "Phản ánh, kiến nghị" in column
    assert tile_values(column) == tile_values(own)
    assert [f"wall-tile-{k}" in own for k in WALL_PETITION_KPIS] == [True] * 4
    # PAKN-04 (overdue now): SO-01 has 4; SO-79 has 4 of its own. PAKN-01: received in the last
    # 30 days, 5 at SO-01 and 4 at SO-79. PAKN-02: SO-01 1 on time of 5 (handled + open).
    mine, theirs = tile_values(own), tile_values(other)
    assert (mine["PAKN-04"], mine["PAKN-01"], theirs["PAKN-01"]) == ("4.0", "5.0", "4.0")
    assert float(mine["PAKN-02"]) == pytest.approx(0.2)


def tile_values(text: str) -> dict[str, str]:
    found: dict[str, str] = {}

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props") if isinstance(node.get("props"), dict) else node
            if isinstance(props, dict) and "data-kpi" in props:
                found[props["data-kpi"]] = props.get("data-value", "")
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(text))
    return found
