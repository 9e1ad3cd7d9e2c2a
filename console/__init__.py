"""Backend Resource Console: staff console and Waldur-compatible JSON API."""

from pathlib import Path

from flask import Flask

from console.extensions import csrf, db, login_manager, migrate
from console.settings import default_settings, environment_settings, instance_secret_key

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """Build the application: defaults, then CONSOLE_* environment variables, then `config`."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(default_settings(app.instance_path))
    app.config.update(environment_settings())
    if config:
        app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(app.instance_path)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)

    from console import cli, errors, list_indexes, models  # noqa: F401  (register the schema)
    from console.api import bp as api_bp
    from console.web import bp as web_bp

    csrf.exempt(api_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(web_bp)
    errors.register(app)
    cli.register(app)
    return app
