"""Test tiers: SQLite always; PostgreSQL, Redis and the browser when this machine has them.

Locally a missing tier is skipped (and named once in the summary); with ``CI=true`` a missing
tier fails the tests that need it, so CI can never pass without running them.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass

import pytest


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def chromium_binary() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass(frozen=True)
class Tier:
    name: str
    value: str | None
    hint: str

    @property
    def available(self) -> bool:
        return bool(self.value)


def tiers() -> dict[str, Tier]:
    browser = shutil.which("chromedriver") if chromium_binary() else None
    return {
        "postgresql": Tier(
            "postgresql",
            os.environ.get("IOC_TEST_DATABASE_URL"),
            "set IOC_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test",
        ),
        "redis": Tier(
            "redis", os.environ.get("IOC_TEST_REDIS_URL"), "set IOC_TEST_REDIS_URL=redis://127.0.0.1:6379/15"
        ),
        "browser": Tier(
            "browser",
            browser or None,
            "install Chromium and chromedriver (Debian: apt-get install chromium chromium-driver)",
        ),
    }


def require(name: str) -> Tier:
    """Return the tier or skip (locally) / fail (CI) the current test."""
    tier = tiers()[name]
    if tier.available:
        return tier
    message = f"{name} tier unavailable: {tier.hint}"
    if _in_ci():
        pytest.fail(f"CI=true requires the {message}", pytrace=False)
    pytest.skip(message)
    raise AssertionError("unreachable")
