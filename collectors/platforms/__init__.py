"""Simulated platform servers: local HTTP servers that behave like BigBlueButton, TrueConf, Jitsi,
a dossier REST service and OpenCPS, with injectable faults.

Product code: ``ioc demo`` runs the BigBlueButton and dossier servers so the embedded demo
exercises the adapters' real HTTP path, and the adapters' tests run against the same servers
(``from collectors.platforms.bbb import FakeBbb``). Nothing here imports the tests.
"""
