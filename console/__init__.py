"""Backend Resource Console: staff console and Waldur-compatible JSON API."""

import os
from datetime import timedelta
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from console import throttling  # (its import registers the database storage for Flask-Limiter)
from console.extensions import csrf, db, limiter, login_manager, migrate, ping_idle_connections
from console.settings import (
    default_settings,
    environment_settings,
    instance_secret_key,
    resolve_sqlite_path,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the application: defaults, then CONSOLE_* environment variables, then `config`.

    Raises SettingsError, naming the variable, when a CONSOLE_* value cannot be used.
    """
    app = Flask(
        __name__,
        # Where the default SQLite file and the generated secret key live.
        instance_path=os.environ.get("CONSOLE_INSTANCE_PATH") or str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(default_settings(app.instance_path))
    app.config.update(environment_settings())
    if config:
        app.config.update(config)
    app.config["SQLALCHEMY_DATABASE_URI"] = resolve_sqlite_path(
        app.config["SQLALCHEMY_DATABASE_URI"], app.instance_path
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)
    lifetime = timedelta(hours=app.config["CONSOLE_SESSION_LIFETIME_HOURS"])
    app.config["PERMANENT_SESSION_LIFETIME"] = lifetime
    # A CSRF token lives no longer than the session it belongs to.
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", int(lifetime.total_seconds()))
    if app.config["CONSOLE_PROXY_FIX"]:
        hops = app.config["CONSOLE_PROXY_FIX"]
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=hops
        )

    from console import (  # noqa: F401  (schema)
        cli,
        errors,
        list_indexes,
        models,
        read_only,
        request_guards,
    )

    db.init_app(app)
    with app.app_context():
        ping_idle_connections(db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    # Order matters: the guards read the body before anything else, and the read-only requests
    # take their autocommit connection before the API's token check uses one. (Throttling
    # refuses a locked-out login in the login view's decorator, before any password hashing.)
    request_guards.register(app)
    read_only.register(app)
    limiter.init_app(app)
    throttling.check_limited_views_only(app)
    csrf.init_app(app)

    from console.api import bp as api_bp
    from console.web import bp as web_bp

    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(web_bp)
    errors.register(app)
    cli.register(app)
    return app
