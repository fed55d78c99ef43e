"""Collectors: adapters that read source systems, the runner that writes the canonical store,
the scheduler, and the simulator that feeds the demo.

An adapter knows one protocol and yields raw rows (:mod:`collectors.base`); it never touches our
database. The runner validates, upserts, maintains rollups and watermarks in one transaction per
batch.
"""
