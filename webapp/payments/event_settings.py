"""Payment settings of one event over the organization's: which of the organization's payment
methods its checkout offers, and a bank account of its own for transfers. Checkout, the payment
pages and the payment emails read them through `available_gateways` and `bank_details`."""

from __future__ import annotations

from webapp.accounts import audit
from webapp.accounts.models import User
from webapp.db import utcnow, write_transaction
from webapp.events.models import Event
from webapp.i18n import _, stored_text
from webapp.payments import gateway_settings, vault
from webapp.payments.gateway_settings import (
    BankDetails,
    SettingsInvalid,
    enabled_gateways,
    mask_account_number,
    normalize_account_number,
)
from webapp.payments.models import EventPaymentSettings


def for_event(event_id: int | None) -> EventPaymentSettings | None:
    if event_id is None:
        return None
    return EventPaymentSettings.get_or_none(EventPaymentSettings.event == event_id)


def allowed(event_id: int | None, names: list[str]) -> list[str]:
    """The gateway names (of `names`, in their order) the event offers."""
    override = for_event(event_id)
    if override is None or override.gateways is None:
        return names
    return [name for name in names if name in override.gateways]


def bank_details_for(org_id: int, event_id: int | None) -> BankDetails | None:
    """The account an order of this event is transferred to, in full (for the attendee's payment
    page and emails): the event's own, else the organization's."""
    return own_bank_details(for_event(event_id)) or gateway_settings.bank_details(org_id)


def own_bank_details(override: EventPaymentSettings | None) -> BankDetails | None:
    """The event's own bank account in full, or None."""
    if override is None or not override.has_bank:
        return None
    try:
        number = vault.decrypt(override.account_number)
    except vault.SecretUnreadable:
        return None
    return BankDetails(override.account_holder, override.bank_name, number, override.instructions)


def save(
    event: Event,
    *,
    gateways: list[str] | None,
    own_bank: bool,
    account_holder: str = "",
    bank_name: str = "",
    account_number: str = "",
    instructions: str = "",
    actor: User | None,
) -> EventPaymentSettings:
    """Store the event's payment settings. `gateways` None follows the organization; a list must
    name methods the organization offers. Without `own_bank`, transfers go to the organization's
    account. Raises SettingsInvalid (nothing written)."""
    errors: dict[str, str] = {}
    offered = {g.name for g in enabled_gateways(event.organization_id)}
    if gateways is not None:
        gateways = list(dict.fromkeys(gateways))
        if not gateways:
            errors["gateways"] = _("Choose at least one payment method, or follow the organization's.")
        elif set(gateways) - offered:
            errors["gateways"] = _("Choose among the payment methods the organization offers.")
    account_holder, bank_name = " ".join(account_holder.split()), " ".join(bank_name.split())
    with write_transaction():
        row = for_event(event.id) or EventPaymentSettings(organization=event.organization_id, event=event.id)
        number = None
        if own_bank:
            if not 2 <= len(account_holder) <= 120:
                errors["account_holder"] = _("Enter the account holder's name as the bank knows it.")
            if not 2 <= len(bank_name) <= 120:
                errors["bank_name"] = _("Enter the bank's name.")
            if account_number.strip():
                try:
                    number = normalize_account_number(account_number)
                except ValueError as exc:
                    errors["account_number"] = str(exc)
            elif not row.account_number:
                errors["account_number"] = _("Enter the account number.")
        if errors:
            raise SettingsInvalid(errors)
        values = {
            "gateways": gateways,
            "account_holder": account_holder if own_bank else "",
            "bank_name": bank_name if own_bank else "",
            "instructions": instructions.strip() if own_bank else "",
        }
        changes = audit.diff(row, values)
        if not own_bank and row.account_number:
            changes["account_number"] = [row.account_number_masked, None]
            row.account_number, row.account_number_masked = "", ""
        elif number is not None:
            masked = mask_account_number(number)
            if masked != row.account_number_masked or not row.account_number:
                changes["account_number"] = [row.account_number_masked or None, masked]
            row.account_number, row.account_number_masked = vault.encrypt(number), masked
        row.updated_by, row.updated_at = actor, utcnow()
        row.save()
        if changes:
            audit.record(
                event.organization_id,
                "payments.event",
                user=actor,
                target=event,
                summary=stored_text("Payment settings of %(event)s", event=event.name),
                changes=changes,
            )
    return row
