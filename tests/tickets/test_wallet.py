"""Wallet passes: the signed .pkpass (checked with openssl against a chain made here), its manifest,
what it shows, the Google Wallet save link's JWT, and the pass web service devices talk to."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import subprocess
import zipfile
from urllib.parse import urlsplit

import jwt
import pytest
import qrcode
import zxingcpp

from tests.factories.tickets import make_paid_order
from tests.factories.wallet import PASS_TYPE_ID, make_chain, make_service_account, pem
from webapp.orders.models import Registrant
from webapp.storage import storage
from webapp.tickets import google_wallet, wallet, wallet_keys
from webapp.tickets.models import WalletPass, WalletSettings


@pytest.fixture
def chain():
    return make_chain()


def _set_up_apple(org_id: int, chain) -> None:
    wallet_keys.save_apple(
        org_id,
        pass_type_id=PASS_TYPE_ID,
        team_id="A1B2C3D4E5",
        certificate=chain.cert_with_key(),
        password="",
        wwdr=pem(chain.wwdr),
    )


@pytest.fixture
def order(app, chain):
    order = make_paid_order(["Ana Putri", "Budi Santoso"])
    _set_up_apple(order.organization_id, chain)
    return order


def _registrants(order):
    return list(order.registrants.order_by(Registrant.id))


def _unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _openssl_verify(tmp_path, files: dict[str, bytes], root) -> subprocess.CompletedProcess:
    (tmp_path / "signature").write_bytes(files["signature"])
    (tmp_path / "manifest.json").write_bytes(files["manifest.json"])
    (tmp_path / "root.pem").write_bytes(pem(root))
    return subprocess.run(
        ["openssl", "smime", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "signature"),
         "-content", str(tmp_path / "manifest.json"), "-CAfile", str(tmp_path / "root.pem"),
         "-purpose", "any", "-out", "/dev/null"],
        capture_output=True, text=True,
    )  # fmt: skip


def test_pkpass_signature_verifies_over_the_manifest_with_the_wwdr_chain(order, chain, tmp_path):
    _, data = wallet.pass_bytes(_registrants(order)[0])
    files = _unzip(data)

    result = _openssl_verify(tmp_path, files, chain.root)
    assert result.returncode == 0, result.stderr
    assert "Verification successful" in result.stderr

    (tmp_path / "sig.der").write_bytes(files["signature"])
    certs = subprocess.run(
        ["openssl", "pkcs7", "-inform", "DER", "-in", str(tmp_path / "sig.der"), "-print_certs", "-noout"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "Test Worldwide Developer Relations" in certs  # the intermediate travels with the signature
    assert PASS_TYPE_ID in certs


def test_a_changed_manifest_no_longer_verifies(order, chain, tmp_path):
    _, data = wallet.pass_bytes(_registrants(order)[0])
    files = _unzip(data)
    manifest = json.loads(files["manifest.json"])
    manifest["pass.json"] = hashlib.sha1(b"forged").hexdigest()
    files["manifest.json"] = json.dumps(manifest).encode()

    assert _openssl_verify(tmp_path, files, chain.root).returncode != 0


def test_manifest_holds_the_sha1_of_every_file(order):
    _, data = wallet.pass_bytes(_registrants(order)[0])
    files = _unzip(data)
    manifest = json.loads(files["manifest.json"])

    assert set(manifest) == set(files) - {"manifest.json", "signature"}
    assert {"pass.json", "icon.png"} <= set(manifest)
    for name, digest in manifest.items():
        assert hashlib.sha1(files[name]).hexdigest() == digest


def test_pass_shows_event_local_date_venue_attendee_product_and_brand(order):
    budi = _registrants(order)[1]
    org = order.event.organization
    org.brand_color = "#ff8800"
    org.save()

    _, data = wallet.pass_bytes(budi)
    content = json.loads(_unzip(data)["pass.json"])

    assert content["passTypeIdentifier"] == PASS_TYPE_ID and content["teamIdentifier"] == "A1B2C3D4E5"
    fields = {f["key"]: f["value"] for group in content["eventTicket"].values() for f in group}
    assert fields["event"] == "Jakarta Tech Summit"
    assert fields["venue"] == "Balai Kartini"
    assert fields["attendee"] == "Budi Santoso"
    assert fields["ticket"] == "Regular"
    assert fields["order"] == order.code
    local = order.event.starts_at.replace(tzinfo=dt.UTC).astimezone(dt.timezone(dt.timedelta(hours=7)))
    assert content["relevantDate"] == local.isoformat()  # the event's own zone: +07:00
    assert local.strftime("%-d") in fields["date"] and local.strftime("%-I:%M") in fields["date"]
    assert any(zone in fields["date"] for zone in ("WIB", "GMT+07", "+0700"))
    assert content["backgroundColor"] == "rgb(255, 136, 0)"
    assert content["authenticationToken"] == wallet.auth_token(content["serialNumber"])
    assert content["webServiceURL"] == "http://rollcall.test/wallet"


def test_the_pass_qr_decodes_to_the_ticket_secret(order):
    ana = _registrants(order)[0]
    _, data = wallet.pass_bytes(ana)
    barcode = json.loads(_unzip(data)["pass.json"])["barcodes"][0]
    assert barcode["format"] == "PKBarcodeFormatQR"

    # Draw the barcode as Wallet does (from its message) and read it back with a real decoder.
    image = qrcode.make(barcode["message"].encode(barcode["messageEncoding"])).get_image().convert("L")
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [ana.ticket_secret]


def test_pass_follows_the_order_language(app, chain):
    order = make_paid_order(["Ana Putri"], locale="id")
    _set_up_apple(order.organization_id, chain)
    _, data = wallet.pass_bytes(_registrants(order)[0])
    content = json.loads(_unzip(data)["pass.json"])
    labels = {f["key"]: f["label"] for group in content["eventTicket"].values() for f in group}
    assert labels["attendee"] == "Peserta" and labels["date"] == "Tanggal"


def test_the_worker_builds_the_passes_of_a_paid_order_and_stores_them(order):
    assert wallet.build_order(order.id) == 2
    stored = list(WalletPass.select().order_by(WalletPass.id))
    assert [p.registrant_id for p in stored] == [r.id for r in _registrants(order)]
    first = stored[0]
    assert first.size > 0 and first.path.endswith(".pkpass")
    assert wallet.build_order(order.id) == 2  # nothing changed: the same files are kept
    assert WalletPass.get_by_id(first.id).path == first.path


def test_an_unpaid_order_has_no_pass(app, chain, client):
    order = make_paid_order(["Ana Putri"], status="pending")
    _set_up_apple(order.organization_id, chain)
    ana = _registrants(order)[0]
    response = client.get(f"/tickets/{order.secret}/{ana.id}.pkpass")
    assert response.status_code == 404


def test_the_order_page_offers_the_wallets_and_the_pass_downloads(order, client):
    ana = _registrants(order)[0]
    page = client.get(f"/o/{order.secret}").get_data(as_text=True)
    assert "Add to Apple Wallet" in page
    assert "Add to Google Wallet" not in page  # no Google key uploaded

    response = client.get(f"/tickets/{order.secret}/{ana.id}.pkpass")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.apple.pkpass"
    assert "pass.json" in _unzip(response.data)
    assert client.get(f"/tickets/wrong-secret/{ana.id}.pkpass").status_code == 404


# --- Google Wallet ---------------------------------------------------------------------------------


def test_google_save_link_carries_an_rs256_jwt_signed_by_the_uploaded_key(app):
    order = make_paid_order(["Ana Putri"])
    key_file, key = make_service_account()
    wallet_keys.save_google(order.organization_id, issuer_id="3388000000012345678", key_file=key_file)
    ana = _registrants(order)[0]

    url = google_wallet.save_url(ana)
    assert url.startswith("https://pay.google.com/gp/v/save/")
    token = url.rsplit("/", 1)[1]
    assert jwt.get_unverified_header(token) == {"alg": "RS256", "typ": "JWT", "kid": "0123456789abcdef"}
    claims = jwt.decode(token, key.public_key(), algorithms=["RS256"], audience="google")
    assert claims["iss"] == "wallet@rollcall-test.iam.gserviceaccount.com"
    assert claims["typ"] == "savetowallet"
    assert claims["origins"] == ["http://rollcall.test"]
    ticket_class = claims["payload"]["eventTicketClasses"][0]
    ticket = claims["payload"]["eventTicketObjects"][0]
    assert ticket_class["id"].startswith("3388000000012345678.") and ticket["classId"] == ticket_class["id"]
    assert ticket_class["eventName"]["defaultValue"]["value"] == "Jakarta Tech Summit"
    assert ticket_class["venue"]["name"]["defaultValue"]["value"] == "Balai Kartini"
    assert ticket_class["dateTime"]["start"].endswith("+07:00")
    assert ticket["ticketHolderName"] == "Ana Putri"
    assert ticket["ticketType"]["defaultValue"]["value"] == "Regular"
    assert ticket["barcode"] == {"type": "QR_CODE", "value": ana.ticket_secret, "alternateText": order.code}

    other_key = make_service_account()[1]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, other_key.public_key(), algorithms=["RS256"], audience="google")


def test_google_button_redirects_to_the_save_link(app, client):
    order = make_paid_order(["Ana Putri"])
    wallet_keys.save_google(order.organization_id, issuer_id="3388000000012345678", key_file=make_service_account()[0])
    ana = _registrants(order)[0]
    assert "Add to Google Wallet" in client.get(f"/o/{order.secret}").get_data(as_text=True)
    response = client.get(f"/tickets/{order.secret}/{ana.id}/google-wallet")
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).netloc == "pay.google.com"


# --- Apple's pass web service ----------------------------------------------------------------------


def _service_path(wallet_pass, device="device-1"):
    return f"/wallet/v1/devices/{device}/registrations/{PASS_TYPE_ID}/{wallet_pass.serial}"


def _auth(wallet_pass):
    return {"Authorization": f"ApplePass {wallet.auth_token(wallet_pass.serial)}"}


def test_devices_register_only_with_the_pass_token(order, client):
    wallet_pass = wallet.build(_registrants(order)[0])
    path = _service_path(wallet_pass)

    assert client.post(path, json={"pushToken": "abc"}).status_code == 401
    assert client.post(path, json={"pushToken": "abc"}, headers={"Authorization": "ApplePass wrong"}).status_code == 401
    other = wallet.build(_registrants(order)[1])
    assert client.post(path, json={"pushToken": "abc"}, headers=_auth(other)).status_code == 401
    assert client.post(path, json={"pushToken": "abc"}, headers=_auth(wallet_pass)).status_code == 201
    assert client.post(path, json={"pushToken": "abc"}, headers=_auth(wallet_pass)).status_code == 200
    assert client.post(path, json={"nothing": 1}, headers=_auth(wallet_pass)).status_code == 400
    assert client.post(path, data=b"\xff\x00", headers=_auth(wallet_pass)).status_code == 400

    assert client.delete(path, headers=_auth(other)).status_code == 401
    assert client.delete(path, headers=_auth(wallet_pass)).status_code == 200
    assert client.get(f"/wallet/v1/devices/device-1/registrations/{PASS_TYPE_ID}").status_code == 204


def test_latest_pass_answers_304_until_the_event_moves_then_devices_learn_it(order, client):
    from webapp.events import service as events
    from webapp.timeutil import to_local

    wallet_pass = wallet.build(_registrants(order)[0])
    # Built a while ago: an update made now is later than anything the device was told.
    WalletPass.update(updated_at=wallet_pass.updated_at - dt.timedelta(seconds=10)).execute()
    client.post(_service_path(wallet_pass), json={"pushToken": "abc"}, headers=_auth(wallet_pass))
    listing = client.get(f"/wallet/v1/devices/device-1/registrations/{PASS_TYPE_ID}")
    assert listing.status_code == 200 and listing.json["serialNumbers"] == [wallet_pass.serial]
    tag = listing.json["lastUpdated"]
    since = f"/wallet/v1/devices/device-1/registrations/{PASS_TYPE_ID}?passesUpdatedSince={tag}"
    assert client.get(since).status_code == 204

    latest = f"/wallet/v1/passes/{PASS_TYPE_ID}/{wallet_pass.serial}"
    assert client.get(latest).status_code == 401
    first = client.get(latest, headers=_auth(wallet_pass))
    assert first.status_code == 200
    modified = first.headers["Last-Modified"]
    assert client.get(latest, headers={**_auth(wallet_pass), "If-Modified-Since": modified}).status_code == 304

    # The operator moves the event a day later and to another venue (the worker rebuilds the pass).
    event = order.event
    data = {
        "name": event.name, "slug": event.slug, "timezone": event.timezone, "currency": event.currency,
        "starts_at": to_local(event.starts_at, event.timezone).replace(tzinfo=None) + dt.timedelta(days=1),
        "ends_at": to_local(event.ends_at, event.timezone).replace(tzinfo=None) + dt.timedelta(days=1),
        "venue_name": "JCC Senayan",
    }  # fmt: skip
    events.update_event(event, data, actor=None, actor_label="test")

    changed = client.get(since)
    assert changed.status_code == 200 and changed.json["serialNumbers"] == [wallet_pass.serial]
    assert int(changed.json["lastUpdated"]) > int(tag)
    again = client.get(latest, headers={**_auth(wallet_pass), "If-Modified-Since": modified})
    assert again.status_code == 200
    content = json.loads(_unzip(again.data)["pass.json"])
    fields = {f["key"]: f["value"] for group in content["eventTicket"].values() for f in group}
    assert fields["venue"] == "JCC Senayan"
    assert content["relevantDate"] != json.loads(_unzip(first.data)["pass.json"])["relevantDate"]


def test_device_log_takes_lines_and_refuses_other_bodies(app, client):
    assert client.post("/wallet/v1/log", json={"logs": ["could not download pass"]}).status_code == 200
    assert client.post("/wallet/v1/log", json={"logs": "x"}).status_code == 400
    assert client.post("/wallet/v1/log", data=b"[" * 5000, content_type="application/json").status_code == 400


# --- Uploading the keys ------------------------------------------------------------------------------


@pytest.fixture
def admin_client(app, auth):
    from tests.factories.accounts import make_member, make_org

    org = make_org()
    return org, auth.client_for(make_member(org, "admin"), org)


def _post_apple(client, certificate: bytes, wwdr: bytes, password: str = "", pass_type_id: str = PASS_TYPE_ID):
    form = {
        "apple-pass_type_id": pass_type_id,
        "apple-team_id": "A1B2C3D4E5",
        "apple-password": password,
        "apple-certificate": (io.BytesIO(certificate), "pass.p12"),
        "apple-wwdr": (io.BytesIO(wwdr), "wwdr.cer"),
    }
    return client.post("/console/wallet/apple", data=form, content_type="multipart/form-data")


def _stored(org) -> WalletSettings | None:
    return WalletSettings.get_or_none(WalletSettings.organization == org.id)


def test_a_good_p12_is_kept_and_its_key_is_never_shown_or_stored_in_clear(admin_client, chain):
    org, client = admin_client
    response = _post_apple(
        client, chain.p12(b"s3cret"), chain.wwdr.public_bytes(wallet_keys.serialization.Encoding.DER), "s3cret"
    )
    assert response.status_code == 303
    row = _stored(org)
    assert row.apple_subject == f"Pass Type ID: {PASS_TYPE_ID}"
    assert "PRIVATE KEY" not in row.apple_key and row.apple_key
    page = client.get("/console/wallet").get_data(as_text=True)
    assert PASS_TYPE_ID in page and "PRIVATE KEY" not in page and row.apple_key not in page
    assert wallet_keys.apple_signer(row)[1].public_key().public_numbers() == chain.key.public_key().public_numbers()


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("expired", "This certificate expired on"),
        ("not_yet", "This certificate is valid only from"),
        ("other_key", "The private key does not belong to this certificate."),
        ("other_wwdr", "This intermediate certificate did not issue your pass certificate."),
        ("not_a_cert", "This is neither a PEM file nor a .p12 file this password opens."),
        ("wrong_password", "This is neither a PEM file nor a .p12 file this password opens."),
        ("too_large", "This file is too large for a certificate (64 KB at most)."),
        ("no_key", "The PEM file needs the private key too"),
        ("other_pass_type", "The certificate is for pass.test.rollcall.tickets, not pass.other.id."),
        ("wwdr_garbage", "This is not a certificate (PEM or .cer)."),
    ],
)
def test_uploads_that_cannot_sign_are_refused_beside_their_field(admin_client, chain, case, message):
    from tests.factories.wallet import key_pem

    org, client = admin_client
    certificate, wwdr, password, pass_type_id = chain.cert_with_key(), pem(chain.wwdr), "", PASS_TYPE_ID
    if case in ("expired", "not_yet"):
        cert, key = chain.another_pass_cert(days=(-30, -1) if case == "expired" else (5, 30))
        certificate = pem(cert) + key_pem(key)
    elif case == "other_key":
        certificate = pem(chain.cert) + key_pem(make_chain().key)
    elif case == "other_wwdr":
        wwdr = pem(make_chain().wwdr)
    elif case == "not_a_cert":
        certificate = b"\x00\x01 this is not a certificate \xed\xa0\x80"
    elif case == "wrong_password":
        certificate, password = chain.p12(b"right"), "wrong"
    elif case == "too_large":
        certificate = chain.cert_with_key() + b"\n" * 70_000
    elif case == "no_key":
        certificate = pem(chain.cert)
    elif case == "other_pass_type":
        pass_type_id = "pass.other.id"
    elif case == "wwdr_garbage":
        wwdr = b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n"

    response = _post_apple(client, certificate, wwdr, password, pass_type_id)

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    row = _stored(org)
    assert row is None or not row.apple_certificate


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"type": "authorized_user"}', "This is not a service account key file"),
        (b"[" * 100_000, "This file is too large"),
        (b"[" * 10_000, "This is not a JSON key file."),
        (
            b'{"type": "service_account", "client_email": "a@b", "private_key": "nope", "private_key_id": "1"}',
            "The private key in this file cannot be read.",
        ),
        (b"\xff\xfe", "This is not a JSON key file."),
    ],
)
def test_google_key_files_that_cannot_sign_are_refused(admin_client, content, message):
    org, client = admin_client
    form = {"google-issuer_id": "3388000000012345678", "google-key_file": (io.BytesIO(content), "key.json")}
    response = client.post("/console/wallet/google", data=form, content_type="multipart/form-data")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    row = _stored(org)
    assert row is None or not row.google_key


def test_door_staff_cannot_open_the_wallet_keys(app, auth):
    from tests.factories.accounts import make_member, make_org

    org = make_org()
    client = auth.client_for(make_member(org, "manager"), org)
    assert client.get("/console/wallet").status_code in (403, 404)


def test_paid_order_builds_passes_and_the_ticket_email_links_both_wallets(mail_app, chain):
    from webapp import signals

    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"])
    _set_up_apple(order.organization_id, chain)
    wallet_keys.save_google(order.organization_id, issuer_id="3388000000012345678", key_file=make_service_account()[0])
    ana = _registrants(order)[0]

    signals.emit(signals.order_paid, order_id=order.id)

    (msg,) = inbox.wait_for(1)
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert f"Add to Apple Wallet: http://rollcall.test/tickets/{order.secret}/{ana.id}.pkpass" in text
    assert f"Add to Google Wallet: http://rollcall.test/tickets/{order.secret}/{ana.id}/google-wallet" in text
    assert "Add to Apple Wallet</a>" in html
    stored = WalletPass.get(WalletPass.registrant == ana)  # built by the worker, before anyone asked
    assert stored.path and stored.size > 0


def test_without_wallet_keys_the_ticket_email_offers_no_wallet(mail_app):
    from webapp import signals

    app, inbox = mail_app
    order = make_paid_order(["Ana Putri"])
    signals.emit(signals.order_paid, order_id=order.id)
    (msg,) = inbox.wait_for(1)
    assert "Wallet" not in msg.get_body(("plain",)).get_content()
    assert WalletPass.select().count() == 0


def test_upload_errors_speak_indonesian(admin_client, chain):
    from tests.factories.wallet import key_pem

    org, client = admin_client
    certificate = pem(chain.cert) + key_pem(make_chain().key)
    form = {
        "apple-pass_type_id": PASS_TYPE_ID,
        "apple-team_id": "A1B2C3D4E5",
        "apple-certificate": (io.BytesIO(certificate), "pass.pem"),
        "apple-wwdr": (io.BytesIO(pem(chain.wwdr)), "wwdr.cer"),
    }
    response = client.post(
        "/console/wallet/apple", data=form, content_type="multipart/form-data", headers={"Accept-Language": "id"}
    )
    assert response.status_code == 422
    assert "Kunci privat ini bukan milik sertifikat ini." in response.get_data(as_text=True)


def _fields(content: dict) -> dict:
    return {f["key"]: f["value"] for group in content["eventTicket"].values() for f in group}


def test_a_canceled_order_voids_its_passes_and_devices_learn_it(order, client):
    from webapp.orders import service as orders

    ana = _registrants(order)[0]
    wallet_pass = wallet.build_order(order.id) and WalletPass.get(WalletPass.registrant == ana)
    WalletPass.update(updated_at=wallet_pass.updated_at - dt.timedelta(seconds=10)).execute()
    client.post(_service_path(wallet_pass), json={"pushToken": "abc"}, headers=_auth(wallet_pass))
    tag = client.get(f"/wallet/v1/devices/device-1/registrations/{PASS_TYPE_ID}").json["lastUpdated"]

    orders.cancel_order(order, actor=None, reason="test", actor_label="test")

    since = f"/wallet/v1/devices/device-1/registrations/{PASS_TYPE_ID}?passesUpdatedSince={tag}"
    assert client.get(since).json["serialNumbers"] == [wallet_pass.serial]
    latest = client.get(f"/wallet/v1/passes/{PASS_TYPE_ID}/{wallet_pass.serial}", headers=_auth(wallet_pass))
    assert latest.status_code == 200
    assert json.loads(_unzip(latest.data)["pass.json"])["voided"] is True
    assert client.get(f"/tickets/{order.secret}/{ana.id}.pkpass").status_code == 404  # no new download


def test_a_renamed_attendee_gets_a_pass_with_the_new_name(order, client):
    from webapp.orders import service as orders

    ana = _registrants(order)[0]
    wallet.build_order(order.id)
    orders.update_registrant(ana, name="Ana Putri Wijaya", email=ana.email, answers={}, actor=None, actor_label="t")

    stored = WalletPass.get(WalletPass.registrant == ana)
    with zipfile.ZipFile(io.BytesIO(storage().read(stored.path))) as archive:  # what the worker built
        content = json.loads(archive.read("pass.json"))
    assert _fields(content)["attendee"] == "Ana Putri Wijaya"
    assert "voided" not in content
