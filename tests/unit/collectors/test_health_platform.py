"""Plain-language explanations of the HTTP layer's errors, and which tiles platform sources feed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from dashboard.health import SourceHealth, domain_freshness, explain_error
from dashboard.sourceerrors import ErrorKind


@pytest.mark.parametrize(
    "kind,detail,vi_part,en_part",
    [
        (
            "auth",
            "client_id, secrets.client_secret",
            "kiểm tra client_id, secrets.client_secret",
            "check client_id",
        ),
        ("rate_limited", "HTTP 429", "HTTP 429", "slow down"),
        ("server_error", "HTTP 503", "HTTP 503", "internal error (HTTP 503)"),
        ("bad_response", None, "bị cắt giữa chừng", "broken or cut-off"),
        ("not_found", "HTTP 404", "HTTP 404", "HTTP 404"),
        ("bad_request", "HTTP 400", "HTTP 400", "HTTP 400"),
        ("forbidden", None, "HTTP 403", "HTTP 403"),
        ("unreachable", None, "Không kết nối được", "Cannot reach"),
        ("timeout", None, "Không kết nối được", "Cannot reach"),
        ("tls", None, "TLS", "certificate"),
        (
            "secret_missing",
            "IOC_QLVB_PASSWORD",
            "IOC_QLVB_PASSWORD chưa được đặt",
            "IOC_QLVB_PASSWORD is not set",
        ),
        ("schema", "'v_docs'", "'v_docs'", "data contract"),
        ("source_missing", "/srv/qlvb.sqlite3", "/srv/qlvb.sqlite3", "does not exist"),
        ("file_access", "/srv/drop", "quyền truy cập", "permissions"),
        ("disk_full", None, "Ổ đĩa đã đầy", "disk is full"),
        ("config", None, "sources.toml", "sources.toml"),
        ("store_unreachable", None, "CSDL của hệ thống điều hành", "operations centre's database"),
        ("interrupted", None, "gián đoạn", "interrupted"),
        ("internal", None, "ngoài dự kiến", "unexpected"),
    ],
)
def test_advice_is_chosen_by_the_error_kind(kind, detail, vi_part, en_part):
    plain = explain_error("any wording at all", kind, detail)
    assert vi_part in plain.vi and en_part in plain.en
    assert not plain.vi.startswith("Lỗi khi thu thập")  # recognised, not the raw fallback
    assert "{" not in plain.vi + plain.en


def test_every_kind_has_advice_and_rewording_a_message_changes_nothing():
    for kind in set(ErrorKind) - {ErrorKind.UNKNOWN}:
        a, b = (
            explain_error("source 'x': timeout after 3 s", kind),
            explain_error("completely new words", kind),
        )
        assert a == b, kind
        assert a.vi and a.en and not a.vi.startswith("Lỗi khi thu thập"), kind
    assert explain_error("boom", ErrorKind.UNKNOWN).en == "Collection error: boom"  # the message itself
    # the old English phrases no longer steer the advice: without a kind only the message is shown
    assert explain_error("source 'x' refused the login: check IOC_X").vi.startswith("Lỗi khi thu thập")
    assert explain_error("boom", "a-kind-from-a-newer-collector").en == "Collection error: boom"
    assert explain_error(None) is None


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
