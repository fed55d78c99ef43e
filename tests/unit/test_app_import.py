"""Importing app.py builds the app without touching the network or starting anything."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import socket, threading
calls = []
real_connect = socket.socket.connect
def spy(self, address):
    calls.append(address)
    return real_connect(self, address)
socket.socket.connect = spy
before = threading.active_count()
import app
assert app.server is app.app.server
print("threads", before, threading.active_count())
print("connects", len(calls))
"""


def test_importing_app_opens_no_connection_and_starts_no_thread(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    # A PostgreSQL URL that would fail if anything tried to connect.
    env.update(IOC_DATA_DIR=str(tmp_path), IOC_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" ", 1) for line in result.stdout.strip().splitlines())
    before, after = map(int, lines["threads"].split())
    assert after == before
    assert lines["connects"] == "0"


def test_bad_setting_at_import_is_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update(IOC_DATA_DIR=str(tmp_path), IOC_LANGUAGE="de")
    result = subprocess.run(
        [sys.executable, "-c", "import app"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "ioc: error: IOC_LANGUAGE='de' is invalid: expected vi or en"
