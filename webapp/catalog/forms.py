"""Console forms for products, coupons and questions. Amounts are typed in major units."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    ValidationError,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from webapp import money
from webapp.catalog.models import QUESTION_KINDS
from webapp.events.forms import BETWEEN, local_datetime
from webapp.events.models import MOST_PER_ORDER, MOST_SEATS
from webapp.i18n import _, _l

QUESTION_KIND_LABELS = {
    "text": "Short text",
    "textarea": "Long text",
    "choice": "One choice",
    "multichoice": "Several choices",
    "checkbox": "Checkbox (yes/no)",
    "number": "Number",
    "date": "Date",
    "phone": "Phone number",
    "country": "Country",
}
CONTACT_CHOICES = [
    ("", _l("Not saved to the contact")),
    ("phone", _l("Phone")),
    ("company", _l("Company")),
    ("custom", _l("Custom field…")),
]


class AmountField(StringField):
    """An amount in major units of the form's `currency`; `.minor` holds it in minor units."""

    minor: int | None = None

    def pre_validate(self, form):
        self.minor = None
        if not (self.data or "").strip():
            return
        try:
            self.minor = money.parse_amount(self.data, form.currency)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


class _CurrencyForm(FlaskForm):
    def __init__(self, *args, currency: str, **kwargs):
        self.currency = currency
        super().__init__(*args, **kwargs)


class ProductForm(_CurrencyForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    price = AmountField(_l("Price"), description=_l("0 or blank: free."))
    quota = IntegerField(
        _l("Quota"),
        validators=[Optional(), NumberRange(min=0, max=MOST_SEATS, message=BETWEEN)],
        description=_l("How many can be sold; blank: no limit."),
    )
    sale_starts_at = local_datetime(_l("Sale starts"), description=_l("Blank: when registration opens."))
    sale_ends_at = local_datetime(_l("Sale ends"), description=_l("Blank: when registration closes."))
    min_per_order = IntegerField(
        _l("Minimum per order"),
        validators=[InputRequired(), NumberRange(min=0, max=MOST_PER_ORDER, message=BETWEEN)],
        default=0,
    )
    max_per_order = IntegerField(
        _l("Maximum per order"),
        validators=[Optional(), NumberRange(min=1, max=MOST_PER_ORDER, message=BETWEEN)],
        description=_l("Blank: the event's limit."),
    )
    admits_entry = BooleanField(_l("Admits entry (a ticket; off for add-ons such as a T-shirt)"), default=True)
    hidden = BooleanField(_l("Hidden: only through an invitation or its secret link"))
    active = BooleanField(_l("On sale"), default=True)


class CouponForm(_CurrencyForm):
    code = StringField(
        _l("Code"), validators=[DataRequired(), Length(min=3, max=64)], description=_l("Not case-sensitive.")
    )
    kind = SelectField(_l("Discount"), choices=[("percent", _l("Percent off")), ("fixed", _l("Fixed amount off"))])
    value = StringField(_l("Value"), validators=[DataRequired()], description=_l("A percentage (1–100) or an amount."))
    product_ids = SelectMultipleField(
        _l("Applies to"),
        coerce=int,
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
        description=_l("None ticked: every product."),
    )
    usage_limit = IntegerField(
        _l("Usage limit"),
        validators=[Optional(), NumberRange(min=1, max=MOST_SEATS, message=BETWEEN)],
        description=_l("Orders in total; blank: no limit."),
    )
    per_order_limit = IntegerField(
        _l("Discounted items per order"),
        validators=[Optional(), NumberRange(min=1, max=MOST_PER_ORDER, message=BETWEEN)],
        description=_l("Blank: no limit."),
    )
    valid_from = local_datetime(_l("Valid from"))
    valid_until = local_datetime(_l("Valid until"))
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, products=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.product_ids.choices = [(p.id, p.name) for p in products]
        self.value_minor: int | None = None

    def validate_value(self, field):
        if self.kind.data == "percent":
            text = field.data.strip().rstrip("%").strip()
            if not text.isdigit() or not 1 <= int(text) <= 100:
                raise ValidationError(_("Enter a whole percentage from 1 to 100."))
            self.value_minor = int(text)
        else:
            try:
                self.value_minor = money.parse_amount(field.data, self.currency)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None
            if self.value_minor <= 0:
                raise ValidationError(_("Enter an amount above zero."))


class QuestionForm(FlaskForm):
    label = StringField(_l("Question"), validators=[DataRequired(), Length(max=300)])
    help_text = StringField(_l("Help text"), validators=[Length(max=500)])
    kind = SelectField(_l("Kind of answer"), choices=[(k, QUESTION_KIND_LABELS[k]) for k in QUESTION_KINDS])
    options = TextAreaField(_l("Options"), description=_l("For choices: one option per line."))
    required = BooleanField(_l("Required"))
    per_attendee = BooleanField(_l("Ask each attendee (off: once per order)"))
    show_at_checkin = BooleanField(_l("Show the answer at check-in"))
    contact_choice = SelectField(_l("Save the answer to the contact"), choices=CONTACT_CHOICES, default="")
    contact_key = StringField(
        _l("Custom field name"), validators=[Length(max=40)], description=_l("Lower-case letters, digits, underscores.")
    )

    def contact_field(self) -> str | None:
        if self.contact_choice.data == "custom":
            return f"custom:{(self.contact_key.data or '').strip().lower()}"
        return self.contact_choice.data or None

    def validate_contact_key(self, field):
        if self.contact_choice.data == "custom" and not (field.data or "").strip():
            raise ValidationError(_("Name the custom field, such as t_shirt_size."))
