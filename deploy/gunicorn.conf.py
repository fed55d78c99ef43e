"""gunicorn settings for the web service (deploy/systemd/ioc-web.service):
``gunicorn -c deploy/gunicorn.conf.py app:server``.

Prometheus multiprocess mode: the unit sets PROMETHEUS_MULTIPROC_DIR (a RuntimeDirectory, empty
at each start); a worker that exits hands back its live-gauge files.
"""

import os

bind = os.environ.get("IOC_BIND", "unix:/run/ioc/web.sock")
workers = int(os.environ.get("IOC_WORKERS", "2"))  # one per core
worker_class = "gthread"
threads = int(os.environ.get("IOC_THREADS", "8"))  # wall refreshes mostly wait on the cache
timeout = 60  # a refresh is given up by the screen after 30 s
graceful_timeout = 30
keepalive = 75  # nginx keeps upstream connections open (keepalive 32 in the site)
max_requests = 20000  # recycle workers slowly: bounded memory over months
max_requests_jitter = 2000
accesslog = None  # nginx logs requests
errorlog = "-"


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
