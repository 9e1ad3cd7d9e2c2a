"""Helpers for the command line tests: counting rows and writing catalogue files."""

import json

import pytest
from sqlalchemy import func, select

from console.extensions import db


def count(model, *where) -> int:
    """Count the stored rows of a model, optionally filtered."""
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def write_json(tmp_path):
    """Write a value (or raw text) to a file and return its path."""

    def write(data, name="catalog.json") -> str:
        path = tmp_path / name
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data if isinstance(data, str) else json.dumps(data))
        return str(path)

    return write


def succeed(runner, *args: str):
    """Run a command that must succeed; return its result."""
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result
