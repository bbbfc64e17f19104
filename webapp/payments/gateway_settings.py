"""Each organization's payment set-up: which gateways are on, their keys (encrypted, shown masked),
sandbox or production, and the bank account attendees transfer to."""

from __future__ import annotations

import re
from dataclasses import dataclass

from webapp.accounts import audit
from webapp.accounts.models import User
from webapp.db import utcnow, write_transaction
from webapp.i18n import _, stored_text
from webapp.payments import gateways, vault
from webapp.payments.gateways.base import Credentials, Gateway
from webapp.payments.models import MODES, BankSettings, GatewaySettings


class SettingsInvalid(ValueError):
    """Field errors for the form: {field name: message}."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def row(org_id: int, gateway_name: str) -> GatewaySettings | None:
    return GatewaySettings.get_or_none(
        (GatewaySettings.organization == org_id) & (GatewaySettings.gateway == gateway_name)
    )


def credentials(org_id: int, gateway_name: str, settings_row: GatewaySettings | None = None) -> Credentials | None:
    """The organization's decrypted settings for the gateway; None when it never set it up.
    Raises vault.SecretUnreadable when SECRET_KEY changed since the keys were stored."""
    settings_row = settings_row or row(org_id, gateway_name)
    if settings_row is None:
        return None
    return Credentials(org_id=org_id, mode=settings_row.mode, secrets=vault.decrypt_json(settings_row.secrets))


def enabled_gateways(org_id: int) -> list[Gateway]:
    """The gateways the organization enabled, this installation offers, and that are ready to take
    a payment, in display order (one query for the settings)."""
    rows = {r.gateway: r for r in GatewaySettings.for_org(org_id).where(GatewaySettings.enabled == True)}  # noqa: E712
    found = []
    for gateway in gateways.offered():
        settings_row = rows.get(gateway.name)
        if settings_row is None:
            continue
        try:
            creds = credentials(org_id, gateway.name, settings_row)
        except vault.SecretUnreadable:
            continue
        if gateway.is_ready(org_id, creds):
            found.append(gateway)
    return found


def is_enabled(org_id: int, gateway: Gateway) -> bool:
    return gateway in enabled_gateways(org_id)


def save_gateway(
    org_id: int,
    gateway_name: str,
    *,
    enabled: bool,
    mode: str,
    new_secrets: dict[str, str],
    forget: set[str] = frozenset(),
    actor: User | None,
) -> GatewaySettings:
    """Store the gateway's settings. A blank key keeps the stored one; `forget` removes optional
    keys. Raises SettingsInvalid (nothing written) when a key does not fit the mode or is missing."""
    gateway = gateways.get(gateway_name)
    if mode not in MODES:
        raise SettingsInvalid({"mode": _("Choose sandbox or production.")})
    with write_transaction():
        settings_row = row(org_id, gateway_name) or GatewaySettings(organization=org_id, gateway=gateway_name)
        try:
            stored = vault.decrypt_json(settings_row.secrets)
        except vault.SecretUnreadable:
            stored = {}  # keys stored under an older SECRET_KEY: they must be entered again
        merged = {k: v for k, v in stored.items() if k not in forget}
        entered = {k: v.strip() for k, v in new_secrets.items() if v and v.strip()}
        merged.update(entered)
        errors = _check_secrets(gateway, merged, mode, entered=set(entered))
        if enabled and not errors and not gateway.is_ready(org_id, Credentials(org_id, mode, merged)):
            errors["enabled"] = _not_ready_message(gateway)
        if errors:
            raise SettingsInvalid(errors)
        masked = {k: vault.mask(v) for k, v in merged.items()}
        changes = {}
        for name, new in (("enabled", enabled), ("mode", mode)):
            if getattr(settings_row, name) != new:
                changes[name] = [getattr(settings_row, name), new]
        for name in sorted(set(masked) | set(settings_row.masked or {})):
            old_value, new_value = stored.get(name), merged.get(name)
            if old_value != new_value:
                changes[name] = [(settings_row.masked or {}).get(name), masked.get(name)]  # masked: never the key
        settings_row.enabled, settings_row.mode = enabled, mode
        settings_row.secrets = vault.encrypt_json(merged)
        settings_row.masked = masked
        settings_row.updated_by, settings_row.updated_at = actor, utcnow()
        settings_row.save()
        if changes:
            state = stored_text("on") if enabled else stored_text("off")
            audit.record(
                org_id,
                "payments.gateway",
                user=actor,
                target=settings_row,
                summary=stored_text("%(gateway)s: %(state)s, %(mode)s", gateway=gateway.brand, state=state, mode=mode)
                if gateway.has_modes
                else stored_text("%(gateway)s: %(state)s", gateway=gateway.brand, state=state),
                changes=changes,
            )
    return settings_row


def _check_secrets(gateway: Gateway, values: dict[str, str], mode: str, entered: set[str]) -> dict[str, str]:
    errors = {}
    for spec in gateway.secret_fields:
        value = values.get(spec.name, "")
        if not value:
            continue
        problem = spec.check(value, mode) if spec.check else None
        if problem:
            # A stored key that no longer fits (the mode changed) is reported on its field too.
            errors[spec.name] = problem if spec.name in entered else f"The stored key does not fit: {problem}"
    return errors


def _not_ready_message(gateway: Gateway) -> str:
    if gateway.name == "bank":
        return "Enter the bank account below before offering bank transfer."
    return "Enter the keys before enabling this gateway."


# --- Bank account ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BankDetails:
    account_holder: str
    bank_name: str
    account_number: str
    instructions: str


IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$")


def normalize_account_number(text: str) -> str:
    """Digits (spaces, dots and dashes dropped), 6 to 20 of them, or a valid IBAN.
    Raises ValueError with a message for the form."""
    compact = re.sub(r"[\s.\-]", "", text or "").upper()
    if compact.isdigit():
        if not 6 <= len(compact) <= 20:
            raise ValueError(_("An account number has 6 to 20 digits."))
        return compact
    if IBAN.match(compact):
        rearranged = compact[4:] + compact[:4]
        if int("".join(str(int(c, 36)) for c in rearranged)) % 97 != 1:
            raise ValueError(_("This IBAN's check digits are wrong: check for a typo."))
        return compact
    raise ValueError(_("Enter the account number with digits only (or an IBAN)."))


def mask_account_number(number: str) -> str:
    return "•••• " + number[-4:]


def bank_settings(org_id: int) -> BankSettings | None:
    return BankSettings.get_or_none(BankSettings.organization == org_id)


def bank_details(org_id: int) -> BankDetails | None:
    """The account attendees transfer to, in full (for the attendee's payment page only)."""
    settings_row = bank_settings(org_id)
    if settings_row is None:
        return None
    try:
        number = vault.decrypt(settings_row.account_number)
    except vault.SecretUnreadable:
        return None
    return BankDetails(settings_row.account_holder, settings_row.bank_name, number, settings_row.instructions)


def save_bank(
    org_id: int, *, account_holder: str, bank_name: str, account_number: str, instructions: str, actor: User | None
) -> BankSettings:
    """Store the bank account; a blank account number keeps the stored one. Raises SettingsInvalid."""
    errors = {}
    account_holder, bank_name = " ".join(account_holder.split()), " ".join(bank_name.split())
    if not 2 <= len(account_holder) <= 120:
        errors["account_holder"] = "Enter the account holder's name as the bank knows it."
    if not 2 <= len(bank_name) <= 120:
        errors["bank_name"] = "Enter the bank's name."
    with write_transaction():
        settings_row = bank_settings(org_id)
        number = None
        if account_number.strip():
            try:
                number = normalize_account_number(account_number)
            except ValueError as exc:
                errors["account_number"] = str(exc)
        elif settings_row is None:
            errors["account_number"] = "Enter the account number."
        if errors:
            raise SettingsInvalid(errors)
        settings_row = settings_row or BankSettings(organization=org_id)
        changes = audit.diff(
            settings_row,
            {"account_holder": account_holder, "bank_name": bank_name, "instructions": instructions.strip()},
        )
        if number is not None:
            masked = mask_account_number(number)
            if settings_row.account_number_masked != masked or not settings_row.account_number:
                changes["account_number"] = [settings_row.account_number_masked, masked]
            settings_row.account_number = vault.encrypt(number)
            settings_row.account_number_masked = masked
        settings_row.updated_by, settings_row.updated_at = actor, utcnow()
        settings_row.save()
        if changes:
            audit.record(
                org_id,
                "payments.bank",
                user=actor,
                target=settings_row,
                summary=stored_text("Bank account"),
                changes=changes,
            )
    return settings_row
