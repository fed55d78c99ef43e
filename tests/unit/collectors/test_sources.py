import tomllib
from pathlib import Path

import pytest

from collectors.sources import SourcesError, load_sources, parse_duration, parse_sources

ROOT = Path(__file__).resolve().parents[3]


def test_the_documented_example_is_valid():
    sources = load_sources(ROOT / "sources.example.toml")
    assert [s.name for s in sources] == [
        "qlvb",
        "motcua",
        "hop-xuat-file",
        "theo-doi-nhiem-vu",
        "motcua-rest",
        "opencps",
        "bbb",
        "trueconf",
        "jitsi",
        "truc-trang-thai",
        "pakn-tinh",
        "pakn-cong-dvc",
    ]
    # Every adapter has its working example (each docs/sources block runs against its fake in the
    # adapter's integration tests).
    from collectors.sources import adapter_classes

    assert {s.adapter for s in sources} == set(adapter_classes())
    # The tasks example is the shipped template's mapping (collectors/task_template.py).
    from collectors.task_template import SAMPLE_UNITS, TASK_COLUMNS

    tasks = next(s for s in sources if s.domain == "tasks")
    assert (tasks.options["columns"], tasks.units) == (TASK_COLUMNS, SAMPLE_UNITS)
    qlvb = sources[0]
    assert (qlvb.domain, qlvb.adapter, qlvb.interval_s, qlvb.freshness_target_s) == (
        "documents",
        "sql",
        300,
        1200,
    )
    assert qlvb.units == {"VP": "BMP-VP"} and qlvb.secrets == {"password": "IOC_QLVB_PASSWORD"}
    assert sources[1].freshness_target_s == 1800  # 3 × interval by default


@pytest.mark.parametrize(
    ("value", "seconds"), [(30, 30), ("30s", 30), ("5m", 300), ("1h", 3600), ("1.5h", 5400), ("1d", 86400)]
)
def test_durations(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["0", "-5m", "soon", True, "5 minutes"])
def test_bad_durations(value):
    with pytest.raises(ValueError):
        parse_duration(value)


def problems_of(text: str) -> list[str]:
    with pytest.raises(SourcesError) as info:
        parse_sources(tomllib.loads(text), "sources.toml")
    return info.value.problems


def test_problems_name_the_source_and_the_field():
    problems = problems_of(
        """
[[source]]
name = "qlvb"
domain = "letters"
adapter = "sql"
interval = "often"
timezone = "Hanoi"
colour = "red"
[source.options]
page_size = 0
[source.secrets]
password = "hunter2 is my password"

[[source]]
name = "qlvb"
domain = "documents"
adapter = "ftp"
"""
    )
    assert "source 'qlvb': unknown field 'colour'" in problems
    assert (
        "source 'qlvb': domain: expected one of documents, dossiers, meetings, procedures, meeting_samples, dossier_stats, document_status, petitions, tasks"
        in problems
    )
    assert "source 'qlvb': interval: expected a duration such as 30s, 5m or 1h" in problems
    assert "source 'qlvb': timezone: expected an IANA time zone such as Asia/Ho_Chi_Minh" in problems
    assert any(
        p.startswith("source 'qlvb': secrets.password: expected the NAME of an environment variable")
        for p in problems
    )
    assert "source 'qlvb': options.url: missing (an SQLAlchemy URL of the source database)" in problems
    assert "source 'qlvb': options.page_size: expected a whole number between 1 and 100000" in problems
    assert "source 'qlvb': name: duplicate source name" in problems
    assert any(p.startswith("source 'qlvb': adapter: expected one of") for p in problems)


def test_missing_name_is_reported_by_position():
    assert "source #1: name: expected lowercase letters, digits, '-' or '_' (e.g. qlvb)" in problems_of(
        '[[source]]\ndomain = "documents"\nadapter = "sql"\n[source.options]\nurl = "sqlite://"\n'
    )


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(SourcesError, match="file not found"):
        load_sources(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[source]\n", encoding="utf-8")
    with pytest.raises(SourcesError, match="not valid TOML"):
        load_sources(bad)


def test_the_example_holds_each_adapter_page_verbatim():
    example = (ROOT / "sources.example.toml").read_text(encoding="utf-8")
    pages = sorted((ROOT / "docs" / "sources").glob("*.toml"))
    assert [p.stem for p in pages] == ["bbb", "edxml", "jitsi", "opencps", "petitions", "rest", "trueconf"]
    for page in pages:
        assert page.read_text(encoding="utf-8").strip() in example, (
            f"{page.name} drifted from sources.example.toml"
        )
