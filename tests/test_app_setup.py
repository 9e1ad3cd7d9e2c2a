"""The production start-up path: settings from CONSOLE_* variables, the secret key, clear errors."""

import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from console import create_app
from console.settings import SettingsError, instance_secret_key

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """A fresh instance folder, as a new deployment has."""
    folder = tmp_path / "instance"
    monkeypatch.setenv("CONSOLE_INSTANCE_PATH", str(folder))
    return folder


def test_without_a_secret_key_the_app_makes_one_keeps_it_and_hides_it(instance):
    first = create_app()
    again = create_app()
    key_file = instance / "secret_key"
    assert first.config["SECRET_KEY"] == again.config["SECRET_KEY"] == key_file.read_text()
    assert len(first.config["SECRET_KEY"]) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{instance / 'console.sqlite3'}"
    assert [path.name for path in instance.iterdir()] == ["secret_key"]


def test_processes_starting_together_agree_on_one_non_empty_key(tmp_path):
    """Each reader sees the whole key: it is written to a temporary file, then linked in place."""
    script = (
        "import sys; from console.settings import instance_secret_key; "
        "print(instance_secret_key(sys.argv[1]))"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], cwd=PROJECT_ROOT,
                         stdout=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    keys = {process.communicate(timeout=60)[0].strip() for process in processes}
    assert len(keys) == 1 and len(keys.pop()) == 64
    assert [path.name for path in tmp_path.iterdir()] == ["secret_key"]


def test_an_empty_key_file_is_refused_with_a_clear_message(tmp_path):
    (tmp_path / "secret_key").write_text("")
    with pytest.raises(SettingsError, match="secret_key is empty: delete it, or set"):
        instance_secret_key(str(tmp_path))


VARIABLES = [
    ("CONSOLE_DATABASE_URL", "sqlite:////tmp/x.sqlite3", "SQLALCHEMY_DATABASE_URI",
     "sqlite:////tmp/x.sqlite3"),
    ("CONSOLE_SECRET_KEY", "s3cret", "SECRET_KEY", "s3cret"),
    ("CONSOLE_SESSION_COOKIE_SECURE", "true", "SESSION_COOKIE_SECURE", True),
    ("CONSOLE_DEFAULT_PAGE_SIZE", "25", "CONSOLE_DEFAULT_PAGE_SIZE", 25),
    ("CONSOLE_MAX_PAGE_SIZE", "500", "CONSOLE_MAX_PAGE_SIZE", 500),
    ("CONSOLE_CSP_DISABLED", "yes", "CONSOLE_CSP_DISABLED", True),
    ("CONSOLE_BROKER_URL", "amqp://u:p@127.0.0.1/", "CONSOLE_BROKER_URL", "amqp://u:p@127.0.0.1/"),
    ("CONSOLE_BROKER_MANAGEMENT_URL", "http://127.0.0.1:15672", "CONSOLE_BROKER_MANAGEMENT_URL",
     "http://127.0.0.1:15672"),
    ("CONSOLE_SCAN_STUCK_MINUTES", "45", "CONSOLE_SCAN_STUCK_MINUTES", 45),
    ("CONSOLE_STALE_DAYS", "30", "CONSOLE_STALE_DAYS", 30),
    ("CONSOLE_COUNT_LATER_FROM", "500000", "CONSOLE_COUNT_LATER_FROM", 500000),
    ("CONSOLE_BULK_MAX_ROWS", "2500", "CONSOLE_BULK_MAX_ROWS", 2500),
    ("CONSOLE_MAX_REQUEST_BYTES", "2048", "MAX_CONTENT_LENGTH", 2048),
    ("CONSOLE_MAX_METADATA_BYTES", "4096", "CONSOLE_MAX_METADATA_BYTES", 4096),
    ("CONSOLE_MAX_METADATA_DEPTH", "5", "CONSOLE_MAX_METADATA_DEPTH", 5),
    ("CONSOLE_MAX_FILTER_LENGTH", "100", "CONSOLE_MAX_FILTER_LENGTH", 100),
    ("CONSOLE_MAX_SORT_KEYS", "3", "CONSOLE_MAX_SORT_KEYS", 3),
    ("CONSOLE_SESSION_IDLE_MINUTES", "10", "CONSOLE_SESSION_IDLE_MINUTES", 10),
    ("CONSOLE_SESSION_LIFETIME_HOURS", "2", "WTF_CSRF_TIME_LIMIT", 7200),
    ("CONSOLE_SESSION_LIFETIME_HOURS", "2", "PERMANENT_SESSION_LIFETIME", timedelta(hours=2)),
    ("CONSOLE_TOKEN_LIFETIME_DAYS", "90", "CONSOLE_TOKEN_LIFETIME_DAYS", 90),
    ("CONSOLE_TOKEN_LIFETIME_DAYS", "", "CONSOLE_TOKEN_LIFETIME_DAYS", None),
    ("CONSOLE_TRUSTED_HOSTS", "console.example, .example.org", "TRUSTED_HOSTS",
     ["console.example", ".example.org"]),
    ("CONSOLE_PROXY_FIX", "1", "CONSOLE_PROXY_FIX", 1),
    ("CONSOLE_THROTTLING_ENABLED", "off", "RATELIMIT_ENABLED", False),
    ("CONSOLE_THROTTLE_STORAGE_URI", "memory://", "RATELIMIT_STORAGE_URI", "memory://"),
    ("CONSOLE_LOGIN_LIMITS_PER_USERNAME", "3 per minute", "CONSOLE_LOGIN_LIMITS_PER_USERNAME",
     "3 per minute"),
    ("CONSOLE_LOGIN_LIMITS_PER_ADDRESS", "9 per hour", "CONSOLE_LOGIN_LIMITS_PER_ADDRESS",
     "9 per hour"),
    ("CONSOLE_TOKEN_FAILURE_LIMITS", "7 per day", "CONSOLE_TOKEN_FAILURE_LIMITS", "7 per day"),
]


@pytest.mark.parametrize(("variable", "value", "setting", "expected"), VARIABLES)
def test_each_console_variable_reaches_its_setting(
    instance, monkeypatch, variable, value, setting, expected
):
    monkeypatch.setenv(variable, value)
    app = create_app({"SECRET_KEY": "x"} if variable != "CONSOLE_SECRET_KEY" else None)
    assert app.config[setting] == expected


def test_every_documented_variable_is_tested():
    from console.settings import ENVIRONMENT_SETTINGS

    assert {variable for variable, *_ in VARIABLES} == set(ENVIRONMENT_SETTINGS)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CONSOLE_DEFAULT_PAGE_SIZE", "abc",
         "CONSOLE_DEFAULT_PAGE_SIZE must be a whole number of at least 1, not 'abc'."),
        ("CONSOLE_MAX_PAGE_SIZE", "0",
         "CONSOLE_MAX_PAGE_SIZE must be a whole number of at least 1, not '0'."),
        ("CONSOLE_SESSION_COOKIE_SECURE", "maybe",
         "CONSOLE_SESSION_COOKIE_SECURE must be true or false, not 'maybe'."),
        ("CONSOLE_LOGIN_LIMITS_PER_USERNAME", "lots",
         "CONSOLE_LOGIN_LIMITS_PER_USERNAME must read like '5 per minute; 20 per hour', "
         "not 'lots'."),
    ],
)
def test_a_bad_value_stops_start_up_with_one_clear_line(tmp_path, variable, value, message):
    environment = {
        key: text for key, text in os.environ.items()
        if not key.startswith("CONSOLE_") or key.startswith("CONSOLE_TEST_")
    }
    environment |= {variable: value, "CONSOLE_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=PROJECT_ROOT, env=environment,
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr == f"Configuration error: {message}\n"
