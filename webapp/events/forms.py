"""Console forms for event set-up. Times are wall-clock in the event's timezone."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
    widgets,
)
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional

from webapp import money, timeutil
from webapp.events.models import MOST_PER_ORDER, MOST_SEATS
from webapp.events.service import LANGUAGES
from webapp.i18n import _l

# A number field's range, as NumberRange fills it in
BETWEEN = _l("Enter a number from %(min)s to %(max)s.")
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


def local_datetime(label: str, required: bool = False, description: str = "") -> DateTimeLocalField:
    return DateTimeLocalField(
        label,
        format=DATETIME_FORMATS,
        validators=[InputRequired(message=_l("Enter a date and time.")) if required else Optional()],
        description=description,
    )


class EventForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(
        _l("Page address"),
        validators=[Optional(), Length(max=80)],
        description=_l(
            "Lower-case letters, digits and dashes; blank: made from the name. Changing it breaks links already shared."
        ),
    )
    summary = TextAreaField(
        _l("Summary"),
        validators=[Length(max=500)],
        description=_l("One or two sentences, shown at the top and in link previews."),
    )
    description_md = TextAreaField(
        _l("Description"),
        description=_l("Markdown: **bold**, _italic_, lists, [links](https://example.org), ## headings."),
    )
    timezone = SelectField(_l("Time zone"), validators=[DataRequired()])
    starts_at = local_datetime(_l("Starts"), required=True)
    ends_at = local_datetime(_l("Ends"), required=True)
    venue_name = StringField(_l("Venue"), validators=[Length(max=200)])
    venue_address = TextAreaField(_l("Venue address"), validators=[Length(max=1000)])
    online_url = URLField(
        _l("Online event link"),
        validators=[
            Optional(),
            URL(require_tld=False, message=_l("Enter a full link such as https://meet.example.org/abc")),
            Length(max=500),
        ],
        description=_l("For online or hybrid events."),
    )
    tags = StringField(_l("Tags"), validators=[Length(max=500)], description=_l("Separated by commas."))
    currency = SelectField(_l("Currency"), choices=[(c, c) for c in money.CURRENCIES])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = [("UTC", "UTC")] + [(z, z.replace("_", " ")) for z in timeutil.timezone_choices()]


class NewEventForm(EventForm):
    language = SelectField(
        _l("Main language"),
        choices=list(LANGUAGES.items()),
        description=_l("The language you write the texts in; add translations later."),
    )


class RegistrationForm(FlaskForm):
    opens_at = local_datetime(_l("Registration opens"), description=_l("Blank: as soon as the event is published."))
    closes_at = local_datetime(_l("Registration closes"), description=_l("Blank: when the event ends."))
    capacity = IntegerField(
        _l("Event capacity"),
        validators=[Optional(), NumberRange(min=1, max=MOST_SEATS, message=BETWEEN)],
        description=_l("Admitted people over all ticket types; blank: only the ticket quotas apply."),
    )
    max_tickets_per_order = IntegerField(
        _l("Most tickets per order"),
        validators=[InputRequired(), NumberRange(min=1, max=MOST_PER_ORDER, message=BETWEEN)],
        default=10,
    )
    max_registrations_per_email = IntegerField(
        _l("Most registrations per email address"),
        validators=[Optional(), NumberRange(min=1, max=1000, message=_l("Enter a number from 1 to 1000."))],
        description=_l(
            "Blank: no limit. Each ticket counts for its attendee's email and for the buyer's, "
            "so 1 means one seat per person and per buyer. Paid orders and orders awaiting payment or "
            "approval count; canceled, expired and refunded ones do not. People you add in the console, by CSV "
            "import or at the door are not limited."
        ),
    )
    invite_only = BooleanField(_l("Only invited people can register"))
    requires_approval = BooleanField(_l("Registrations wait for approval"))
    approval_limit = IntegerField(
        _l("Approve at most"),
        validators=[Optional(), NumberRange(min=1, max=MOST_SEATS, message=BETWEEN)],
        description=_l("Blank: no limit on approvals."),
    )
    cancel_allowed_until = local_datetime(
        _l("Attendees may cancel until"), description=_l("Blank: attendees cannot cancel themselves.")
    )


class CoverForm(FlaskForm):
    cover = FileField(_l("Cover image"), validators=[FileRequired("Choose an image file.")])


class StatusForm(FlaskForm):
    status = HiddenField(validators=[DataRequired()])


class LanguagesForm(FlaskForm):
    main = SelectField(_l("Main language"), choices=list(LANGUAGES.items()))
    languages = SelectMultipleField(
        _l("Languages offered"),
        choices=list(LANGUAGES.items()),
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )


class ResponsibleForm(FlaskForm):
    """The members responsible for an event; the view fills the choices."""

    responsible = SelectMultipleField(
        _l("Responsible"),
        coerce=int,
        choices=[],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )
