"""Health probes for the service manager and the load balancer.

Web process (``init_app(server)``), public and cheap, never cached by a proxy:

- ``GET /healthz`` — the process answers: ``200 {"status": "alive"}``; touches nothing else.
- ``GET /readyz`` — it can serve pages: the database answers, its schema is the code's head
  revision, and the shared cache takes a write and gives it back. ``200 {"status": "ready",
  "checks": {"database": "ok", "schema": "ok", "cache": "ok"}}`` or ``503`` with the failing check's
  reason, e.g. ``{"schema": "the database schema is at revision 0006… run `ioc db upgrade`"}``.

Collector process: ``ioc collect`` rewrites :func:`readiness_file` (``<data dir>/collector.ready``,
JSON ``{"pid", "at", "lock_held"}``) on every heartbeat and removes it on a clean stop;
``ioc collect health`` (:func:`collector_ready`) exits 0 when the file is fresh and the lock held —
what a systemd ``ExecStartPost``/watchdog script or a monitoring agent checks.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

from flask import Flask, Response

from dashboard.config import Settings
from dashboard.db import check_schema, ping
from dashboard.errors import IocError

READY_FILE = "collector.ready"


def _json(payload: dict, status: int) -> Response:
    return Response(
        json.dumps(payload, ensure_ascii=False),
        status=status,
        mimetype="application/json",
        headers={"Cache-Control": "no-store"},
    )


def healthz() -> Response:
    return _json({"status": "alive", "pid": os.getpid()}, 200)


def readiness_checks() -> dict[str, str]:
    """Each check's result: ``"ok"`` or the reason it failed (one line, no secret)."""
    from dashboard.cache import cache
    from dashboard.webapp import store

    ctx = store()
    checks: dict[str, str] = {}
    try:
        ping(ctx.engine)
        checks["database"] = "ok"
    except IocError as exc:
        checks["database"] = str(exc)
    if checks["database"] == "ok":
        try:
            check_schema(ctx.engine)
            checks["schema"] = "ok"
        except IocError as exc:
            checks["schema"] = str(exc)
    else:
        checks["schema"] = "not checked: the database is unreachable"
    probe = secrets.token_hex(8)
    try:
        ok = cache.set("readyz:probe", probe, timeout=30) and cache.get("readyz:probe") == probe
        checks["cache"] = (
            "ok" if ok else "the cache did not keep a value (check IOC_REDIS_URL / the cache directory)"
        )
    except Exception as exc:
        checks["cache"] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return checks


def readyz() -> Response:
    checks = readiness_checks()
    ready = all(v == "ok" for v in checks.values())
    return _json({"status": "ready" if ready else "unready", "checks": checks}, 200 if ready else 503)


def init_app(server: Flask) -> None:
    server.add_url_rule("/healthz", "ioc_healthz", healthz)
    server.add_url_rule("/readyz", "ioc_readyz", readyz)


# --- the collector process ------------------------------------------------------------------------
def readiness_file(settings: Settings) -> Path:
    return settings.data_dir / READY_FILE


def write_ready(path: Path, *, lock_held: bool) -> None:
    """Atomically replace the readiness file (a reader never sees half a file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(
        json.dumps({"pid": os.getpid(), "at": time.time(), "lock_held": lock_held}), encoding="utf-8"
    )
    os.replace(tmp, path)


def clear_ready(path: Path) -> None:
    path.unlink(missing_ok=True)


def collector_ready(path: Path, max_age_s: float) -> tuple[bool, str]:
    """Whether the collector wrote its readiness file within ``max_age_s`` holding its lock."""
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return (
            False,
            f"no readiness file {path}: the collector is not running (systemctl status ioc-collector)",
        )
    except (OSError, ValueError) as exc:
        return False, f"unreadable readiness file {path}: {exc}"
    age = time.time() - float(state.get("at", 0))
    if age > max_age_s:
        return (
            False,
            f"the collector (pid {state.get('pid')}) has not reported for {age:.0f} s: it is hung or stopped",
        )
    if not state.get("lock_held"):
        return (
            False,
            f"the collector (pid {state.get('pid')}) lost its lock: the database is unreachable or restarting",
        )
    return True, f"collector pid {state.get('pid')} ready ({age:.0f} s ago)"
