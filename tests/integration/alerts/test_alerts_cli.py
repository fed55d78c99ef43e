"""``ioc alerts …`` and ``ioc users email`` through the real entry point, against each database;
``test-notify`` against a real local SMTP server."""

from datetime import datetime

from dashboard.notify.mailsink import MailSink, free_port
from dashboard.timeutil import VN_TZ
from tests.integration.kpis.conftest import dossier, feed
from tests.integration.kpis.test_kpi_cli import ioc


def test_add_list_evaluate_disable(store, tmp_path):
    bad = ioc(
        store,
        tmp_path,
        "alerts",
        "add",
        "x",
        "--kpi",
        "DVC-02",
        "--unit",
        "SO-01",
        "--fire-at",
        "0.5",
        "--clear-at",
        "0.3",
    )
    assert bad.returncode == 2 and "thresholds the wrong way round" in bad.stderr
    assert (
        "unknown KPI" in ioc(store, tmp_path, "alerts", "add", "x", "--kpi", "NO-1", "--unit", "SO-01").stderr
    )
    ok = ioc(store, tmp_path, "alerts", "add", "Trực tuyến", "--kpi", "dvc-02", "--unit", "SO-01",
             "--to", "an@example.gov.vn", "--no-quiet-hours", "--reminder", "4h")  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    # Received today (the command evaluates now), all at the counter: 0 % online, red.
    today = datetime.now(VN_TZ).strftime("%Y-%m-%d")
    rows = [dossier(str(i), NgayTiepNhan=f"{today} 00:01", NgayHenTra=f"{today} 23:00", NgayCapNhat=f"{today} 00:01") for i in range(3)]  # fmt: skip
    feed(store, "dossiers", rows)
    result = ioc(store, tmp_path, "alerts", "evaluate")
    assert result.returncode == 0, result.stderr
    assert "Trực tuyến · SO-01: ok → firing" in result.stdout
    assert "1 e-mail(s)" in result.stdout
    listed = ioc(store, tmp_path, "alerts", "list").stdout
    assert "DVC-02 subtree SO-01 mtd · targets" in listed and "firing 1" in listed
    assert ioc(store, tmp_path, "alerts", "disable", "Trực tuyến").returncode == 0
    assert "[disabled]" in ioc(store, tmp_path, "alerts", "list").stdout
    assert "0 rule(s)" in ioc(store, tmp_path, "alerts", "evaluate").stdout


def test_test_notify_reports_delivery_and_failure(store, tmp_path):
    with MailSink() as sink:
        ok = ioc(store, tmp_path, "alerts", "test-notify", "--to", "an@example.gov.vn",
                 IOC_SMTP_HOST="127.0.0.1", IOC_SMTP_PORT=str(sink.port))  # fmt: skip
    assert ok.returncode == 0 and "email: delivered" in ok.stdout, ok.stderr
    assert sink.messages[0]["Subject"] == "[IOC] Thư thử nghiệm / Test message"
    down = ioc(store, tmp_path, "alerts", "test-notify", "--to", "an@example.gov.vn",
               IOC_SMTP_HOST="127.0.0.1", IOC_SMTP_PORT=str(free_port()))  # fmt: skip
    assert down.returncode != 0 and "NOT delivered" in down.stdout and "retried" in down.stderr


def test_users_email(store, tmp_path):
    assert ioc(store, tmp_path, "users", "add", "an", "--grant", "lanh_dao:BMP", "--sso").returncode == 0
    result = ioc(store, tmp_path, "users", "email", "an", "an@example.gov.vn")
    assert result.returncode == 0 and "alerts go to an@example.gov.vn" in result.stdout
    assert ioc(store, tmp_path, "users", "email", "an", "not-an-address").returncode != 0
