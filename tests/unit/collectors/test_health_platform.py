"""Plain-language explanations of the HTTP layer's errors, and which tiles platform sources feed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from dashboard.health import SourceHealth, domain_freshness, explain_error


@pytest.mark.parametrize(
    "error,vi_part,en_part",
    [
        (
            "source 'tc': authentication failed at http://h/oauth2/v1/token (HTTP 401); check client_id and secrets.client_secret",
            "kiểm tra client_id and secrets.client_secret",
            "check client_id and secrets.client_secret",
        ),
        (
            "source 'bbb': rate limited (HTTP 429) at http://h/api/getMeetings — gave up after 5 attempt(s) (3.0 s of retries)",
            "HTTP 429",
            "slow down",
        ),
        ("source 'dvc': server error HTTP 503 at http://h/api/hoso", "HTTP 503", "internal error (HTTP 503)"),
        (
            "source 'dvc': malformed JSON in the answer to /api/hoso (Expecting value)",
            "bị cắt giữa chừng",
            "broken or cut-off",
        ),
        (
            "source 'dvc': the connection to http://h/api broke (peer closed connection)",
            "bị cắt giữa chừng",
            "cut-off",
        ),
        (
            "source 'dvc': HTTP 404 at http://h/api/hoso; check options.url and the paths in options",
            "HTTP 404",
            "HTTP 404",
        ),
        ("source 'dvc': cannot connect to http://h/api (refused)", "Không kết nối được", "Cannot reach"),
        ("source 'dvc': timeout after 15.0 s at http://h/api", "Không kết nối được", "Cannot reach"),
    ],
)
def test_http_errors_in_plain_words(error, vi_part, en_part):
    plain = explain_error(error)
    assert vi_part in plain.vi and en_part in plain.en
    assert not plain.vi.startswith("Lỗi khi thu thập")  # recognised, not the raw fallback


def _health(name: str, domain: str, state: str) -> SourceHealth:
    at = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    return SourceHealth(
        name=name,
        domain=domain,
        adapter="x",
        configured=True,
        enabled=True,
        interval_s=300.0,
        freshness_target_s=900.0,
        state=state,
        last_run_at=at,
        last_run_status="success",
        last_run_duration_s=1.0,
        last_success_at=at,
        age_s=10.0,
        runs_24h=1,
        failed_24h=0,
        rows_read_24h=0,
        rows_inserted_24h=0,
        rows_updated_24h=0,
        rows_rejected_24h=0,
        last_error=None,
        last_error_plain=None,
    )


def test_platform_sources_feed_the_tiles_they_stand_in_for():
    health = [
        _health("motcua", "dossiers", "ok"),
        _health("opencps", "dossier_stats", "error"),
        _health("qlvb", "documents", "ok"),
        _health("edxml", "document_status", "stale"),
        _health("jitsi", "meeting_samples", "error"),
        _health("hop", "meetings", "ok"),
    ]
    fresh = domain_freshness(health)
    assert fresh["dossiers"].state == "error" and fresh["dossiers"].sources == ("motcua", "opencps")
    assert fresh["documents"].state == "stale"
    # Live gauges of a meeting server do not make the meetings tiles (from the meeting register) red.
    assert fresh["meetings"].state == "ok" and fresh["meeting_samples"].state == "error"
    assert fresh["meetings"].sources == ("hop",)
    disabled = domain_freshness([replace(h, enabled=False) for h in health])
    assert disabled == {}
