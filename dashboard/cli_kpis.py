"""``ioc kpis …`` and ``ioc scores …``: the KPI engine from the command line.

ioc kpis list                       the catalogue: id, name, unit, direction, basis
ioc kpis show [ID…] [--unit CODE]   KPIs of a scope for a period, with comparisons
ioc kpis show … --json              the same as data; --month / --reporting-period / --as-of
ioc kpis export --month YYYY-MM     every unit × every KPI of a period (--format xlsx|csv)
ioc kpis rank ID [--parent CODE]    units ranked on a KPI (1, 2, 2, 4) with rank change
ioc kpis overdue [--unit CODE]      the action list: overdue and due-within-24 h items
ioc kpis snapshot                   store today's point-in-time values (the daily job does it)
ioc kpis rebuild-rollups            recompute every daily rollup from facts (repair)
ioc kpis check-targets [FILE]       validate a targets file, listing every problem
ioc scores import FILE [--period P] import published 766 scores in the portal's shape, all or nothing
ioc scores list [--unit CODE]       the imported official scores
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from pathlib import Path

import click
from sqlalchemy import select

from dashboard import cli as _cli
from dashboard.cli import _Context
from dashboard.db import check_schema, make_engine, make_sessionmaker, session_scope
from dashboard.errors import IocError

# ctx.obj is the root command's settings holder; passed by value, not by class, so the commands
# also work under ``python -m dashboard.cli`` (where the root group lives in ``__main__``).
pass_ctx = click.pass_obj


def _sessions(obj: _Context):
    engine = make_engine(obj.settings.database_url)
    check_schema(engine)
    return make_sessionmaker(engine)


def _targets(obj: _Context):
    from dashboard.targets import load_targets

    return load_targets(obj.settings.targets_file)


def _period(
    kind: str,
    start: datetime | None,
    end: datetime | None,
    today: date,
    month: str | None = None,
    reporting: str | None = None,
):
    from dashboard.kpi.periods import PeriodError
    from dashboard.kpi.serialize import parse_period

    try:
        return parse_period(
            month=month,
            reporting=reporting,
            start=start.date() if start else None,
            end=end.date() if end else None,
            kind=kind,
            today=today,
        )
    except PeriodError as exc:
        raise click.UsageError(str(exc)) from None


def _today(obj: _Context) -> date:
    return datetime.now(obj.settings.tz).date()


_PERIOD_KINDS = click.Choice(
    ["today", "week", "mtd", "qtd", "ytd", "rolling7", "rolling30", "month", "quarter", "year", "reporting"]
)
_DATE = click.DateTime(formats=["%Y-%m-%d", "%d/%m/%Y"])


def _period_options(f):
    f = click.option(
        "--reporting-period",
        "reporting",
        metavar="YYYY-MM",
        help="The Decree 09 reporting period of a month: the 15th of the previous month to the 14th.",
    )(f)
    f = click.option("--month", metavar="YYYY-MM", help="A calendar month.")(f)
    f = click.option("--to", "end", type=_DATE, help="Custom range: last day (with --from).")(f)
    f = click.option(
        "--from", "start", type=_DATE, help="Custom range: first day (dd/mm/yyyy or yyyy-mm-dd)."
    )(f)
    f = click.option(
        "--period", "kind", type=_PERIOD_KINDS, default="mtd", show_default=True, help="Reporting period."
    )(f)
    return f


def _lang(obj: _Context, lang: str | None) -> str:
    return lang or obj.settings.language


# --- kpis ------------------------------------------------------------------------------------------
@click.group("kpis")
def kpis_group() -> None:
    """KPIs: catalogue, values, ranking, action lists, snapshots."""


@kpis_group.command("list")
@click.option("--lang", type=click.Choice(["vi", "en"]), help="Language [default: IOC_LANGUAGE].")
@pass_ctx
def kpis_list(obj: _Context, lang: str | None) -> None:
    """The KPI catalogue (domain.md §2)."""
    from dashboard.kpi.catalogue import CATALOGUE

    lang = _lang(obj, lang)
    arrows = {"up": "↑", "down": "↓", None: "–"}
    for d in CATALOGUE.values():
        click.echo(f"{d.id:7} {arrows[d.direction]} {d.unit:8} {d.basis:9} {d.name(lang)}")


@kpis_group.command("show")
@click.argument("kpi_ids", nargs=-1)
@click.option("--unit", help="Unit code [default: the whole agency].")
@click.option("--alone", is_flag=True, help="The unit without its sub-units.")
@_period_options
@click.option(
    "--as-of",
    "as_of",
    metavar="DATETIME",
    help="Compute as at this past moment (YYYY-MM-DD[THH:MM], local time): point-in-time KPIs from the facts.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON (the /api/v1/kpis shape).")
@click.option("--lang", type=click.Choice(["vi", "en"]), help="Language [default: IOC_LANGUAGE].")
@pass_ctx
def kpis_show(
    obj: _Context, kpi_ids, unit, alone, kind, start, end, month, reporting, as_of, as_json, lang
) -> None:
    """KPIs of a scope for a period, with the previous period and last year."""
    import json

    from dashboard.kpi.catalogue import CATALOGUE
    from dashboard.kpi.display import format_delta, format_value
    from dashboard.kpi.engine import UnknownUnitError, compute, resolve_scope
    from dashboard.kpi.periods import PeriodError
    from dashboard.kpi.serialize import parse_moment, result_json

    lang = _lang(obj, lang)
    unknown = [k for k in kpi_ids if k not in CATALOGUE]
    if unknown:
        raise IocError(f"unknown KPI {unknown[0]!r}; see `ioc kpis list`")
    moment = None
    if as_of:
        try:
            moment = parse_moment(as_of, obj.settings.tz)
        except PeriodError as exc:
            raise click.UsageError(str(exc)) from None
    today = moment.astimezone(obj.settings.tz).date() if moment else _today(obj)
    period = _period(kind, start, end, today, month, reporting)
    with _sessions(obj)() as session:
        try:
            scope = resolve_scope(session, unit, not alone)
        except UnknownUnitError as exc:
            raise IocError(f"{exc}; see `ioc units list`") from None
        results = compute(
            session,
            scope,
            period,
            kpi_ids or None,
            tz=obj.settings.tz,
            targets=_targets(obj),
            with_series=False,
            now=moment,
            as_of=moment is not None,
        )
    if as_json:
        click.echo(
            json.dumps({"kpis": [result_json(r) for r in results.values()]}, ensure_ascii=False, indent=2)
        )
        return
    click.echo(f"{scope.name(lang)} — {period.label(lang)}")
    for r in results.values():
        d = CATALOGUE[r.kpi_id]
        shown = format_value(r.value, r.unit, lang)
        tag = " (ước tính)" if r.estimate and lang == "vi" else " (estimate)" if r.estimate else ""
        tag += " (công bố)" if r.published and lang == "vi" else " (published)" if r.published else ""
        change = (
            f"  {format_delta(r.previous.delta, r.unit, lang)} vs {r.previous.period.label(lang)}"
            if r.previous and r.previous.delta is not None
            else ""
        )
        why = f"  [{r.reason.text(lang)}]" if r.reason else ""
        click.echo(f"{r.kpi_id:7} {r.status:5} {shown:>18}{tag}  {d.name(lang)}{change}{why}")


@kpis_group.command("export")
@_period_options
@click.option("--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx", show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write [default: kpi-<period>.<format> in the current directory].",
)
@click.option(
    "--lang", type=click.Choice(["vi", "en"]), help="Language of the headers [default: IOC_LANGUAGE]."
)
@pass_ctx
def kpis_export(obj: _Context, kind, start, end, month, reporting, fmt, output, lang) -> None:
    """Every unit × every KPI of a period: the monthly table an IT office sends upward."""
    from dashboard.exports import to_csv, to_xlsx
    from dashboard.kpi.export import export_table

    lang = _lang(obj, lang)
    period = _period(kind, start, end, _today(obj), month, reporting)
    with _sessions(obj)() as session:
        rows = export_table(session, period, tz=obj.settings.tz, targets=_targets(obj), lang=lang)
    output = output or Path(f"kpi-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{fmt}")
    data = to_csv(rows) if fmt == "csv" else to_xlsx(rows, f"KPI — {period.label(lang)}", sheet="KPI")
    output.write_bytes(data)
    click.echo(f"{output}: {len(rows)} rows (units × KPIs) for {period.label(lang)}")


@kpis_group.command("rank")
@click.argument("kpi_id")
@click.option("--parent", help="Rank the children of this unit [default: of the root].")
@click.option(
    "--level", type=click.Choice(["department", "province", "commune"]), help="Rank every unit of this level."
)
@_period_options
@click.option("--lang", type=click.Choice(["vi", "en"]), help="Language [default: IOC_LANGUAGE].")
@pass_ctx
def kpis_rank(obj: _Context, kpi_id, parent, level, kind, start, end, month, reporting, lang) -> None:
    """Units ranked on a KPI (competition ranking), with the change of rank."""
    from dashboard.kpi.catalogue import CATALOGUE
    from dashboard.kpi.display import format_value
    from dashboard.kpi.engine import UnknownUnitError
    from dashboard.kpi.ranking import rank_units

    lang = _lang(obj, lang)
    if kpi_id not in CATALOGUE:
        raise IocError(f"unknown KPI {kpi_id!r}; see `ioc kpis list`")
    period = _period(kind, start, end, _today(obj), month, reporting)
    with _sessions(obj)() as session:
        try:
            rows = rank_units(
                session, kpi_id, period, parent=parent, level=level, tz=obj.settings.tz, targets=_targets(obj)
            )
        except UnknownUnitError as exc:
            raise IocError(f"{exc}; see `ioc units list`") from None
    click.echo(f"{CATALOGUE[kpi_id].name(lang)} — {period.label(lang)}")
    for r in rows:
        rank = "–" if r.rank is None else str(r.rank)
        move = (
            ""
            if r.rank_change is None
            else (
                f"▲{r.rank_change}"
                if r.rank_change > 0
                else f"▼{-r.rank_change}"
                if r.rank_change < 0
                else "="
            )
        )
        click.echo(
            f"{rank:>3} {move:4} {r.code:12} {format_value(r.value, CATALOGUE[kpi_id].unit, lang):>18}  {r.name_vi if lang == 'vi' else r.name_en}"
        )


@kpis_group.command("overdue")
@click.option("--unit", help="Unit code [default: the whole agency].")
@click.option("--limit", type=int, default=50, show_default=True, help="Items per list.")
@pass_ctx
def kpis_overdue(obj: _Context, unit, limit) -> None:
    """The action list: overdue and due-within-24 h dossiers and documents, paused dossiers."""
    from dashboard.kpi.engine import UnknownUnitError, resolve_scope
    from dashboard.kpi.lists import action_list

    with _sessions(obj)() as session:
        try:
            scope = resolve_scope(session, unit)
        except UnknownUnitError as exc:
            raise IocError(f"{exc}; see `ioc units list`") from None
        result = action_list(session, scope, tz=obj.settings.tz, calendar=_targets(obj).calendar, limit=limit)
    for title, items in (
        ("QUÁ HẠN / OVERDUE", result.overdue),
        ("ĐẾN HẠN TRONG 24 GIỜ / DUE WITHIN 24 H", result.due_soon),
        ("TẠM DỪNG / PAUSED", result.paused),
    ):
        click.echo(f"{title}: {len(items)}{'+' if result.truncated and len(items) >= limit else ''}")
        for i in items:
            due = i.due_at.astimezone(obj.settings.tz).strftime("%d/%m/%Y %H:%M") if i.due_at else "–"
            late = (
                f"{i.days_overdue} ngày ({i.working_days_overdue} ngày làm việc)"
                if i.days_overdue is not None
                else (f"còn {i.hours_left} giờ" if i.hours_left is not None else "")
            )
            click.echo(f"  {i.kind:8} {i.source_id:28} {i.unit_code:10} hạn {due}  {late}")


@kpis_group.command("snapshot")
@pass_ctx
def kpis_snapshot(obj: _Context) -> None:
    """Store today's point-in-time values (open, overdue, paused, due soon, catalogue)."""
    from dashboard.snapshots import take_snapshot

    now = datetime.now(obj.settings.tz)
    with session_scope(_sessions(obj)) as session:
        n = take_snapshot(session, now.date(), now)
    click.echo(f"snapshot of {now:%d/%m/%Y}: {n} values stored")


@kpis_group.command("rebuild-rollups")
@pass_ctx
def kpis_rebuild(obj: _Context) -> None:
    """Recompute every daily rollup from facts (after a repair or a catalogue change)."""
    from dashboard import rollups
    from dashboard.db import bump_data_version

    with session_scope(_sessions(obj)) as session:
        n = rollups.rebuild(session)
        bump_data_version(session)
    click.echo(f"rollups rebuilt: {n} rows")


@kpis_group.command("check-targets")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def kpis_check_targets(obj: _Context, file: Path | None) -> None:
    """Validate a targets file [default: IOC_TARGETS_FILE], listing every problem."""
    from dashboard.models import OrgUnit
    from dashboard.targets import TargetsError, read_targets_file

    path = file or obj.settings.targets_file
    if path is None:
        raise IocError("no targets file: pass FILE or set IOC_TARGETS_FILE (see targets.example.toml)")
    try:
        targets = read_targets_file(path)
    except TargetsError as exc:
        for problem in exc.problems:
            click.echo(f"{path}: {problem}", err=True)
        raise IocError(f"{path}: {len(exc.problems)} problem(s)") from None
    with _sessions(obj)() as session:
        known = set(session.scalars(select(OrgUnit.code)))
    missing = sorted(targets.unit_codes() - known)
    if missing:
        raise IocError(f"{path}: unknown unit(s) {', '.join(missing)}; see `ioc units list`")
    click.echo(
        f"{path}: valid ({len(targets.kpis)} KPI override(s), {len(targets.units)} unit(s), {len(targets.bands)} rating bands)"
    )


# --- scores --------------------------------------------------------------------------------------------
@click.group("scores")
def scores_group() -> None:
    """Official published scores of the national service index (766)."""


@scores_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--period",
    "period_text",
    metavar="PERIOD",
    help="The period of a file without a period column: 2026-10, 10/2026, Q4/2026 or 2026.",
)
@pass_ctx
def scores_import(obj: _Context, file: Path, period_text: str | None) -> None:
    """Import or update published 766 scores from a CSV FILE in the portal's shape (all or nothing).

    Per-group files (Mã đơn vị; the six groups; Tổng điểm optional — added up and marked when every
    group is there) or per-indicator files (Mã đơn vị; Chỉ tiêu; Điểm or Tỷ lệ), keyed by the units'
    portal codes (or our codes)."""
    from dashboard.service_index import import_scores_file, parse_score_period

    period = None
    if period_text:
        try:
            period = parse_score_period(period_text)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--period") from None
    with session_scope(_sessions(obj)) as session:
        report = import_scores_file(session, file, period)
    what = "indicator figures" if report.shape == "indicators" else "unit scores"
    computed = (
        f"; {report.computed_totals} total(s) added up from the six groups" if report.computed_totals else ""
    )
    click.echo(
        f"{report.total} {what} in {file}: {report.inserted} added, {report.updated} updated{computed}"
    )


@scores_group.command("list")
@click.option("--unit", help="Unit code [default: every unit].")
@pass_ctx
def scores_list(obj: _Context, unit: str | None) -> None:
    """The imported official scores, newest first."""
    from dashboard.models import OfficialScore, OrgUnit

    with _sessions(obj)() as session:
        stmt = select(OrgUnit.code, OfficialScore).join(OrgUnit, OrgUnit.id == OfficialScore.unit_id)
        if unit:
            stmt = stmt.where(OrgUnit.code == unit)
        rows = session.execute(stmt.order_by(OfficialScore.period_end.desc(), OrgUnit.code)).all()
    for code, s in rows:
        total = "     –" if s.total is None else f"{s.total:6.2f}" + ("*" if s.total_computed else "")
        click.echo(f"{code:12} {s.period_start:%d/%m/%Y}–{s.period_end:%d/%m/%Y} {total}  ({s.source})")


def _register(group: click.Group) -> None:
    group.add_command(kpis_group)
    group.add_command(scores_group)


_register(_cli.cli)
_main = sys.modules.get("__main__")
if _main is not None and getattr(getattr(_main, "__spec__", None), "name", None) == "dashboard.cli":
    _register(_main.cli)
