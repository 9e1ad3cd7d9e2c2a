"""Gunicorn settings of the production server: `make serve` and the bench start it with these.

    gunicorn -c gunicorn.conf.py wsgi:app

CONSOLE_BIND (default 127.0.0.1:8000) and CONSOLE_WORKERS (default 2) change them.
"""

import os

bind = os.environ.get("CONSOLE_BIND", "127.0.0.1:8000")
# Sync workers, one per CPU: a request is Python and database work, not waiting on the network.
workers = int(os.environ.get("CONSOLE_WORKERS", "2"))
worker_class = "sync"
timeout = 60
# Load the app once and fork: the workers share its memory.
preload_app = True
accesslog = None
