"""``ioc scores import`` in the national portal's shapes, on SQLite and PostgreSQL: the shipped
sample files (per group, per indicator, keyed by portal codes, no period column, totals partly
absent), and the one-line errors that import nothing."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from dashboard.db import make_sessionmaker
from dashboard.kpi.periods import Period
from dashboard.models import IndexIndicatorScore, OfficialScore, OrgUnit
from dashboard.service_index import ScoreImportError, import_scores_file, published_score
from tests.integration.kpis.conftest import dossier, feed, kpis

SAMPLES = Path(__file__).resolve().parents[3] / "docs" / "samples"
OCTOBER = Period.month(2026, 10)
MARCH = Period.month(2026, 3)


def _import(store, path, period=OCTOBER):
    with make_sessionmaker(store).begin() as session:
        return import_scores_file(session, path, period)


def test_the_shipped_portal_files_import(store):
    report = _import(store, SAMPLES / "diem-766-cong-dvc.csv")
    # 34 provincial departments, keyed by their portal codes; every third row has no total.
    assert (report.shape, report.total, report.inserted, report.computed_totals) == ("groups", 34, 34, 11)
    with make_sessionmaker(store)() as session:
        hanoi = session.scalar(select(OrgUnit.id).where(OrgUnit.code == "SO-01"))
        score = published_score(session, hanoi, OCTOBER)
        # Line 2 of the file: 13,67 + 18,79 + 8,09 + 6,00 + 16,24 + 11,71 = 74,50, given as the total.
        assert (score.total, score.total_computed, score.groups["progress"]) == (74.5, False, 18.79)
        tuyen_quang = session.scalar(select(OrgUnit.id).where(OrgUnit.code == "SO-08"))
        computed = published_score(session, tuyen_quang, OCTOBER)
        # Line 4 has no total: 17,93 + 17,15 + 6,06 + 5,93 + 14,93 + 12,35 = 74,35, computed and marked.
        assert (computed.total, computed.total_computed) == (74.35, True)
    indicators = _import(store, SAMPLES / "diem-766-chi-tieu.csv")
    assert (indicators.shape, indicators.total) == ("indicators", 34 * 8)
    with make_sessionmaker(store)() as session:
        row = session.scalar(
            select(IndexIndicatorScore).where(
                IndexIndicatorScore.unit_id == hanoi, IndexIndicatorScore.indicator == "petition_satisfaction"
            )
        )
        assert (row.ratio, row.points) == (pytest.approx(0.7371), 4.42)
    # Imported again: nothing changes.
    again = _import(store, SAMPLES / "diem-766-cong-dvc.csv")
    assert (again.inserted, again.updated) == (0, 0)


def test_imported_indicators_complete_the_estimate_on_the_100_point_scale(store):
    # March 2026: the fixtures' "now" is 20/3/2026 (the month so far is what the store knows).
    feed(
        store,
        "dossiers",
        [
            dossier(
                "1",
                KenhThucHien=2,
                TrangThaiHoSo=10,
                DaSoHoa=1,
                CoKetQuaDienTu=1,
                CoPhi=1,
                DuocThanhToanTrucTuyen=1,
                DanhGia=3,
                DongBoQuocGia=1,
                NgayTiepNhan="2026-03-02 09:00",
                NgayHenTra="2026-03-09 17:00",
                NgayKetThucXuLy="2026-03-05 09:00",
            ),
        ],
    )
    before = kpis(store, "SO-01", MARCH, ["DVC-14"])["DVC-14"]
    assert before.parts["unknown"].value == 48
    _import(store, SAMPLES / "diem-766-chi-tieu.csv", MARCH)
    after = kpis(store, "SO-01", MARCH, ["DVC-14"])["DVC-14"]
    # Before: transparency's three procedure indicators (12), online provision and use (8, no
    # catalogue), fee procedures paid and fee synchronisation (payment: 10 − 6 known = 4), the two
    # petition indicators (12) and five digitisation inputs (12) were not yet known = 48.
    # The file gives fee synchronisation (payment: 6 + 2,5 known → 1,5 left), both petition
    # indicators, reuse, citizen store, population data and certified copies (province-wide):
    # 12 + 8 + 1,5 = 21,5 points stay not yet known.
    assert after.parts["unknown"].value == 21.5
    assert after.parts["satisfaction"].value == pytest.approx(6 + 4.42 + 6)
    assert after.value > before.value and after.estimate


def test_errors_are_one_line_and_import_nothing(store, tmp_path):
    def refused(text: str, period=OCTOBER) -> ScoreImportError:
        path = tmp_path / "f.csv"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ScoreImportError) as info:
            _import(store, path, period)
        return info.value

    unknown = refused("Mã đơn vị;Tiến độ giải quyết\n000.00.30.H01;18\nX1;17\nX2;16\nX1;15\n")
    assert str(unknown).startswith(
        f"{tmp_path / 'f.csv'}: unknown unit code(s): X1 (line 3, 5), X2 (line 4); set the units' portal_code"
    )
    assert "\n" not in str(unknown) and str(unknown).endswith("nothing was imported")
    dup = refused("Mã đơn vị;Tiến độ giải quyết\n000.00.30.H01;18\nSO-01;17\n")
    # The portal code and our code name the same unit: a duplicate.
    assert (
        len(dup.problems) == 1
        and dup.problems[0].startswith("line 3: duplicate row: SO-01")
        and dup.problems[0].endswith("repeats line 2")
    )
    other = refused("Họ tên;Số điện thoại\nA;1\n")
    assert "not a 766 score file" in str(other)
    no_period = refused("Mã đơn vị;Tiến độ giải quyết\n000.00.30.H01;18\n", period=None)
    assert "give the period, e.g. --period 2026-10" in str(no_period)
    with make_sessionmaker(store)() as session:
        assert session.scalar(select(func.count()).select_from(OfficialScore)) == 0
