"""Console form for an event's ticket layout."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import Length

from webapp.i18n import _l
from webapp.tickets.models import PAGE_SIZES


class TicketSettingsForm(FlaskForm):
    page_size = SelectField(
        _l("Page size"),
        choices=[
            (s, {"A6": "A6 — one ticket per small page (phones, folded prints)", "A4": "A4 — one ticket per sheet"}[s])
            for s in PAGE_SIZES
        ],
    )
    show_price = BooleanField(_l("Print the price on the ticket"))
    note = TextAreaField(
        _l("Note printed on every ticket"),
        validators=[Length(max=300)],
        description=_l("For example: “Bring an ID card. Doors open at 08:30.”"),
    )
