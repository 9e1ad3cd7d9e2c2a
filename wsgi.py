"""WSGI entry point: `flask --app wsgi ...` and production servers."""

from console import create_app

app = create_app()
