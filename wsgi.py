"""WSGI entry point: `flask --app wsgi ...` and production servers."""

import sys

from console import create_app
from console.settings import SettingsError

try:
    app = create_app()
except SettingsError as error:
    # A clear line for whoever starts the server, not a traceback.
    sys.exit(f"Configuration error: {error}")
