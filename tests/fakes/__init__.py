"""Fake platform servers (installed as the ``ioc_fakes`` package so the demo can run them too).

Tests and the demo import them as ``ioc_fakes`` (``from ioc_fakes.base import FakeServer``).
"""
