"""The definitions leaders quote, as domain.md §2 states them (issue 14), on SQLite and PostgreSQL.

- DVC-06 counts every end state (7 withdrawn, 8 stopped, 9, 10) among the dossiers finished in the
  period; DVC-11, DVC-12 and DVC-13 divide by that same population ("the period's dossiers").
- VB-02 counts documents by registration date; VB-08 counts returns and recalls on the day of that
  status (the row's last update here: no status packets).

Every expected value is worked out by hand from the rows. Now is 20/3/2026 10:00.
"""

import pytest

from dashboard.kpi.periods import Period
from tests.integration.kpis.conftest import doc, dossier, feed, kpis

MARCH = Period.month(2026, 3)  # 1–31/3, observed to today (20/3)


def _march_dossiers(store):
    feed(
        store,
        "dossiers",
        [
            # a: finished 5/3 before its due day 9/3, e-result, digitised, satisfied.
            dossier(
                "a",
                TrangThaiHoSo=10,
                NgayTiepNhan="2026-03-02 09:00",
                NgayHenTra="2026-03-09 17:00",
                NgayKetThucXuLy="2026-03-05 09:00",
                CoKetQuaDienTu=1,
                DaSoHoa=1,
                DanhGia=3,
            ),
            # b: finished 12/3 after its due day 10/3 (late), rated dissatisfied, no e-result.
            dossier(
                "b",
                TrangThaiHoSo=9,
                NgayTiepNhan="2026-03-03 09:00",
                NgayHenTra="2026-03-10 17:00",
                NgayKetThucXuLy="2026-03-12 09:00",
                DanhGia=1,
            ),
            # c: withdrawn by the applicant (7) on 6/3, before its due day 16/3: ended, on time; digitised.
            dossier(
                "c",
                TrangThaiHoSo=7,
                NgayTiepNhan="2026-03-04 09:00",
                NgayHenTra="2026-03-16 17:00",
                NgayKetThucXuLy="2026-03-06 09:00",
                DaSoHoa=1,
            ),
            # d: processing stopped (8) on 13/3, after its due day 11/3: ended, late. No end time given:
            # the row's last update (13/3) is the day of the status.
            dossier(
                "d",
                TrangThaiHoSo=8,
                NgayTiepNhan="2026-03-04 10:00",
                NgayHenTra="2026-03-11 17:00",
                NgayKetThucXuLy=None,
                NgayCapNhat="2026-03-13 15:00",
            ),
            # e: open, due 25/3: on time at the end of the period; digitised.
            dossier(
                "e",
                TrangThaiHoSo=4,
                NgayTiepNhan="2026-03-10 09:00",
                NgayHenTra="2026-03-25 17:00",
                DaSoHoa=1,
            ),
            # f: open, due 18/3: late at the end of the period (today, 20/3).
            dossier("f", TrangThaiHoSo=2, NgayTiepNhan="2026-03-11 09:00", NgayHenTra="2026-03-18 17:00"),
            # g: withdrawn in February: not in March's population.
            dossier(
                "g",
                TrangThaiHoSo=7,
                NgayTiepNhan="2026-02-02 09:00",
                NgayHenTra="2026-02-20 17:00",
                NgayKetThucXuLy="2026-02-10 09:00",
            ),
            # h: refused at intake (3): never received, never in the population.
            dossier("h", TrangThaiHoSo=3, NgayTiepNhan="2026-03-05 09:00"),
        ],
    )


def test_dvc06_counts_withdrawn_and_stopped_dossiers(store):
    _march_dossiers(store)
    r = kpis(store, "SO-01", MARCH, ["DVC-06", "DVC-07"])["DVC-06"]
    # Ended in March (any end state): a, b, c (7), d (8) = 4; on time: a, c = 2.
    assert (r.parts["finished"].value, r.parts["finished_on_time"].value) == (4, 2)
    # Open at the end (20/3): e (on time), f (late).
    assert (r.parts["open_on_time"].value, r.parts["open_late"].value) == (1, 1)
    # (2 + 1) / (4 + 2) = 50 %.
    assert (r.numerator, r.denominator, r.value) == (3, 6, 0.5)


def test_dvc07_still_counts_only_9_and_10(store):
    _march_dossiers(store)
    r = kpis(store, "SO-01", MARCH, ["DVC-07"])["DVC-07"]
    # Form 06a: finished (9, 10) a (early), b (late) → 1/2; withdrawn c counted apart as returned.
    assert (r.numerator, r.denominator) == (1, 2)
    assert r.parts["returned"].value == 1


def test_dvc11_dvc12_dvc13_divide_by_the_dvc06_population(store):
    _march_dossiers(store)
    r = kpis(store, "SO-01", MARCH, ["DVC-06", "DVC-11", "DVC-12", "DVC-13"])
    # The period's dossiers: a, b, c, d (ended) + e, f (open) = 6.
    # DVC-11: an electronic result: a → 1/6 (not 1/2 over finished dossiers).
    assert (r["DVC-11"].numerator, r["DVC-11"].denominator) == (1, 6)
    # DVC-12: digitised a (with its e-result), c (withdrawn), e (open) → 3/6 (not over received dossiers).
    assert (r["DVC-12"].numerator, r["DVC-12"].denominator) == (3, 6)
    # DVC-13: (DVC-06 numerator 3 − dissatisfied b 1) ÷ 6 = 2/6; late share 3/6, dissatisfied 1/6;
    # points min(6; 6 × (1/3) ÷ 0,9) = 2,22.
    dvc13 = r["DVC-13"]
    assert (dvc13.numerator, dvc13.denominator) == (2, 6)
    assert dvc13.parts["late"].value == pytest.approx(3 / 6)
    assert dvc13.parts["dissatisfied"].value == pytest.approx(1 / 6)
    assert dvc13.parts["points"].value == pytest.approx(6 * (2 / 6) / 0.9)


def test_a_stopped_dossier_leaves_the_open_population_on_its_status_day(store):
    _march_dossiers(store)
    # 1–12/3: d (stopped 13/3) is still open at the end of 12/3 and late (due 11/3); f is open, due
    # 18/3 (on time then); e open, on time; b finished 12/3 late; a, c ended on time.
    r = kpis(store, "SO-01", Period.custom(MARCH.start, MARCH.start.replace(day=12)), ["DVC-06"])["DVC-06"]
    # ended a, b, c = 3 (on time a, c = 2); open d (late), e, f (on time) = 3 → (2 + 2) / 6.
    assert (r.numerator, r.denominator) == (4, 6)


def test_vb02_by_registration_date_and_vb08_on_the_status_day(store):
    feed(
        store,
        "documents",
        [
            # Registered in March, electronic: counted in March's VB-02.
            doc("1", direction="in", registered_at="2026-03-02 09:00"),
            # Registered in March on paper.
            doc(
                "2",
                direction="out",
                channel="paper",
                is_electronic=0,
                is_signed=0,
                registered_at="2026-03-03 09:00",
            ),
            # Registered in February: February's VB-02, whatever its last update.
            doc("3", direction="in", registered_at="2026-02-26 09:00", updated_at="2026-03-04 09:00"),
            # Registered in February, returned (02) on 5/3: VB-08 counts it in March, not in February.
            doc(
                "4",
                direction="in",
                registered_at="2026-02-27 09:00",
                status_code="02",
                updated_at="2026-03-05 10:00",
            ),
            # Registered in March, recalled (13) on 2/4 (a later update): not in March's VB-08.
            doc(
                "5",
                direction="out",
                registered_at="2026-03-06 09:00",
                status_code="13",
                updated_at="2026-04-02 09:00",
            ),
            # Recalled on 10/3, registered the same month.
            doc(
                "6",
                direction="out",
                registered_at="2026-03-09 09:00",
                status_code="13",
                updated_at="2026-03-10 09:00",
            ),
        ],
    )
    march = kpis(store, "SO-01", MARCH, ["VB-02", "VB-08"])
    # VB-02 in March: in + out registered in March = 1, 2, 5, 6; electronic 1, 5, 6 → 3/4.
    assert (march["VB-02"].numerator, march["VB-02"].denominator) == (3, 4)
    # VB-08 in March: returned 4 (5/3), recalled 6 (10/3) → 2.
    assert (
        march["VB-08"].value,
        march["VB-08"].parts["returned"].value,
        march["VB-08"].parts["recalled"].value,
    ) == (2, 1, 1)
    feb = kpis(store, "SO-01", Period.month(2026, 2), ["VB-02", "VB-08"])
    # February: VB-02 over 3 and 4 (both electronic) → 2/2; no return or recall happened in February.
    assert (feb["VB-02"].numerator, feb["VB-02"].denominator) == (2, 2)
    assert feb["VB-08"].value == 0
