"""The sources file's schema as the web process reads it (dashboard/sourcecfg.py): the same
sources as the collectors see, without importing a single adapter."""

import subprocess
import sys
from pathlib import Path

import pytest

from collectors.sources import load_sources as collectors_load
from dashboard.sourcecfg import SourcesError, load_sources, parse_sources

ROOT = Path(__file__).resolve().parents[3]


def test_the_web_process_reads_the_same_sources_as_the_collectors():
    assert load_sources(ROOT / "sources.example.toml") == collectors_load(ROOT / "sources.example.toml")


def test_reading_the_schema_imports_no_collector():
    code = (
        "import sys; from dashboard.sourcecfg import load_sources; "
        f"load_sources({str(ROOT / 'sources.example.toml')!r}); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'collectors'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "[]"


def test_schema_problems_are_found_without_the_adapters_and_adapter_options_with_them():
    entry = {"name": "x", "domain": "documents", "adapter": "sql", "interval": "5 minutes", "options": {}}
    with pytest.raises(SourcesError, match="interval: expected a duration"):
        parse_sources({"source": [entry]})
    entry["interval"] = "5m"
    assert [s.interval_s for s in parse_sources({"source": [entry]})] == [300]  # options unchecked
    from collectors.sources import parse_sources as collectors_parse

    with pytest.raises(SourcesError, match="source 'x'"):
        collectors_parse({"source": [entry]})  # the sql adapter needs options.url
