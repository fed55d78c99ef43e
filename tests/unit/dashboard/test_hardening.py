"""Pure parts of the hardened surface: safe redirects, redaction, formula-safe exports, plain
chart text, the new settings and file modes (issue 13, item 7)."""

from __future__ import annotations

import csv
import io
import json
import logging
import stat

import pytest
from openpyxl import load_workbook

from dashboard.config import load_settings
from dashboard.errors import SettingsError
from dashboard.exports import to_csv, to_xlsx
from dashboard.redact import install_log_redaction, redact
from dashboard.security import content_security_policy, host_allowed, safe_next
from layouts.components.charts import (
    RankBar,
    Series,
    funnel_figure,
    plain,
    ranking_figure,
    share_figure,
    trend_figure,
)

# --- open redirect ---------------------------------------------------------------------------------
OFF_SITE = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\t/evil.example",
    "/%09/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    " /x",
    "/x y",
    "/%2F%2Fevil.example",
    "/%2f%2fevil.example",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/%252F%252Fevil.example",
    "https://evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    "HTTPS://evil.example/",
    "evil.example",
    "",
    "/\x00/evil",
    "/\u2028/evil",
    "/\u00a0/evil",
    "/\u200b/evil",
    "//evil.example@localhost",
    "/" + "a" * 3000,
]


@pytest.mark.parametrize("target", OFF_SITE)
def test_safe_next_refuses_every_form_that_can_leave_the_site(target):
    assert safe_next(target) == "/"
    assert safe_next(target, default="/units") == "/units"


@pytest.mark.parametrize(
    "target", ["/", "/units/BNV", "/dossiers?lang=en&unit=BNV-VP", "/wall?playlist=p1#x", "/units/B%C3%A1o"]
)
def test_safe_next_keeps_paths_of_this_site(target):
    assert safe_next(target) == target


def test_safe_next_of_nothing_is_the_default():
    assert safe_next(None) == "/"


# --- redaction -------------------------------------------------------------------------------------
SECRET_URL = "https://u:S3cret@host.example/x?a=1&token=abc&code=xyz"


def test_redact_hides_url_passwords_and_secret_parameters():
    out = redact(f"GET {SECRET_URL} failed; postgresql+psycopg://ioc:p@ss:w0rd@db:5432/ioc?password=pw1")
    for secret in ("S3cret", "abc", "xyz", "p@ss", "w0rd", "pw1"):
        assert secret not in out
    assert "https://u:***@host.example/x?a=1&token=***&code=***" in out
    assert "postgresql+psycopg://ioc:***@db:5432/ioc" in out


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "passwd",
        "pwd",
        "token",
        "access_token",
        "refresh_token",
        "id_token",
        "secret",
        "client_secret",
        "api_key",
        "apikey",
        "key",
        "checksum",
        "signature",
        "sig",
        "auth",
        "session",
        "code",
        "ACCESS_TOKEN",
    ],
)
def test_redact_hides_each_secret_looking_parameter(name):
    assert redact(f"/p?{name}=SeCrEtVaLuE&x=1") == f"/p?{name}=***&x=1"
    assert "SeCrEtVaLuE" not in redact(json.dumps({name: "SeCrEtVaLuE"}))


def test_redact_keeps_ordinary_parameters_and_known_values():
    assert redact("/p?monkey=1&keyword=2&unit=BNV") == "/p?monkey=1&keyword=2&unit=BNV"
    assert redact("the shared secret is hunter22", ["hunter22"]) == "the shared secret is ***"
    assert redact("Authorization: Bearer abc.def") == "Authorization: Bearer ***"


def test_log_records_are_redacted_from_any_logger(caplog):
    install_log_redaction()
    with caplog.at_level(logging.INFO):
        logging.getLogger("ioc.test.child").warning("cannot reach %s", SECRET_URL)
        try:
            raise RuntimeError(f"boom at {SECRET_URL}")
        except RuntimeError:
            logging.getLogger("collectors.x").exception("failed")
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert "https://u:***@host.example" in text
    assert "S3cret" not in text and "token=abc" not in text


# --- exports ---------------------------------------------------------------------------------------
ROWS = [
    {
        "Mã": '=HYPERLINK("https://evil.example","x")',
        "Đơn vị": "+SUM(A1)",
        "Ghi chú": "-2+3",
        "Người": "@cmd",
        "Tab": "\t=1+1",
        "CR": "\r=1+1",
        "Số": 42,
        "Âm": -3,
        "Tỷ lệ": 0.5,
        "Văn bản": "HS-1",
    },
]


def test_csv_neutralises_formula_cells_and_keeps_numbers():
    text = to_csv(ROWS).decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    cells = dict(zip(header, row, strict=False))
    for key in ("Mã", "Đơn vị", "Ghi chú", "Người", "Tab", "CR"):
        assert cells[key].startswith("'"), key
        assert cells[key][1:] == ROWS[0][key]
    assert cells["Số"] == "42" and cells["Âm"] == "-3" and cells["Văn bản"] == "HS-1"


def test_xlsx_stores_formula_looking_text_as_text_and_numbers_as_numbers():
    book = load_workbook(io.BytesIO(to_xlsx(ROWS, title="=1+1 danh sách")))
    ws = book.active
    assert ws["A1"].data_type == "s" and ws["A1"].value == "=1+1 danh sách"
    header = [c.value for c in ws[2]]
    values = {h: c for h, c in zip(header, ws[3], strict=False)}
    for key in ("Mã", "Đơn vị", "Ghi chú", "Người", "Tab", "CR", "Văn bản"):
        assert values[key].data_type == "s", key
        assert values[key].value.strip() == ROWS[0][key].strip()  # XML turns a lone CR into LF
    assert values["Số"].data_type == "n" and values["Số"].value == 42
    assert values["Âm"].data_type == "n" and values["Âm"].value == -3


def test_xlsx_dates_are_dates_and_formula_text_next_to_them_stays_text():
    """Issue 16: a received time and a due day are spreadsheet dates (sortable, dd/mm/yyyy), not
    text — while the formula neutralising of the text beside them is unchanged."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    received = datetime(2026, 3, 5, 8, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    rows = [{"Mã": "=cmd|' /C calc'!A0", "Tiếp nhận": received, "Hạn": date(2026, 3, 10), "Số": 2}]
    ws = load_workbook(io.BytesIO(to_xlsx(rows, title="t"))).active
    values = {h.value: c for h, c in zip(ws[2], ws[3], strict=False)}
    assert values["Mã"].data_type == "s" and values["Mã"].value.startswith("=cmd")
    assert values["Tiếp nhận"].is_date and values["Tiếp nhận"].value == datetime(
        2026, 3, 5, 8, 30
    )  # local, naive
    assert values["Tiếp nhận"].number_format == "dd/mm/yyyy hh:mm"
    assert values["Hạn"].is_date and values["Hạn"].value.date() == date(2026, 3, 10)
    assert values["Hạn"].number_format == "dd/mm/yyyy"


# --- plain text in charts ------------------------------------------------------------------------------
EVIL = '<a href="https://evil.example">x</a>'


def _json(fig) -> str:
    # Plotly's JSON escapes "<" and "/" (\u003c): decode, so the test sees what the browser gets.
    return json.dumps(json.loads(fig.to_json()), ensure_ascii=False)


def test_a_unit_named_with_a_link_stays_text_in_the_ranking_chart():
    rows = [RankBar("=U1", EVIL, 0.9, "green", 1, None, ""), RankBar("U2", "Sở <b>Nội vụ</b>", 0.8, "red", 2)]
    text = _json(ranking_figure(rows, unit="percent", highlight="=U1"))
    assert "<a " not in text and "<b>Nội vụ" not in text
    assert "&lt;a href=" in text
    assert "<b>1. &lt;a href" in text  # our own markup (the highlight) stays


def test_series_names_and_labels_are_plain_text_in_every_builder():
    from datetime import date

    figs = [
        trend_figure(
            [date(2026, 1, 1)], bars=[Series(EVIL, [1])], lines=[Series(EVIL, [0.5], unit="percent")]
        ),
        funnel_figure([EVIL, "b"], [Series(EVIL, [3, 1])]),
        share_figure([EVIL, "b"], [1, 2]),
    ]
    for fig in figs:
        assert "<a " not in _json(fig)
    assert plain("Sở A & B") == "Sở A &amp; B"


# --- settings ---------------------------------------------------------------------------------------
def test_hardening_settings_defaults(tmp_path):
    s = load_settings(env={}, data_dir=tmp_path / "d")
    assert s.frame_ancestors == "'self'"
    assert s.cookie_secure is False
    assert s.allowed_host_list == ["localhost", "127.0.0.1", "[::1]"]
    assert s.max_request_bytes == 2 * 1024 * 1024
    assert s.rate_limit == "300/minute"
    assert s.trusted_proxies == 0


def test_allowed_hosts_add_a_specific_ioc_host_but_not_a_wildcard(tmp_path):
    env = {"IOC_DATA_DIR": str(tmp_path / "d")}
    assert load_settings(env={**env, "IOC_HOST": "10.0.0.5"}).allowed_host_list[-1] == "10.0.0.5"
    assert "0.0.0.0" not in load_settings(env={**env, "IOC_HOST": "0.0.0.0"}).allowed_host_list
    assert load_settings(
        env={**env, "IOC_ALLOWED_HOSTS": "ioc.example.gov.vn, .ioc.gov.vn"}
    ).allowed_host_list == ["ioc.example.gov.vn", ".ioc.gov.vn"]


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("IOC_RATE_LIMIT", "lots", "IOC_RATE_LIMIT='lots' is invalid: expected a rate such as 300/minute"),
        ("IOC_FRAME_ANCESTORS", "'self'; script-src *", "IOC_FRAME_ANCESTORS"),
        ("IOC_ALLOWED_HOSTS", "evil host", "IOC_ALLOWED_HOSTS"),
        ("IOC_MAX_REQUEST_BYTES", "10", "IOC_MAX_REQUEST_BYTES='10' is invalid: expected a number of bytes"),
        ("IOC_RATELIMIT_STORAGE_URL", "mongodb://x", "IOC_RATELIMIT_STORAGE_URL"),
    ],
)
def test_bad_hardening_settings_are_refused_with_a_clear_message(tmp_path, name, value, says):
    with pytest.raises(SettingsError, match=None) as err:
        load_settings(env={"IOC_DATA_DIR": str(tmp_path / "d"), name: value})
    assert says in str(err.value)


def test_host_allowlist_matching():
    allowed = ["localhost", "127.0.0.1", "[::1]", ".ioc.gov.vn"]
    assert all(
        host_allowed(h, allowed)
        for h in ("localhost", "127.0.0.1:8050", "[::1]:80", "ioc.gov.vn", "a.ioc.gov.vn")
    )
    assert not any(
        host_allowed(h, allowed)
        for h in (
            "",
            "evil.example",
            "localhost.evil",
            "xioc.gov.vn",
            "127.0.0.1.evil",
            "[::2]",
            "local host",
        )
    )


def test_csp_has_no_inline_scripts_and_the_frame_ancestors_setting():
    policy = content_security_policy(["'sha256-abc='"], "'self' https://portal.example")
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["script-src"] == "'self' 'sha256-abc='"
    assert "unsafe" not in directives["script-src"]
    assert directives["frame-ancestors"] == "'self' https://portal.example"
    assert directives["object-src"] == "'none'"


# --- files --------------------------------------------------------------------------------------
def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_directory_database_and_key_are_private(tmp_path):
    from dashboard.db import make_engine

    settings = load_settings(env={}, data_dir=tmp_path / "fresh" / "data")
    make_engine(settings.database_url).dispose()
    assert _mode(settings.data_dir) == 0o700
    assert _mode(settings.data_dir / "secret_key") == 0o600
    assert _mode(settings.data_dir / "ioc.sqlite3") == 0o600


def test_filesystem_cache_directory_is_private(tmp_path):
    from dashboard.cache import cache_config

    settings = load_settings(env={}, data_dir=tmp_path / "data")
    cache_config(settings)
    assert _mode(settings.cache_dir) == 0o700
