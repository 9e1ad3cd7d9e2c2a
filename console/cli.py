"""Command line: users, tokens, roles, catalogue loading and demo data."""


def register(app) -> None:
    """Attach the command groups to the app."""
