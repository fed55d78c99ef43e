"""Dash pages: one module per page (``register_page`` + ``layout(**kwargs)`` + its callbacks).

Pages are thin: they read the URL and ask :mod:`dashboard.queries`; no SQL here.
"""
