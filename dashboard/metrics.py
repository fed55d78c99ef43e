"""Prometheus metrics of the web process (prometheus_client), scraped at ``GET /metrics``.

Under gunicorn every worker is its own process: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty
directory before gunicorn starts (``deploy/gunicorn.conf.py`` does, and marks dead workers) and a
scrape answered by any worker sums every worker's files. Without it (``ioc serve``, tests) the
process's own registry is served.

Emitted by the workers as they serve::

    ioc_http_request_duration_seconds{endpoint, status}  histogram; endpoint = "page" (a page's
        HTML), "callback:<first output id>" (a Dash callback, e.g. callback:wall-body),
        "page:<path>" (a page's content callback), or the Flask rule ("/api/…", "/readyz")
    ioc_cache_requests_total{cache, result}  cache="wall" (rendered refresh) or "kpi";
        result = hit | miss | shared (a concurrent miss that waited for another's render)
    ioc_wall_renders_total                   wall refreshes actually computed
    ioc_wall_render_seconds                  histogram of those computations

Read from the database at scrape time (true whichever process wrote them)::

    ioc_screens_active                       enrolled screens heard from in the last 3 minutes
    ioc_screens_enrolled                     enrolled, not revoked
    ioc_data_version                         the collectors' commit counter
    ioc_source_last_success_timestamp_seconds{source}
    ioc_source_lag_seconds{source}           now − last success: how far the store trails it
    ioc_source_last_run_duration_seconds{source}
    ioc_source_rows_24h{source, kind}        kind = read | inserted | updated
    ioc_source_rejects_24h{source}
    ioc_source_runs_24h{source}, ioc_source_failed_runs_24h{source}

``/metrics`` answers a request from this machine that did not pass through a proxy (no
``X-Forwarded-For``), or any request bearing ``Authorization: Bearer <IOC_METRICS_TOKEN>``;
everything else gets 404 (nginx also refuses the path).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import time

from flask import Flask, Response, abort, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from werkzeug.exceptions import HTTPException

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# registry=None: in multiprocess mode values live in files whatever the registry; without it each
# scrape builds a fresh registry (:func:`metrics_view`), so nothing is registered at import.
REQUEST_SECONDS = Histogram(
    "ioc_http_request_duration_seconds",
    "Time to answer a request, by page or callback.",
    ("endpoint", "status"),
    buckets=_BUCKETS,
    registry=None,
)
CACHE_REQUESTS = Counter(
    "ioc_cache_requests", "Shared-cache lookups by result.", ("cache", "result"), registry=None
)
WALL_RENDERS = Counter(
    "ioc_wall_renders", "Wall refreshes computed (not served from the render cache).", registry=None
)
WALL_RENDER_SECONDS = Histogram(
    "ioc_wall_render_seconds", "Time to compute one wall refresh.", buckets=_BUCKETS, registry=None
)
_OWN = (REQUEST_SECONDS, CACHE_REQUESTS, WALL_RENDERS, WALL_RENDER_SECONDS)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


# --- labelling ----------------------------------------------------------------------------------
def _first_output_id(output: str) -> str:
    """``"..wall-body.children...wall-period.children.."`` → ``"wall-body"``; a pattern id
    (JSON) → its ``type``, so labels stay few."""
    first = output.strip(".").split("...")[0]
    ident = first.rsplit(".", 1)[0]
    if ident.startswith("{"):
        try:
            ident = str(json.loads(ident).get("type", "pattern"))
        except ValueError:
            ident = "pattern"
    return ident[:60]


def endpoint_label() -> str:
    if request.path == "/_dash-update-component":
        try:
            body = request.get_json(silent=True, cache=True) or {}
        except HTTPException:  # a body over the size limit (answered 413): never read it here
            return "callback:refused"
        output = str(body.get("output", "")) if isinstance(body, dict) else ""
        ident = _first_output_id(output)
        if ident == "_pages_content":
            return "page:" + _page_of(body)
        return "callback:" + ident
    rule = request.url_rule
    if rule is None:
        return "unmatched"
    if rule.endpoint in ("/", "/<path:path>") or rule.rule in ("/", "/<path:path>"):
        return "page"
    return rule.rule[:60]


def _page_of(body: dict) -> str:
    """The registered page a content callback draws (``/units/<code>`` stays one label)."""
    import dash

    pathname = next(
        (
            i.get("value")
            for i in body.get("inputs", [])
            if isinstance(i, dict) and i.get("property") == "pathname"
        ),
        None,
    )
    if not isinstance(pathname, str):
        return "other"
    first = "/" + pathname.strip("/").split("/")[0] if pathname.strip("/") else "/"
    known = {("/" + str(p.get("path", "")).strip("/").split("/")[0]) for p in dash.page_registry.values()}
    return first if first in known else "other"


def _started() -> None:
    g.ioc_started = time.perf_counter()


def _observe(response: Response) -> Response:
    began = g.get("ioc_started")
    if began is not None and request.path != "/metrics":
        REQUEST_SECONDS.labels(endpoint_label(), str(response.status_code)).observe(
            time.perf_counter() - began
        )
    return response


# --- from the database ----------------------------------------------------------------------------
class StoreCollector(Collector):
    """Screens, data version and source health, read from the store at scrape time.

    ``sessions`` and ``sources`` are injected (a sessionmaker and the configured sources)."""

    def __init__(self, sessions, sources):
        self.sessions = sessions
        self.sources = sources

    def collect(self):
        from sqlalchemy import func, select

        from dashboard.health import source_health
        from dashboard.models import Screen
        from dashboard.queries import current_data_version
        from dashboard.screens import SILENT_AFTER
        from dashboard.timeutil import utcnow

        now = utcnow()
        with self.sessions() as session:
            enrolled = (
                session.scalar(
                    select(func.count())
                    .select_from(Screen)
                    .where(Screen.token_hash.is_not(None), Screen.revoked_at.is_(None))
                )
                or 0
            )
            active = (
                session.scalar(
                    select(func.count())
                    .select_from(Screen)
                    .where(
                        Screen.token_hash.is_not(None),
                        Screen.revoked_at.is_(None),
                        Screen.last_seen_at >= now - SILENT_AFTER,
                    )
                )
                or 0
            )
            version = current_data_version(session)
            health = source_health(session, self.sources, now)
        yield GaugeMetricFamily(
            "ioc_screens_active", "Enrolled screens heard from in the last 3 minutes.", value=active
        )
        yield GaugeMetricFamily("ioc_screens_enrolled", "Enrolled screens not revoked.", value=enrolled)
        yield GaugeMetricFamily("ioc_data_version", "The collectors' commit counter.", value=version)
        families = {
            "last_success": GaugeMetricFamily(
                "ioc_source_last_success_timestamp_seconds",
                "Unix time of the source's last successful run.",
                labels=["source"],
            ),
            "lag": GaugeMetricFamily(
                "ioc_source_lag_seconds", "Seconds since the source's last successful run.", labels=["source"]
            ),
            "duration": GaugeMetricFamily(
                "ioc_source_last_run_duration_seconds", "Duration of the last run.", labels=["source"]
            ),
            "rows": GaugeMetricFamily(
                "ioc_source_rows_24h", "Rows read, inserted and updated in 24 h.", labels=["source", "kind"]
            ),
            "rejects": GaugeMetricFamily(
                "ioc_source_rejects_24h", "Rows rejected in 24 h.", labels=["source"]
            ),
            "runs": GaugeMetricFamily("ioc_source_runs_24h", "Runs started in 24 h.", labels=["source"]),
            "failed": GaugeMetricFamily(
                "ioc_source_failed_runs_24h", "Failed or partial runs in 24 h.", labels=["source"]
            ),
        }
        for h in health:
            if h.last_success_at is not None:
                families["last_success"].add_metric([h.name], h.last_success_at.timestamp())
                families["lag"].add_metric([h.name], h.age_s or 0.0)
            if h.last_run_duration_s is not None:
                families["duration"].add_metric([h.name], h.last_run_duration_s)
            for kind, value in (
                ("read", h.rows_read_24h),
                ("inserted", h.rows_inserted_24h),
                ("updated", h.rows_updated_24h),
            ):
                families["rows"].add_metric([h.name, kind], value)
            families["rejects"].add_metric([h.name], h.rows_rejected_24h)
            families["runs"].add_metric([h.name], h.runs_24h)
            families["failed"].add_metric([h.name], h.failed_24h)
        yield from families.values()


# --- the endpoint ---------------------------------------------------------------------------------
def _allowed(token: str | None) -> bool:
    sent = request.headers.get("Authorization", "")
    if token and sent.startswith("Bearer ") and hmac.compare_digest(sent[7:].strip(), token):
        return True
    if request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded"):
        return False  # came through a proxy: the peer address is the proxy's, not the client's
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


def metrics_view() -> Response:
    from dashboard.webapp import store

    ctx = store()
    if not _allowed(ctx.settings.metrics_token):
        abort(404)
    registry = CollectorRegistry()
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        for collector in _OWN:
            registry.register(collector)
    registry.register(StoreCollector(ctx.sessions, ctx.sources))
    return Response(
        generate_latest(registry), mimetype=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"}
    )


def init_app(server: Flask) -> None:
    server.before_request_funcs.setdefault(None, []).insert(
        0, _started
    )  # before the host check: all time counts
    server.after_request(_observe)
    server.add_url_rule("/metrics", "ioc_metrics", metrics_view)
