"""The 766 service index: scoring rules to 0,01 point, unknown indicators, bands, official CSV."""

from datetime import date

import pytest

from dashboard.kpi.periods import Period
from dashboard.kpi.values import Figure, empty_denominator, field_not_provided
from dashboard.service_index import (
    DEFAULT_BANDS,
    Band,
    ScoreImportError,
    band_for,
    estimate,
    parse_score_period,
    read_scores_file,
)

EMPTY = empty_denominator("hồ sơ", "dossier")


def fig(n: float, d: float) -> Figure:
    return Figure(n / d, n, d)


def _group(est, key):
    return next(g for g in est.groups if g.key == key)


def _indicator(est, group, key):
    return next(i for i in _group(est, group).indicators if i.key == key)


def test_published_rules_score_each_indicator_to_two_decimals():
    est = estimate(
        {
            "DVC-06": fig(3421, 3600),  # 20 × 0,950277… = 19,0055… → 19,01
            "DVC-02": fig(1200, 3600),  # min(4; 4 × 0,3333 ÷ 0,5) = 2,6666… → 2,67
            "DVC-05": fig(4, 36),  # 4 × 0,1111 = 0,4444… → 0,44
            "provision": fig(107, 212),  # min(4; 4 × 0,5047 ÷ 0,8) = 2,5235… → 2,52
            "DVC-10": fig(321, 400),  # 6 × 0,8025 = 4,815 → 4,82 (half up, from the exact fraction)
            "fee_procedures_paid": fig(3, 10),  # min(2; 2,5 × 0,3) = 0,75
            "DVC-13": fig(85, 100),  # min(6; 6 × 0,85 ÷ 0,9) = 5,666… → 5,67
            "DVC-11": fig(2, 3),  # 6 × 2/3 = 4
            "DVC-12": fig(1, 8),  # 4 × 0,125 = 0,5
            "sync": fig(99, 100),  # 6 × 0,99 = 5,94
        }
    )
    assert _indicator(est, "progress", "on_time").points == 19.01
    assert _indicator(est, "online_services", "online_intake").points == 2.67
    assert _indicator(est, "online_services", "in_use").points == 0.44
    assert _indicator(est, "online_services", "provision").points == 2.52
    assert _indicator(est, "online_payment", "paid_online").points == 4.82
    assert _indicator(est, "online_payment", "fee_procedures_paid").points == 0.75
    assert _indicator(est, "satisfaction", "dossier_satisfaction").points == 5.67
    assert _group(est, "digitisation").points == 4.5  # the sum of the rounded indicators
    assert _group(est, "transparency").points == 5.94
    # Known: 5,94 + 19,01 + (2,52 + 0,44 + 2,67) + (4,82 + 0,75) + 5,67 + 4,5 = 46,32 of 62 computable.
    # The other 38 points are not yet known: listed, never 0, never spread over the known ones.
    assert est.points == 46.32 and est.known_max == 62 and est.unknown_points == 38
    assert not est.complete and len(est.unknown) == 11
    assert {i.key for _, i in est.unknown} >= {
        "petitions_on_time",
        "petition_satisfaction",
        "fees_synced",
        "reuse",
        "citizen_store",
        "population_dossiers",
        "certified_copies",
    }
    assert _group(est, "online_services").estimate_split
    lost = est.lost
    # Where points are lost, most first: online services in use (4 − 0,44), then digitised dossiers (4 − 0,5).
    assert [(i.key, points) for _, i, points in lost[:2]] == [("in_use", 3.56), ("digitised", 3.5)]


def test_empty_denominators_score_zero_and_missing_data_is_unknown():
    est = estimate(
        {
            "DVC-06": Figure(None, reason=EMPTY),  # nothing received → 0 of 20 (the official rule)
            "DVC-13": Figure(None, reason=EMPTY),  # no dossiers → 0 of 6
            "DVC-10": Figure(None, reason=empty_denominator("hồ sơ có phí", "fee dossier")),  # → 0 of 6
            "DVC-11": Figure(
                None, reason=field_not_provided("CoKetQuaDienTu", "kết quả", "results")
            ),  # unknown
        }
    )
    assert _indicator(est, "progress", "on_time").points == 0.0
    assert _indicator(est, "satisfaction", "dossier_satisfaction").points == 0.0
    assert _indicator(est, "online_payment", "paid_online").points == 0.0
    e_results = _indicator(est, "digitisation", "e_results")
    assert (
        e_results.points is None and e_results.lost is None and e_results.reason.code == "field_not_provided"
    )
    assert est.points == 0 and est.known_max == 32 and est.unknown_points == 68
    nothing = estimate({})
    assert nothing.known_max == 0 and nothing.unknown_points == 100  # nothing known: no score, not 0


def test_inputs_fill_the_indicators_the_store_cannot_compute():
    from dashboard.index_inputs import IndicatorInput

    figures = {
        "DVC-06": fig(19, 20),
        "DVC-02": fig(1, 2),
        "DVC-05": fig(1, 1),
        "provision": fig(4, 5),
        "DVC-10": fig(1, 1),
        "fee_procedures_paid": fig(4, 5),
        "DVC-13": fig(9, 10),
        "DVC-11": fig(1, 2),
        "DVC-12": fig(1, 2),
        "sync": fig(1, 1),
    }
    inputs = {
        # No petitions in the period: the rule gives both petition indicators their 6 points.
        "petitions_on_time": IndicatorInput(population=0, source="petitions"),
        "petition_satisfaction": IndicatorInput(population=0, source="petitions"),
        # Ratios scored by the published rules: 2,5 × 0,5 = 1,25; min(2; 2 × 0,6 ÷ 0,8) = 1,5.
        "fees_synced": IndicatorInput(ratio=0.5, source="import: x.csv"),
        "reuse": IndicatorInput(ratio=0.6, source="import: x.csv"),
        # Points as published (clamped to the maximum).
        "citizen_store": IndicatorInput(points=3.2, source="import: x.csv"),
        "population_dossiers": IndicatorInput(points=2, source="import: x.csv"),
        "population_procedures": IndicatorInput(points=9, source="import: x.csv"),
        "certified_copies": IndicatorInput(points=2, source="import: x.csv"),
        "published_on_time": IndicatorInput(points=6, source="import: x.csv"),
        "updated_on_time": IndicatorInput(points=4, source="import: x.csv"),
        "full_content": IndicatorInput(points=2, source="import: x.csv"),
    }
    est = estimate(figures, inputs)
    assert est.complete and est.unknown_points == 0
    sat = _group(est, "satisfaction")
    assert [i.points for i in sat.indicators] == [6.0, 6.0, 6.0] and sat.indicators[
        0
    ].reason.code == "no_petitions"
    assert _indicator(est, "online_payment", "fees_synced").points == 1.25
    assert _indicator(est, "digitisation", "reuse").points == 1.5
    assert _indicator(est, "digitisation", "population_procedures").points == 2.0
    assert _indicator(est, "digitisation", "citizen_store").source == "import: x.csv"
    assert _indicator(est, "progress", "on_time").source == "computed"
    # Transparency 18; progress 19; online 4 + 4 + 4 = 12; payment 6 + 2 + 1,25 = 9,25; satisfaction 18;
    # digitisation 3 + 2 + 1,5 + 3,2 + 2 + 2 + 2 = 15,7 → 91,95 on the 100-point scale.
    assert est.points == 91.95


def test_bands_are_configurable():
    assert band_for(90, DEFAULT_BANDS).name_vi == "Xuất sắc"
    assert band_for(89.99, DEFAULT_BANDS).name_en == "Good"
    assert band_for(49.99, DEFAULT_BANDS).name_vi == "Yếu"
    assert band_for(None) is None
    mine = (Band(75, "Đạt", "Pass"), Band(0, "Chưa đạt", "Fail"))
    assert band_for(80, mine).name_vi == "Đạt" and band_for(74, mine).name_en == "Fail"


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("03/2026", Period.month(2026, 3)),
        ("2026-03", Period.month(2026, 3)),
        ("Q1/2026", Period.quarter(2026, 1)),
        ("2026-Q4", Period.quarter(2026, 4)),
        ("quý 2/2026", Period.quarter(2026, 2)),
        ("2026", Period.year(2026)),
    ],
)
def test_score_periods(text, period):
    assert parse_score_period(text) == period


def test_official_csv_with_vietnamese_headers_and_decimal_commas(tmp_path):
    path = tmp_path / "diem.csv"
    path.write_text(
        "\ufeffma_don_vi;ky;tong_diem;cong_khai;tien_do;dvctt;thanh_toan;hai_long;so_hoa;ngay_cong_bo\n"
        "SO-01;03/2026;82,15;16,5;18,2;10;7,5;15,45;14,5;05/04/2026\n"
        "SO-79;Q1/2026;71;;;;;;;\n",
        encoding="utf-8",
    )
    shape, rows = read_scores_file(path, {"SO-01": 1, "SO-79": 2})
    assert shape == "groups"
    assert (
        rows[0]["total"] == 82.15
        and rows[0]["satisfaction"] == 15.45
        and rows[0]["published_on"] == date(2026, 4, 5)
    )
    assert (rows[1]["period_start"], rows[1]["period_end"], rows[1]["progress"]) == (
        date(2026, 1, 1),
        date(2026, 3, 31),
        None,
    )


def test_official_csv_problems_are_reported_with_their_lines(tmp_path):
    path = tmp_path / "diem.csv"
    path.write_text(
        "unit_code,period,total,progress\n"
        "SO-99,03/2026,80,10\n"
        "SO-01,13/2026,80,10\n"
        "SO-01,03/2026,180,10\n"
        "SO-01,04/2026,80,25\n"
        "SO-01,05/2026,tám mươi,10\n",
        encoding="utf-8",
    )
    with pytest.raises(ScoreImportError) as info:
        read_scores_file(path, {"SO-01": 1})
    assert info.value.problems == [
        "unknown unit code(s): SO-99 (line 2); set the units' portal_code (ioc units import) or use our unit codes",
        "line 3: period '13/2026': month 13 does not exist",
        "line 4: total 180 is outside 0–100 points",
        "line 5: progress 25 is outside 0–20 points",
        "line 6: total 'tám mươi' is not a number",
    ]
    assert str(info.value).endswith("(and 4 more problem(s)); nothing was imported")
    headerless = tmp_path / "x.csv"
    headerless.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(ScoreImportError, match="not a 766 score file: no unit code column"):
        read_scores_file(headerless, {})
