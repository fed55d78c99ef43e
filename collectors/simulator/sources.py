"""The simulated source systems (SQLite views and a drop folder of meeting exports) and the
command line."""

from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import time as _time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from collectors.simulator.agency import AgencySimulator
from collectors.simulator.common import (
    _TS_KEYS,
    DOCUMENT_COLUMNS,
    DOSSIER_COLUMNS,
    MEETING_CSV_HEADERS,
    MEETING_CSV_TITLE,
    PROCEDURE_COLUMNS,
    VN_TZ,
    demo_sim_units,
)

# ---------------------------------------------------------------------------------------------
# Simulated source systems
# ---------------------------------------------------------------------------------------------

# Timestamps are TEXT on purpose: a view on SQLite exposes naive local text, and a reader that
# reflects the table must get that text back (a TIMESTAMP declaration would make SQLAlchemy
# parse it and re-format bound values as "… .000000", which no longer compares equal as text).
_DOC_SQL_TYPES = {
    "doc_id": "TEXT PRIMARY KEY",
    "is_electronic": "BOOLEAN",
    "is_signed": "BOOLEAN",
}
_DOSSIER_SQL_TYPES = {
    "MaHoSo": "TEXT PRIMARY KEY",
    "TrangThaiHoSo": "INTEGER",
    "KenhThucHien": "INTEGER",
    "CoPhi": "BOOLEAN",
    "DuocThanhToanTrucTuyen": "INTEGER",
    "SoLanBoSung": "INTEGER",
    "CoKetQuaDienTu": "BOOLEAN",
    "DaSoHoa": "BOOLEAN",
    "DanhGia": "INTEGER",
}
_PROCEDURE_SQL_TYPES = {"CoPhi": "BOOLEAN"}
_WRITE_CHUNK = 5_000  # rows per transaction: short enough for a concurrent reader


def _create_sql(table: str, columns: tuple[str, ...], types: dict[str, str], extra: str = "") -> str:
    cols = ", ".join(f'"{c}" {types.get(c, "TEXT")}' for c in columns)
    return f'CREATE TABLE IF NOT EXISTS "{table}" ({cols}{extra})'


def _upsert_sql(table: str, columns: tuple[str, ...], key: tuple[str, ...]) -> str:
    cols = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    sets = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c not in key)
    conflict = ", ".join(f'"{c}"' for c in key)
    return f'INSERT INTO "{table}" ({cols}) VALUES ({marks}) ON CONFLICT({conflict}) DO UPDATE SET {sets}'


class SimulatedSources:
    """The simulated source systems of one agency, kept up to date by :meth:`advance`.

    ``root/docsys.sqlite3`` (``v_documents``), ``root/onestop.sqlite3`` (``v_dossiers``,
    ``v_procedures``), ``root/meetings/*.csv`` (meeting exports) and ``root/state.json`` (the
    position reached, so a restarted demo continues). Timestamps in SQLite are local time without
    offset, ``YYYY-MM-DD HH:MM:SS`` (SQLite's own format); booleans are 0/1.

    The first :meth:`advance` needs a starting position: ``start=`` here, or :meth:`backfill`.

    The live stream (see :class:`AgencySimulator`) is part of the state: :meth:`start_live` sets
    where it starts once and ``state.json`` keeps it, so a restarted demo continues the same
    stream. The simulator's ``live_since`` follows the saved value; a simulator created with
    ``live_since`` for a folder that has none starts the stream there (as :meth:`start_live`).
    """

    STATE_FILE = "state.json"

    def __init__(self, root: Path | str, simulator: AgencySimulator, start: datetime | None = None):
        self.root = Path(root)
        self.simulator = simulator
        self.tz = simulator.tz
        self.docsys_path = self.root / "docsys.sqlite3"
        self.onestop_path = self.root / "onestop.sqlite3"
        self.meetings_dir = self.root / "meetings"
        self.state_path = self.root / self.STATE_FILE
        self.meetings_dir.mkdir(parents=True, exist_ok=True)
        self._init_databases()
        #: Takes the meetings changed by an :meth:`advance` and returns those still to export as
        #: CSV: the demo routes the live stream's BigBlueButton meetings to its fake BBB server.
        self.meeting_sink: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None
        #: Called with (from, to) after each advance: the demo's directive tasks (collectors/sim_tasks.py).
        self.after_advance: Callable[[datetime, datetime], Any] | None = None
        self._position: datetime | None = None
        saved = self._load_state()
        saved_live = None
        if saved is not None:
            self._position, saved_live = saved
        elif start is not None:
            self._position = self._aware(start, "start")
        if saved_live is not None:
            simulator.live_since = saved_live
        elif simulator.live_since is not None:
            wanted, simulator.live_since = simulator.live_since, None
            self.start_live(wanted)

    # -- state -------------------------------------------------------------------------------

    @property
    def position(self) -> datetime | None:
        """Every change up to this moment has been written (None: nothing written yet)."""
        return self._position

    def _aware(self, value: datetime, name: str) -> datetime:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name}={value.isoformat()} is naive: pass a timezone-aware datetime")
        return value.astimezone(self.tz)

    @property
    def live_since(self) -> datetime | None:
        """Where the live stream starts (None: not started)."""
        return self.simulator.live_since

    def start_live(self, at: datetime) -> datetime:
        """Start the live stream at ``at`` unless it has started already; returns where it starts.

        The first call decides for good (it is saved with the position): later calls, and a
        restarted writer on the same folder, continue the same stream. A moment before the
        position is moved to the position, since the changes up to it are written already.
        """
        current = self.simulator.live_since
        if current is not None:
            return current
        at = self._aware(at, "at")
        if self._position is not None and at < self._position:
            at = self._position
        self.simulator.live_since = at
        if self._position is not None:
            self._save_state()
        live = self.simulator.live_since
        assert live is not None
        return live

    def _load_state(self) -> tuple[datetime, datetime | None] | None:
        """(position, live_since) from ``state.json``; files without ``live_since`` are read too."""
        if not self.state_path.exists():
            return None
        data = json.loads(self.state_path.read_text(encoding="utf-8"))
        if data.get("seed") != self.simulator.seed:
            raise ValueError(
                f"{self.root} was written with seed {data.get('seed')}, not {self.simulator.seed}: "
                "use the same seed or an empty folder"
            )
        live = data.get("live_since")
        return (
            datetime.fromisoformat(data["position"]).astimezone(self.tz),
            None if live is None else datetime.fromisoformat(live).astimezone(self.tz),
        )

    def _save_state(self) -> None:
        assert self._position is not None
        live = self.simulator.live_since
        payload = {
            "position": self._position.isoformat(),
            "live_since": None if live is None else live.isoformat(),
            "seed": self.simulator.seed,
            "units": len(self.simulator.producing_units),
            "simulated": True,
        }
        tmp = self.state_path.with_name(f".{self.state_path.name}.part")
        tmp.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.state_path)

    # -- databases ---------------------------------------------------------------------------

    def _connect(self, path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(path, timeout=30, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 30000")
        return conn

    def _init_databases(self) -> None:
        conn = self._connect(self.docsys_path)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(_create_sql("v_documents", DOCUMENT_COLUMNS, _DOC_SQL_TYPES))
            conn.execute(
                'CREATE INDEX IF NOT EXISTS "ix_v_documents_updated_at" ON "v_documents" ("updated_at")'
            )
        finally:
            conn.close()
        conn = self._connect(self.onestop_path)
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute(_create_sql("v_dossiers", DOSSIER_COLUMNS, _DOSSIER_SQL_TYPES))
            conn.execute(
                'CREATE INDEX IF NOT EXISTS "ix_v_dossiers_NgayCapNhat" ON "v_dossiers" ("NgayCapNhat")'
            )
            conn.execute(
                _create_sql(
                    "v_procedures",
                    PROCEDURE_COLUMNS,
                    _PROCEDURE_SQL_TYPES,
                    ', PRIMARY KEY ("MaTTHC", "MaDonVi")',
                )
            )
            rows = [
                (p["MaTTHC"], p["MaDonVi"], p["TenTTHC"], p["MucDo"], int(p["CoPhi"]))
                for p in self.simulator.procedures()
            ]
            conn.execute("BEGIN")
            conn.executemany(_upsert_sql("v_procedures", PROCEDURE_COLUMNS, ("MaTTHC", "MaDonVi")), rows)
            conn.execute("COMMIT")
        finally:
            conn.close()

    def _local_text(self, value: datetime | None) -> str | None:
        if value is None:
            return None
        return value.astimezone(self.tz).replace(tzinfo=None).isoformat(" ", "seconds")

    def _write_rows(
        self, path: Path, table: str, columns: tuple[str, ...], key: str, rows: list[tuple]
    ) -> None:
        if not rows:
            return
        sql = _upsert_sql(table, columns, (key,))
        conn = self._connect(path)
        try:
            for i in range(0, len(rows), _WRITE_CHUNK):
                conn.execute("BEGIN IMMEDIATE")
                conn.executemany(sql, rows[i : i + _WRITE_CHUNK])
                conn.execute("COMMIT")
        finally:
            conn.close()

    def _row(self, record: dict[str, Any], columns: tuple[str, ...], ts_keys: frozenset[str]) -> tuple:
        out = []
        for c in columns:
            v = record[c]
            if c in ts_keys:
                v = self._local_text(v)
            elif isinstance(v, bool):
                v = int(v)
            out.append(v)
        return tuple(out)

    # -- meetings export ---------------------------------------------------------------------

    def _fmt(self, value: datetime | None) -> str:
        return "" if value is None else value.astimezone(self.tz).strftime("%d/%m/%Y %H:%M")

    def _write_meetings_csv(self, t0: datetime, t1: datetime, meetings: list[dict[str, Any]]) -> Path:
        meetings = sorted(meetings, key=lambda m: (m["start_at"], m["meeting_id"]))
        name = f"cuoc_hop_{t0.astimezone(self.tz):%Y%m%d_%H%M%S}_{t1.astimezone(self.tz):%Y%m%d_%H%M%S}.csv"
        final = self.meetings_dir / name
        tmp = self.meetings_dir / f".{name}.part"
        blank = [""] * (len(MEETING_CSV_HEADERS) - 1)
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
            writer.writerow([f"{MEETING_CSV_TITLE} TỪ {self._fmt(t0)} ĐẾN {self._fmt(t1)}", *blank])
            writer.writerow(MEETING_CSV_HEADERS)
            for m in meetings:
                writer.writerow(
                    [
                        m["meeting_id"],
                        m["unit_code"],
                        m["title"],
                        m["platform"],
                        m["status"],
                        self._fmt(m["start_at"]),
                        self._fmt(m["end_at"]),
                        m["endpoints_scheduled"],
                        m["endpoints_connected"],
                        m["participants"],
                        self._fmt(m["updated_at"]),
                    ]
                )
            writer.writerow(
                [
                    "Tổng cộng",
                    f"{len(meetings)} cuộc họp",
                    "",
                    "",
                    "",
                    "",
                    "",
                    sum(m["endpoints_scheduled"] for m in meetings),
                    sum(m["endpoints_connected"] for m in meetings),
                    sum(m["participants"] for m in meetings),
                    "",
                ]
            )
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, final)
        return final

    # -- advancing ---------------------------------------------------------------------------

    def advance(self, to: datetime) -> dict[str, int]:
        """Write every change in (position, to] and move the position to ``to``.

        Returns ``{"documents": n, "dossiers": n, "meetings": n}`` — rows upserted and meetings
        exported. Advancing to the position or before it writes nothing.
        """
        to = self._aware(to, "to")
        counts = {"documents": 0, "dossiers": 0, "meetings": 0}
        if self._position is None:
            raise RuntimeError(
                "the simulated sources have no starting position yet: "
                "pass start= to SimulatedSources or call backfill(start, end)"
            )
        t0 = self._position
        if to <= t0:
            return counts
        sim = self.simulator
        doc_ts = frozenset(_TS_KEYS["documents"] + ("updated_at",))
        docs = [self._row(r, DOCUMENT_COLUMNS, doc_ts) for r in sim.documents_changed(t0, to)]
        self._write_rows(self.docsys_path, "v_documents", DOCUMENT_COLUMNS, "doc_id", docs)
        dos_ts = frozenset(_TS_KEYS["dossiers"] + ("NgayCapNhat",))
        dossiers = [self._row(r, DOSSIER_COLUMNS, dos_ts) for r in sim.dossiers_changed(t0, to)]
        self._write_rows(self.onestop_path, "v_dossiers", DOSSIER_COLUMNS, "MaHoSo", dossiers)
        meetings = list(sim.meetings_changed(t0, to))
        exported = self.meeting_sink(meetings) if self.meeting_sink is not None else meetings
        if exported:
            self._write_meetings_csv(t0, to, exported)
        if self.after_advance is not None:
            self.after_advance(t0, to)
        self._position = to
        self._save_state()
        counts.update(documents=len(docs), dossiers=len(dossiers), meetings=len(meetings))
        return counts

    def backfill(self, start: datetime, end: datetime, step: timedelta = timedelta(days=7)) -> dict[str, int]:
        """Advance to ``end`` in windows of ``step``, from the saved position or else ``start``.

        Each window is committed (and the position saved) before the next, so an interrupted
        backfill resumes where it stopped. Returns the summed counts.
        """
        if step <= timedelta(0):
            raise ValueError("step must be positive")
        start, end = self._aware(start, "start"), self._aware(end, "end")
        if self._position is None:
            self._position = start
        totals = {"documents": 0, "dossiers": 0, "meetings": 0}
        t = self._position
        while t < end:
            t = min(end, t + step)
            for k, v in self.advance(t).items():
                totals[k] += v
        return totals


# ---------------------------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write simulated source systems (SIMULATED DATA).")
    parser.add_argument("root", type=Path, help="folder for docsys.sqlite3, onestop.sqlite3, meetings/")
    parser.add_argument("--days", type=int, default=400, help="days of history up to now (default 400)")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    now = datetime.now(VN_TZ).replace(microsecond=0)
    sources = SimulatedSources(args.root, AgencySimulator(demo_sim_units(), seed=args.seed))
    began = _time.perf_counter()
    totals = sources.backfill(now - timedelta(days=args.days), now)
    elapsed = _time.perf_counter() - began
    print(json.dumps({**totals, "seconds": round(elapsed, 2), "position": sources.position.isoformat()}))
    return 0
