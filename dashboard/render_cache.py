"""One computation per distinct answer, shared by every screen and worker.

:func:`shared` returns ``compute()`` from the shared cache (Redis in production, the filesystem
cache by default) under a key the caller builds from everything the answer depends on — for the
wall refresh: the principal's resolved scope, the unit, the period, the language, the data version
and the minute. When the key is missing:

- **single flight**: one caller computes; concurrent callers of the same key — other threads, other
  workers, other hosts on one Redis — wait for its answer instead of computing it again (a lock in
  Redis, ``SET NX PX``; a ``flock`` in the cache directory for the filesystem cache; a thread lock
  for the per-process caches);
- **bounded cold work**: at most ``IOC_RENDER_CONCURRENCY`` computations run at once in a process
  (default 1); a flood of distinct requests queues behind them instead of taking every thread
  and core from the walls, whose answers are already in the cache.

A cache that fails (Redis stopped) makes every call compute directly: slower, never broken.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from dashboard import metrics
from dashboard.cache import cache, safe_get, safe_set

log = logging.getLogger(__name__)

LOCK_TTL_S = 60.0  # a crashed computer's lock expires (Redis) or dies with its process (flock)
WAIT_S = 30.0  # the wall's own request gives up after 30 s (assets/wall.js)
POLL_S = 0.01

_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()
_slots: dict[int, threading.BoundedSemaphore] = {}


def cache_key(name: str, *parts: Any) -> str:
    """A short stable key: the same parts give the same key in every process."""
    digest = hashlib.sha256("\x1f".join(map(repr, parts)).encode("utf-8")).hexdigest()[:32]
    return f"{name}:{digest}"


def _slot(concurrency: int) -> threading.BoundedSemaphore:
    with _local_guard:
        if concurrency not in _slots:
            _slots[concurrency] = threading.BoundedSemaphore(concurrency)
        return _slots[concurrency]


def _local_lock(key: str) -> threading.Lock:
    with _local_guard:
        lock = _local_locks.get(key)
        if lock is None:
            if len(_local_locks) > 10_000:  # keys carry the minute: forget old ones
                _local_locks.clear()
            lock = _local_locks[key] = threading.Lock()
        return lock


# --- cross-process locks ------------------------------------------------------------------------
class _RedisLock:
    def __init__(self, client, key: str):
        self.client, self.key, self.token = client, f"ioc:lock:{key}", secrets.token_hex(8)

    def acquire(self) -> bool:
        return bool(self.client.set(self.key, self.token, nx=True, px=int(LOCK_TTL_S * 1000)))

    def held_by_other(self) -> bool:
        return bool(self.client.exists(self.key))

    def release(self) -> None:
        try:
            if self.client.get(self.key) == self.token.encode():
                self.client.delete(self.key)
        except Exception:
            pass


class _FileLock:
    def __init__(self, directory: str, key: str):
        self.path = os.path.join(directory, "locks", key.replace(":", "_") + ".lock")
        self.fd: int | None = None

    def acquire(self) -> bool:
        os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    def held_by_other(self) -> bool:
        if self.acquire():
            self.release()
            return False
        return True

    def release(self) -> None:
        if self.fd is not None:
            try:
                os.unlink(self.path)  # (another waiter may hold the open file: it gets the answer anyway)
            except OSError:
                pass
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


class _NoLock:
    """Per-process caches (simple, null): the thread lock is the whole single flight."""

    def acquire(self) -> bool:
        return True

    def held_by_other(self) -> bool:
        return False

    def release(self) -> None:
        pass


def _cross_process_lock(key: str):
    backend = getattr(cache, "cache", None)
    client = getattr(backend, "_write_client", None)
    if client is not None:
        return _RedisLock(client, key)
    directory = getattr(backend, "_path", None)
    if directory:
        return _FileLock(directory, key)
    return _NoLock()


@contextmanager
def _cold(concurrency: int) -> Iterator[None]:
    slot = _slot(concurrency)
    slot.acquire()
    try:
        yield
    finally:
        slot.release()


# --- the one entry point --------------------------------------------------------------------------
def shared(
    key: str, compute: Callable[[], Any], *, timeout: int, concurrency: int = 1, kind: str = "wall"
) -> Any:
    """``compute()``'s answer for ``key``, computed once for all concurrent callers."""
    hit = safe_get(key)
    if hit is not None:
        metrics.CACHE_REQUESTS.labels(kind, "hit").inc()
        return hit
    with _local_lock(key):  # threads of this process queue here, then find the answer cached
        hit = safe_get(key)
        if hit is not None:
            metrics.CACHE_REQUESTS.labels(kind, "shared").inc()
            return hit
        try:
            lock = _cross_process_lock(key)
        except Exception:
            lock = _NoLock()
        deadline = time.monotonic() + WAIT_S
        while True:
            try:
                mine = lock.acquire()
            except Exception:
                log.warning("render cache unreachable: computing %s without single flight", key.split(":")[0])
                lock, mine = _NoLock(), True
            if mine:
                break
            # Another process computes it: wait for its answer (or for its lock to go).
            while time.monotonic() < deadline:
                time.sleep(POLL_S)
                hit = safe_get(key)
                if hit is not None:
                    metrics.CACHE_REQUESTS.labels(kind, "shared").inc()
                    return hit
                try:
                    if not lock.held_by_other():
                        break
                except Exception:
                    break
            if time.monotonic() >= deadline:
                lock, mine = _NoLock(), True
                break
        try:
            hit = safe_get(key)  # finished while we took the lock
            if hit is not None:
                metrics.CACHE_REQUESTS.labels(kind, "shared").inc()
                return hit
            metrics.CACHE_REQUESTS.labels(kind, "miss").inc()
            with _cold(concurrency):
                began = time.perf_counter()
                value = compute()
                if kind == "wall":
                    metrics.WALL_RENDERS.inc()
                    metrics.WALL_RENDER_SECONDS.observe(time.perf_counter() - began)
            safe_set(key, value, timeout)
            return value
        finally:
            lock.release()
