"""The console's campaign forms (the block editor's and the audience's fields are read by
webapp/campaigns/block_editor.py and the views)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from webapp.i18n import _l


class NewCampaignForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the campaign a name.")), Length(max=200)])
    start = SelectField(_l("Start from"), choices=[], validate_choice=False)


class CampaignForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the campaign a name.")), Length(max=200)])
    subject = StringField(
        _l("Subject"),
        validators=[Length(max=500)],
        description=_l('Personalize with {{ contact.first_name | default("there") }}.'),
    )
    preheader = StringField(
        _l("Preheader"), validators=[Length(max=300)], description=_l("The line mail apps show after the subject.")
    )
    from_name = StringField(_l("Sender name"), validators=[Length(max=200)])
    from_email = StringField(
        _l("Sender address"),
        validators=[Length(max=254)],
        description=_l("Must be on a verified sending domain before the campaign can be sent."),
    )
    reply_to = StringField(_l("Reply-To"), validators=[Length(max=254)])
    category = StringField(
        _l("Category"), validators=[Length(max=80)], description=_l("Groups campaigns in the roll-up report.")
    )
    mode = RadioField(
        _l("Body"),
        choices=[("blocks", _l("Block editor")), ("html", _l("Raw HTML"))],
        default="blocks",
    )
    body_html = TextAreaField(_l("HTML"))
    body_text = TextAreaField(
        _l("Plain text"), description=_l("Leave empty to have it made from the HTML when the campaign is sent.")
    )
    track_opens = BooleanField(_l("Track opens"), default=True)
    track_clicks = BooleanField(_l("Track clicks"), default=True)
    send_time_optimization = BooleanField(
        _l("Send at each contact's best hour"),
        description=_l("Within 24 hours of the chosen time, at the hour each contact opened most in the past."),
    )


class TestSendForm(FlaskForm):
    addresses = TextAreaField(
        _l("Send a test to"),
        validators=[DataRequired(_l("Give at least one address."))],
        description=_l("Up to 5 addresses, one per line or separated by commas."),
    )


class TemplateNameForm(FlaskForm):
    name = StringField(_l("Template name"), validators=[DataRequired(_l("Give the template a name.")), Length(max=200)])
