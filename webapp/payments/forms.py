"""Payment settings forms. A gateway's form is built from its secret fields, so a new gateway
needs no form code."""

from __future__ import annotations

import functools

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import Length, Optional

from webapp.i18n import _l
from webapp.payments.gateways.base import Gateway
from webapp.payments.models import MODES

MODE_LABELS = {"sandbox": _l("Sandbox"), "production": _l("Production")}


class GatewayFormBase(FlaskForm):
    enabled = BooleanField(_l("Offer at checkout"))
    mode = SelectField(_l("Mode"), choices=[(m, MODE_LABELS[m]) for m in MODES], default="sandbox")


@functools.cache
def gateway_form_class(gateway: Gateway) -> type[GatewayFormBase]:
    attrs = {}
    for spec in gateway.secret_fields:
        attrs[spec.name] = PasswordField(
            spec.label,
            validators=[Optional(), Length(max=500)],
            description=spec.help,
            render_kw={"autocomplete": "off", "spellcheck": "false"},
        )
        if not spec.required:
            # Lazy, so the cached class shows each reader their own language.
            attrs[f"forget_{spec.name}"] = BooleanField(_l("Remove the stored value of “%(field)s”", field=spec.label))
    return type(f"{gateway.name.capitalize()}GatewayForm", (GatewayFormBase,), attrs)


def gateway_form(gateway: Gateway, settings_row=None, *, submitted: bool = False) -> GatewayFormBase:
    """The gateway's form, filled from its stored settings (keys never: they are only masked), or
    from the request when it is the one being submitted."""
    data = {"enabled": settings_row.enabled, "mode": settings_row.mode} if settings_row else {}
    kwargs = {} if submitted else {"formdata": None}
    return gateway_form_class(gateway)(prefix=gateway.name, data=data, **kwargs)


class BankForm(FlaskForm):
    account_holder = StringField(_l("Account holder"), validators=[Length(max=120)])
    bank_name = StringField(_l("Bank"), validators=[Length(max=120)], description=_l("e.g. BCA, Bank Mandiri, BNI"))
    account_number = StringField(
        _l("Account number"),
        validators=[Optional(), Length(max=64)],
        render_kw={"autocomplete": "off", "inputmode": "numeric"},
    )
    instructions = TextAreaField(
        _l("Note for attendees"),
        validators=[Optional(), Length(max=1000)],
        description=_l("Shown under the bank details, e.g. when transfers are checked."),
    )


class EventPaymentForm(FlaskForm):
    """An event's payment settings over the organization's; the view fills the method choices."""

    own_gateways = BooleanField(_l("Offer only some of the organization's payment methods"))
    gateways = SelectMultipleField(
        _l("Payment methods for this event"),
        choices=[],
        widget=widgets.ListWidget(prefix_label=False),
        option_widget=widgets.CheckboxInput(),
    )
    own_bank = BooleanField(_l("Transfers for this event go to another bank account"))
    account_holder = StringField(_l("Account holder"), validators=[Length(max=120)])
    bank_name = StringField(_l("Bank"), validators=[Length(max=120)])
    account_number = StringField(
        _l("Account number"),
        validators=[Optional(), Length(max=64)],
        description=_l("Leave blank to keep the stored one."),
        render_kw={"autocomplete": "off", "inputmode": "numeric"},
    )
    instructions = TextAreaField(_l("Note for attendees"), validators=[Optional(), Length(max=1000)])
