"""The wall through Debian's nginx with deploy/nginx/ioc.conf, in front of gunicorn: TLS, static
assets from disk with a long cache, /metrics refused, an enrolled screen's refresh answered."""

import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from benchmarks._screens import register_screens
from dashboard.units import DEMO_UNITS_FILE, import_units_file

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def site_config(tmp: Path, https_port: int, http_port: int, upstream: str) -> str:
    """deploy/nginx/ioc.conf with this test's ports, paths and certificate, inside a minimal
    nginx.conf (its own prefix, pid and logs: nothing of the system's nginx is touched)."""
    site = (ROOT / "deploy/nginx/ioc.conf").read_text()
    site = site.replace("unix:/run/ioc/web.sock", upstream)
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)
    site = site.replace("/etc/ssl/ioc/", f"{tmp}/")
    site = site.replace("/opt/ioc/app/", f"{ROOT}/")
    site = site.replace("/etc/nginx/ioc_proxy.conf", str(ROOT / "deploy/nginx/ioc_proxy.conf"))
    site = site.replace("/var/log/nginx/", f"{tmp}/")
    return (
        f"worker_processes 1;\nuser root;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log warn;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n include /etc/nginx/mime.types;\n client_body_temp_path {tmp}/body;\n"
        f" proxy_temp_path {tmp}/proxy;\n fastcgi_temp_path {tmp}/fcgi;\n uwsgi_temp_path {tmp}/uwsgi;\n"
        f" scgi_temp_path {tmp}/scgi;\n{site}\n}}\n"
    )


@pytest.fixture
def wall_behind_nginx(databases, tmp_path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert os.path.exists(nginx), "nginx is installed by .ci/run (apt-get install -y nginx)"
    engine = databases.engine()
    from dashboard.db import make_sessionmaker

    with make_sessionmaker(engine).begin() as session:
        import_units_file(session, DEMO_UNITS_FILE)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(tmp_path / "privkey.pem"),
            "-out",
            str(tmp_path / "fullchain.pem"),
        ],
        check=True,
        capture_output=True,
    )
    app_port, https_port, http_port = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
    env.update(
        IOC_DATA_DIR=str(tmp_path / "data"),
        IOC_DATABASE_URL=engine.url.render_as_string(hide_password=False),
        IOC_TRUSTED_PROXIES="1",
        IOC_COOKIE_SECURE="true",
        IOC_BIND=f"127.0.0.1:{app_port}",
        IOC_WORKERS="1",
        IOC_THREADS="4",
    )
    gunicorn = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "-c",
            str(ROOT / "deploy/gunicorn.conf.py"),
            "app:server",
        ],
        cwd=ROOT,
        env=env,
        stderr=open(tmp_path / "gunicorn.log", "w"),  # noqa: SIM115 -- lives as long as the process
    )
    (tmp_path / "nginx.conf").write_text(
        site_config(tmp_path, https_port, http_port, f"127.0.0.1:{app_port}")
    )
    proxy = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stderr=open(tmp_path / "nginx.log", "w"),  # noqa: SIM115 -- lives as long as the process
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if _get(https_port, "/healthz")[0] == 200:
                    break
                raise ConnectionError("502: gunicorn not up yet")
            except OSError:
                assert gunicorn.poll() is None, (tmp_path / "gunicorn.log").read_text()
                assert proxy.poll() is None, (tmp_path / "nginx.log").read_text() + (
                    tmp_path / "error.log"
                ).read_text()
                assert time.monotonic() < deadline, "nginx + gunicorn did not answer"
                time.sleep(0.5)
        yield engine, https_port, http_port
    finally:
        proxy.terminate()
        gunicorn.terminate()
        proxy.wait(10)
        gunicorn.wait(30)


def _ctx():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(port, path, headers=None, data=None):
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=_ctx()), _NoRedirect())
    request = urllib.request.Request(f"https://localhost:{port}{path}", data=data, headers=headers or {})
    try:
        response = opener.open(request, timeout=30)
    except urllib.error.HTTPError as exc:
        response = exc
    return (
        response.status,
        dict(response.headers),
        response.headers.get_all("Set-Cookie") or [],
        response.read(),
    )


def test_the_wall_loads_through_nginx(wall_behind_nginx):
    engine, port, http_port = wall_behind_nginx
    status, headers, _, body = _get(port, "/healthz")
    assert status == 200 and json.loads(body)["status"] == "alive"
    assert headers.get("X-Request-ID")  # nginx's $request_id, echoed by the app
    # Static files from disk with a year's cache.
    status, headers, _, _ = _get(port, "/assets/style.css")
    assert status == 200 and "immutable" in headers["Cache-Control"]
    assert _get(port, "/metrics")[0] == 404
    # Plain HTTP goes to HTTPS.
    plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    plain.request("GET", "/", headers={"Host": "localhost"})
    moved = plain.getresponse()
    assert moved.status == 301 and moved.headers["Location"].startswith("https://localhost")
    plain.close()
    # An enrolled screen: the device cookie (Secure, behind TLS), the wall page, then its refresh.
    [(_, code)] = register_screens(engine, ["BMP"], prefix="nginx")
    status, _, set_cookies, _ = _get(port, f"/screens/enrol/{code}")
    assert status == 302
    cookies = dict(c.split(";", 1)[0].split("=", 1) for c in set_cookies)
    assert any("ioc_screen=" in c and "Secure" in c for c in set_cookies)
    status, headers, set_cookies, page = _get(
        port, "/?kiosk=1", {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    )
    assert status == 200 and b"_dash-config" in page
    assert headers.get("Strict-Transport-Security")  # the app knows the request came over TLS
    cookies.update(dict(c.split(";", 1)[0].split("=", 1) for c in set_cookies))
    status, _, _, deps = _get(
        port, "/_dash-dependencies", {"Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    )
    output = next(d for d in json.loads(deps) if any(i["id"] == "wall-poll" for i in d["inputs"]))["output"]
    from benchmarks._screens import refresh_payload

    payload = refresh_payload(
        output, {"unit": None, "period": "mtd", "lang": "vi", "kiosk": True, "signature": "x"}, 1
    )
    status, _, _, body = _get(
        port,
        "/_dash-update-component",
        {
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "X-CSRFToken": cookies["_csrf_token"],
            "Content-Type": "application/json",
        },
        json.dumps(payload).encode(),
    )
    assert status == 200, body[:300]
    answer = json.loads(body)["response"]
    assert answer["wall-view"]["data"]["signature"].startswith("v")
    assert "wall-body" in answer
