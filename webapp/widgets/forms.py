"""Console forms of the website widgets."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length

from webapp.i18n import _l


class OriginsForm(FlaskForm):
    origins = TextAreaField(
        _l("Websites allowed to show your widgets"),
        validators=[Length(max=5000)],
        description=_l("One address per line, such as https://www.example.org (https://*.example.org for every "
                       "subdomain). Empty: the widgets are shown on no website."),
        render_kw={"rows": 5, "spellcheck": "false", "autocapitalize": "none"},
    )  # fmt: skip


class SelfCheckinForm(FlaskForm):
    self_checkin = BooleanField(_l("Self check-in form on (for events without door staff)"))
