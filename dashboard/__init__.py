"""IOC dashboard core library: configuration, canonical store, KPI engine, i18n and CLI.

Nothing here knows about Dash except :mod:`dashboard.webapp`, which builds the app.
"""

__version__ = "0.1.0"
