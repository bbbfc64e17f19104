"""Console form for an event's ticket layout."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import Length

from webapp.tickets.models import PAGE_SIZES


class TicketSettingsForm(FlaskForm):
    page_size = SelectField(
        "Page size",
        choices=[
            (s, {"A6": "A6 — one ticket per small page (phones, folded prints)", "A4": "A4 — one ticket per sheet"}[s])
            for s in PAGE_SIZES
        ],
    )
    show_price = BooleanField("Print the price on the ticket")
    note = TextAreaField(
        "Note printed on every ticket",
        validators=[Length(max=300)],
        description="For example: “Bring an ID card. Doors open at 08:30.”",
    )
