"""``opencps`` adapter: monthly dossier counts per agency from OpenCPS's statistics API.

For agencies whose one-stop system is OpenCPS and who give no dossier-level access. OpenCPS
(VietOpenCPS/opencps-v2, module backend-statistic-rest) answers ``GET /o/rest/statistics`` with a
``groupId`` header (the Liferay site of the one-stop portal) and ``month``/``year`` query
parameters: ``{"total": n, "data": [DossierStatisticData, …]}``, one row per agency
(``govAgencyCode``) and, optionally, per field (``domainCode``). Counts kept (domain
``dossier_stats``, :func:`collectors.platform_records.to_dossier_stat`):

==================  =================  ============================================================
OpenCPS             ours               meaning
==================  =================  ============================================================
receivedCount       received           dossiers received in the month
onlineCount         received_online    … of them submitted online
releaseCount        resolved           dossiers finished (result released) in the month
betimesCount        resolved_early     … finished before the due date
ontimeCount         resolved_on_time   … finished on the due date
overtimeCount       resolved_late      … finished after the due date
processingCount     processing         dossiers being processed (at month end, or now)
overdueCount        overdue            … of them past their due date
==================  =================  ============================================================

Options::

    url = "https://dichvucong.example.gov.vn"
    path = "/o/rest/statistics"     # default
    group_id = "35417"              # sent as the groupId header
    auth = { type = "basic", username = "ioc-reader" }   # collectors.http.make_auth
    backfill_months = 12            # months read on the first run (this month included)
    reread_months = 2               # every run re-reads this month and the previous one
    agency_param = "agency"         # optional: ask per agency (one request per [units] key)
    skip_unmapped = false           # true: ignore agencies absent from [units] instead of rejecting them

Units: the source's ``[units]`` table maps ``govAgencyCode`` to our unit codes. Rows with an empty
``govAgencyCode`` are the whole site's totals and are skipped (they would count every agency
twice); rows per field (``domainCode`` set) are summed only when the agency has no total row.

Each month is one batch: its rows upsert by (source, unit, period), so re-reading a month replaces
its counts; the watermark ``{"month": "2026-03"}`` is the last month committed, and the next run
starts at the earlier of that month and ``reread_months`` back — a collector that was down for a
while fills the gap, and a retry resumes at the last committed month.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from collectors.base import Adapter, Batch, ErrorKind, RawReject, RawRow, TransientSourceError
from collectors.http import (
    HttpClient,
    check_auth,
    check_timeout,
    check_url,
    client_from_options,
)

#: OpenCPS DossierStatisticData field → our dossier_stats count.
COUNTS = {
    "receivedCount": "received",
    "onlineCount": "received_online",
    "releaseCount": "resolved",
    "betimesCount": "resolved_early",
    "ontimeCount": "resolved_on_time",
    "overtimeCount": "resolved_late",
    "processingCount": "processing",
    "overdueCount": "overdue",
}


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def months_between(first: tuple[int, int], last: tuple[int, int]) -> list[tuple[int, int]]:
    out, current = [], first
    while current <= last:
        out.append(current)
        current = shift_month(*current, 1)
    return out


def _count(value: Any) -> Any:
    """OpenCPS sends ints; pass anything else on for the runner to reject with a reason."""
    return value


def stat_rows(body: Any, year: int, month: int, where: str) -> tuple[list[dict[str, Any]], list[RawReject]]:
    """The ``dossier_stats`` rows of one month's answer (contract names), and what could not be read.

    >>> rows, _ = stat_rows({"total": 1, "data": [{"govAgencyCode": "STP", "month": 3, "year": 2026,
    ...     "receivedCount": 10, "onlineCount": 4}]}, 2026, 3, "x")
    >>> rows[0]["MaDonVi"], rows[0]["period_start"], rows[0]["period_end"], rows[0]["received"]
    ('STP', '2026-03-01', '2026-03-31', 10)
    """
    if not isinstance(body, dict) or not isinstance(body.get("data", []), (list, type(None))):
        raise TransientSourceError(
            f"{where}: the statistics answer is not {{total, data: [...]}}", kind=ErrorKind.BAD_RESPONSE
        )
    data = body.get("data") or []
    rejects: list[RawReject] = []
    totals: dict[str, dict[str, Any]] = {}
    by_domain: dict[str, list[dict[str, Any]]] = {}
    for item in data:
        if not isinstance(item, dict):
            rejects.append(RawReject("a statistics row that is not an object", item))
            continue
        agency = item.get("govAgencyCode")
        if agency in (None, ""):
            continue  # the whole site's totals: every agency again
        if not isinstance(agency, (str, int)):
            rejects.append(RawReject("govAgencyCode is not a code", item))
            continue
        # Rows of another month (a server ignoring the parameters, a year total with month 0) are not this month's.
        if _as_int(item.get("month"), month) != month or _as_int(item.get("year"), year) != year:
            continue
        if item.get("domainCode") in (None, ""):
            totals[str(agency)] = item
        else:
            by_domain.setdefault(str(agency), []).append(item)
    last = calendar.monthrange(year, month)[1]
    rows = []
    for agency in sorted(set(totals) | set(by_domain)):
        row: dict[str, Any] = {
            "MaDonVi": agency,
            "period_start": date(year, month, 1).isoformat(),
            "period_end": date(year, month, last).isoformat(),
        }
        if agency in totals:
            for theirs, ours in COUNTS.items():
                row[ours] = _count(totals[agency].get(theirs))
        else:
            parts = by_domain[agency]
            for theirs, ours in COUNTS.items():
                values = [p.get(theirs) for p in parts]
                if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
                    row[ours] = sum(values)
                else:
                    row[ours] = next(
                        (v for v in values if not (isinstance(v, int) and not isinstance(v, bool))), None
                    )
        rows.append(row)
    return rows, rejects


def _as_int(value: Any, default: int) -> int | None:
    """A row's month or year: absent means the one asked for; unreadable matches nothing."""
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # JSON Infinity is a float too
        return None


def merge_by_unit(rows: list[dict[str, Any]], units: dict[str, str]) -> list[dict[str, Any]]:
    """Sum the rows of agencies the ``[units]`` table maps to the same unit of ours (a unit's
    counts for a month are ONE row: the upsert keeps one row per unit and period).

    >>> merge_by_unit([{"MaDonVi": "A", "received": 2}, {"MaDonVi": "B", "received": 3}], {"A": "SO-01", "B": "SO-01"})
    [{'MaDonVi': 'A', 'received': 5}]
    """
    merged: dict[str, dict[str, Any]] = {}
    for row in rows:
        target = units.get(row["MaDonVi"], row["MaDonVi"])
        if target not in merged:
            merged[target] = dict(row)
            continue
        into = merged[target]
        for name in COUNTS.values():
            if name not in row and name not in into:
                continue
            a, b = into.get(name), row.get(name)
            both_counts = all(isinstance(v, int) and not isinstance(v, bool) for v in (a, b))
            into[name] = (
                a + b if both_counts else (a if not (isinstance(a, int) and not isinstance(a, bool)) else b)
            )
    return list(merged.values())


class OpenCpsAdapter(Adapter):
    kind = "opencps"
    domains = ("dossier_stats",)

    def __init__(self, config, today: date | None = None):
        super().__init__(config)
        opts = config.options
        self.path = str(opts.get("path", "/o/rest/statistics"))
        self.group_id = str(opts.get("group_id", ""))
        self.backfill_months = int(opts.get("backfill_months", 12))
        self.reread_months = int(opts.get("reread_months", 2))
        self.agency_param: str | None = opts.get("agency_param")
        self.skip_unmapped = bool(opts.get("skip_unmapped", False))
        self._today = today
        self._client: HttpClient | None = None

    @classmethod
    def check_options(cls, options: dict[str, Any]) -> list[str]:
        problems = check_url(options) + check_auth(options)
        group = options.get("group_id")
        if isinstance(group, bool) or not isinstance(group, (str, int)) or not str(group).strip():
            problems.append('options.group_id: required — the groupId of the OpenCPS site, e.g. "35417"')
        for key, default, top in (("backfill_months", 12, 120), ("reread_months", 2, 24)):
            value = options.get(key, default)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
                problems.append(f"options.{key}: expected a whole number between 1 and {top}")
        if "path" in options and not (isinstance(options["path"], str) and options["path"].startswith("/")):
            problems.append('options.path: expected a path starting with "/", e.g. "/o/rest/statistics"')
        if "agency_param" in options and not (
            isinstance(options["agency_param"], str) and options["agency_param"]
        ):
            problems.append('options.agency_param: expected the name of a query parameter, e.g. "agency"')
        if "skip_unmapped" in options and not isinstance(options["skip_unmapped"], bool):
            problems.append("options.skip_unmapped: expected true or false")
        problems.extend(check_timeout(options))
        return problems

    def _connect(self) -> HttpClient:
        if self._client is None:
            self._client = client_from_options(
                self.config, headers={"groupId": self.group_id, "Accept": "application/json"}
            )
        return self._client

    def today(self) -> date:
        return self._today or datetime.now(ZoneInfo(self.config.timezone)).date()

    def months(self, watermark: dict[str, Any] | None) -> list[tuple[int, int]]:
        """The months to read this run, oldest first."""
        today = self.today()
        current = (today.year, today.month)
        first = shift_month(*current, -(self.reread_months - 1))
        done = (watermark or {}).get("month")
        if (
            isinstance(done, str)
            and len(done) == 7
            and done[4] == "-"
            and done[:4].isdigit()
            and done[5:].isdigit()
        ):
            first = min(first, (int(done[:4]), int(done[5:])))
        else:
            first = shift_month(*current, -(self.backfill_months - 1))
        return months_between(first, current)

    def batches(self, watermark: dict[str, Any] | None) -> Iterator[Batch]:
        client = self._connect()
        where = f"source {self.config.name!r}"
        agencies = sorted(self.config.units) if self.agency_param else [None]
        for year, month in self.months(watermark):
            rows: list[dict[str, Any]] = []
            rejects: list[RawReject] = []
            for agency in agencies:
                params: dict[str, Any] = {"month": month, "year": year}
                if agency is not None:
                    params[self.agency_param] = agency
                body = client.get_json(self.path, params=params)
                found, bad = stat_rows(body, year, month, where)
                rows.extend(found)
                rejects.extend(bad)
            if self.skip_unmapped:
                rows = [r for r in rows if r["MaDonVi"] in self.config.units]
            rows = merge_by_unit(rows, self.config.units)
            yield Batch(
                rows=[RawRow(r) for r in rows],
                rejects=rejects,
                watermark={"month": month_key(year, month)},
                description=f"{month_key(year, month)}: {len(rows)} agencies",
            )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
