"""Simulated wall screens that speak the real protocol, for benchmarks/screens.py and pages.py.

A screen is registered (:func:`dashboard.screens.add`, what ``ioc screens add`` calls), opens its
one-time ``/screens/enrol/<code>`` URL and keeps the cookies it gets (the device credential, the
session and the ``_csrf_token`` that dash-renderer copies into ``X-CSRFToken``); then it posts the
wall's refresh callback as the browser does (``layouts/home.py`` ``refresh``, ``assets/wall.js``),
keeping the view the server sends back.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[1]


def start_gunicorn(
    database_url: str,
    data_dir: Path,
    port: int,
    *,
    redis_url: str | None = None,
    workers: int = 2,
    threads: int = 8,
    rate_limit: str | None = None,
    app: str = "benchmarks.bench_app:server",
) -> subprocess.Popen:
    """The production topology on this machine: gunicorn, ``workers`` processes of ``threads``."""
    gunicorn = shutil.which("gunicorn") or str(Path(sys.executable).with_name("gunicorn"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update(IOC_DATA_DIR=str(data_dir), IOC_DATABASE_URL=database_url, IOC_LOG_LEVEL="WARNING")
    if redis_url:
        env.update(IOC_CACHE_BACKEND="redis", IOC_REDIS_URL=redis_url)
    if rate_limit:
        env["IOC_RATE_LIMIT"] = rate_limit
    proc = subprocess.Popen(
        [
            gunicorn,
            "-w",
            str(workers),
            "-k",
            "gthread",
            "--threads",
            str(threads),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--backlog",
            "2048",
            app,
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5):
                return proc
        except OSError:
            if proc.poll() is not None:
                raise SystemExit("gunicorn exited") from None
            time.sleep(0.5)
    raise SystemExit("gunicorn did not start")


def register_screens(engine, units: list[str], prefix: str = "bench") -> list[tuple[str, str]]:
    """One screen per entry of ``units`` (a unit code each); returns (unit, enrolment code)."""
    from dashboard import screens
    from dashboard.db import make_sessionmaker
    from dashboard.models import Screen

    out = []
    with make_sessionmaker(engine).begin() as session:
        taken = set(session.scalars(select(Screen.name)))
        for i, unit in enumerate(units):
            name = f"{prefix}-{i:04d}"
            while name in taken:
                name += "x"
            _screen, code = screens.add(session, name, "tong-quan", unit, enrol_hours=2)
            out.append((unit, code))
    return out


@dataclass
class ScreenClient:
    """One enrolled screen: its cookies, its view, a kept-alive connection."""

    port: int
    unit: str
    cookies: dict[str, str] = field(default_factory=dict)
    view: dict | None = None
    conn: http.client.HTTPConnection | None = None

    def _take_cookies(self, response: http.client.HTTPResponse) -> None:
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value

    def _cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def enrol(self, code: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request("GET", f"/screens/enrol/{code}")
        response = conn.getresponse()
        response.read()
        self._take_cookies(response)
        if response.status != 302 or "ioc_screen" not in self.cookies:
            raise SystemExit(f"enrolment failed: HTTP {response.status}")
        conn.request(
            "GET", "/?kiosk=1", headers={"Cookie": self._cookie_header()}
        )  # the page: session + CSRF
        response = conn.getresponse()
        response.read()
        self._take_cookies(response)
        conn.close()
        if "_csrf_token" not in self.cookies:
            raise SystemExit(f"no CSRF cookie after loading the wall (HTTP {response.status})")

    def post(self, payload: dict) -> tuple[int, bytes]:
        # A kept-alive connection the server closed while the screen waited (gunicorn drops idle
        # ones after a few seconds) is retried once on a new one, as browsers do.
        reused = self.conn is not None
        try:
            return self._post(payload)
        except (OSError, http.client.HTTPException):
            if not reused:
                raise
            return self._post(payload)

    def _post(self, payload: dict) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            self.conn.request(
                "POST",
                "/_dash-update-component",
                body=json.dumps(payload),
                headers={
                    "Content-Type": "application/json",
                    "Cookie": self._cookie_header(),
                    "X-CSRFToken": self.cookies.get("_csrf_token", ""),
                    "X-IOC-Slide": "/?kiosk=1",
                },
            )
            response = self.conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise
        self._take_cookies(response)
        return response.status, body

    def refresh(self, output: str, poll: int) -> tuple[int, bytes]:
        """The wall's refresh as the browser sends it; keeps the view the server sends back."""
        status, body = self.post(refresh_payload(output, self.view, poll))
        if status == 200 and body:
            sent = json.loads(body)["response"].get("wall-view")
            if sent:
                self.view = sent["data"]
        return status, body


def wall_output(client: ScreenClient) -> str:
    """The refresh callback's outputs, from the app's dependencies (asked as an enrolled screen)."""
    conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=60)
    conn.request("GET", "/_dash-dependencies", headers={"Cookie": client._cookie_header()})
    deps = json.loads(conn.getresponse().read())
    conn.close()
    return next(d for d in deps if any(i["id"] == "wall-poll" for i in d["inputs"]))["output"]


def refresh_payload(output: str, view: dict | None, poll: int) -> dict:
    view = view or {"unit": None, "period": "mtd", "lang": "vi", "kiosk": True, "signature": "new"}
    return {
        "output": output,
        "outputs": [
            {"id": o.rsplit(".", 1)[0], "property": o.rsplit(".", 1)[1]}
            for o in output.strip(".").split("...")
        ],
        "inputs": [{"id": "wall-poll", "property": "data", "value": poll}],
        "state": [{"id": "wall-view", "property": "data", "value": view}],
        "changedPropIds": ["wall-poll.data"],
    }


def enrolled_screens(engine, port: int, units: list[str], prefix: str = "bench") -> list[ScreenClient]:
    clients = []
    for unit, code in register_screens(engine, units, prefix):
        client = ScreenClient(port, unit)
        client.enrol(code)
        client.view = {"unit": unit, "period": "mtd", "lang": "vi", "kiosk": True, "signature": "new"}
        clients.append(client)
    return clients


def bench_units(engine) -> list[str]:
    """The spread of scopes a ministry's screens show: the whole agency (its root), each central
    unit, each provincial department."""
    from dashboard.db import make_sessionmaker
    from dashboard.models import OrgUnit

    with make_sessionmaker(engine)() as session:
        rows = session.execute(
            select(OrgUnit.code, OrgUnit.level)
            .where(OrgUnit.active.is_(True))
            .order_by(OrgUnit.sort_order, OrgUnit.code)
        ).all()
    roots = [c for c, level in rows if level == "ministry"]
    return (
        roots
        + [c for c, level in rows if level == "department"]
        + [c for c, level in rows if level == "province"]
    )
