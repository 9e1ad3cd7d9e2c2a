"""Command line: users, tokens, roles, catalogue loading and demo data."""

import functools
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from console.demo import DEMO_PASSWORD, load_demo_data
from console.extensions import db
from console.models import User
from console.services import DomainError, accounts
from console.services.catalog import CatalogInvalid, decode_catalog, grant_role, load_catalog

MAX_PROBLEMS_SHOWN = 50

users_cli = AppGroup("users", help="Manage user accounts.")
tokens_cli = AppGroup("tokens", help="Issue, list and revoke API tokens.")
roles_cli = AppGroup("roles", help="Grant roles on offerings and customers.")
catalog_cli = AppGroup("catalog", help="Load customers, projects, offerings and plans.")


def register(app) -> None:
    """Attach the command groups to the app."""
    for command in (users_cli, tokens_cli, roles_cli, catalog_cli, demo_data):
        app.cli.add_command(command)


def clean_errors(command):
    """Turn domain and database errors into one-line messages instead of tracebacks."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        """Run the command, rolling back and reporting cleanly on failure."""
        try:
            return command(*args, **kwargs)
        except DomainError as error:
            db.session.rollback()
            raise click.ClickException(error.message) from None
        except SQLAlchemyError as error:
            db.session.rollback()
            detail = str(getattr(error, "orig", None) or error).splitlines()[0]
            raise click.ClickException(
                f"Database error: {detail} (is the schema up to date? run `flask db upgrade`)"
            ) from None

    return wrapper


def stdin_is_terminal() -> bool:
    """Tell whether a person can be prompted on standard input."""
    return sys.stdin is not None and sys.stdin.isatty()


def find_user(username: str) -> User:
    """Return the user with this username; fail with a clear message if there is none."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise click.ClickException(f"User {username!r} does not exist.")
    return user


@users_cli.command("create")
@click.argument("username")
@click.option("--staff", is_flag=True, help="Staff: sees everything, imports resources.")
@click.option("--support", is_flag=True, help="Support: sees everything, read-only.")
@click.option("--password", help="The password; prompted for (twice) when omitted.")
@clean_errors
def create_user(username: str, staff: bool, support: bool, password: str | None) -> None:
    """Create a user account: staff, support, or a plain user for agents."""
    if staff and support:
        raise click.UsageError("--staff and --support are mutually exclusive.")
    username = accounts.check_new_username(db.session, username)
    if password is None:
        if not stdin_is_terminal():
            raise click.ClickException(
                "No --password given and no terminal to prompt on: pass --password PASSWORD."
            )
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    accounts.create_user(
        db.session, username=username, password=password, staff=staff, support=support
    )
    kind = "staff user" if staff else "support user" if support else "user"
    click.echo(f"Created {kind} {username!r}.")


@users_cli.command("deactivate")
@click.argument("username")
@clean_errors
def deactivate_user(username: str) -> None:
    """Deactivate a user: end its console sessions and delete its API tokens."""
    user = find_user(username)
    revoked = accounts.deactivate_user(db.session, user)
    click.echo(
        f"Deactivated {username!r}: console sessions ended, "
        f"{revoked} API token{'' if revoked == 1 else 's'} deleted."
    )


@tokens_cli.command("create")
@click.argument("username")
@clean_errors
def create_token(username: str) -> None:
    """Issue an API token for a user and print its key, alone, on standard output."""
    user = find_user(username)
    if not user.is_active:
        click.echo(f"Warning: user {username!r} is inactive; the token will not work.", err=True)
    lifetime = current_app.config["CONSOLE_TOKEN_LIFETIME_DAYS"]
    click.echo(accounts.issue_token(db.session, user, lifetime_days=lifetime))


@tokens_cli.command("list")
@click.argument("username")
@clean_errors
def list_tokens(username: str) -> None:
    """List a user's API tokens: key prefix, when issued, when it expires."""
    tokens = accounts.tokens_of(db.session, find_user(username))
    if not tokens:
        click.echo(f"{username!r} has no API tokens.")
    for token in tokens:
        prefix = f"{token.key_prefix}…" if token.key_prefix else "(no prefix kept)"
        expires = (
            f"expires {token.expires:%Y-%m-%d %H:%M} UTC" if token.expires else "never expires"
        )
        click.echo(f"{prefix}  issued {token.created:%Y-%m-%d %H:%M} UTC  {expires}")


@tokens_cli.command("revoke")
@click.argument("key_prefix")
@clean_errors
def revoke_token(key_prefix: str) -> None:
    """Delete the API token whose key starts with KEY_PREFIX (at least 6 characters)."""
    prefix, username = accounts.revoke_token(db.session, key_prefix)
    click.echo(f"Revoked token {prefix}… of {username!r}.")


@roles_cli.command("grant")
@click.argument("username")
@click.option("--offering", "offering_uuid", metavar="UUID", help="Make the user OFFERING.MANAGER.")
@click.option("--customer", "customer_uuid", metavar="UUID", help="Make the user CUSTOMER.OWNER.")
@clean_errors
def grant(username: str, offering_uuid: str | None, customer_uuid: str | None) -> None:
    """Grant OFFERING.MANAGER on an offering or CUSTOMER.OWNER on a customer (idempotent)."""
    if (offering_uuid is None) == (customer_uuid is None):
        raise click.UsageError("Give exactly one of --offering UUID or --customer UUID.")
    result = grant_role(
        db.session, username=username, offering_uuid=offering_uuid, customer_uuid=customer_uuid
    )
    role_grant = result.grant
    target = role_grant.offering or role_grant.customer
    kind = "offering" if role_grant.offering else "customer"
    what = f'{role_grant.role} on {kind} "{target.name}" ({target.uuid.hex})'
    if result.outcome == "granted":
        click.echo(f"Granted {what} to {username!r}.")
    elif result.outcome == "reactivated":
        click.echo(f"Re-activated {what} for {username!r}.")
    else:
        click.echo(f"{username!r} already holds {what}; nothing changed.")


@catalog_cli.command("load")
@click.argument("file", type=click.File("rb"))
@clean_errors
def load(file) -> None:
    """Create or update (by uuid) the customers, projects, offerings and plans of a JSON file."""
    try:
        text = file.read().decode("utf-8")
        summary = load_catalog(db.session, decode_catalog(text))
    except UnicodeDecodeError:
        raise click.ClickException(
            f"{file.name} was refused, nothing was loaded: it is not UTF-8 text."
        ) from None
    except CatalogInvalid as error:
        problems = error.problems[:MAX_PROBLEMS_SHOWN]
        if len(error.problems) > MAX_PROBLEMS_SHOWN:
            problems.append(f"... and {len(error.problems) - MAX_PROBLEMS_SHOWN} more")
        lines = "\n".join(f"  {problem}" for problem in problems)
        raise click.ClickException(
            f"{file.name} was refused, nothing was loaded:\n{lines}"
        ) from None
    click.echo(str(summary))


@click.command("demo-data")
@click.option(
    "--backend-resources", "count", type=click.IntRange(min=0), default=200, show_default=True,
    help="How many backend resources to add.",
)
@click.option("--seed", type=int, default=42, show_default=True, help="Random seed.")
@click.option("--if-empty", is_flag=True, help="Do nothing if the database has customers.")
@with_appcontext
@clean_errors
def demo_data(count: int, seed: int, if_empty: bool) -> None:
    """Load a demo catalogue, users staff/support/agent (password "demo") and backend resources."""
    result = load_demo_data(db.session, backend_resources=count, seed=seed, if_empty=if_empty)
    if not result.loaded:
        click.echo(
            f"The database already has {result.existing_customers} customers: "
            "demo data not loaded (--if-empty). Existing API tokens are not shown again; "
            "make a new one with: .venv/bin/flask --app wsgi tokens create staff"
        )
        return
    click.echo(f"Catalogue: {result.catalog_summary}")
    reused = [name for name in result.tokens if name not in result.users_created]
    if result.users_created:
        click.echo(
            f"Users created: {', '.join(result.users_created)} "
            f"(password {DEMO_PASSWORD!r})"
        )
    if reused:
        click.echo(f"Users reused, passwords unchanged: {', '.join(reused)}")
    click.echo(f"Backend resources added: {result.backend_resources_added} (seed {seed})")
    for username, key in result.tokens.items():
        click.echo(f"{username} token: {key}")
