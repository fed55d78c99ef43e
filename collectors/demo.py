"""The embedded demo: simulated source systems, read by the real adapters, kept moving.

``ioc demo`` calls :func:`prepare` (write ``days`` of simulated history into the source systems
under ``<data dir>/demo`` and collect it through the real adapters) and then :func:`start_live`
(one in-process scheduler that advances the simulation every few seconds and collects every
source on a short interval). Everything shown is marked as simulated.

Two of the simulated systems answer over real HTTP, so the embedded default exercises the same
path as a deployment (:class:`DemoPlatforms`): the one-stop system's dossiers come from a fake
dossier REST API (bearer token) read by the ``rest`` adapter, and the live stream's BigBlueButton
meetings run on a fake BigBlueButton server (checksummed API) polled by the ``bbb`` adapter. Both
listen on 127.0.0.1 on ports chosen at start; their secrets are generated per process and passed
to the collectors through environment variables, as a deployment would.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from collectors.base import SourceConfig
from collectors.scheduler import CollectorLock, build_scheduler, run_source
from collectors.sim_tasks import SOURCE_NAME as TASKS_SOURCE
from collectors.sim_tasks import TaskSource
from collectors.simulator import (
    DOSSIER_COLUMNS,
    LIVE_ID_PREFIX,
    MEETING_COLUMNS,
    MEETING_CSV_HEADERS,
    AgencySimulator,
    SimulatedSources,
    demo_sim_units,
)
from collectors.task_template import TASK_COLUMNS
from dashboard.config import Settings

DEMO_INTERVAL_S = 10.0
DEMO_TICK_S = 5.0
# The live stream keeps the wall moving at night and on holidays too, without drowning the
# history (≈ 4.000 documents a month): a few changes per collection, agency-wide.
LIVE_DOCS_PER_MIN = 1.5
LIVE_DOSSIERS_PER_MIN = 1.0


BBB_SECRET_ENV = "IOC_DEMO_BBB_SECRET"
MOTCUA_TOKEN_ENV = "IOC_DEMO_MOTCUA_TOKEN"
PAKN_TOKEN_ENV = "IOC_DEMO_PAKN_TOKEN"
# BigBlueButton lists a meeting that ended for a while before forgetting it.
BBB_ENDED_VISIBLE = timedelta(minutes=30)


def demo_root(settings: Settings) -> Path:
    return settings.data_dir / "demo"


def demo_unit_names() -> dict[str, str]:
    """Unit code → the name an office writes in its task follow-up spreadsheet."""
    from dashboard.units import DEMO_UNITS_FILE, read_units_file

    return {row.code: row.name_vi for row in read_units_file(DEMO_UNITS_FILE)}


class _OnestopRows:
    """The fake dossier API's data: the simulated one-stop database's ``v_dossiers`` view.

    The API pages one answer: the rows for an "updated since" are read once and reused for the
    following pages of the same run (a few seconds), not re-read per page.
    """

    def __init__(self, path: Path, tz):
        self.path, self.tz = path, tz
        self._lock = threading.Lock()
        self._last: tuple[Any, float, list[dict[str, Any]]] | None = None

    def __call__(self, since: datetime | None) -> list[dict[str, Any]]:
        with self._lock:
            if self._last is not None and self._last[0] == since and time.monotonic() - self._last[1] < 30:
                return self._last[2]
            sql = f"SELECT {', '.join(DOSSIER_COLUMNS)} FROM v_dossiers"
            args: tuple = ()
            if since is not None:  # the view holds local time as text: compare as text
                sql += " WHERE NgayCapNhat >= ?"
                args = (since.astimezone(self.tz).strftime("%Y-%m-%d %H:%M:%S"),)
            with sqlite3.connect(self.path, timeout=30) as conn:
                rows = [dict(zip(DOSSIER_COLUMNS, r, strict=True)) for r in conn.execute(sql, args)]
            self._last = (since, time.monotonic(), rows)
            return rows


class DemoPlatforms:
    """The demo's fake BigBlueButton and one-stop REST servers on 127.0.0.1, fed by the simulator."""

    def __init__(self, simulation: SimulatedSources, tz, petition_days: int = 400):
        from collectors.platforms.bbb import FakeBbb
        from collectors.platforms.dossier_rest import FakeDossierRest

        self.tz = tz
        # Generated per process and handed to the collectors the way a deployment does it: the
        # sources name environment variables, never the values.
        os.environ[BBB_SECRET_ENV] = secrets.token_hex(20)
        os.environ[MOTCUA_TOKEN_ENV] = secrets.token_urlsafe(24)
        self.bbb = FakeBbb(os.environ[BBB_SECRET_ENV], clock=lambda: datetime.now(tz)).start()
        self.motcua = FakeDossierRest(
            auth="bearer",
            token=os.environ[MOTCUA_TOKEN_ENV],
            path="/api/hoso",
            items_path="data",
            paging="page",
            updated_param="tuNgay",
            updated_format="iso",
            order="id",
            provider=_OnestopRows(simulation.onestop_path, tz),
        ).start()
        self.pakn = _petitions_portal(simulation, tz, petition_days)
        self._live: dict[str, dict[str, Any]] = {}  # live-stream BBB meetings, latest state
        self._first_start: dict[str, datetime] = {}  # the identity BBB gave each at its start
        self._lock = threading.Lock()
        simulation.meeting_sink = self.divert

    def divert(self, meetings: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Keep the live stream's BigBlueButton meetings for the fake server; export the rest."""
        exported = []
        with self._lock:
            for m in meetings:
                if m.get("platform") == "bigbluebutton" and str(m["meeting_id"]).startswith(
                    LIVE_ID_PREFIX["meetings"]
                ):
                    self._live[m["meeting_id"]] = m
                    self._first_start.setdefault(m["meeting_id"], m["start_at"])
                else:
                    exported.append(m)
        return exported

    def publish(self, now: datetime) -> int:
        """Show the fake BigBlueButton what runs at ``now`` (and what ended a moment ago)."""
        listed = []
        with self._lock:
            for mid, m in list(self._live.items()):
                start, end = self._first_start[mid], m["end_at"]
                if end is not None and now > end + BBB_ENDED_VISIBLE:
                    del self._live[mid], self._first_start[mid]
                    continue
                if m["status"] != 2 or now < start:  # not approved (yet), cancelled, or not started
                    continue
                participants = int(m["participants"] or 0)
                connected = int(m["endpoints_connected"] or 0)
                listed.append(
                    {
                        "meeting_id": mid,
                        "name": m["title"],
                        "unit_code": m["unit_code"],
                        "participants": participants,
                        "listeners": max(0, participants - connected),
                        "start_at": start,
                        "end_at": end if end is not None and end <= now else None,
                    }
                )
        self.bbb.feed(listed)
        return len(listed)

    def stop(self) -> None:
        self.bbb.stop()
        self.motcua.stop()
        self.pakn.stop()


def _petitions_portal(simulation: SimulatedSources, tz, days: int):
    """The fake national-portal petitions API, serving the simulated petitions (collectors.sim_petitions)."""
    from collectors.platforms.petitions_portal import FakePetitionsPortal
    from collectors.sim_petitions import PetitionFeed, PetitionSimulator

    os.environ[PAKN_TOKEN_ENV] = secrets.token_urlsafe(24)
    agency = simulation.simulator
    sim = PetitionSimulator(agency.units, agency.performance, seed=agency.seed, tz=tz)
    start = datetime.now(tz).date() - timedelta(days=days)
    feed = PetitionFeed(sim, start, clock=lambda: datetime.now(tz).replace(microsecond=0))
    # Build the history while the other simulated systems are written (it is the portal's first answer).
    threading.Thread(
        target=sim.petitions, args=(start, datetime.now(tz).date()), name="demo-petitions", daemon=True
    ).start()
    return FakePetitionsPortal(auth="bearer", token=os.environ[PAKN_TOKEN_ENV], provider=feed).start()


#: How the demo maps the portal's petitions (docs/sources/petitions.toml, without unit mapping).
PAKN_FIELDS = {
    "maPAKN": "MaPAKN",
    "soHieu": "SoHieu",
    "kenhTiepNhan": "KenhTiepNhan",
    "linhVuc.ma": "LinhVuc",
    "khanCap": "KhanCap",
    "donViXuLy.ma": "MaDonVi",
    "ngayTiepNhan": "NgayTiepNhan",
    "hanXuLy": "HanXuLy",
    "trangThai": "TrangThai",
    "ngayXuLy": "NgayXuLy",
    "danhGia.mucDo": "DanhGia",
    "ngayCapNhat": "NgayCapNhat",
}


def demo_sources(
    root: Path, interval_s: float = DEMO_INTERVAL_S, platforms: DemoPlatforms | None = None
) -> list[SourceConfig]:
    """The demo's sources: the same configuration a real agency would write in sources.toml."""
    common = {"interval_s": interval_s, "freshness_s": max(60.0, 6 * interval_s), "lookback_s": 600.0}
    if platforms is not None:
        dossiers = SourceConfig(
            name="mo-phong-motcua",
            domain="dossiers",
            adapter="rest",
            options={
                "url": platforms.motcua.url,
                "path": "/api/hoso",
                "items_path": "data",
                "updated_param": "tuNgay",
                "updated_format": "iso",
                "paging": {"type": "page", "size": 5000},
                "auth": {"type": "bearer"},
            },
            secrets={"token": MOTCUA_TOKEN_ENV},
            **common,
        )
        live_meetings = [
            SourceConfig(
                name="mo-phong-bbb",
                domain="meetings",
                adapter="bbb",
                options={
                    "url": platforms.bbb.api_url,
                    "unit_metadata": "bbb-unit",
                    "platform": "bigbluebutton",
                    "recordings": False,
                },
                secrets={"secret": BBB_SECRET_ENV},
                **common,
            ),
            SourceConfig(
                name="mo-phong-pakn",
                domain="petitions",
                adapter="rest",
                options={
                    "url": platforms.pakn.url,
                    "path": "/api/v1/pakn",
                    "items_path": "result.items",
                    "updated_param": "tuNgay",
                    "updated_format": "dd/MM/yyyy HH:mm:ss",
                    "paging": {
                        "type": "page",
                        "page_param": "pageIndex",
                        "size_param": "pageSize",
                        "size": 5000,
                        "total_path": "result.totalCount",
                    },
                    "auth": {"type": "bearer"},
                    "fields": PAKN_FIELDS,
                },
                secrets={"token": PAKN_TOKEN_ENV},
                **common,
            ),
        ]
    else:
        dossiers = SourceConfig(
            name="mo-phong-motcua",
            domain="dossiers",
            adapter="sql",
            options={
                "url": f"sqlite:///{root / 'onestop.sqlite3'}",
                "table": "v_dossiers",
                "page_size": 5000,
            },
            **common,
        )
        live_meetings = []
    return [
        SourceConfig(
            name="mo-phong-qlvb",
            domain="documents",
            adapter="sql",
            options={
                "url": f"sqlite:///{root / 'docsys.sqlite3'}",
                "table": "v_documents",
                "page_size": 5000,
            },
            **common,
        ),
        dossiers,
        SourceConfig(
            name="mo-phong-tthc",
            domain="procedures",
            adapter="sql",
            interval_s=3600.0,
            freshness_s=3 * 86400.0,
            options={
                "url": f"sqlite:///{root / 'onestop.sqlite3'}",
                "table": "v_procedures",
                "page_size": 5000,
            },
        ),
        SourceConfig(
            name="mo-phong-hop",
            domain="meetings",
            adapter="file",
            options={
                "folder": str(root / "meetings"),
                "columns": dict(zip(MEETING_CSV_HEADERS, MEETING_COLUMNS, strict=False)),
                "settle_seconds": 0,
            },
            **common,
        ),
        *live_meetings,
        # Directive tasks: the office's follow-up spreadsheet (XLSX template), lead units by name.
        SourceConfig(
            name=TASKS_SOURCE,
            domain="tasks",
            adapter="file",
            options={
                "folder": str(root / "nhiem-vu"),
                "pattern": "*.xlsx",
                "columns": dict(TASK_COLUMNS),
                "settle_seconds": 0,
            },
            units={name: code for code, name in demo_unit_names().items()},
            **common,
        ),
    ]


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_value(str(k))} = {_toml_value(v)}" for k, v in value.items()) + " }"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_sources_file(path: Path, sources: list[SourceConfig]) -> Path:
    """Write ``sources`` as a sources.toml, so the demo's configuration can be read and reused
    (``ioc collect --sources data/demo/sources.toml``)."""
    lines = [
        "# Generated by `ioc demo`: the simulated agency's sources (SIMULATED DATA).",
        "# The fake HTTP servers (rest, bbb) and their secrets live inside the demo process, on ports",
        "# chosen at its start: this file describes the running demo, it is not for another process.",
        "",
    ]
    for s in sources:
        lines += [
            "[[source]]",
            f"name = {_toml_value(s.name)}",
            f"domain = {_toml_value(s.domain)}",
            f"adapter = {_toml_value(s.adapter)}",
            f'interval = "{s.interval_s:g}s"',
            f'freshness = "{s.freshness_target_s:g}s"',
            f'lookback = "{s.lookback_s:g}s"',
            "[source.options]",
            *[f"{_toml_value(k)} = {_toml_value(v)}" for k, v in s.options.items()],
            *(
                ["[source.secrets]", *[f"{_toml_value(k)} = {_toml_value(v)}" for k, v in s.secrets.items()]]
                if s.secrets
                else []
            ),
            *(
                ["[source.units]", *[f"{_toml_value(k)} = {_toml_value(v)}" for k, v in s.units.items()]]
                if s.units
                else []
            ),
            "",
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def prepare(
    settings: Settings,
    engine: Engine,
    *,
    days: int = 400,
    seed: int = 2026,
    echo: Callable[[str], None] = print,
) -> tuple[SimulatedSources, list[SourceConfig], DemoPlatforms]:
    """Bring the simulated sources up to now and collect them once (catch-up).

    The fake HTTP servers started here keep running for :func:`start_live`; call
    ``platforms.stop()`` when done (``ioc demo --no-serve`` does at once)."""
    root = demo_root(settings)
    simulator = AgencySimulator(
        demo_sim_units(),
        seed=seed,
        tz=settings.tz,
        live_docs_per_min=LIVE_DOCS_PER_MIN,
        live_dossiers_per_min=LIVE_DOSSIERS_PER_MIN,
    )
    simulation = SimulatedSources(root, simulator)
    platforms = DemoPlatforms(simulation, settings.tz, days)  # before advancing: live BBB meetings go there
    now = datetime.now(settings.tz).replace(microsecond=0)
    tasks = TaskSource(root / "nhiem-vu", simulator, now - timedelta(days=days), demo_unit_names())
    simulation.after_advance = tasks.advance
    began = time.perf_counter()
    if simulation.position is None:
        echo(f"simulating {days} days of a ministry and its 34 provincial departments (SIMULATED DATA)…")
        counts = simulation.backfill(now - timedelta(days=days), now)
    else:
        counts = simulation.advance(now)
    echo(
        f"simulated sources up to {now:%d/%m/%Y %H:%M}: {counts['documents']} document, {counts['dossiers']} dossier "
        f"and {counts['meetings']} meeting changes ({time.perf_counter() - began:.1f} s)"
    )
    platforms.publish(now)
    sources = demo_sources(root, platforms=platforms)
    write_sources_file(root / "sources.toml", sources)
    for config in sources:
        result = run_source(engine, config, settings.tz)
        echo(
            f"collected {config.name}: {result.status}, {result.inserted} new, {result.updated} updated, "
            f"{result.rejected} rejected ({result.duration_s:.1f} s)"
            + (f" — {result.error}" if result.error else "")
        )
    return simulation, sources, platforms


def start_live(
    settings: Settings,
    engine: Engine,
    simulation: SimulatedSources,
    sources: list[SourceConfig],
    platforms: DemoPlatforms | None = None,
    tick_s: float = DEMO_TICK_S,
):
    """Start the demo's one scheduler (in this process); returns (scheduler, lock) to stop later."""
    lock = CollectorLock(engine)
    lock.acquire(wait=False)
    # From now on a live stream of simulated activity runs at any hour (a restarted demo
    # continues the stream it started before).
    simulation.start_live(datetime.now(settings.tz).replace(microsecond=0))

    def tick() -> None:
        now = datetime.now(settings.tz).replace(microsecond=0)
        simulation.advance(now)
        if platforms is not None:
            platforms.publish(now)

    from functools import partial

    from dashboard.alerts.monitor import TICK_S, Monitor
    from dashboard.notify import mailer
    from dashboard.reports import morning_job

    monitor = Monitor(engine, settings)  # alerts after each commit, notifications to the mail sink
    scheduler = build_scheduler(
        engine,
        sources,
        settings.tz,
        extra_jobs=[(tick, tick_s), (monitor.tick, TICK_S)],
        first_run_now=False,
        briefing_job=partial(morning_job, engine, settings, send=mailer(engine), sources=tuple(sources)),
        briefing_time=settings.briefing_time,
    )
    scheduler.start()
    return scheduler, lock
