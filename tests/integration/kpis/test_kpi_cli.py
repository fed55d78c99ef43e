"""``ioc kpis …`` and ``ioc scores …`` through the real entry point, against each database."""

import os
import subprocess
import sys

from sqlalchemy import select

from dashboard.db import make_sessionmaker
from dashboard.models import KpiSnapshot, OfficialScore
from tests.integration.kpis.conftest import dossier, feed


def ioc(store, tmp_path, *args, **env):
    full = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    full.update(
        {
            "IOC_DATA_DIR": str(tmp_path / "data"),
            "IOC_DATABASE_URL": store.url.render_as_string(hide_password=False),
        }
    )
    full.update(env)
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args], capture_output=True, text=True, env=full, timeout=120
    )


def test_scores_import_is_all_or_nothing_and_idempotent(store, tmp_path):
    good = tmp_path / "diem.csv"
    good.write_text("ma_don_vi;ky;tong_diem\nSO-01;03/2026;82,15\nSO-79;03/2026;64,5\n", encoding="utf-8")
    result = ioc(store, tmp_path, "scores", "import", str(good))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"2 unit scores in {good}: 2 added, 0 updated"
    assert (
        ioc(store, tmp_path, "scores", "import", str(good)).stdout.strip()
        == f"2 unit scores in {good}: 0 added, 0 updated"
    )
    bad = tmp_path / "sai.csv"
    bad.write_text("ma_don_vi;ky;tong_diem\nSO-01;04/2026;70\nSO-99;04/2026;80\n", encoding="utf-8")
    result = ioc(store, tmp_path, "scores", "import", str(bad))
    assert result.returncode == 6
    assert result.stderr.strip() == (
        f"ioc: error: {bad}: unknown unit code(s): SO-99 (line 3); set the units' portal_code (ioc units import) "
        "or use our unit codes; nothing was imported"
    )
    with make_sessionmaker(store)() as session:
        assert len(session.scalars(select(OfficialScore)).all()) == 2  # nothing of the bad file
    listing = ioc(store, tmp_path, "scores", "list", "--unit", "SO-01").stdout
    assert "SO-01" in listing and "82.15" in listing and "SO-79" not in listing


def test_kpis_show_rank_overdue_and_snapshot(store, tmp_path):
    feed(
        store,
        "dossiers",
        [
            dossier(
                "1",
                MaDonVi="SO-01",
                KenhThucHien=2,
                NgayTiepNhan="2026-03-02 09:00",
                NgayHenTra="2026-03-09 17:00",
            ),
            dossier("2", MaDonVi="SO-79", NgayTiepNhan="2026-03-02 09:00"),
        ],
    )
    shown = ioc(
        store,
        tmp_path,
        "kpis",
        "show",
        "DVC-01",
        "DVC-02",
        "--unit",
        "SO-01",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-20",
    )
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert (
        lines[0]
        == "Sở Nông nghiệp và Môi trường thành phố Hà Nội — Khoảng thời gian (01/03/2026 – 20/03/2026)"
    )
    assert "DVC-01" in lines[1] and " 1 " in lines[1]
    assert "100,00 %" in lines[2] and "green" in lines[2]
    english = ioc(store, tmp_path, "kpis", "show", "VB-02", "--unit", "SO-01", "--lang", "en")
    assert "No data: no source has delivered documents yet" in english.stdout
    ranked = ioc(
        store,
        tmp_path,
        "kpis",
        "rank",
        "DVC-02",
        "--parent",
        "BMP-SO",
        "--from",
        "2026-03-01",
        "--to",
        "2026-03-20",
    )
    assert ranked.returncode == 0, ranked.stderr
    rows = ranked.stdout.splitlines()[1:]
    assert rows[0].split()[:2] == ["1", "SO-01"] and rows[1].split()[:2] == ["2", "SO-79"]
    assert rows[2].split()[0] == "–"  # no dossier: no rank
    overdue = ioc(store, tmp_path, "kpis", "overdue", "--unit", "SO-01")
    assert overdue.returncode == 0 and "QUÁ HẠN / OVERDUE: 1" in overdue.stdout and "1 " in overdue.stdout
    snap = ioc(store, tmp_path, "kpis", "snapshot")
    assert snap.returncode == 0 and "values stored" in snap.stdout
    with make_sessionmaker(store)() as session:
        # 8 figures for every active unit of the demo hierarchy (56), zeros included.
        assert len(session.scalars(select(KpiSnapshot)).all()) == 8 * 56


def test_cli_errors_are_one_line(store, tmp_path):
    assert (
        ioc(store, tmp_path, "kpis", "show", "DVC-99").stderr.strip()
        == "ioc: error: unknown KPI 'DVC-99'; see `ioc kpis list`"
    )
    assert (
        ioc(store, tmp_path, "kpis", "show", "--unit", "SO-00").stderr.strip()
        == "ioc: error: unknown unit 'SO-00'; see `ioc units list`"
    )
    targets = tmp_path / "targets.toml"
    targets.write_text(
        '[kpi."DVC-06"]\ngreen = 98\namber = "x"\n[unit."SO-00".kpi."DVC-06"]\ngreen = 0.9\n',
        encoding="utf-8",
    )
    checked = ioc(store, tmp_path, "kpis", "check-targets", str(targets))
    assert checked.returncode == 1
    assert checked.stderr.splitlines() == [
        f'{targets}: kpi."DVC-06".green = 98 is invalid: DVC-06 is a percentage, give a fraction between 0 and 1 (0.98 for 98 %)',
        f"{targets}: kpi.\"DVC-06\".amber = 'x' is invalid: expected a number",
        f"ioc: error: {targets}: 2 problem(s)",
    ]
    targets.write_text('[unit."SO-00".kpi."DVC-06"]\ngreen = 0.9\n', encoding="utf-8")
    assert ioc(store, tmp_path, "kpis", "check-targets", str(targets)).stderr.strip() == (
        f"ioc: error: {targets}: unknown unit(s) SO-00; see `ioc units list`"
    )
    # A bad targets file stops any command at start-up, naming the setting.
    startup = ioc(store, tmp_path, "kpis", "list", IOC_TARGETS_FILE=str(tmp_path / "none.toml"))
    assert startup.returncode == 2 and "IOC_TARGETS_FILE is invalid" in startup.stderr


def test_kpis_list_is_the_catalogue(store, tmp_path):
    listing = ioc(store, tmp_path, "kpis", "list").stdout.splitlines()
    assert len(listing) == 42 and listing[0].startswith("VB-01") and listing[-1].startswith("NV-07")
    assert listing[29].startswith("HOP-07") and listing[34].startswith("PAKN-05")
    assert "↑" in listing[1] and "official" in listing[1]


def _october(store):
    feed(
        store,
        "dossiers",
        [
            # Finished 5/10 on time; withdrawn 20/10 (before its due day); open since 12/10, due 16/10.
            dossier(
                "o1",
                TrangThaiHoSo=10,
                NgayTiepNhan="2026-10-01 09:00",
                NgayHenTra="2026-10-08 17:00",
                NgayKetThucXuLy="2026-10-05 09:00",
                NgayCapNhat="2026-10-05 09:00",
            ),
            dossier(
                "o2",
                TrangThaiHoSo=7,
                NgayTiepNhan="2026-10-02 09:00",
                NgayHenTra="2026-10-30 17:00",
                NgayKetThucXuLy="2026-10-20 09:00",
                NgayCapNhat="2026-10-20 09:00",
            ),
            dossier(
                "o3",
                TrangThaiHoSo=4,
                NgayTiepNhan="2026-10-12 09:00",
                NgayHenTra="2026-10-16 17:00",
                NgayCapNhat="2026-10-12 09:00",
            ),
        ],
    )


def test_kpis_show_json_by_month_reporting_period_and_as_of(store, tmp_path):
    import json

    _october(store)
    shown = ioc(store, tmp_path, "kpis", "show", "DVC-06", "--unit", "SO-01", "--month", "2026-10", "--json")
    assert shown.returncode == 0, shown.stderr
    dvc06 = json.loads(shown.stdout)["kpis"][0]
    # October: ended o1 (on time), o2 (withdrawn, on time); open at 31/10: o3 (due 16/10: late) → 2/3.
    assert (dvc06["kpi"], dvc06["numerator"], dvc06["denominator"]) == ("DVC-06", 2, 3)
    assert dvc06["period"] == {"kind": "month", "start": "2026-10-01", "end": "2026-10-31"}
    # Reporting period of October (Decree 09): 15/9–14/10: ended o1; open at 14/10: o2, o3 (on time then) → 3/3.
    rep = json.loads(
        ioc(
            store,
            tmp_path,
            "kpis",
            "show",
            "DVC-06",
            "--unit",
            "SO-01",
            "--reporting-period",
            "2026-10",
            "--json",
        ).stdout
    )["kpis"][0]
    assert rep["period"]["start"] == "2026-09-15" and rep["period"]["end"] == "2026-10-14"
    assert (rep["numerator"], rep["denominator"]) == (3, 3)
    # DVC-08 as at 17/10 18:00 from the facts (no snapshot): open then o2, o3; overdue o3 (due 16/10).
    past = json.loads(
        ioc(
            store,
            tmp_path,
            "kpis",
            "show",
            "DVC-08",
            "--unit",
            "SO-01",
            "--as-of",
            "2026-10-17T18:00",
            "--json",
        ).stdout
    )["kpis"][0]
    assert (past["value"], past["parts"]["in_progress"]["value"]) == (1, 2)
    # A past month's point-in-time KPI is computed from the facts, not "no history".
    month = json.loads(
        ioc(
            store, tmp_path, "kpis", "show", "DVC-08", "--unit", "SO-01", "--month", "2026-10", "--json"
        ).stdout
    )["kpis"][0]
    assert month["value"] == 1 and month["reason"] is None  # o3 open and overdue at the end of 31/10
    bad = ioc(store, tmp_path, "kpis", "show", "--month", "2026-13")
    assert bad.returncode != 0 and "'2026-13' is not a month: use YYYY-MM" in bad.stderr


def test_kpis_export_every_unit_and_kpi(store, tmp_path):
    _october(store)
    out = tmp_path / "thang10.csv"
    result = ioc(store, tmp_path, "kpis", "export", "--month", "2026-10", "--format", "csv", "-o", str(out))
    assert result.returncode == 0, result.stderr
    lines = out.read_bytes().decode("utf-8-sig").splitlines()
    from dashboard.kpi.catalogue import KPI_IDS

    assert lines[0].startswith("Mã đơn vị;Đơn vị;Từ ngày;Đến ngày;Chỉ số")
    assert len(lines) == 1 + 56 * len(KPI_IDS)  # every active demo unit × every KPI
    row = next(line for line in lines if line.startswith("SO-01;") and ";DVC-06;" in line).split(";")
    assert (row[8], row[9]) == ("2.0", "3.0") and row[7] == "66,67 %"
    xlsx = ioc(store, tmp_path, "kpis", "export", "--month", "2026-10", "-o", str(tmp_path / "t.xlsx"))
    assert xlsx.returncode == 0 and (tmp_path / "t.xlsx").read_bytes()[:2] == b"PK"
