"""Ingest throughput: rows per second through the whole runner — validate, upsert, rollups,
watermark, run counters — for document rows in the view contract, on SQLite and PostgreSQL.

    python benchmarks/ingest.py                 # 1.000.000 rows, SQLite and PostgreSQL, + the file case
    python benchmarks/ingest.py --rows 200000 --backends sqlite
    python benchmarks/ingest.py --only-file --file-mb 50 --repeat 3

The source is an in-memory adapter yielding pages of 5.000 raw rows ordered by update time (as a
real view read by keyset pages), 400 days of documents for the 54 producing demo units, made up
before the clock starts, so the figure is the runner's cost, not a source's. Targets: ≥ 20.000 rows/s on SQLite,
≥ 10.000 rows/s on PostgreSQL (2 cores).

The file case: a drop-folder CSV of ``--file-mb`` MB (50 by default: ~300.000 documents, ";",
BOM, a title row, Vietnamese headers and dd/mm/yyyy HH:MM dates), written before the clock
starts, imported by the real file adapter and runner into a fresh SQLite store in a child process
whose peak resident memory is reported (targets: ≥ 20.000 rows/s, ≤ 300 MB). The floor, measured
in the same run on the same rows: a raw SQLite upsert of the already-validated, already-converted
records (sqlite3 executemany, ``ON CONFLICT DO UPDATE``, commits of 5.000 — no validation, rollups
or bookkeeping); the file intake's share of its speed is ``file_intake_to_raw_ratio`` (target ≥ 0,25).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
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
        self.units = [
            u.code for u in read_units_file(DEMO_UNITS_FILE) if u.level in {"department", "province"}
        ]
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
                rows.append(
                    RawRow(
                        {
                            "doc_id": f"BENCH-{i:08d}",
                            "unit_code": units[i % n_units],
                            "direction": direction,
                            "channel": "axis"
                            if direction != "internal" and rng.random() < 0.5
                            else "internal",
                            "is_electronic": "1" if rng.random() < 0.9 else "0",
                            "is_signed": "1" if rng.random() < 0.9 else "0",
                            "urgency": "normal",
                            "registered_at": stamp,
                            "due_at": (at + week).isoformat(" ", "seconds"),
                            "completed_at": None,
                            "status_code": "03",
                            "updated_at": stamp,
                        }
                    )
                )
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
    emit(
        "ingest_rows_per_s",
        round(rows / loaded, 1),
        "rows/s",
        "higher",
        TARGETS[backend],
        db=backend,
        rows=rows,
        seconds=round(loaded, 2),
        batches=runs[0][2],
        runs=repeat,
        all_seconds=[round(r[0], 2) for r in runs],
    )
    emit(
        "reread_rows_per_s",
        round(rows / reread, 1),
        "rows/s",
        "higher",
        None,
        db=backend,
        rows=rows,
        seconds=round(reread, 2),
        runs=repeat,
        all_seconds=[round(r[1], 2) for r in runs],
    )


FILE_COLUMNS = {
    "Mã văn bản": "doc_id",
    "Đơn vị": "unit_code",
    "Chiều": "direction",
    "Kênh": "channel",
    "Điện tử": "is_electronic",
    "Đã ký": "is_signed",
    "Độ khẩn": "urgency",
    "Ngày đăng ký": "registered_at",
    "Hạn xử lý": "due_at",
    "Ngày hoàn thành": "completed_at",
    "Mã trạng thái": "status_code",
    "Cập nhật": "updated_at",
}
FILE_TARGETS = {"rows_per_s": 20_000, "peak_mb": 300, "ratio": 0.25}


def write_export(path: Path, megabytes: float, seed: int = 7) -> int:
    """A document system's CSV export of about ``megabytes`` MB, written as a stream; its row count."""
    config = SourceConfig(name="bench-file", domain="documents", adapter="synthetic", interval_s=3600)
    limit = megabytes * 2**20
    rows = 0
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        out.write("BÁO CÁO VĂN BẢN;;;;;;;;;;;\n")
        writer = csv.writer(out, delimiter=";", lineterminator="\n")
        writer.writerow(FILE_COLUMNS)
        source = SyntheticDocuments(config, rows=10_000_000, days=400, seed=seed)
        for batch in source.batches(None):
            for row in batch.rows:
                data = dict(row.data)
                for field in ("registered_at", "due_at", "updated_at"):
                    data[field] = datetime.fromisoformat(data[field]).strftime("%d/%m/%Y %H:%M")
                writer.writerow([data[f] for f in FILE_COLUMNS.values()])
                rows += 1
            if out.tell() >= limit:
                return rows
    return rows


def _file_child(folder: str) -> int:
    """In a child process: import the folder's CSV with the real adapter and runner; print a JSON
    line with the time and this process's peak resident memory."""
    import resource

    from collectors.file import FileAdapter

    config = SourceConfig(
        name="bench-file",
        domain="documents",
        adapter="file",
        interval_s=3600,
        options={"folder": folder, "columns": FILE_COLUMNS, "settle_seconds": 0},
    )
    with store("sqlite") as engine:
        began = time.perf_counter()
        result = Runner(engine, config, FileAdapter(config)).run()
        seconds = time.perf_counter() - began
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "inserted": result.inserted,
                "rejected": result.rejected,
                "status": result.status,
                "peak_mb": peak_kb / 1024,
            }
        )
    )
    return 0


def _raw_floor(path: Path, engine) -> float:
    """Seconds to upsert the file's rows with nothing else: validated and converted to the stored
    values before the clock starts, then sqlite3's executemany of ``INSERT … ON CONFLICT DO
    UPDATE`` in commits of 5.000 (no validation, rollups, watermark or run bookkeeping)."""
    from collectors.records import DOMAIN_SPECS
    from dashboard.models import Document

    config = SourceConfig(name="bench-file", domain="documents", adapter="file", interval_s=3600)
    context = Runner(engine, config, Prepared(config, []))._context()
    convert = DOMAIN_SPECS["documents"].convert
    with open(path, encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream, delimiter=";")
        next(reader), next(reader)
        fields = list(FILE_COLUMNS.values())
        records = [
            convert(dict(zip(fields, (c or None for c in cells), strict=False)), context) for cells in reader
        ]
    table = Document.__table__
    # what the ORM would fill in (e.g. ingested_at): filled in here, before the clock
    defaults = {
        c.name: c.default.arg
        for c in table.columns
        if c.default is not None and c.default.is_scalar and c.name not in records[0]
    }
    stamp = datetime.now().astimezone()
    for record in records:
        record.update(defaults, ingested_at=stamp)
    columns = list(records[0])
    processors = [table.c[c].type.bind_processor(engine.dialect) or (lambda v: v) for c in columns]
    values = [tuple(p(r[c]) for p, c in zip(processors, columns, strict=False)) for r in records]
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in ("source", "source_id"))
    sql = (
        f"INSERT INTO document ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
        f"ON CONFLICT (source, source_id) DO UPDATE SET {updates}"
    )
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        began = time.perf_counter()
        for first in range(0, len(values), 5000):
            cursor.executemany(sql, values[first : first + 5000])
            raw.commit()
        return time.perf_counter() - began
    finally:
        raw.close()


def measure_file(megabytes: float, repeat: int) -> None:
    with tempfile.TemporaryDirectory(prefix="ioc-bench-file-") as tmp:
        source = Path(tmp) / "export.csv"
        rows = write_export(source, megabytes)
        size_mb = source.stat().st_size / 2**20
        runs = []
        for index in range(repeat):
            drop = Path(tmp) / f"drop-{index}"
            drop.mkdir()
            os.link(source, drop / "vbden.csv")
            os.utime(drop / "vbden.csv", (time.time() - 60, time.time() - 60))
            child = subprocess.run(
                [sys.executable, __file__, "--file-child", str(drop)],
                capture_output=True,
                text=True,
                check=True,
            )
            run = json.loads(child.stdout.strip().splitlines()[-1])
            if run["status"] != "success" or run["inserted"] != rows:
                raise SystemExit(
                    f"file benchmark run failed: {run} (expected {rows} rows)\n{child.stderr[-2000:]}"
                )
            runs.append(run)
        floors = []
        for _ in range(repeat):
            with store("sqlite") as engine:
                floors.append(_raw_floor(source, engine))
    seconds = median([r["seconds"] for r in runs])
    peak = median([r["peak_mb"] for r in runs])
    floor = median(floors)
    common = {"db": "sqlite", "rows": rows, "file_mb": round(size_mb, 1), "runs": repeat}
    emit(
        "file_intake_rows_per_s",
        round(rows / seconds, 1),
        "rows/s",
        "higher",
        FILE_TARGETS["rows_per_s"],
        seconds=round(seconds, 2),
        all_seconds=[round(r["seconds"], 2) for r in runs],
        **common,
    )
    emit(
        "file_intake_peak_rss_mb",
        round(peak, 1),
        "MB",
        "lower",
        FILE_TARGETS["peak_mb"],
        all_mb=[round(r["peak_mb"], 1) for r in runs],
        **common,
    )
    emit(
        "raw_upsert_rows_per_s",
        round(rows / floor, 1),
        "rows/s",
        "higher",
        None,
        seconds=round(floor, 2),
        all_seconds=[round(f, 2) for f in floors],
        **common,
    )
    emit(
        "file_intake_to_raw_ratio",
        round(floor / seconds, 3),
        "ratio",
        "higher",
        FILE_TARGETS["ratio"],
        **common,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="loads per backend, each into a fresh store; the median is printed",
    )
    parser.add_argument(
        "--file-mb", type=float, default=50.0, help="size of the drop-folder CSV of the file case"
    )
    parser.add_argument("--only-file", action="store_true", help="only the file case")
    parser.add_argument("--no-file", action="store_true", help="skip the file case")
    parser.add_argument("--file-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.file_child:
        return _file_child(args.file_child)
    if not args.only_file:
        for backend in args.backends.split(","):
            if backend == "postgresql" and not postgres_available():
                continue
            measure(backend, args.rows, args.repeat)
    if not args.no_file:
        measure_file(args.file_mb, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
