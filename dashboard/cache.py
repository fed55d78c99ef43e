"""The shared cache (flask-caching): FileSystemCache in the data directory by default,
RedisCache when ``IOC_CACHE_BACKEND=redis`` — one computation serves every worker and screen.

The extension is created unbound and bound to each Flask server in :func:`init_app`.
"""

from __future__ import annotations

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
    return config


def init_app(server: Flask, settings: Settings) -> Cache:
    cache.init_app(server, config=cache_config(settings))
    return cache
