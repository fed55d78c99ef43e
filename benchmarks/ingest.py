"""Ingest throughput: rows per second through the whole runner — validate, upsert, rollups,
watermark, run counters — for document rows in the view contract, on SQLite and PostgreSQL.

    python benchmarks/ingest.py                 # 1.000.000 rows, SQLite and PostgreSQL
    python benchmarks/ingest.py --rows 200000 --backends sqlite

The source is an in-memory adapter yielding pages of 5.000 raw rows ordered by update time (as a
real view read by keyset pages), 400 days of documents for the 54 producing demo units, made up
before the clock starts, so the figure is the runner's cost, not a source's. Targets: ≥ 20.000 rows/s on SQLite,
≥ 10.000 rows/s on PostgreSQL (2 cores).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import emit, median, postgres_available, store
from collectors.base import Adapter, Batch, RawRow, SourceConfig
from collectors.runner import Runner
from dashboard.units import DEMO_UNITS_FILE, read_units_file

TARGETS = {"sqlite": 20_000, "postgresql": 10_000}


class SyntheticDocuments(Adapter):
    """``rows`` documents spread over ``days`` days, in pages ordered by (updated_at, doc_id)."""

    kind = "synthetic"

    def __init__(self, config: SourceConfig, rows: int, days: int = 400, page: int = 5000, seed: int = 1):
        super().__init__(config)
        self.rows, self.days, self.page = rows, days, page
        self.units = [u.code for u in read_units_file(DEMO_UNITS_FILE) if u.level in {"department", "province"}]
        self.rng = random.Random(seed)
        self.start = datetime(2025, 10, 1, 7, 30)

    def batches(self, watermark) -> Iterator[Batch]:
        step = timedelta(days=self.days) / self.rows
        week = timedelta(days=7)
        rng = self.rng
        units, n_units = self.units, len(self.units)
        directions = ("in", "out", "internal")
        for first in range(0, self.rows, self.page):
            rows = []
            for i in range(first, min(self.rows, first + self.page)):
                at = self.start + step * i
                direction = directions[i % 3]
                stamp = at.isoformat(" ", "seconds")  # as strftime("%Y-%m-%d %H:%M:%S"), cheaper
                rows.append(RawRow({
                    "doc_id": f"BENCH-{i:08d}",
                    "unit_code": units[i % n_units],
                    "direction": direction,
                    "channel": "axis" if direction != "internal" and rng.random() < 0.5 else "internal",
                    "is_electronic": "1" if rng.random() < 0.9 else "0",
                    "is_signed": "1" if rng.random() < 0.9 else "0",
                    "urgency": "normal",
                    "registered_at": stamp,
                    "due_at": (at + week).isoformat(" ", "seconds"),
                    "completed_at": None,
                    "status_code": "03",
                    "updated_at": stamp,
                }))
            last = rows[-1].data
            yield Batch(rows=rows, watermark={"updated": last["updated_at"], "id": last["doc_id"]})


class Prepared(Adapter):
    """The pages of another adapter, read once before the clock starts: the benchmark measures
    the runner, not the cost of making up rows in Python (~20 ms a page of 5.000)."""

    kind = "prepared"

    def __init__(self, config: SourceConfig, pages: list[Batch]):
        super().__init__(config)
        self.pages = pages

    def batches(self, watermark) -> Iterator[Batch]:
        yield from self.pages


def _once(backend: str, rows: int, pages: list[Batch], config: SourceConfig) -> tuple[float, float, int]:
    """One load of ``pages`` into a fresh store and one re-read: (load s, re-read s, batches)."""
    with store(backend) as engine:
        began = time.perf_counter()
        result = Runner(engine, config, Prepared(config, pages)).run()
        loaded = time.perf_counter() - began
        if result.status != "success" or result.inserted != rows:
            raise SystemExit(f"benchmark run failed: {result}")
        # A second run over the same rows: what a lookback re-read costs (nothing changes).
        began = time.perf_counter()
        again = Runner(engine, config, Prepared(config, pages)).run()
        reread = time.perf_counter() - began
        if again.status != "success" or again.updated or again.inserted:
            raise SystemExit(f"re-read changed rows: {again}")
        return loaded, reread, result.batches


def measure(backend: str, rows: int, repeat: int) -> None:
    config = SourceConfig(name="bench", domain="documents", adapter="synthetic", interval_s=3600)
    pages = list(SyntheticDocuments(config, rows).batches(None))
    runs = [_once(backend, rows, pages, config) for _ in range(repeat)]
    loaded = median([r[0] for r in runs])
    reread = median([r[1] for r in runs])
    emit("ingest_rows_per_s", round(rows / loaded, 1), "rows/s", "higher", TARGETS[backend], db=backend, rows=rows,
         seconds=round(loaded, 2), batches=runs[0][2], runs=repeat, all_seconds=[round(r[0], 2) for r in runs])
    emit("reread_rows_per_s", round(rows / reread, 1), "rows/s", "higher", None, db=backend, rows=rows,
         seconds=round(reread, 2), runs=repeat, all_seconds=[round(r[1], 2) for r in runs])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=1, help="loads per backend, each into a fresh store; the median is printed")
    args = parser.parse_args(argv)
    for backend in args.backends.split(","):
        if backend == "postgresql" and not postgres_available():
            continue
        measure(backend, args.rows, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
