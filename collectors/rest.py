"""``rest`` adapter: dossiers (and the procedure catalogue) from a one-stop system's JSON API.

A generic JSON pull in the national sync vocabulary (sources.md §3, domain.md §1.1). Options::

    url = "https://motcua.example.gov.vn"      # base URL
    path = "/api/hoso"                        # the list endpoint
    items_path = "data"                       # dot path to the list in a page ("result.items"; "" = the body)
    paging = { type = "page", page_param = "page", size_param = "size", size = 100 }   # or offset / cursor / none
    auth = { type = "bearer" }                # none / bearer / basic / api_key / oauth2 (collectors.http.make_auth)
    fields = { "hoSo.ma" = "MaHoSo" }         # source field (dot path) → contract name; contract names pass as-is
    updated_param = "tuNgay"                  # query parameter "updated since" (omit: read everything each run)
    updated_format = "dd/MM/yyyy HH:mm:ss"    # iso / epoch_ms / epoch_s / a pattern of yyyy MM dd HH mm ss SSS
    start_from = "2025-01-01"                 # optional: "updated since" of the very first run
    params = { maDonVi = "000.00.01.H01" }    # optional fixed query parameters
    timeout = 15                              # seconds

Incremental by update time. The watermark is the greatest ``NgayCapNhat`` read, and it is saved
only with the LAST page of a run: pages of a generic API are not reliably sorted by update time,
so a watermark saved after page 2 could jump past rows still waiting on page 3 — and a retry that
resumes from it would skip them. Earlier pages are committed as batches of their own (with no
watermark), so a retry re-reads them from the previous watermark: upserts are idempotent, nothing
doubles. The next run asks for rows updated since ``watermark − lookback`` (the source's
``lookback``), which also catches rows committed late on the server.

Date strings are read by :func:`collectors.parse.parse_datetime` (ISO 8601, ``yyyyMMddHHmmss``,
``dd/MM/yyyy HH:mm:ss`` …); the forms it does not know and APIs do send — ``/Date(1700000000000)/``
(.NET), epoch milliseconds or seconds as numbers or digit strings, ``yyyy/MM/dd HH:mm:ss`` — are
normalised here before the runner sees the row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from collectors.base import (
    Adapter,
    Batch,
    ErrorKind,
    FatalSourceError,
    RawRow,
    TransientSourceError,
)
from collectors.http import (
    HttpClient,
    check_auth,
    check_paging,
    check_timeout,
    check_url,
    client_from_options,
    dig,
    make_paginator,
)
from collectors.parse import parse_datetime
from collectors.records import DOMAIN_SPECS

#: Timestamp fields of the contract, per domain: normalised before validation.
DATE_FIELDS = {
    "dossiers": ("NgayTiepNhan", "NgayHenTra", "NgayKetThucXuLy", "NgayTraKetQua", "NgayCapNhat"),
    "procedures": ("NgayCapNhat",),
    "petitions": ("NgayTiepNhan", "HanXuLy", "NgayXuLy", "NgayCapNhat"),
}
_DOTNET_DATE = re.compile(r"^/?Date\((-?\d{1,15})([+-]\d{4})?\)/?$")
_SLASHED_ISO = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_PATTERN_TOKENS = re.compile(r"yyyy|MM|dd|HH|mm|ss|SSS")
_STRFTIME = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}


def normalise_datetime(value: Any, tz: ZoneInfo) -> Any:
    """A timestamp in a form :func:`parse_datetime` does not read, as an aware datetime; any
    other value unchanged (the runner parses it, or rejects the row with the reason).

    >>> normalise_datetime("/Date(1700000000000)/", ZoneInfo("Asia/Ho_Chi_Minh")).isoformat()
    '2023-11-14T22:13:20+00:00'
    >>> normalise_datetime(1700000000000, ZoneInfo("Asia/Ho_Chi_Minh")).isoformat()
    '2023-11-14T22:13:20+00:00'
    >>> normalise_datetime("2025/03/14 09:30:00", ZoneInfo("Asia/Ho_Chi_Minh")).isoformat()
    '2025-03-14T09:30:00+07:00'
    """
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        return value
    text = value.strip()
    if match := _DOTNET_DATE.match(text):
        when = _from_epoch(int(match.group(1)) / 1000.0)
        if when is not None and match.group(2):
            sign = 1 if match.group(2)[0] == "+" else -1
            offset = timedelta(hours=int(match.group(2)[1:3]), minutes=int(match.group(2)[3:5])) * sign
            when = when.astimezone(timezone(offset))
        return when if when is not None else value
    if text.isdigit() and len(text) in (
        10,
        13,
    ):  # epoch seconds / milliseconds (yyyyMMdd… are 8, 12, 14 digits)
        when = _from_epoch(int(text) / (1000.0 if len(text) == 13 else 1.0))
        return when if when is not None else value
    if match := _SLASHED_ISO.match(text):
        y, mo, d, h, mi, s = (int(g) if g else 0 for g in match.groups())
        try:
            return datetime(y, mo, d, h, mi, s, tzinfo=tz)
        except ValueError:
            return value
    return value


def _from_epoch(seconds: float) -> datetime | None:
    if seconds > 1e11:  # a number this large is milliseconds (1e11 s is the year 5138)
        seconds /= 1000.0
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def format_since(when: datetime, fmt: str, tz: ZoneInfo) -> str:
    """The "updated since" value as the API wants it.

    >>> from zoneinfo import ZoneInfo
    >>> t = datetime(2026, 3, 20, 1, 0, tzinfo=UTC)
    >>> format_since(t, "dd/MM/yyyy HH:mm:ss", ZoneInfo("Asia/Ho_Chi_Minh"))
    '20/03/2026 08:00:00'
    >>> format_since(t, "yyyyMMddHHmmss", ZoneInfo("Asia/Ho_Chi_Minh")), format_since(t, "epoch_ms", ZoneInfo("UTC"))
    ('20260320080000', '1773968400000')
    """
    if fmt == "epoch_ms":
        return str(int(when.timestamp() * 1000))
    if fmt == "epoch_s":
        return str(int(when.timestamp()))
    local = when.astimezone(tz)
    if fmt == "iso":
        return local.isoformat(timespec="seconds")
    if fmt == "iso_utc":
        return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def token(match: re.Match) -> str:
        if match.group(0) == "SSS":
            return f"{local.microsecond // 1000:03d}"
        return local.strftime(_STRFTIME[match.group(0)])

    return _PATTERN_TOKENS.sub(token, fmt)


def check_format(fmt: Any) -> bool:
    if fmt in ("iso", "iso_utc", "epoch_ms", "epoch_s"):
        return True
    return isinstance(fmt, str) and bool(_PATTERN_TOKENS.search(fmt)) and "yyyy" in fmt


def items_of_page(body: Any, items_path: str | None, where: str) -> list:
    """The list of items in one page; a page of another shape is a malformed answer.

    >>> items_of_page({"result": {"items": [{"MaHoSo": "1"}]}}, "result.items", "x")
    [{'MaHoSo': '1'}]
    """
    items = dig(body, items_path)
    if items is None and items_path:
        # An empty page often says "data": null: fine. A body without the key at all (an error
        # envelope, a login page turned JSON) is a malformed answer, never "no rows".
        parent = dig(body, items_path.rsplit(".", 1)[0]) if "." in items_path else body
        if isinstance(parent, dict) and items_path.rsplit(".", 1)[-1] in parent:
            return []
    if not isinstance(items, list):
        raise TransientSourceError(
            f"{where}: the answer has no list at {items_path or 'the top level'!r} (check options.items_path)",
            kind=ErrorKind.BAD_RESPONSE,
        )
    return items


def map_item(item: Any, fields: dict[str, str], date_fields: tuple[str, ...], tz: ZoneInfo) -> dict[str, Any]:
    """One source item → a row in contract names (top-level keys pass through; ``fields`` maps
    dot paths to contract names), with its timestamps normalised.

    >>> map_item({"hoSo": {"ma": "H1"}, "TrangThaiHoSo": 4}, {"hoSo.ma": "MaHoSo"}, (), ZoneInfo("UTC"))
    {'hoSo': {'ma': 'H1'}, 'TrangThaiHoSo': 4, 'MaHoSo': 'H1'}
    """
    if not isinstance(item, dict):
        return {"_item": item}
    row = dict(item)
    for source, target in fields.items():
        row[target] = dig(item, source)
    for name in date_fields:
        if name in row:
            row[name] = normalise_datetime(row[name], tz)
    return row


class DossierRestAdapter(Adapter):
    kind = "rest"
    domains = ("dossiers", "procedures", "petitions")

    def __init__(self, config):
        super().__init__(config)
        opts = config.options
        self.spec = DOMAIN_SPECS[config.domain]
        self.path: str = str(opts.get("path", "/api/hoso"))
        self.items_path: str = str(opts.get("items_path", "data"))
        self.fields: dict[str, str] = {str(k): str(v) for k, v in (opts.get("fields") or {}).items()}
        self.updated_param: str | None = opts.get("updated_param")
        self.updated_format: str = str(opts.get("updated_format", "iso"))
        self.start_from: str | None = opts.get("start_from")
        self.params: dict[str, Any] = dict(opts.get("params") or {})
        self.tz = ZoneInfo(config.timezone)
        self.date_fields = DATE_FIELDS.get(config.domain, ())
        self._client: HttpClient | None = None

    @classmethod
    def check_options(cls, options: dict[str, Any]) -> list[str]:
        problems = check_url(options) + check_auth(options) + check_paging(options)
        if "fields" in options and not (
            isinstance(options["fields"], dict)
            and all(isinstance(v, str) for v in options["fields"].values())
        ):
            problems.append(
                'options.fields: expected a table of source field = contract name, e.g. { "ma_ho_so" = "MaHoSo" }'
            )
        if "path" in options and not (isinstance(options["path"], str) and options["path"].startswith("/")):
            problems.append('options.path: expected a path starting with "/", e.g. "/api/hoso"')
        if "items_path" in options and not isinstance(options["items_path"], str):
            problems.append('options.items_path: expected a dot path such as "data" or "result.items"')
        if "updated_param" in options and not (
            isinstance(options["updated_param"], str) and options["updated_param"]
        ):
            problems.append('options.updated_param: expected the name of a query parameter, e.g. "tuNgay"')
        if "updated_format" in options and not check_format(options["updated_format"]):
            problems.append(
                'options.updated_format: expected iso, iso_utc, epoch_ms, epoch_s or a pattern such as "dd/MM/yyyy HH:mm:ss"'
            )
        if "start_from" in options:
            try:
                parse_datetime(options["start_from"])
            except ValueError:
                problems.append('options.start_from: expected a date such as "2025-01-01"')
        if "params" in options and not isinstance(options["params"], dict):
            problems.append("options.params: expected a table of query parameters")
        problems.extend(check_timeout(options))
        return problems

    # ---- reading
    def _connect(self) -> HttpClient:
        if self._client is None:
            self._client = client_from_options(self.config)
        return self._client

    def _since(self, watermark: dict[str, Any] | None) -> datetime | None:
        raw = (watermark or {}).get("updated")
        if raw:
            try:
                when = parse_datetime(raw, self.tz)
            except ValueError:
                when = None
            if when is not None:
                return when - timedelta(seconds=self.config.lookback_s)
        if self.start_from:
            return parse_datetime(self.start_from, self.tz)
        return None

    def batches(self, watermark: dict[str, Any] | None) -> Iterator[Batch]:
        client = self._connect()
        incremental = self.spec.updated_field is not None and self.updated_param is not None
        params = dict(self.params)
        if incremental:
            since = self._since(watermark)
            if since is not None:
                params[self.updated_param] = format_since(since, self.updated_format, self.tz)
        try:
            paginator = make_paginator(self.config.options)
        except ValueError as exc:
            raise FatalSourceError(f"source {self.config.name!r}: {exc}", kind=ErrorKind.CONFIG) from None
        where = f"source {self.config.name!r}"

        def fetch(page_params: dict[str, Any]) -> Any:
            return client.get_json(self.path, params={**params, **page_params})

        best = _watermark_time(watermark, self.tz)
        held: list[dict[str, Any]] | None = None
        page_no = 0
        # One page held back: only the last page of the run may carry the new watermark.
        for items in paginator.pages(fetch, lambda body: items_of_page(body, self.items_path, where)):
            rows = [map_item(item, self.fields, self.date_fields, self.tz) for item in items]
            if incremental:
                for row in rows:
                    best = _later(best, row.get(self.spec.updated_field), self.tz)
            if held is not None:
                yield Batch(rows=[RawRow(r) for r in held], description=f"page {page_no}")
            held, page_no = rows, page_no + 1
        final = {"updated": best.isoformat()} if incremental and best is not None else None
        yield Batch(
            rows=[RawRow(r) for r in held or []], watermark=final, description=f"page {page_no} (last)"
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _watermark_time(watermark: dict[str, Any] | None, tz: ZoneInfo) -> datetime | None:
    try:
        return parse_datetime((watermark or {}).get("updated"), tz)
    except ValueError:
        return None


def _later(best: datetime | None, value: Any, tz: ZoneInfo) -> datetime | None:
    """The later of ``best`` and the row's update time (unreadable times are the runner's to reject)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    try:
        when = parse_datetime(value, tz)
    except (ValueError, TypeError):
        return best
    if when is None:
        return best
    return when if best is None or when > best else best
