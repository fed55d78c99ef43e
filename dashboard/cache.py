"""The shared cache (flask-caching): FileSystemCache in the data directory by default,
RedisCache when ``IOC_CACHE_BACKEND=redis`` — one computation serves every worker and screen.

The extension is created unbound and bound to each Flask server in :func:`init_app`.
"""

from __future__ import annotations

import logging
import time

from flask import Flask
from flask_caching import Cache

from dashboard.config import Settings, make_private_dir

cache = Cache()

_TYPES = {
    "filesystem": "FileSystemCache",
    "redis": "RedisCache",
    "simple": "SimpleCache",
    "null": "NullCache",
}


def cache_config(settings: Settings) -> dict:
    config: dict = {
        "CACHE_TYPE": _TYPES[settings.cache_backend],
        "CACHE_DEFAULT_TIMEOUT": settings.cache_timeout,
        "CACHE_KEY_PREFIX": "ioc:",
    }
    if settings.cache_backend == "filesystem":
        # Entries are pickles (cachelib's FileSystemCache, files 0600): only this account may
        # write them, so only this account may enter the directory.
        make_private_dir(settings.cache_dir)
        config["CACHE_DIR"] = str(settings.cache_dir)
        config["CACHE_THRESHOLD"] = 5000
    elif settings.cache_backend == "redis":
        config["CACHE_REDIS_URL"] = settings.redis_url
        # A stopped or unreachable Redis must cost a page milliseconds, not a hung worker.
        config["CACHE_OPTIONS"] = {"socket_timeout": 1.0, "socket_connect_timeout": 1.0}
    return config


def init_app(server: Flask, settings: Settings) -> Cache:
    cache.init_app(server, config=cache_config(settings))
    return cache


_log = logging.getLogger(__name__)
_last_warning = [0.0]


def _warn(action: str, exc: Exception) -> None:
    now = time.monotonic()
    if now - _last_warning[0] > 60:  # once a minute, not once a request
        _last_warning[0] = now
        _log.warning(
            "shared cache unavailable (%s: %s): serving without it",
            action,
            str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
        )


def safe_get(key: str):
    """``cache.get`` that answers None when the cache is down (Redis stopped): pages compute
    instead of failing, and use the cache again as soon as it answers."""
    try:
        return cache.get(key)
    except Exception as exc:
        _warn("get", exc)
        return None


def safe_set(key: str, value, timeout: int | None = None) -> bool:
    try:
        return bool(cache.set(key, value, timeout=timeout))
    except Exception as exc:
        _warn("set", exc)
        return False
