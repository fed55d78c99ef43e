"""The KPI tests' store (demo units on each backend) serves the alert tests too."""

from tests.integration.kpis.conftest import store  # noqa: F401
