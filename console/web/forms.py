"""Forms of the console (flask-wtf: each carries and checks a CSRF token)."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional


class LoginForm(FlaskForm):
    """Username and password."""

    username = StringField("Username", validators=[InputRequired(), Length(max=150)],
                           render_kw={"autocomplete": "username", "autocapitalize": "none",
                                      "spellcheck": "false", "autofocus": True})
    password = PasswordField("Password", validators=[InputRequired(), Length(max=1024)],
                             render_kw={"autocomplete": "current-password"})


class ImportForm(FlaskForm):
    """The plan to import a backend resource with; the import service decides what is allowed."""

    # Choices are the offering's plans, set by the view. validate_choice is off so that a plan
    # archived or moved after the form was shown reaches the service and gets its own message.
    plan = SelectField("Plan", choices=[], validate_choice=False)


class ConfirmForm(FlaskForm):
    """An empty form: a button and its CSRF token (delete confirmation)."""


class DismissForm(FlaskForm):
    """Why staff dismiss a report (optional)."""

    reason = TextAreaField("Reason (optional)", validators=[Optional(), Length(max=500)],
                           render_kw={"rows": 2, "maxlength": 500})


class DensityForm(FlaskForm):
    """Compact or comfortable rows in the backend resource table."""

    density = StringField("Rows", validators=[InputRequired(), Length(max=20)])
