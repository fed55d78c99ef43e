"""The collector's monitoring job: evaluate the alert rules when the data version changed (a
collector committed new data) or when the timer is due (time-driven KPIs such as overdue counts
change without new data), then deliver the notifications that are due."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import Engine

from dashboard.config import Settings
from dashboard.db import make_sessionmaker
from dashboard.queries import current_data_version

log = logging.getLogger(__name__)

EVALUATE_EVERY_S = 300.0  # the timer, for values that move with the clock alone
TICK_S = 5.0  # how often the collector checks the data version


class Monitor:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        every_s: float = EVALUATE_EVERY_S,
        guard: Callable[[], None] | None = None,
    ):
        self.engine = engine
        self.guard = guard  # the collector lock's: a collector that lost its lock writes nothing
        self.settings = settings
        self.every_s = every_s
        self.version: int | None = None
        self.last_run = 0.0

    def tick(self) -> None:
        """Never raises: a failed evaluation or delivery is logged and tried again next tick."""
        from dashboard.alerts.evaluate import evaluate_rules
        from dashboard.notify import deliver_due

        if self.guard is not None:
            try:
                self.guard()
            except Exception:
                return
        try:
            with make_sessionmaker(self.engine)() as session:
                version = current_data_version(session)
            if version != self.version or time.monotonic() - self.last_run >= self.every_s:
                report = evaluate_rules(self.engine, self.settings)
                self.version, self.last_run = version, time.monotonic()
                if report.changes or report.emails:
                    log.info("alerts: %s", report.summary())
        except Exception:
            log.exception("alert evaluation failed; retrying at the next tick")
        try:
            deliver_due(self.engine, self.settings)
        except Exception:
            log.exception("notification delivery failed; retrying at the next tick")
