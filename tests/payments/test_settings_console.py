from __future__ import annotations

import logging

import pytest

from tests.factories.accounts import make_member, make_org
from tests.factories.payments import MIDTRANS_KEY, configure_gateway, make_pending_order
from webapp.accounts.audit import AuditEntry
from webapp.payments import service, vault
from webapp.payments.models import BankSettings, GatewaySettings

SERVER_KEY = "SB-Mid-server-Zx9Qw8Er7Ty6Ui5O1a2b"


@pytest.fixture
def admin(auth, org):
    return auth.client_for(make_member(org, "admin"), org)


def save_midtrans(client, **fields):
    data = {"midtrans-enabled": "y", "midtrans-mode": "sandbox", "midtrans-server_key": SERVER_KEY}
    data.update(fields)
    return client.post("/console/payments/gateways/midtrans", data={k: v for k, v in data.items() if v is not None})


def test_the_settings_page_is_in_the_sidebar_for_admins_only(auth, org, admin):
    page = admin.get("/console/payments/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/console/payments/"' in html and "Midtrans" in html and "Bank account" in html
    manager = auth.client_for(make_member(org, "manager"), org)
    assert manager.get("/console/payments/").status_code == 403
    assert save_midtrans(manager).status_code == 403
    assert not GatewaySettings.select().exists()


def test_a_saved_key_is_encrypted_at_rest_and_shown_masked_only(org, admin):
    response = save_midtrans(admin)
    assert response.status_code == 303

    stored = GatewaySettings.get()
    assert stored.enabled and stored.mode == "sandbox"
    assert SERVER_KEY not in stored.secrets and vault.decrypt_json(stored.secrets) == {"server_key": SERVER_KEY}
    html = admin.get("/console/payments/").get_data(as_text=True)
    assert "SB-Mid-server-••••1a2b" in html
    assert SERVER_KEY not in html and SERVER_KEY[14:-4] not in html
    assert "midtrans" in dict(service.available_gateways(org))
    entry = AuditEntry.get(AuditEntry.action == "payments.gateway")
    assert entry.changes["server_key"] == [None, "SB-Mid-server-••••1a2b"]
    assert SERVER_KEY not in str(entry.changes)


def test_a_blank_key_keeps_the_stored_one(org, admin):
    save_midtrans(admin)
    save_midtrans(admin, **{"midtrans-server_key": "", "midtrans-enabled": None})
    stored = GatewaySettings.get()
    assert not stored.enabled and vault.decrypt_json(stored.secrets) == {"server_key": SERVER_KEY}


def test_a_key_of_the_other_mode_is_refused_beside_the_field_and_nothing_is_written(org, admin):
    response = save_midtrans(admin, **{"midtrans-mode": "production"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This is a sandbox key" in html and 'id="midtrans-server_key-error"' in html
    assert SERVER_KEY not in html
    assert not GatewaySettings.select().exists()


def test_switching_mode_with_a_stored_key_of_the_old_mode_is_refused(org, admin):
    save_midtrans(admin)
    response = admin.post(
        "/console/payments/gateways/midtrans",
        data={"midtrans-enabled": "y", "midtrans-mode": "production"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422 and "The stored key does not fit" in response.get_data(as_text=True)
    assert GatewaySettings.get().mode == "sandbox"


def test_enabling_a_gateway_without_keys_is_refused(org, admin):
    response = admin.post("/console/payments/gateways/stripe", data={"stripe-enabled": "y", "stripe-mode": "sandbox"})
    assert response.status_code == 422
    assert "Enter the keys before enabling" in response.get_data(as_text=True)
    assert not GatewaySettings.select().exists()


def test_the_bank_account_is_validated_and_shown_masked(org, admin):
    bad = admin.post(
        "/console/payments/bank",
        data={
            "bank_account-account_holder": "PT Acara",
            "bank_account-bank_name": "BCA",
            "bank_account-account_number": "12AB",
        },
    )
    assert bad.status_code == 422 and "digits only" in bad.get_data(as_text=True)
    assert not BankSettings.select().exists()

    good = admin.post(
        "/console/payments/bank",
        data={
            "bank_account-account_holder": "PT Acara",
            "bank_account-bank_name": "BCA",
            "bank_account-account_number": "123 456 7890",
        },
        headers={"HX-Request": "true"},
    )
    assert good.status_code == 200
    html = admin.get("/console/payments/").get_data(as_text=True)
    assert "•••• 7890" in html and "1234567890" not in html
    assert "1234567890" not in BankSettings.get().account_number  # encrypted at rest


def test_secrets_never_appear_in_logs_or_the_notification_log(app, client, org, midtrans, caplog, auth):
    caplog.set_level(logging.DEBUG)
    configure_gateway(org, "midtrans")
    order = make_pending_order(org)
    service.start_payment(order, "midtrans")
    reference = order.payments.get().reference
    midtrans.set_status(reference, "settlement")
    client.post(
        f"/payments/midtrans/notify/{org.id}", data=midtrans.notification(reference), content_type="application/json"
    )
    bad = midtrans.notification(reference, server_key="SB-Mid-server-wrong")
    client.post(f"/payments/midtrans/notify/{org.id}", data=bad, content_type="application/json")

    log_page = auth.client_for(make_member(org, "manager"), org).get("/console/payments/notifications")
    html = log_page.get_data(as_text=True)
    assert log_page.status_code == 200 and reference in html and "rejected" in html
    assert MIDTRANS_KEY not in html
    assert MIDTRANS_KEY not in caplog.text
    assert repr(service.credentials(org.id, "midtrans")).count(MIDTRANS_KEY) == 0


def test_the_notification_log_shows_only_the_organizations_own(auth, org, client):
    configure_gateway(org, "test")
    client.post(
        f"/payments/test/notify/{org.id}", data=b'{"reference": "ours"}', headers={"X-Rollcall-Signature": "bad"}
    )
    other = make_org()
    outsider = auth.client_for(make_member(other, "admin"), other)
    html = outsider.get("/console/payments/notifications").get_data(as_text=True)
    assert "ours" not in html and "No notifications" in html


def test_keys_stored_under_another_secret_key_must_be_entered_again(app, org):
    configure_gateway(org, "midtrans")
    stored = GatewaySettings.get()
    app.config["SETTINGS"] = __import__("dataclasses").replace(
        app.config["SETTINGS"], secret_key="another-secret-key-0123456789"
    )
    assert "midtrans" not in dict(service.available_gateways(org))
    with pytest.raises(vault.SecretUnreadable):
        vault.decrypt_json(stored.secrets)


def test_masks_keep_a_recognisable_prefix_and_the_last_four():
    assert vault.mask("SB-Mid-server-abcdefghijkl1a2b") == "SB-Mid-server-••••1a2b"
    assert vault.mask("sk_test_51Habcdefghijklmnwxyz") == "sk_test_••••wxyz"
    assert vault.mask("whsec_abcdefghijklmnop1234") == "whsec_••••1234"
    assert vault.mask("short") == "••••"
    assert vault.encrypt("x") != vault.encrypt("x")  # fresh IV each time


def test_stripe_keys_are_masked_on_the_settings_page(org, admin):
    from tests.factories.payments import STRIPE_KEY, STRIPE_WEBHOOK_SECRET

    configure_gateway(org, "stripe")
    html = admin.get("/console/payments/").get_data(as_text=True)
    assert "sk_test_••••wxyz" in html and "whsec_••••abcd" in html
    assert STRIPE_KEY not in html and STRIPE_WEBHOOK_SECRET not in html
    assert f"http://rollcall.test/payments/stripe/notify/{org.id}" in html


def test_bank_transfer_is_switched_on_from_the_console_once_the_account_is_saved(org, admin):
    refused = admin.post("/console/payments/gateways/bank", data={"bank-enabled": "y"}, headers={"HX-Request": "true"})
    assert refused.status_code == 422 and "Enter the bank account below" in refused.get_data(as_text=True)
    admin.post(
        "/console/payments/bank",
        data={
            "bank_account-account_holder": "PT Acara",
            "bank_account-bank_name": "BCA",
            "bank_account-account_number": "1234567890",
        },
    )
    accepted = admin.post("/console/payments/gateways/bank", data={"bank-enabled": "y"}, headers={"HX-Request": "true"})
    assert accepted.status_code == 200 and "Saved." in accepted.get_data(as_text=True)
    assert "bank" in dict(service.available_gateways(org))
    assert admin.post("/console/payments/gateways/nosuch", data={}).status_code == 404
