"""The demo organization's payment set-up: bank transfer with a sample account, and the test
gateway where the installation offers it, so the demo's paid tickets can be bought end to end."""

from __future__ import annotations

from webapp.accounts.models import Organization
from webapp.payments import gateway_settings, gateways


def seed(org: Organization) -> None:
    gateway_settings.save_bank(
        org.id,
        account_holder="PT Demo Events Indonesia",
        bank_name="Bank Central Asia (BCA)",
        account_number="8730 1234 56",
        instructions="Transfers are checked every weekday at 10:00 and 16:00 (Asia/Jakarta).",
        actor=None,
    )
    gateway_settings.save_gateway(org.id, "bank", enabled=True, mode="production", new_secrets={}, actor=None)
    if gateways.get("test").is_offered():
        gateway_settings.save_gateway(org.id, "test", enabled=True, mode="sandbox", new_secrets={}, actor=None)
