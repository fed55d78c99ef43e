"""targets.toml: overrides per deployment and per unit, validated with messages naming the KPI
and the field; rating bands; calendar adjustments; start-up validation through the settings."""

from datetime import date
from pathlib import Path

import pytest

from dashboard.config import load_settings
from dashboard.errors import SettingsError
from dashboard.targets import TargetsError, load_targets, parse_targets, read_targets_file

EXAMPLE = Path(__file__).resolve().parents[3] / "targets.example.toml"


def test_the_example_file_is_valid_and_documents_every_section():
    targets = read_targets_file(EXAMPLE)
    assert targets.thresholds("DVC-06").green == 0.98
    assert targets.thresholds("DVC-06", "SO-01").green == 0.95
    assert [b.name_vi for b in targets.bands][0] == "Xuất sắc"
    assert not targets.calendar.is_working_day(date(2026, 1, 2))


def test_unit_overrides_field_by_field():
    t = parse_targets(
        {
            "kpi": {"DVC-02": {"target": 0.6, "green": 0.6, "amber": 0.4}},
            "unit": {"SO-01": {"kpi": {"DVC-02": {"green": 0.7}}}},
        }
    )
    assert (t.thresholds("DVC-02").target, t.thresholds("DVC-02").green, t.thresholds("DVC-02").amber) == (
        0.6,
        0.6,
        0.4,
    )
    assert (t.thresholds("DVC-02", "SO-01").green, t.thresholds("DVC-02", "SO-01").amber) == (0.7, 0.4)
    assert t.thresholds("DVC-02", "SO-79").green == 0.6
    assert t.thresholds("VB-02").green == 0.9  # the catalogue default


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"kpi": {"DVC-06": {"green": 98}}},
            'kpi."DVC-06".green = 98 is invalid: DVC-06 is a percentage, give a fraction between 0 and 1 (0.98 for 98 %)',
        ),
        ({"kpi": {"DVC-99": {"green": 0.5}}}, 'kpi."DVC-99": unknown KPI'),
        (
            {"kpi": {"DVC-06": {"gren": 0.5}}},
            'kpi."DVC-06".gren is unknown: expected one of target, green, amber',
        ),
        ({"kpi": {"DVC-06": {"green": "cao"}}}, "kpi.\"DVC-06\".green = 'cao' is invalid: expected a number"),
        (
            {"kpi": {"DVC-06": {"green": 0.8, "amber": 0.9}}},
            'kpi."DVC-06": amber = 0.9 is above green = 0.8, but higher is better for DVC-06',
        ),
        (
            {"kpi": {"VB-07": {"green": 24, "amber": 4}}},
            'kpi."VB-07": amber = 4 is below green = 24, but lower is better for VB-07',
        ),
        ({"kpi": {"VB-01": {"green": 10}}}, "VB-01 has no direction"),
        (
            {"unit": {"SO-01": {"kpi": {"DVC-14": {"green": 120}}}}},
            'unit."SO-01".kpi."DVC-14".green = 120 is invalid: DVC-14 is scored 0–100',
        ),
        ({"targets": {}}, "unknown table [targets]"),
        (
            {"service_index": {"band": [{"min": 50, "name_vi": "Đạt"}]}},
            "the lowest band must start at min = 0",
        ),
        ({"calendar": {"holidays": ["30/04/2026"]}}, "calendar.holidays: '30/04/2026' is not a date"),
    ],
)
def test_problems_name_the_kpi_and_the_field(data, message):
    with pytest.raises(TargetsError) as info:
        parse_targets(data, source="targets.toml")
    assert message in info.value.problems[0]
    assert str(info.value).startswith(f"targets.toml: {info.value.problems[0]}")


def test_every_problem_is_reported_at_once():
    with pytest.raises(TargetsError) as info:
        parse_targets({"kpi": {"DVC-06": {"green": 98}, "VB-02": {"amber": "x"}, "NOPE": {}}})
    assert len(info.value.problems) == 3 and "(and 2 more problem(s))" in str(info.value)


def test_start_up_refuses_a_wrong_targets_file(tmp_path):
    bad = tmp_path / "targets.toml"
    bad.write_text('[kpi."DVC-06"]\ngreen = 98\n', encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        load_settings(env={"IOC_DATA_DIR": str(tmp_path), "IOC_TARGETS_FILE": str(bad)})
    assert str(info.value) == (
        f'IOC_TARGETS_FILE is invalid: {bad}: kpi."DVC-06".green = 98 is invalid: DVC-06 is a percentage, '
        "give a fraction between 0 and 1 (0.98 for 98 %)"
    )
    with pytest.raises(SettingsError, match="file not found"):
        load_settings(env={"IOC_DATA_DIR": str(tmp_path), "IOC_TARGETS_FILE": str(tmp_path / "none.toml")})
    bad.write_text("[kpi\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(env={"IOC_DATA_DIR": str(tmp_path), "IOC_TARGETS_FILE": str(bad)})


def test_load_targets_rereads_a_changed_file(tmp_path):
    path = tmp_path / "targets.toml"
    path.write_text('[kpi."DVC-02"]\ngreen = 0.6\n', encoding="utf-8")
    assert load_targets(path).thresholds("DVC-02").green == 0.6
    path.write_text('[kpi."DVC-02"]\ngreen = 0.7\namber = 0.3\n', encoding="utf-8")
    import os

    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert load_targets(path).thresholds("DVC-02").green == 0.7
    assert load_targets(None).thresholds("DVC-02").green == 0.5
