"""The morning briefing on SQLite and PostgreSQL: the PDF read back with pdftotext (Vietnamese
headings and the KPI engine's own figures, found exactly), the XLSX read back with openpyxl, the
sections registry, downloads within the scope only, the morning job on working days only, and
``ioc reports``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from openpyxl import load_workbook
from sqlalchemy import select

from collectors.scheduler import build_scheduler
from dashboard import briefing, reports
from dashboard.db import make_sessionmaker
from dashboard.kpi.display import format_delta, format_value
from dashboard.kpi.engine import compute, resolve_scope
from dashboard.models import AuditEvent, BriefingReport
from dashboard.units import DEMO_UNITS_FILE, import_units_file
from tests.access_support import PASSWORD, add_account, sign_in
from tests.integration.kpis.conftest import doc, dossier, feed
from tests.integration.kpis.test_kpi_cli import ioc

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = date(2026, 10, 20)  # a Tuesday: the briefing covers Monday 19/10
REFERENCE = date(2026, 10, 19)
FORMULA_ID = "=HYPERLINK(1)"  # a source id that a spreadsheet would take for a formula
HEADINGS = (
    "BÁO CÁO GIAO BAN",
    "Tóm tắt",
    "Chỉ số không đạt và lý do",
    "Hồ sơ, văn bản quá hạn lâu nhất",
    "Chỉ số phục vụ người dân, doanh nghiệp (766)",
    "Cảnh báo đang kích hoạt",
    "Yêu cầu giải trình đang mở",
    "Các chỉ số",
    "Tình trạng nguồn dữ liệu",
)


@pytest.fixture
def store(engine):
    """Demo units; SO-01 and SO-79 dossiers in October 2026 (some finished late, some overdue),
    and SO-01 documents."""
    with make_sessionmaker(engine).begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)
    rows = []
    for n in range(12):
        day = 1 + n
        rows.append(
            dossier(
                f"HS-01-{n}",
                MaDonVi="SO-01",
                TrangThaiHoSo=10,
                NgayTiepNhan=f"2026-10-{day:02d} 09:00",
                NgayHenTra=f"2026-10-{day + 5:02d} 17:00",
                NgayKetThucXuLy=f"2026-10-{day + (7 if n % 3 == 0 else 2):02d} 10:00",
                NgayCapNhat="2026-10-19 08:00",
            )
        )
    rows += [
        dossier(
            sid,
            MaDonVi="SO-01",
            TrangThaiHoSo=4,
            NgayTiepNhan=f"2026-10-0{k} 09:00",
            NgayHenTra=f"2026-10-{5 + k:02d} 17:00",
            NgayCapNhat="2026-10-19 08:00",
        )
        for k, sid in ((2, "HS-01-OPEN-A"), (3, FORMULA_ID), (6, "HS-01-OPEN-C"))
    ]
    rows += [
        dossier(
            f"HS-79-{n}",
            MaDonVi="SO-79",
            TrangThaiHoSo=4,
            NgayTiepNhan="2026-10-01 09:00",
            NgayHenTra="2026-10-02 17:00",
            NgayCapNhat="2026-10-19 08:00",
        )
        for n in range(4)
    ]
    feed(engine, "dossiers", rows)
    feed(
        engine,
        "documents",
        [
            doc(
                f"VB-01-{n}",
                unit_code="SO-01",
                registered_at=f"2026-10-{5 + n:02d} 09:00",
                due_at=f"2026-10-{9 + n:02d} 17:00",
                updated_at="2026-10-19 08:00",
            )
            for n in range(3)
        ],
    )
    return engine


@pytest.fixture
def settings_for(make_settings):
    def factory(engine, **overrides):
        return make_settings(database_url=engine.url.render_as_string(hide_password=False), **overrides)

    return factory


def _pdftotext(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    return re.sub(r"\s+", " ", out.decode("utf-8"))


def test_pdf_has_the_vietnamese_headings_and_the_engines_figures(store, settings_for):
    assert shutil.which("pdftotext"), "poppler-utils must be installed (.ci/run installs it)"
    settings = settings_for(store)
    with make_sessionmaker(store).begin() as session:
        stored, b, pdf, xlsx = reports.render_and_store(session, settings, "SO-01", DAY, "weekly")
    assert pdf.startswith(b"%PDF") and stored.period_end == REFERENCE
    words = _pdftotext(pdf)
    for heading in HEADINGS:
        assert heading in words, heading
    assert "Sở Nông nghiệp và Môi trường thành phố Hà Nội" in words
    assert "7 ngày qua (13/10/2026 – 19/10/2026)" in words
    assert "23:59 19/10/2026" in words

    # The same figures, computed independently by the engine from the same store.
    with make_sessionmaker(store)() as session:
        scope = resolve_scope(session, "SO-01", True)
        expected = compute(
            session,
            scope,
            b.period,
            ["DVC-01", "DVC-06", "DVC-07", "DVC-08", "VB-01"],
            now=datetime(2026, 10, 19, 23, 59, 59, tzinfo=TZ),
            tz=TZ,
            as_of=True,
            with_series=False,
        )
    shown = 0
    table = words[words.index("Các chỉ số Mã Chỉ số Giá trị") :]
    for kpi_id, r in expected.items():
        assert r.value is not None, kpi_id
        row = re.search(rf"{kpi_id} .*?(?= (?:VB|DVC|HOP)-\d\d |$)", table)
        assert row, kpi_id
        assert format_value(r.value, r.unit, "vi") in row.group(0), (kpi_id, row.group(0))
        if r.previous is not None and r.previous.delta is not None:
            assert format_delta(r.previous.delta, r.unit, "vi") in row.group(0), (kpi_id, row.group(0))
        shown += 1
    assert shown == 5
    # The overdue dossiers (longest first) and nothing of another department.
    assert words.index("HS-01-OPEN-A") < words.index("HS-01-OPEN-C")
    assert "HS-79-" not in words and "Hồ Chí Minh" not in words
    assert "Cảnh báo đang kích hoạt" in words and "Không có cảnh báo nào đang kích hoạt." in words

    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    lines = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert lines and all(parts[-5] == "yes" for parts in lines), fonts  # every font embedded
    assert all("DejaVuSans" in parts[0] for parts in lines), fonts


def test_xlsx_holds_the_same_figures_as_numbers_and_no_formula(store, settings_for):
    settings = settings_for(store)
    with make_sessionmaker(store).begin() as session:
        _stored, b, _pdf, xlsx = reports.render_and_store(session, settings, "SO-01", DAY, "monthly")
    book = load_workbook(BytesIO(xlsx))
    assert book.sheetnames[0] == "Tóm tắt"
    kpis = book["Các chỉ số"]
    rows = {r[0].value: r for r in kpis.iter_rows(min_row=3)}
    dvc06 = b.results["DVC-06"]
    cell = rows["DVC-06"][2]
    assert cell.value == pytest.approx(dvc06.value) and cell.number_format == "0.00%"
    assert rows["DVC-01"][2].value == b.results["DVC-01"].value
    assert rows["DVC-06"][1].value == "Giải quyết đúng hạn (chỉ số 766)"
    overdue = book["Hồ sơ, văn bản quá hạn lâu nhất"]
    ids = [r[1] for r in overdue.iter_rows(min_row=3)]
    formula = [c for c in ids if c.value == FORMULA_ID]
    assert formula and formula[0].data_type == "s"  # kept as text, never a formula
    assert all(c.data_type != "f" for sheet in book for row in sheet.iter_rows() for c in row)


def test_sections_registry_fills_a_reserved_section_when_its_provider_arrives(store):
    def firing(ctx: briefing.Context) -> briefing.SectionContent:
        table = briefing.Table(("Cảnh báo", "Đơn vị"), (("DVC-06 dưới ngưỡng", ctx.scope.name("vi")),))
        return briefing.SectionContent("alerts", "", table)

    wired = {k: briefing._REGISTRY[k].provider for k in ("alerts", "explanations")}
    with make_sessionmaker(store)() as session:
        briefing.set_provider("alerts", None)
        try:
            before = briefing.gather(session, "SO-01", DAY)
            assert before.section("alerts").present is False
            briefing.set_provider("alerts", firing)
            after = briefing.gather(session, "SO-01", DAY)
        finally:
            briefing.set_provider("alerts", wired["alerts"])
    alerts = after.section("alerts")
    assert alerts.present and alerts.table.rows == (("DVC-06 dưới ngưỡng", before.scope.name_vi),)
    assert [s.key for s in after.sections] == [s.key for s in before.sections]
    from dashboard.briefing_render import to_pdf

    assert "DVC-06 dưới ngưỡng" in _pdftotext(to_pdf(after))

    def broken(ctx):
        raise RuntimeError("the alert store is down")

    briefing.set_provider("explanations", broken)
    try:
        with make_sessionmaker(store)() as session:
            kept = briefing.gather(session, "SO-01", DAY)
    finally:
        briefing.set_provider("explanations", wired["explanations"])
    assert kept.section("explanations").note.startswith("Không lấy được số liệu của mục này")
    assert kept.section("kpis").table.rows  # the rest of the briefing is made


def test_the_briefing_lists_the_scopes_firing_alerts_and_open_explanation_requests(store):
    """The two sections the alerting feature fills: only the subscription's scope, in words."""
    from dashboard.models import AlertRule, AlertState, ExplanationRequest, OrgUnit

    with make_sessionmaker(store)() as session:
        empty = briefing.gather(session, "SO-01", DAY)
        ids = dict(session.execute(select(OrgUnit.code, OrgUnit.id)).all())
        for code in ("SO-01", "SO-79"):
            rule = AlertRule(name=f"r-{code}", kpi_id="DVC-08", unit_id=ids[code], severity="critical")
            session.add(rule)
            session.flush()
            session.add(AlertState(rule_id=rule.id, unit_id=ids[code], state="firing", value=7.0))
            session.add(
                ExplanationRequest(
                    kpi_id="DVC-06",
                    unit_id=ids[code],
                    period_key="mtd",
                    question=f"Vì sao <b>{code}</b> chậm?",
                    requested_by="lanh-dao",
                    due_on=date(2026, 3, 12),
                )
            )
        session.commit()
        filled = briefing.gather(session, "SO-01", DAY)
    assert (
        empty.section("alerts").present
        and empty.section("alerts").note == "Không có cảnh báo nào đang kích hoạt."
    )
    alerts, requests = filled.section("alerts").table, filled.section("explanations").table
    name = filled.scope.name_vi
    assert [(r[0], r[1], r[2], r[3], str(r[4])) for r in alerts.rows] == [
        (name, "Hồ sơ đang xử lý quá hạn", "Nghiêm trọng", "Đang kích hoạt", "7")
    ]
    assert [(r[0], r[2], r[3], r[4]) for r in requests.rows] == [
        (name, "Vì sao <b>SO-01</b> chậm?", "12/03/2026", "Chờ trả lời")
    ]
    from dashboard.briefing_render import to_pdf

    pdf = _pdftotext(to_pdf(filled))
    assert "Vì sao <b>SO-01</b> chậm?" in pdf and "SO-79" not in pdf  # plain text, own scope only


def _client(app, name: str):
    client = app.server.test_client()
    assert sign_in(client, name, PASSWORD).status_code == 302
    return client


def test_downloads_stay_within_the_scope_and_are_audited(store, build_app):
    app = build_app(store)
    settings = app.server.extensions["ioc"].settings
    with make_sessionmaker(store).begin() as session:
        add_account(session, "br-leader", PASSWORD, ("lanh_dao", "BMP"))
        add_account(session, "br-head", PASSWORD, ("truong_don_vi", "SO-01"))
        add_account(session, "br-admin", PASSWORD, ("quan_tri", "BMP"))
        own = reports.render_and_store(session, settings, "SO-01", DAY, "daily")[0].id
        other = reports.render_and_store(session, settings, "SO-79", DAY, "daily")[0].id
        whole = reports.render_and_store(session, settings, None, DAY, "daily")[0].id
    head = _client(app, "br-head")
    answer = head.get(f"/reports/file/{own}.pdf")
    assert answer.status_code == 200 and answer.data.startswith(b"%PDF")
    assert answer.headers["Content-Disposition"].startswith("attachment")
    assert "bao-cao-giao-ban_so-01_daily_2026-10-20.pdf" in answer.headers["Content-Disposition"]
    assert head.get(f"/reports/file/{own}.xlsx").status_code == 200
    for refused in (other, whole, 99999):
        assert head.get(f"/reports/file/{refused}.pdf").status_code == 404
    assert head.get(f"/reports/file/{own}.exe").status_code == 404
    leader = _client(app, "br-leader")
    for report_id in (own, other, whole):
        assert leader.get(f"/reports/file/{report_id}.xlsx").status_code == 200
    assert _client(app, "br-admin").get(f"/reports/file/{own}.pdf").status_code == 403  # no figures
    anonymous = app.server.test_client().get(f"/reports/file/{own}.pdf")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]

    with make_sessionmaker(store)() as session:
        events = session.execute(
            select(AuditEvent.kind, AuditEvent.actor, AuditEvent.outcome, AuditEvent.detail).order_by(
                AuditEvent.id
            )
        ).all()
    exports = [e for e in events if e.kind == "export" and e.actor == "user:br-head"]
    assert [(e.detail["report"], e.detail["format"]) for e in exports] == [(own, "pdf"), (own, "xlsx")]
    denied = [e for e in events if e.kind == "denied" and e.actor == "user:br-head"]
    assert {e.detail["path"] for e in denied} >= {f"/reports/file/{other}.pdf", f"/reports/file/{whole}.pdf"}

    # The page lists the same: the unit head sees its own briefing only.
    from tests.access_support import request_as, unit_head

    with request_as(app, "/reports", unit_head("SO-01")):
        from layouts.reports import report_table

        with app.server.extensions["ioc"].sessions() as session:
            table = str(report_table(session, "vi"))
    assert f"report-{own}" in table and f"report-{other}" not in table and f"report-{whole}" not in table


def test_render_now_makes_the_principals_own_scope_whatever_the_page_sends(store, build_app):
    app = build_app(store)
    with make_sessionmaker(store).begin() as session:
        add_account(session, "br-head", PASSWORD, ("truong_don_vi", "SO-01"))
    client = _client(app, "br-head")
    assert client.get("/reports").status_code == 200
    from tests.access_support import csrf_header

    body = {
        "output": "..reports-message.children...reports-list.children..",
        "outputs": [
            {"id": "reports-message", "property": "children"},
            {"id": "reports-list", "property": "children"},
        ],
        "inputs": [{"id": "reports-render", "property": "n_clicks", "value": 1}],
        "state": [
            {"id": "reports-template", "property": "value", "value": "weekly"},
            {"id": "reports-lang", "property": "data", "value": "vi"},
        ],
        "changedPropIds": ["reports-render.n_clicks"],
    }
    answer = client.post("/_dash-update-component", json=body, headers=csrf_header(client))
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    response = answer.get_json()["response"]
    assert response["reports-message"]["children"].startswith(
        "Đã lập báo cáo Sở Nông nghiệp và Môi trường thành phố Hà Nội"
    )
    assert "reports-table" in json.dumps(response["reports-list"])
    with make_sessionmaker(store)() as session:
        made = session.execute(select(BriefingReport.scope_key, BriefingReport.made_by)).all()
    assert made == [("SO-01+", "user:br-head")]
    body["state"][0]["value"] = "SO-79"  # a forged template is refused, nothing rendered
    answer = client.post("/_dash-update-component", json=body, headers=csrf_header(client))
    assert answer.get_json()["response"]["reports-message"]["children"] == "Mẫu báo cáo không hợp lệ."


def test_morning_job_renders_on_working_days_only_and_sends_once(store, settings_for):
    settings = settings_for(store)
    with make_sessionmaker(store).begin() as session:
        add_account(session, "br-leader", PASSWORD, ("lanh_dao", "BMP"))
        add_account(session, "br-head", PASSWORD, ("truong_don_vi", "SO-01"))
        reports.subscribe(session, "br-leader", None, "daily")  # kept, not mailed
        reports.subscribe(session, "br-head", "SO-01", "weekly", email="head@so01.example.vn")
        with pytest.raises(reports.ReportError, match="may not read"):
            reports.subscribe(session, "br-head", "SO-79", "daily")
    sent = []

    def send(to, subject, text, attachments):
        sent.append((to, subject, text, [(name, data[:4], kind) for name, data, kind in attachments]))

    holiday = reports.morning_job(
        store, settings, send=send, now=lambda: datetime(2026, 9, 2, 7, 0, tzinfo=TZ)
    )  # National Day
    sunday = reports.morning_job(
        store, settings, send=send, now=lambda: datetime(2026, 10, 18, 7, 0, tzinfo=TZ)
    )
    assert not holiday.working_day and not sunday.working_day and sent == []
    with make_sessionmaker(store)() as session:
        assert session.scalar(select(BriefingReport.id)) is None

    tuesday = reports.morning_job(
        store, settings, send=send, now=lambda: datetime(2026, 10, 20, 7, 0, tzinfo=TZ)
    )
    assert tuesday.working_day and len(tuesday.rendered) == 2
    assert [(to, subject) for to, subject, *_ in sent] == [
        (
            "head@so01.example.vn",
            "Báo cáo giao ban: Sở Nông nghiệp và Môi trường thành phố Hà Nội — 20/10/2026",
        )
    ]
    assert [(name, head) for name, head, _ in sent[0][3]] == [
        ("bao-cao-giao-ban_so-01_weekly_2026-10-20.pdf", b"%PDF"),
        ("bao-cao-giao-ban_so-01_weekly_2026-10-20.xlsx", b"PK\x03\x04"),
    ]
    assert "Không đạt" in sent[0][2]
    # A collector restarted the same morning renders again but sends nothing twice.
    again = reports.morning_job(
        store, settings, send=send, now=lambda: datetime(2026, 10, 20, 9, 0, tzinfo=TZ)
    )
    assert len(sent) == 1 and len(again.rendered) == 2
    with make_sessionmaker(store)() as session:
        rows = session.execute(select(BriefingReport.scope_key, BriefingReport.report_date)).all()
    assert sorted(rows) == [("SO-01+", DAY), ("all", DAY)]  # replaced, not duplicated
    assert all((settings.data_dir / "reports" / "2026" / "10").glob("*.pdf"))


def test_the_scheduler_runs_the_briefing_at_the_configured_local_time(store):
    calls = []
    scheduler = build_scheduler(
        store,
        [],
        TZ,
        scheduler=BackgroundScheduler(timezone=TZ),
        briefing_job=lambda: calls.append(1),
        briefing_time="06:45",
    )
    job = scheduler.get_job("daily:briefing")
    fields = {f.name: str(f) for f in job.trigger.fields}
    assert (fields["hour"], fields["minute"]) == ("6", "45") and job.trigger.timezone == TZ
    assert job.misfire_grace_time >= 3600
    assert (
        build_scheduler(store, [], TZ, scheduler=BackgroundScheduler(timezone=TZ)).get_job("daily:briefing")
        is None
    )


def test_ioc_reports_render_list_subscribe(store, tmp_path):
    out = tmp_path / "out"
    result = ioc(
        store, tmp_path, "reports", "render", "--scope", "SO-01", "--date", "2026-10-20", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert "Sở Nông nghiệp và Môi trường thành phố Hà Nội, daily, 20/10/2026" in result.stdout
    pdf = out / "bao-cao-giao-ban_so-01_daily_2026-10-20.pdf"
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.with_suffix(".xlsx").is_file()
    listed = ioc(store, tmp_path, "reports", "list")
    assert "20/10/2026  daily     SO-01" in listed.stdout
    bad = ioc(store, tmp_path, "reports", "render", "--scope", "SO-XX")
    assert bad.returncode != 0 and "unknown unit 'SO-XX'" in bad.stderr
    with make_sessionmaker(store).begin() as session:
        add_account(session, "br-head", PASSWORD, ("truong_don_vi", "SO-01"))
    sub = ioc(store, tmp_path, "reports", "subscribe", "br-head", "--scope", "SO-01", "--template", "monthly")
    assert sub.returncode == 0, sub.stderr
    refused = ioc(store, tmp_path, "reports", "subscribe", "br-head", "--scope", "all")
    assert refused.returncode != 0 and "may not read the briefing of the whole agency" in refused.stderr
    listed = ioc(store, tmp_path, "reports", "subscriptions")
    assert "br-head" in listed.stdout and "monthly" in listed.stdout
    ran = ioc(store, tmp_path, "reports", "run", "--date", "2026-10-20")
    assert ran.returncode == 0 and "20/10/2026: 1 briefing(s) rendered" in ran.stdout, ran.stderr
    sub_id = listed.stdout.split()[0]
    assert ioc(store, tmp_path, "reports", "unsubscribe", sub_id).returncode == 0
    assert "no subscription" in ioc(store, tmp_path, "reports", "subscriptions").stdout
