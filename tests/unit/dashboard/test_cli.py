"""The CLI through its real entry point, in subprocesses: one-line errors, exit codes."""

import os
import subprocess
import sys


def run_ioc(*args, env=None, cwd=None):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=120,
    )


def test_help_lists_the_commands():
    result = run_ioc("--help")
    assert result.returncode == 0
    for command in ("db", "units", "serve", "demo", "config"):
        assert f"  {command} " in result.stdout


def test_bad_setting_is_one_line_without_traceback(tmp_path):
    result = run_ioc("db", "upgrade", env={"IOC_DATA_DIR": str(tmp_path), "IOC_TIMEZONE": "Mars/Base"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "ioc: error: IOC_TIMEZONE='Mars/Base' is invalid: expected an IANA time zone name such as Asia/Ho_Chi_Minh"
    ]


def test_serve_refuses_an_unmigrated_database(tmp_path):
    result = run_ioc("serve", env={"IOC_DATA_DIR": str(tmp_path)})
    assert result.returncode == 3
    assert "run `ioc db upgrade`" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_database_is_one_line(tmp_path):
    result = run_ioc(
        "db",
        "upgrade",
        env={
            "IOC_DATA_DIR": str(tmp_path),
            "IOC_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        },
    )
    assert result.returncode == 4
    assert result.stderr.startswith(
        "ioc: error: cannot open the database postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    assert "Traceback" not in result.stderr


def test_demo_prepares_the_store_then_units_list_and_reimport_are_idempotent(tmp_path):
    env = {"IOC_DATA_DIR": str(tmp_path)}
    first = run_ioc("demo", "--no-serve", env=env)
    assert first.returncode == 0, first.stderr
    assert "demo units: 56 added, 0 updated; 56 units in the store" in first.stdout
    second = run_ioc("demo", "--no-serve", env=env)
    assert "demo units: 0 added, 0 updated; 56 units in the store" in second.stdout
    listing = run_ioc("units", "list", env=env)
    lines = listing.stdout.splitlines()
    assert lines[0].startswith("BMP  Bộ Mô phỏng")
    assert sum(1 for line in lines if line.startswith("    SO-")) == 34


def test_units_import_errors_exit_non_zero_and_list_problems(tmp_path):
    env = {"IOC_DATA_DIR": str(tmp_path)}
    assert run_ioc("db", "upgrade", env=env).returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name_vi,parent,level\nA,Đơn vị A,ZZZ,department\nB,Đơn vị B,YYY,department\n", encoding="utf-8"
    )
    result = run_ioc("units", "import", str(bad), env=env)
    assert result.returncode == 5
    lines = result.stderr.strip().splitlines()
    assert lines[0] == (
        f"ioc: error: {bad}: line 2: unit 'A' has unknown parent 'ZZZ' (and 1 more problem(s)); nothing was imported"
    )
    assert lines[1] == "  - line 3: unit 'B' has unknown parent 'YYY'"
