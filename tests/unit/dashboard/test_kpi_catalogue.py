"""The KPI catalogue: complete, declarative, bilingual, and formulas that never turn a missing
value into 0 — tested on plain inputs, without a database."""

import pytest

from dashboard.kpi.catalogue import CATALOGUE, KPI_IDS, Inputs, validate_catalogue
from dashboard.kpi.display import format_delta, format_value

EXPECTED_IDS = (
    [f"VB-{i:02d}" for i in range(1, 10)]
    + [f"DVC-{i:02d}" for i in range(1, 15)]
    + [f"HOP-{i:02d}" for i in range(1, 8)]
    + [f"PAKN-{i:02d}" for i in range(1, 6)]
    + [f"NV-{i:02d}" for i in range(1, 8)]
)


def test_every_kpi_of_domain_md_is_defined_once():
    assert list(KPI_IDS) == EXPECTED_IDS
    assert validate_catalogue() == []


@pytest.mark.parametrize("kpi_id", EXPECTED_IDS)
def test_each_definition_is_complete_and_bilingual(kpi_id):
    d = CATALOGUE[kpi_id]
    assert d.name_vi and d.name_en and d.name_vi != d.name_en
    assert d.definition("vi").startswith(("[Chính thức]", "[Thực tiễn triển khai]", "[Định nghĩa của IOC]"))
    assert d.definition("en").startswith(("[Official]", "[Common practice]", "[IOC definition]"))
    assert (
        d.domain
        == {"VB": "documents", "DVC": "dossiers", "HOP": "meetings", "PAKN": "petitions", "NV": "tasks"}[
            kpi_id.split("-")[0]
        ]
    )
    for part in d.parts:
        assert part.name_vi and part.name_en


def test_the_basis_follows_domain_md():
    assert CATALOGUE["DVC-06"].basis == "official" and CATALOGUE["DVC-07"].basis == "practice"
    assert all(CATALOGUE[f"HOP-{i:02d}"].basis == "ours" for i in range(1, 8))
    assert CATALOGUE["VB-02"].thresholds.target == 0.9 and CATALOGUE["DVC-03"].thresholds.target == 0.8
    assert [CATALOGUE[f"PAKN-{i:02d}"].basis for i in range(1, 6)] == [
        "practice",
        "official",
        "official",
        "practice",
        "practice",
    ]
    assert "Decree" not in CATALOGUE["VB-04"].reference and "30/2020" in CATALOGUE["VB-04"].reference


def _inputs(**values):
    x = Inputs(
        {"facts:documents": True, "facts:dossiers": True, "facts:meetings": True, "facts:petitions": True}
    )
    x.update(values)
    return x


def test_formulas_are_plain_functions():
    x = _inputs(dossier_received=3918, dossier_received_online=2095)
    out = CATALOGUE["DVC-02"].formula(x)
    assert (out.value, out.numerator, out.denominator) == (pytest.approx(0.5347, abs=1e-4), 2095, 3918)
    assert format_value(out.value, "percent", "vi") == "53,47 %"


def test_an_unknown_input_is_a_bug_not_a_zero():
    with pytest.raises(KeyError):
        Inputs()["cat:present"]
    assert Inputs()["dossier_received"] == 0.0  # a rollup metric with no row sums to 0


_NONE_OPEN = {"end:dossier_open": 0, "end:dossier_late": 0, "end:dossier_open_digitised": 0}


def test_dvc06_counts_open_dossiers_at_the_period_end():
    # Ended in any end state (7, 8, 9, 10): 5, on time 3; open at the end 6, of which 3 late → 6/11.
    x = _inputs(
        dossier_ended=5, dossier_ended_766_on_time=3, **{"end:dossier_open": 6, "end:dossier_late": 3}
    )
    out = CATALOGUE["DVC-06"].formula(x)
    assert (out.numerator, out.denominator) == (6, 11)
    assert out.parts["open_on_time"].value == 3


def test_dvc11_dvc12_divide_by_the_dvc06_population():
    # 8 ended + 2 open = 10; e-results 3 (ended only); digitised 4 ended + 1 open = 5.
    x = _inputs(
        dossier_ended=8,
        dossier_ended_766_on_time=8,
        dossier_ended_e_result=3,
        dossier_ended_digitised=4,
        **{
            "end:dossier_open": 2,
            "end:dossier_late": 0,
            "end:dossier_open_digitised": 1,
            "has:dossier_ended_e_result": True,
            "has:dossier_received_digitised": True,
        },
    )
    assert (lambda o: (o.numerator, o.denominator))(CATALOGUE["DVC-11"].formula(x)) == (3, 10)
    assert (lambda o: (o.numerator, o.denominator))(CATALOGUE["DVC-12"].formula(x)) == (5, 10)


def test_dvc13_follows_the_766_rule():
    # 10 ended, 1 late, 1 dissatisfied → (9 − 1) ÷ 10 = 80 %, points min(6; 6 × 0,8 ÷ 0,9) = 5,33.
    x = _inputs(
        dossier_ended=10,
        dossier_ended_766_on_time=9,
        dossier_ended_dissatisfied=1,
        **{"has:dossier_finished_rated": True},
        **_NONE_OPEN,
    )
    out = CATALOGUE["DVC-13"].formula(x)
    assert out.value == pytest.approx(0.8) and out.parts["points"].value == pytest.approx(6 * 0.8 / 0.9)
    x.update(dossier_ended_766_on_time=4, dossier_ended_dissatisfied=7)
    assert CATALOGUE["DVC-13"].formula(x).value == 0.0  # never below 0


def test_missing_fields_and_missing_facts_give_reasons():
    out = CATALOGUE["DVC-11"].formula(_inputs(dossier_ended=4, **{"has:dossier_ended_e_result": False}))
    assert (
        out.value is None
        and out.reason.code == "field_not_provided"
        and out.reason.field == "CoKetQuaDienTu"
        and "CoKetQuaDienTu" not in out.reason.vi
    )
    out = CATALOGUE["VB-01"].formula(Inputs({"facts:documents": False}))
    assert out.value is None and out.reason.code == "no_facts"
    assert out.reason.vi == "Chưa có dữ liệu: chưa có nguồn nào cung cấp văn bản"


def test_vb07_reads_the_latency_histogram():
    x = _inputs(
        doc_ack_timed=4,
        doc_ack_lat_00000=1,
        doc_ack_lat_00060=2,
        doc_ack_lat_00240=1,
        **{"has:doc_ack_timed": True},
    )
    # Half of 4 is reached inside [60, 70): 60 + (2 − 1) / 2 × 10 = 65 minutes.
    assert CATALOGUE["VB-07"].formula(x).value == pytest.approx(65 / 60)


def test_display_formats():
    assert format_value(None, "count", "en") == "No data yet"
    assert format_value(12345.6, "count", "vi") == "12.346"
    assert format_value(5.75, "days", "vi") == "5,8 ngày"
    assert format_value(82.15, "points", "en") == "82.15 pts"
    assert format_delta(-0.0412, "percent", "vi") == "−4,12 điểm %"
    assert format_delta(3, "count", "en") == "+3"
    assert format_delta(None, "count") == "–"
