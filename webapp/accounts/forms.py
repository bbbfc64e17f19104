"""Forms of accounts: sign-in, sign-up, password reset, members, API keys, settings."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from webapp.accounts.api_keys import SCOPES
from webapp.accounts.models import ROLES
from webapp.email_address import EmailAddress
from webapp.i18n import _, _l
from webapp.money import CURRENCIES
from webapp.timeutil import timezone_choices


def _strip(value):
    return value.strip() if isinstance(value, str) else value


PASSWORD_RULES = [DataRequired(), Length(min=10, max=200, message=_l("Use at least 10 characters."))]


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[_strip], validators=[DataRequired(), EmailAddress(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this device"))


class NewPasswordMixin:
    password = PasswordField(_l("Password"), validators=PASSWORD_RULES, description=_l("At least 10 characters."))
    confirm = PasswordField(
        _l("Repeat the password"), validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))]
    )


class AccountFields(NewPasswordMixin):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), filters=[_strip], validators=[DataRequired(), EmailAddress(), Length(max=254)])


def _valid_timezone(form, field):
    if field.data not in set(timezone_choices()) and field.data != "UTC":
        raise ValidationError(_("Choose a time zone from the list."))


class SignupForm(AccountFields, FlaskForm):
    org_name = StringField(_l("Organization name"), validators=[DataRequired(), Length(max=200)])
    timezone = SelectField(_l("Time zone"), validators=[DataRequired(), _valid_timezone], validate_choice=False)
    currency = SelectField(_l("Currency"), choices=[(c, c) for c in CURRENCIES])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = [("UTC", "UTC")] + [(z, z) for z in timezone_choices()]


class AcceptInvitationForm(NewPasswordMixin, FlaskForm):
    name = StringField(_l("Your name"), validators=[DataRequired(), Length(max=200)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[_strip], validators=[DataRequired(), EmailAddress(), Length(max=254)])


class ResetPasswordForm(NewPasswordMixin, FlaskForm):
    pass


ROLE_CHOICES = [
    ("member", _l("Member — only the events granted to them")),
    ("door", _l("Door staff — check-in only")),
    ("manager", _l("Manager — events, registrants, door supervisor")),
    ("admin", _l("Admin — also members, payments, API keys")),
    ("owner", _l("Owner — everything")),
]
assert [r for r, _ in ROLE_CHOICES] == list(ROLES)


class InviteForm(FlaskForm):
    email = EmailField(_l("Email"), filters=[_strip], validators=[DataRequired(), EmailAddress(), Length(max=254)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="manager")


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    confirm_own = HiddenField()  # "yes": the member changing their own role has confirmed it


class ApiKeyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)], description=_l("e.g. the CRM sync"))
    read_only = BooleanField(_l("Read-only (can list and read, cannot change anything)"))


SCOPE_LABELS = {
    "events": "events — events: list, create, change, publish, close",
    "catalog": "catalog — ticket types and coupons",
    "orders": "orders — orders: list, place, cancel",
    "registrants": "registrants — registrants, their tickets, imports",
    "checkins": "checkins — the scans at the door",
    "contacts": "contacts — the contact book, labels, funnel stages",
    "ingest": "ingest — your product's events, for contact timelines",
    "segments": "segments — saved segments, their members and counts",
    "campaigns": "campaigns — email campaigns, their reports, single sends",
    "team": "team — who holds which role on each event",
}
assert tuple(SCOPE_LABELS) == SCOPES


class ApiKeyPolicyForm(FlaskForm):
    """What one key may do; the range of the rate limit is checked by api_keys.set_policy."""

    scopes = SelectMultipleField(
        _l("Parts of the API it may use"),
        choices=[(s, SCOPE_LABELS[s]) for s in SCOPES],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        description=_l("None ticked: all of them."),
    )
    read_only = BooleanField(_l("Read-only (can list and read, cannot change anything)"))
    requests_per_minute = StringField(
        _l("Requests per minute"),
        filters=[_strip],
        validators=[
            Optional(),
            Regexp(r"^\d{1,9}$", message=_l("Type a whole number of requests, or leave it blank for the default.")),
        ],
    )

    def per_minute(self) -> int | None:
        return int(self.requests_per_minute.data) if self.requests_per_minute.data else None


class LanguageForm(FlaskForm):
    """The user's own language for the console and the door."""

    language = SelectField(
        _l("Language of the console and the door"),
        choices=[("", _l("The browser's language")), ("en", _l("English")), ("id", _l("Bahasa Indonesia"))],
        validate_choice=True,
    )


class OrganizationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    timezone = SelectField(
        _l("Default time zone for new events"), validators=[DataRequired(), _valid_timezone], validate_choice=False
    )
    currency = SelectField(_l("Default currency"), choices=[(c, c) for c in CURRENCIES])
    brand_color = StringField(
        _l("Brand colour"),
        validators=[DataRequired(), Regexp(r"^#[0-9a-fA-F]{6}$", message=_l("Use a colour such as #1d4ed8."))],
    )
    reply_to = EmailField(
        _l("Reply-to address for attendee emails"),
        filters=[_strip],
        validators=[Optional(), EmailAddress(), Length(max=254)],
    )
    logo = FileField(_l("Logo (PNG, JPEG or WebP, at most 2 MB)"))
    track_mail = BooleanField(
        _l("Track opens and clicks of the emails contacts get"),
        description=_l("A tiny image and signed links show who opened an email and what they clicked."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = [("UTC", "UTC")] + [(z, z) for z in timezone_choices()]


GRANT_CHOICES = [
    ("manager", _l("Event manager — full control of this event")),
    ("staff", _l("Event staff — registrants and check-in of this event")),
    ("door", _l("Door — the scanner of this event only")),
    ("guide", _l("Guide — sees this event and its participants")),
]


class EventGrantForm(FlaskForm):
    """Give a member a role on one event; the view fills the member choices."""

    user = SelectField(_l("Member"), coerce=int, validate_choice=True, choices=[])
    role = SelectField(_l("Role on this event"), choices=GRANT_CHOICES, default="staff")
