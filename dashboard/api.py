"""The read-only JSON API: KPIs as data, the same numbers as ``ioc kpis show --json`` and the pages.

    GET /api/v1/kpis?kpi=DVC-06&kpi=DVC-07&unit=SO-01&month=2026-10
    GET /api/v1/kpis?unit=SO-01&reporting_period=2026-10         (Decree 09: 15/9–14/10)
    GET /api/v1/kpis?from=2026-10-01&to=2026-10-20&alone=1
    GET /api/v1/kpis?kpi=DVC-08&as_of=2026-10-17T18:00           (point in time, from the facts)
    GET /api/v1/units                                             the units this caller may ask for

Parameters: ``kpi`` (repeatable, or comma-separated; default every KPI), ``unit`` (a unit code;
default the whole agency), ``alone`` (1: without sub-units), one period form: ``month``,
``reporting_period``, ``from``+``to``, ``period`` (a picker kind, default ``mtd``), and ``as_of``.
Answers ``{"kpis": [...]}`` in the shape of :func:`dashboard.kpi.serialize.result_json`; a bad
request is a 400 with ``{"error": {"vi": …, "en": …}}``, a unit the caller may not see a 404.

Scope: the requested unit goes through :func:`dashboard.access.resolve_unit` only, and the unit
list through :func:`dashboard.access.visible_units` — the access layer decides, nothing here.
Wire with ``init_app(server)``.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, Flask, jsonify, request

from dashboard import access, audit
from dashboard.kpi.catalogue import CATALOGUE
from dashboard.kpi.engine import UnknownUnitError, compute, resolve_scope
from dashboard.kpi.periods import PeriodError
from dashboard.kpi.serialize import parse_moment, parse_period, result_json
from dashboard.targets import load_targets
from dashboard.timeutil import utcnow

bp = Blueprint("ioc_api", __name__, url_prefix="/api/v1")


def _error(status: int, vi: str, en: str):
    response = jsonify({"error": {"vi": vi, "en": en}})
    response.status_code = status
    return response


def _date(name: str) -> date | None:
    text = request.args.get(name)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"{name}={text!r} is not a date: use YYYY-MM-DD") from None


def _kpi_ids() -> list[str] | None:
    ids = [k.strip() for value in request.args.getlist("kpi") for k in value.split(",") if k.strip()]
    return ids or None


@bp.get("/kpis")
def kpis():
    from dashboard.webapp import read_session, store

    settings = store().settings
    ids = _kpi_ids()
    unknown = [k for k in ids or () if k not in CATALOGUE]
    if unknown:
        return _error(400, f"Không có chỉ số {unknown[0]!r}", f"unknown KPI {unknown[0]!r}")
    try:
        moment = parse_moment(request.args["as_of"], settings.tz) if request.args.get("as_of") else None
        today = moment.astimezone(settings.tz).date() if moment else datetime.now(settings.tz).date()
        period = parse_period(
            month=request.args.get("month"),
            reporting=request.args.get("reporting_period"),
            start=_date("from"),
            end=_date("to"),
            kind=request.args.get("period"),
            today=today,
        )
    except PeriodError as exc:
        return _error(400, f"Kỳ không hợp lệ: {exc}", f"bad period: {exc}")
    alone = request.args.get("alone") in ("1", "true", "yes")
    with read_session() as session:
        try:
            unit = access.resolve_unit(session, request.args.get("unit"))
            scope = resolve_scope(session, unit, not alone)
        except (access.UnitNotAllowed, UnknownUnitError):
            return _error(
                404, "Không có đơn vị này hoặc bạn không được xem", "no such unit, or not visible to you"
            )
        results = compute(
            session,
            scope,
            period,
            ids,
            now=moment,
            tz=settings.tz,
            targets=load_targets(settings.targets_file),
            with_series=False,
            as_of=moment is not None,
        )
    body = {"kpis": [result_json(r) for r in results.values()], "generated_at": utcnow().isoformat()}
    principal = access.current_principal()
    audit.record_now(
        store().sessions,
        "export",
        actor=principal.actor if principal else None,
        address=request.remote_addr,
        unit_code=unit or "*",
        rows=len(body["kpis"]),
        format="json",
    )
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/units")
def units():
    from dashboard.webapp import read_session

    with read_session() as session:
        rows = access.visible_units(session)
    return jsonify(
        {
            "units": [
                {
                    "code": u.code,
                    "name": {"vi": u.name_vi, "en": u.name_en},
                    "level": u.level,
                    "parent": u.parent_code,
                }
                for u in rows
            ]
        }
    )


def init_app(server: Flask) -> None:
    """Register the API on the Flask server (the integrator adds the call and the sign-in check)."""
    if "ioc_api" not in server.blueprints:
        server.register_blueprint(bp)


__all__ = ["bp", "init_app"]
