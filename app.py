"""The Dash app for gunicorn and ``python app.py``: ``gunicorn app:server``.

Importing this module reads the settings and builds the app; it starts no scheduler and opens no
network connection (the database is first touched by the first request).
"""

from dashboard.errors import IocError
from dashboard.webapp import create_app

try:
    app = create_app()
except IocError as exc:  # a bad setting: one line, no traceback
    raise SystemExit(f"ioc: error: {exc}") from None

server = app.server

if __name__ == "__main__":  # pragma: no cover - manual use
    app.run(host=app.server.config["IOC_SETTINGS"].host, port=app.server.config["IOC_SETTINGS"].port)
