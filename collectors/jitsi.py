"""``jitsi`` adapter: live samples of a Jitsi Meet deployment (sources.md §4.2).

Each run takes ONE sample — a row of the ``meeting_samples`` domain::

    {"sampled_at": "2026-03-14T02:05:00+00:00", "meetings_running": 3, "participants": 12,
     "conferences_started": 2, "participants_joined": 9}

read from (field names as the Jitsi components publish them):

* Jicofo ``GET http://HOST:8888/stats`` (``use = "jicofo"``, the default when ``jicofo_url`` is
  set): ``conferences``, ``participants``, ``largest_conference``, ``total_conferences_created``,
  ``total_participants``. Jicofo sees each conference once, whatever the bridges;
* Videobridge ``GET http://HOST:8080/colibri/stats`` on each of ``bridges`` (``use = "bridges"``),
  summed: the same names. A conference spread over several bridges (Octo) is counted on each,
  so prefer Jicofo when there is more than one bridge.

``total_*`` counters are cumulative and restart from 0 when the process restarts. The watermark
keeps the previous counter values per endpoint (``"jicofo"`` or the bridge URL) and the sample
stores the growth: ``new − previous``; when a counter went down the process restarted and the
growth is the new value; the first sample of an endpoint (no previous value) has no growth
(null, never 0). When summing bridges, a bridge without a previous value makes the sum null
rather than too small. A restart followed by more activity than before cannot be told from
values alone; the sample then under-counts — an accepted limit of polling counters.

Every configured endpoint must answer: a missing bridge would make the sum silently too small,
so the run fails (and is retried) naming the bridge. The stats ports are internal; deployments
that publish them through a reverse proxy usually put basic authentication in front — set
``[options.auth] type = "basic"`` (see :func:`collectors.http.make_auth`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from collectors.base import Adapter, Batch, ErrorKind, RawRow, TransientSourceError
from collectors.http import HttpClient, check_auth, check_url, make_auth

COUNTERS = {"conferences_started": "total_conferences_created", "participants_joined": "total_participants"}
GAUGES = {"meetings_running": "conferences", "participants": "participants"}
DEFAULT_PATHS = {"jicofo": "/stats", "bridges": "/colibri/stats"}


def stats_url(url: str, use: str) -> str:
    """``http://jvb1:8080`` → ``http://jvb1:8080/colibri/stats``; a URL with a path is kept."""
    parts = urlsplit(url)
    return url if parts.path not in ("", "/") else url.rstrip("/") + DEFAULT_PATHS[use]


def _whole(value: Any) -> int | None:
    """A non-negative whole number, or None (a counter we cannot trust is no counter)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and value >= 0 else None


def read_stats(body: Any, where: str) -> dict[str, Any]:
    """The gauges and counters of one stats answer; not a JSON object → TransientSourceError."""
    if not isinstance(body, dict):
        raise TransientSourceError(
            f"{where}: the stats answer is not a JSON object: malformed answer", kind=ErrorKind.BAD_RESPONSE
        )
    out: dict[str, Any] = {name: body.get(field) for name, field in GAUGES.items()}
    out.update({name: _whole(body.get(field)) for name, field in COUNTERS.items()})
    return out


def growth(current: int | None, previous: Any) -> int | None:
    """Counter growth since the previous sample; a lower value means the process restarted.

    >>> growth(15, 12), growth(3, 12), growth(7, None), growth(None, 4)
    (3, 3, None, None)
    """
    previous = _whole(previous)
    if current is None or previous is None:
        return None
    return current - previous if current >= previous else current


def build_sample(
    readings: dict[str, dict[str, Any]], watermark: dict[str, Any] | None, sampled_at: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One sample row and the next watermark from the readings of every endpoint (pure).

    ``readings`` maps an endpoint key (``"jicofo"`` or a bridge URL) to :func:`read_stats`.
    """
    old = (
        watermark.get("counters")
        if isinstance(watermark, dict) and isinstance(watermark.get("counters"), dict)
        else {}
    )
    row: dict[str, Any] = {"sampled_at": sampled_at.isoformat()}
    for name in GAUGES:
        values = [r[name] for r in readings.values()]
        if len(values) == 1:
            row[name] = values[0]  # raw: the runner rejects a value that is not a count, with the reason
        else:
            whole = [_whole(v) for v in values]
            row[name] = None if any(v is None for v in whole) else sum(whole)
    counters: dict[str, dict[str, int | None]] = {}
    for key, reading in readings.items():
        before = old.get(key) if isinstance(old.get(key), dict) else {}
        counters[key] = {}
        for name in COUNTERS:
            current = reading[name]
            # An endpoint that stopped reporting a counter keeps its last value for later.
            counters[key][name] = current if current is not None else _whole(before.get(name))
    for name in COUNTERS:
        deltas = []
        for key, reading in readings.items():
            before = old.get(key) if isinstance(old.get(key), dict) else {}
            deltas.append(growth(reading[name], before.get(name)))
        row[name] = None if any(d is None for d in deltas) else sum(deltas)
    return row, {"version": 1, "sampled_at": sampled_at.isoformat(), "counters": counters}


class JitsiAdapter(Adapter):
    kind = "jitsi"
    domains = ("meeting_samples",)

    def __init__(self, config, *, clock: Callable[[], datetime] | None = None):
        super().__init__(config)
        opts = config.options
        self.use: str = opts.get("use") or ("jicofo" if opts.get("jicofo_url") else "bridges")
        self.timeout_s = float(opts.get("timeout_s", 10.0))
        self.clock = clock or (lambda: datetime.now(UTC))
        self._clients: dict[str, HttpClient] = {}

    @classmethod
    def check_options(cls, options: dict[str, Any]) -> list[str]:
        use = options.get("use") or ("jicofo" if options.get("jicofo_url") else "bridges")
        problems: list[str] = []
        if use not in ("jicofo", "bridges"):
            return ["options.use: expected jicofo or bridges"]
        if use == "jicofo":
            problems += check_url(options, "jicofo_url")
        else:
            bridges = options.get("bridges")
            if not isinstance(bridges, list) or not bridges:
                problems.append(
                    'options.bridges: expected a list of videobridge URLs such as ["http://jvb1:8080/colibri/stats"] '
                    "(or set options.jicofo_url)"
                )
            else:
                for i, url in enumerate(bridges):
                    if check_url({"url": url}):
                        problems.append(
                            f"options.bridges[{i}]: expected an http(s) URL such as http://jvb1:8080/colibri/stats"
                        )
                if len(set(bridges)) != len(bridges):
                    problems.append("options.bridges: a bridge is listed twice (it would be counted twice)")
        timeout = options.get("timeout_s", 10.0)
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not 0 < timeout <= 120:
            problems.append("options.timeout_s: expected seconds between 0 and 120")
        problems += check_auth(options)
        return problems

    def endpoints(self) -> dict[str, str]:
        """Endpoint key → stats URL."""
        if self.use == "jicofo":
            return {"jicofo": stats_url(str(self.config.options["jicofo_url"]), "jicofo")}
        return {str(url): stats_url(str(url), "bridges") for url in self.config.options.get("bridges", [])}

    def _get(self, url: str) -> tuple[Any, str]:
        """The parsed JSON at ``url`` and the URL as it may be shown (secrets masked)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._clients:
            # httpx appends "/" to a base URL's path: keep the origin as base, the path per request.
            self._clients[origin] = HttpClient(
                self.config,
                base_url=origin,
                auth=make_auth(self.config, self.config.options),
                timeout_s=self.timeout_s,
                verify=self.config.options.get("verify", True),
            )
        client = self._clients[origin]
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return client.get_json(path), client.safe_url(url)

    def batches(self, watermark: dict[str, Any] | None) -> Iterator[Batch]:
        sampled_at = self.clock().replace(microsecond=0)
        readings = {}
        for key, url in self.endpoints().items():
            body, shown = self._get(url)
            readings[key] = read_stats(body, shown)
        row, new_watermark = build_sample(readings, watermark, sampled_at)
        yield Batch(
            rows=[RawRow(row)], watermark=new_watermark, description=f"sample of {len(readings)} endpoint(s)"
        )

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()
