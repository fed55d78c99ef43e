"""Browser tier: a real `ioc serve` process and headless Chromium driven by the system chromedriver."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.tiers import chromium_binary, require

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
#: The demo ministry's root unit, and the account every browser test signs in with by default.
DEMO_ROOT = "BMP"
LEADER = "e2e-lanh-dao"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_cli(args, env, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        **kwargs,
    )


class LiveServer:
    """`ioc serve` in a child process on a private data directory."""

    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("IOC_")}
        self.env.update(IOC_DATA_DIR=str(data_dir), IOC_CACHE_BACKEND="simple", **(extra_env or {}))
        self.process: subprocess.Popen | None = None
        self.log = data_dir / "server.log"
        self.passwords: dict[str, str] = {}

    def start(self, timeout: float = 60) -> None:
        if LEADER not in self.passwords:
            # The leadership (and monitoring) of the whole demo ministry, allowed secret documents.
            self.add_account(LEADER, f"lanh_dao:{DEMO_ROOT}", f"theo_doi:{DEMO_ROOT}", secret=True)
        self.log.parent.mkdir(parents=True, exist_ok=True)
        log = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ioc serve exited: {self.log.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.2)
        raise RuntimeError(f"ioc serve did not answer within {timeout}s")

    def add_account(self, name: str, *grants: str, secret: bool = False) -> str:
        """A local account on this server's store (through the real CLI); returns its password."""
        password = f"pw-{name}-{os.getpid()}-e2e"
        args = ["users", "add", name, "--password-stdin", *[a for g in grants for a in ("--grant", g)]]
        if secret:
            args.append("--secret")
        done = run_cli(args, self.env, input=password + "\n")
        assert done.returncode == 0, done.stderr
        self.passwords[name] = password
        return password

    def sign_in(self, driver, name: str = LEADER) -> None:
        """Sign ``driver`` in as ``name`` through the real sign-in form (a fresh session each time:
        servers on other ports of 127.0.0.1 share the browser's cookies)."""
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        driver.delete_all_cookies()
        driver.get(self.url + "/login")
        driver.find_element(By.ID, "login-username").send_keys(name)
        driver.find_element(By.ID, "login-password").send_keys(self.passwords[name])
        driver.find_element(By.ID, "login-submit").click()
        # Generous: a loaded CI machine has taken more than 20 s for a first page after sign-in.
        WebDriverWait(driver, 60).until(lambda d: "/login" not in d.current_url)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def _served(tmp_path_factory, demo_args):
    require("browser")
    data_dir = tmp_path_factory.mktemp("ioc-e2e")
    server = LiveServer(data_dir)
    prepared = run_cli(["demo", "--no-serve", *demo_args], server.env)
    assert prepared.returncode == 0, prepared.stderr
    if "--no-simulation" not in demo_args:
        server.env["IOC_SOURCES_FILE"] = str(data_dir / "demo" / "sources.toml")
    server.start()
    return server


@pytest.fixture(autouse=True)
def _signed_in_browser(request):
    """Every browser test on a served store starts signed in as the leadership (whole ministry),
    unless marked ``@pytest.mark.anonymous`` (it then starts with no cookies at all)."""
    if "browser" not in request.fixturenames:
        return
    names = [n for n in request.fixturenames if n == "server" or n.endswith("_server")]
    if not names:
        return
    server = request.getfixturevalue(names[0])
    driver = request.getfixturevalue("browser")
    if request.node.get_closest_marker("anonymous"):
        driver.delete_all_cookies()
        return
    server.sign_in(driver)


@pytest.fixture(scope="module")
def empty_server(tmp_path_factory):
    """The demo units and no facts at all: what a new installation shows before collecting."""
    server = _served(tmp_path_factory, ["--no-simulation"])
    yield server
    server.stop()


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """The embedded default with 60 days of the simulated agency, served by the real CLI."""
    server = _served(tmp_path_factory, ["--days", "60"])
    yield server
    server.stop()


def new_chromium():
    """A headless Chromium of its own (a fresh profile: its own cookies and storage)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium_binary()
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument("--window-size=1920,1080")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=require("browser").value))
    driver.set_page_load_timeout(30)
    return driver


@pytest.fixture(scope="module")
def browser():
    require("browser")
    driver = new_chromium()
    yield driver
    driver.quit()


def console_messages(driver) -> list[dict]:
    """Everything the page wrote to the browser console since the last call."""
    return driver.get_log("browser")


def screenshot(driver, name: str, width: int, height: int) -> Path:
    """Save a full-viewport screenshot at the given size under tests/artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    path = ARTIFACTS / f"{name}-{width}x{height}.png"
    driver.save_screenshot(str(path))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    return path
