"""The segment editor's own fields (the tree's fields are read by webapp.segments.editor)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from webapp.i18n import _l
from webapp.segments.service import NAME_LENGTH


class SegmentForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(_l("Give the segment a name.")), Length(max=NAME_LENGTH)])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
