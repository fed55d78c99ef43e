"""Public-service KPIs (DVC-01…DVC-14) on hand-built data, on SQLite and PostgreSQL.

Expected values are worked out in each test from its rows. Now is Friday 20/3/2026 10:00.
"""

from datetime import date

import pytest
from sqlalchemy import select, update

from dashboard import rollups
from dashboard.db import make_sessionmaker
from dashboard.kpi.periods import Period
from dashboard.models import Procedure
from dashboard.snapshots import take_snapshot
from tests.integration.kpis.conftest import at, dossier, feed, kpis, procedures


def test_intake_payment_digitisation_and_finished_dossiers(store):
    feed(
        store,
        "dossiers",
        [
            # 1: online, paid on the national portal, digitised, electronic result; finished early (6/3 < 9/3).
            dossier(
                "1",
                KenhThucHien=2,
                CoPhi=1,
                DuocThanhToanTrucTuyen=1,
                DaSoHoa=1,
                CoKetQuaDienTu=1,
                TrangThaiHoSo=10,
                NgayTiepNhan="2026-03-02 09:00",
                NgayHenTra="2026-03-09 17:00",
                NgayKetThucXuLy="2026-03-06 09:00",
                NgayTraKetQua="2026-03-06 10:00",
            ),
            # 2: at the counter, a fee not paid online, digitised, still open.
            dossier(
                "2",
                CoPhi=1,
                DaSoHoa=1,
                TrangThaiHoSo=4,
                NgayTiepNhan="2026-03-03 09:00",
                NgayHenTra="2026-03-25 17:00",
            ),
            # 3: online, finished exactly on its due day (10/3).
            dossier(
                "3",
                KenhThucHien=2,
                TrangThaiHoSo=9,
                NgayTiepNhan="2026-03-04 09:00",
                NgayHenTra="2026-03-10 17:00",
                NgayKetThucXuLy="2026-03-10 15:00",
            ),
            # 4: postal, withdrawn by the applicant (7).
            dossier(
                "4",
                KenhThucHien=3,
                TrangThaiHoSo=7,
                NgayTiepNhan="2026-03-05 09:00",
                NgayKetThucXuLy="2026-03-06 09:00",
            ),
            # 5: newly registered online, not accepted (1); 6: refused at intake (3) — neither is received.
            dossier("5", KenhThucHien=2, TrangThaiHoSo=1, NgayTiepNhan=None, NgayHenTra=None),
            dossier("6", TrangThaiHoSo=3, NgayTiepNhan="2026-03-06 09:00"),
            # 7: channel missing (counts as direct), paid on the own gateway, finished late, rated dissatisfied.
            dossier(
                "7",
                KenhThucHien=None,
                CoPhi=1,
                DuocThanhToanTrucTuyen=2,
                TrangThaiHoSo=10,
                DanhGia=1,
                NgayTiepNhan="2026-03-09 09:00",
                NgayHenTra="2026-03-12 17:00",
                NgayKetThucXuLy="2026-03-16 09:00",
            ),
        ],
    )
    r = kpis(store, "SO-01")
    # DVC-01: received = 1, 2, 3, 4, 7 (not 5: status 1, not 6: status 3).
    assert r["DVC-01"].value == 5
    # DVC-02: online among received: 1, 3 → 2/5.
    assert (r["DVC-02"].numerator, r["DVC-02"].denominator) == (2, 5)
    # DVC-10: received with a fee: 1, 2, 7; paid online (1 or 2): 1, 7 → 2/3.
    assert (r["DVC-10"].numerator, r["DVC-10"].denominator) == (2, 3)
    # The 766 population ("the period's dossiers", DVC-06/11/12/13): ended in any end state in the
    # period 1, 3, 4 (withdrawn), 7 + open at its end 2 = 5.
    # DVC-12: digitised (and, once finished, with an electronic result): 1 (ended, e-result), 2 (open) → 2/5.
    assert (r["DVC-12"].numerator, r["DVC-12"].denominator) == (2, 5)
    # DVC-07: finished (9, 10) in the period: 1 early, 3 on its due day, 7 late → (1 + 1) / 3; withdrawn: 4.
    dvc07 = r["DVC-07"]
    assert dvc07.value == pytest.approx(2 / 3)
    assert [dvc07.parts[k].numerator for k in ("early", "on_time", "late")] == [1, 1, 1]
    assert dvc07.parts["returned"].value == 1
    # DVC-09: 4 days (1), 6¼ days (3: 4/3 09:00 → 10/3 15:00), 7 days (7) → 17.25 / 3 = 5.75 days.
    assert r["DVC-09"].value == pytest.approx(5.75)
    # DVC-11: with an electronic result: 1, over the period's 5 dossiers → 1/5.
    assert (r["DVC-11"].numerator, r["DVC-11"].denominator) == (1, 5)
    # DVC-06 (766): ended 1, 3, 4, 7 of which 1, 3 and the withdrawn 4 (no due date) on time; open at the
    # end of today: 2 (due 25/3 ≥ 20/3: on time) → (3 + 1) / (4 + 1).
    dvc06 = r["DVC-06"]
    assert (dvc06.numerator, dvc06.denominator) == (4, 5)
    assert dvc06.parts["open_on_time"].value == 1 and dvc06.parts["open_late"].value == 0
    assert dvc06.status == "red"  # 80 % < amber 85 %
    # DVC-13: (DVC-06 numerator 4 − dissatisfied 7) ÷ 5 = 3/5; late share 1/5, dissatisfied 1/5;
    # points min(6; 6 × 0,6 ÷ 0,9) = 4.
    dvc13 = r["DVC-13"]
    assert (dvc13.numerator, dvc13.denominator) == (3, 5)
    assert (dvc13.parts["late"].value, dvc13.parts["dissatisfied"].value) == (
        pytest.approx(0.2),
        pytest.approx(0.2),
    )
    assert dvc13.parts["points"].value == pytest.approx(4.0)


def _dvc06_history(store):
    """The dossiers of the DVC-06 edge cases (February 2026, and what happened since)."""
    feed(
        store,
        "dossiers",
        [
            # p1: received in January, finished in February before its due day.
            dossier(
                "p1",
                TrangThaiHoSo=10,
                NgayTiepNhan="2026-01-20 09:00",
                NgayHenTra="2026-02-10 17:00",
                NgayKetThucXuLy="2026-02-05 09:00",
            ),
            # p2: finished exactly on its due day.
            dossier(
                "p2",
                TrangThaiHoSo=10,
                NgayTiepNhan="2026-02-02 09:00",
                NgayHenTra="2026-02-09 17:00",
                NgayKetThucXuLy="2026-02-09 16:00",
            ),
            # p3: finished before its due day, but after two supplement requests: late by the 766 rule.
            dossier(
                "p3",
                TrangThaiHoSo=10,
                SoLanBoSung=2,
                NgayTiepNhan="2026-02-02 09:00",
                NgayHenTra="2026-02-27 17:00",
                NgayKetThucXuLy="2026-02-26 09:00",
            ),
            # p4: finished after its due day.
            dossier(
                "p4",
                TrangThaiHoSo=10,
                NgayTiepNhan="2026-02-03 09:00",
                NgayHenTra="2026-02-06 17:00",
                NgayKetThucXuLy="2026-02-12 09:00",
            ),
            # p5: open ever since, due 10/3.
            dossier("p5", TrangThaiHoSo=4, NgayTiepNhan="2026-02-10 09:00", NgayHenTra="2026-03-10 17:00"),
            # p6: due 27/2, finished 5/3: open at the end of February, and late then.
            dossier(
                "p6",
                TrangThaiHoSo=10,
                NgayTiepNhan="2026-02-10 09:00",
                NgayHenTra="2026-02-27 17:00",
                NgayKetThucXuLy="2026-03-05 09:00",
            ),
            # p7: due 28/2 — the last day of February — finished 2/3: open at the end of February, on time then.
            dossier(
                "p7",
                TrangThaiHoSo=10,
                NgayTiepNhan="2026-02-11 09:00",
                NgayHenTra="2026-02-28 17:00",
                NgayKetThucXuLy="2026-03-02 09:00",
            ),
            # p8: paused after two supplement requests, due 20/3: open, and late because of the supplements.
            dossier(
                "p8",
                TrangThaiHoSo=5,
                SoLanBoSung=2,
                NgayTiepNhan="2026-02-12 09:00",
                NgayHenTra="2026-03-20 17:00",
            ),
            # p9: withdrawn on 20/2; p10: withdrawn on 3/3 (open at the end of February, due 15/3).
            dossier(
                "p9",
                TrangThaiHoSo=7,
                NgayTiepNhan="2026-02-12 09:00",
                NgayHenTra="2026-03-01 17:00",
                NgayKetThucXuLy="2026-02-20 09:00",
            ),
            dossier(
                "p10",
                TrangThaiHoSo=7,
                NgayTiepNhan="2026-02-13 09:00",
                NgayHenTra="2026-03-15 17:00",
                NgayKetThucXuLy="2026-03-03 09:00",
            ),
            # p11: no due date, finished: on time.
            dossier(
                "p11",
                TrangThaiHoSo=9,
                NgayTiepNhan="2026-02-14 09:00",
                NgayHenTra=None,
                NgayKetThucXuLy="2026-02-16 09:00",
            ),
            # p12: received in March, open, due 25/3.
            dossier("p12", TrangThaiHoSo=4, NgayTiepNhan="2026-03-01 09:00", NgayHenTra="2026-03-25 17:00"),
            # p13: received in January, due 20/1, still open.
            dossier("p13", TrangThaiHoSo=4, NgayTiepNhan="2026-01-05 09:00", NgayHenTra="2026-01-20 17:00"),
            # p14: refused at intake.
            dossier("p14", TrangThaiHoSo=3, NgayTiepNhan="2026-02-20 09:00"),
            # p15: received 16/3, due today 16:00 — within the next 24 hours.
            dossier("p15", TrangThaiHoSo=2, NgayTiepNhan="2026-03-16 09:00", NgayHenTra="2026-03-20 16:00"),
        ],
    )


def test_dvc06_edge_cases_for_a_past_month(store):
    _dvc06_history(store)
    dvc06 = kpis(store, "SO-01", Period.month(2026, 2), ["DVC-06", "DVC-07"])
    r = dvc06["DVC-06"]
    # Ended (7, 8, 9, 10) in February: p1, p2, p3, p4, p9 (withdrawn 20/2), p11 = 6; on time by the 766
    # rule: p1, p2, p9 (due 1/3), p11 = 4 (p2 on its due day, p11 without a due date; p3 had two
    # supplement requests, p4 was late).
    assert (r.parts["finished"].value, r.parts["finished_on_time"].value) == (6, 4)
    # Open at the end of 28/2: p5, p6, p7, p8, p10, p13 = 6 — p9 was withdrawn before, p12 came later,
    # p14 was refused. On time then: p5 (due 10/3), p7 (due 28/2 = the last day), p10 (due 15/3) = 3;
    # late: p6 (due 27/2), p8 (two supplements), p13 (due 20/1).
    assert (r.parts["open_on_time"].value, r.parts["open_late"].value) == (3, 3)
    assert (r.numerator, r.denominator) == (7, 12)
    # DVC-07 ignores supplements: early p1, p3; on time p2, p11 (no due date); late p4 → 4/5.
    assert dvc06["DVC-07"].value == pytest.approx(4 / 5)
    # The previous period of February is January, nothing finished then; open at the end of 31/1:
    # p1 (due 10/2: on time) and p13 (due 20/1: late) → 1/2.
    assert (r.previous.numerator, r.previous.denominator) == (1, 2)


def test_dvc06_month_to_date_and_its_comparison(store):
    _dvc06_history(store)
    r = kpis(store, "SO-01", ids=["DVC-06"])["DVC-06"]
    # 1–20/3: ended p6 (5/3, due 27/2: late), p7 (2/3, due 28/2: late) and p10 (withdrawn 3/3, due
    # 15/3: on time) → 1 of 3 on time. Open at the end of today: p5 (due 10/3: late), p8 (supplements:
    # late), p12 (due 25/3: on time), p13 (late), p15 (due today: on time) → 2 of 5 on time.
    assert (r.numerator, r.denominator) == (3, 8)
    # Previous period 1–20/2, open at the end of 20/2: p3 (two supplements: late), p5, p6 (due 27/2),
    # p7 (due 28/2), p8 (late), p10 (due 15/3), p13 (late) = 7, on time 4; ended p1, p2, p4, p9
    # (withdrawn on 20/2, due 1/3: on time), p11 = 5, on time p1, p2, p9, p11 = 4 → 8/12.
    assert (r.previous.numerator, r.previous.denominator) == (8, 12)
    assert r.previous.delta == pytest.approx(3 / 8 - 8 / 12)
    assert r.previous.trend == "worse"
    # Same period last year: no dossiers at all → no value, never 0 %.
    assert r.last_year.value is None and r.last_year.reason.code == "empty_denominator"
    # The sparkline: one value per day of the period; 20/3 alone is the open dossiers at its end (2/5).
    days = dict(r.series)
    assert list(days)[0] == date(2026, 3, 1) and list(days)[-1] == date(2026, 3, 20)
    assert days[date(2026, 3, 20)] == pytest.approx(2 / 5)
    # 2/3 alone: p7 finished late that day; open at its end: p5, p6 (due 27/2: late), p8 (late),
    # p10 (due 15/3), p12 (due 25/3), p13 (late) → on time p5, p10, p12 = 3 of 1 + 6.
    assert days[date(2026, 3, 2)] == pytest.approx(3 / 7)
    # 3/3 alone: p10 withdrawn that day before its due day (on time); open at its end: p5, p12 on
    # time, p6, p8, p13 late → (1 + 2) / (1 + 5).
    assert days[date(2026, 3, 3)] == pytest.approx(3 / 6)


def test_dvc08_open_overdue_paused_due_soon_and_their_history(store):
    _dvc06_history(store)
    r = kpis(store, "SO-01", ids=["DVC-08"])["DVC-08"]
    # In progress (2, 4): p5, p12, p13, p15; overdue (due day before today): p5 (10/3), p13 (20/1).
    # Paused (5, 6): p8. Due within 24 h of 20/3 10:00: p15 (20/3 16:00).
    assert r.value == 2
    assert [r.parts[k].value for k in ("in_progress", "paused", "due_soon")] == [4, 1, 1]
    # The previous period ends on 20/2; without a snapshot, from the facts' timestamps: open at the
    # end of 20/2 were p3, p5, p6, p7, p10, p13 (in progress) and p8 (paused now); due before 20/2:
    # p13 (20/1) → 1.
    assert r.previous.value == 1 and r.previous.reason is None
    # The daily job stores the figures at the end of each day; here it runs "on 20/2" over this store:
    # in progress p5, p12, p13, p15, of which due before 20/2: p13 (20/1) → 1 overdue that day.
    with make_sessionmaker(store).begin() as session:
        take_snapshot(session, date(2026, 2, 20), at("2026-02-20 23:55"))
    r = kpis(store, "SO-01", ids=["DVC-08"])["DVC-08"]
    assert r.previous.value == 1  # the previous period ends on 20/2: its snapshot is the value
    assert r.previous.trend == "worse"  # 2 now against 1: more overdue is worse
    assert dict(r.series)[date(2026, 3, 20)] == 2


def test_dvc03_dvc04_dvc05_read_the_procedure_catalogue(store):
    procedures(
        store,
        [
            ("SO-01", "P-A", "full", True, True),
            ("SO-01", "P-B", "partial", False, True),
            ("SO-01", "P-C", "none", True, True),
            ("SO-01", "P-D", "full", False, False),  # no longer in force: left out
            ("SO-01", "P-E", "partial", False, True),  # online, but nobody used it
        ],
    )
    feed(
        store,
        "dossiers",
        [
            dossier("d1", MaTTHC="P-A", KenhThucHien=2, CoPhi=1, DuocThanhToanTrucTuyen=1),
            dossier("d2", MaTTHC="P-A", KenhThucHien=1),
            dossier("d3", MaTTHC="P-B", KenhThucHien=2),
            dossier("d4", MaTTHC="P-C", KenhThucHien=1, CoPhi=1),
            dossier(
                "d5", MaTTHC="P-A", KenhThucHien=2, NgayTiepNhan="2026-02-02 09:00"
            ),  # previous period only
        ],
    )
    r = kpis(store, "SO-01", ids=["DVC-03", "DVC-04", "DVC-05", "DVC-14"])
    # DVC-03: dossiers of the fully-online P-A in March: d1, d2; submitted online: d1 → 1/2.
    assert (r["DVC-03"].numerator, r["DVC-03"].denominator) == (1, 2)
    # DVC-04: procedures in force P-A, P-B, P-C, P-E; offered online P-A, P-B, P-E → 3/4.
    assert (r["DVC-04"].numerator, r["DVC-04"].denominator) == (3, 4)
    # DVC-05: online services P-A, P-B, P-E; with an online dossier in March: P-A (d1), P-B (d3) → 2/3.
    assert (r["DVC-05"].numerator, r["DVC-05"].denominator) == (2, 3)
    # In February only P-A was used online (d5) → 1/3.
    assert (r["DVC-05"].previous.numerator, r["DVC-05"].previous.denominator) == (1, 3)
    # The catalogue changes: P-C becomes fully online; its writer refreshes the dependent rollups.
    with make_sessionmaker(store).begin() as session:
        unit_id = session.scalar(select(Procedure.unit_id).where(Procedure.code == "P-C"))
        session.execute(update(Procedure).where(Procedure.code == "P-C").values(service_level="full"))
        rollups.refresh_units(session, {unit_id})
        assert rollups.stored(session) == rollups.recompute_all(session)
    r = kpis(store, "SO-01", ids=["DVC-03"])
    # Now P-A and P-C are fully online: d1, d2, d4; online d1 → 1/3.
    assert (r["DVC-03"].numerator, r["DVC-03"].denominator) == (1, 3)


def test_without_a_procedure_catalogue_dvc03_to_05_have_no_data(store):
    feed(store, "dossiers", [dossier("1", KenhThucHien=2)])
    r = kpis(store, "SO-01", ids=["DVC-03", "DVC-04", "DVC-05"])
    for kpi_id in ("DVC-03", "DVC-04", "DVC-05"):
        assert r[kpi_id].value is None and r[kpi_id].reason.code == "no_catalogue", kpi_id


def test_optional_fields_a_source_does_not_send_are_no_data_not_zero(store):
    # The one-stop system sends neither fees, payment, results, digitisation nor ratings.
    feed(
        store,
        "dossiers",
        [
            dossier("1", TrangThaiHoSo=10, NgayKetThucXuLy="2026-03-05 09:00"),
            dossier("2", TrangThaiHoSo=4),
        ],
    )
    r = kpis(store, "SO-01")
    for kpi_id, field in (
        ("DVC-10", "CoPhi"),
        ("DVC-11", "CoKetQuaDienTu"),
        ("DVC-12", "DaSoHoa"),
        ("DVC-13", "DanhGia"),
    ):
        assert r[kpi_id].value is None, kpi_id
        assert r[kpi_id].reason.code == "field_not_provided" and r[kpi_id].reason.field == field, kpi_id
    # What the data does give is computed: 1 finished on time, 2 open within its due day? (due 9/3 < 20/3: late)
    assert (r["DVC-06"].numerator, r["DVC-06"].denominator) == (1, 2)


def test_dvc14_estimate_and_published_score(store, tmp_path):
    feed(
        store,
        "dossiers",
        [
            # Two received online, both finished on time, with digitised components and electronic results.
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
                NgayKetThucXuLy="2026-03-05 09:00",
            ),
            dossier(
                "2",
                KenhThucHien=2,
                TrangThaiHoSo=10,
                DaSoHoa=1,
                CoKetQuaDienTu=1,
                DongBoQuocGia=1,
                NgayKetThucXuLy="2026-03-06 09:00",
            ),
        ],
    )
    r = kpis(store, "SO-01", Period.month(2026, 3), ["DVC-14"])["DVC-14"]
    # Known points: transparency — synchronised 2/2 → 6; progress 2/2 on time → 20; online services —
    # online intake 2/2 → min(4; 4 × 1 ÷ 0,5) = 4 (without a catalogue, provision and use are unknown);
    # payment 6 × 1/1 = 6; satisfaction min(6; 6 × 1 ÷ 0,9) = 6; digitisation e-results 6 + digitised
    # 4 = 10 → 52 points on the 100-point scale, never rescaled. Not yet known: 12 + 8 + 4 (payment is
    # capped at 10) + 12 + 12 = 48.
    assert r.estimate and not r.published
    assert r.value == 52.0
    assert r.parts["progress"].value == 20 and r.parts["unknown"].value == 48
    # An official score for March 2026 is shown as published instead.
    path = tmp_path / "diem.csv"
    path.write_text("ma_don_vi;ky;tong_diem;tien_do\nSO-01;03/2026;82,15;18,5\n", encoding="utf-8")
    from dashboard.service_index import import_scores_file

    with make_sessionmaker(store).begin() as session:
        report = import_scores_file(session, path)
    assert (report.inserted, report.updated) == (1, 0)
    r = kpis(store, "SO-01", Period.month(2026, 3), ["DVC-14"])["DVC-14"]
    assert r.published and not r.estimate
    assert r.value == 82.15 and r.parts["progress"].value == 18.5
    assert r.status == "green"  # ≥ 80
    # Month to date is not the published period: it stays an estimate.
    assert kpis(store, "SO-01", ids=["DVC-14"])["DVC-14"].estimate


def test_dossiers_of_a_unit_with_its_sub_units_and_alone(store):
    feed(
        store,
        "dossiers",
        [
            dossier("1", MaDonVi="SO-01", KenhThucHien=2),
            dossier("2", MaDonVi="SO-79", KenhThucHien=1),
            dossier("3", MaDonVi="BMP-VP", KenhThucHien=2),
        ],
    )
    # BMP-SO (the provincial departments' group) has no dossiers of its own.
    group = kpis(store, "BMP-SO", ids=["DVC-01", "DVC-02"])
    assert group["DVC-01"].value == 2 and group["DVC-02"].value == 0.5
    alone = kpis(store, "BMP-SO", ids=["DVC-01", "DVC-02"], include_children=False)
    assert alone["DVC-01"].value == 0 and alone["DVC-02"].value is None  # nothing received: no ratio
    agency = kpis(store, None, ids=["DVC-01", "DVC-02"])
    assert agency["DVC-01"].value == 3 and agency["DVC-02"].value == pytest.approx(2 / 3)
