"""Apple Wallet passes: one `.pkpass` per admitted ticket, built by the worker and kept on disk like
the ticket PDFs, built again when what it shows changed (its fingerprint no longer matches).

A `.pkpass` is a zip of pass.json, its images, manifest.json (the SHA-1 of every file) and
`signature`: a detached PKCS #7 signature over manifest.json with the organization's pass
certificate, carrying Apple's WWDR intermediate (cryptography's PKCS7SignatureBuilder)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import logging
import secrets
import zipfile

import peewee as pw
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from PIL import Image

from webapp.db import db, utcnow
from webapp.orders.models import Order, Registrant
from webapp.runtime import settings
from webapp.storage import InvalidKey, storage
from webapp.tickets import display, service, wallet_keys, wallet_push
from webapp.tickets.models import WalletPass, WalletSettings
from webapp.timeutil import zone

log = logging.getLogger("rollcall.tickets.wallet")

MIMETYPE = "application/vnd.apple.pkpass"
LAYOUT_VERSION = 1  # bump when pass.json's layout changes: every stored pass is built again

LABELS = {
    "en": {"event": "Event", "date": "Date", "venue": "Venue", "attendee": "Attendee", "ticket": "Ticket",
           "order": "Order", "address": "Address", "online": "Online", "manage": "Your order"},
    "id": {"event": "Acara", "date": "Tanggal", "venue": "Tempat", "attendee": "Peserta", "ticket": "Tiket",
           "order": "Pesanan", "address": "Alamat", "online": "Daring", "manage": "Pesanan Anda"},
}  # fmt: skip


class NotSetUp(LookupError):
    """The organization has no pass certificate: no pass can be signed."""


def auth_token(serial: str) -> str:
    """The pass's authenticationToken: derived from the serial with the app's secret, so it is
    never stored and a device proves it holds the pass by sending it back."""
    key = hmac.new(settings().secret_key.encode(), b"rollcall.wallet.auth.v1", hashlib.sha256).digest()
    return hmac.new(key, serial.encode(), hashlib.sha256).hexdigest()


def check_auth(wallet_pass: WalletPass, header: str | None) -> bool:
    scheme, _, token = (header or "").partition(" ")
    return scheme == "ApplePass" and hmac.compare_digest(token.strip(), auth_token(wallet_pass.serial))


def web_service_url() -> str:
    return f"{settings().base_url}/wallet"


# --- What the pass shows -------------------------------------------------------------------------


def _colour(hex_colour: str) -> tuple[int, int, int]:
    value = (hex_colour or "#1d4ed8").lstrip("#")
    try:
        return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)
    except ValueError:
        return 29, 78, 216


def _rgb(rgb: tuple[int, int, int]) -> str:
    return f"rgb({rgb[0]}, {rgb[1]}, {rgb[2]})"


def _readable_on(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    luminance = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
    return (17, 24, 39) if luminance > 150 else (255, 255, 255)


def local_start(event) -> str:
    """The event's start as ISO 8601 with the offset of its time zone."""
    return event.starts_at.replace(tzinfo=dt.UTC).astimezone(zone(event.timezone)).isoformat()


def pass_json(registrant: Registrant, row: WalletSettings, serial: str, *, voided: bool = False) -> dict:
    order = registrant.order
    event = order.event
    org = event.organization
    lang = display.language(order.locale)
    labels = LABELS[lang]
    background = _colour(org.brand_color)
    foreground = _readable_on(background)
    when = display.when(event, lang)
    venue = event.venue_name or (labels["online"] if event.online_url else "")
    barcode = {"format": "PKBarcodeFormatQR", "message": registrant.ticket_secret, "messageEncoding": "iso-8859-1"}
    back = [{"key": "order", "label": labels["order"], "value": order.code}]
    if event.venue_address:
        back.append({"key": "address", "label": labels["address"], "value": " ".join(event.venue_address.split())})
    back.append({"key": "manage", "label": labels["manage"], "value": f"{settings().base_url}/o/{order.secret}"})
    data = {
        "formatVersion": 1,
        "passTypeIdentifier": row.apple_pass_type_id,
        "teamIdentifier": row.apple_team_id,
        "serialNumber": serial,
        "authenticationToken": auth_token(serial),
        "webServiceURL": web_service_url(),
        "organizationName": org.name,
        "description": display.translated(event, "name", lang),
        "logoText": org.name,
        "backgroundColor": _rgb(background),
        "foregroundColor": _rgb(foreground),
        "labelColor": _rgb(foreground),
        "relevantDate": local_start(event),
        "barcodes": [barcode],
        "barcode": barcode,  # iOS before 9 reads only this one
        "eventTicket": {
            "primaryFields": [
                {"key": "event", "label": labels["event"], "value": display.translated(event, "name", lang)}
            ],
            "secondaryFields": [
                {"key": "date", "label": labels["date"], "value": when["starts"]},
                {"key": "venue", "label": labels["venue"], "value": venue},
            ],
            "auxiliaryFields": [
                {"key": "attendee", "label": labels["attendee"], "value": registrant.name},
                {
                    "key": "ticket",
                    "label": labels["ticket"],
                    "value": display.translated(registrant.product, "name", lang),
                },
            ],
            "backFields": back,
        },
    }
    if voided:  # canceled: Wallet shows the pass as void and stops suggesting it
        data["voided"] = True
    return data


def images(org, colour: str) -> dict[str, bytes]:
    """icon.png (required by Wallet) in the brand colour, and the organization's logo if it has one."""
    rgb = _colour(colour)
    files = {}
    for name, size in (("icon.png", 29), ("icon@2x.png", 58), ("icon@3x.png", 87)):
        files[name] = _png(Image.new("RGB", (size, size), rgb))
    logo = _org_logo(org)
    if logo is not None:
        for name, height in (("logo.png", 50), ("logo@2x.png", 100)):
            copy = logo.copy()
            copy.thumbnail((height * 32 // 10, height))
            files[name] = _png(copy)
    return files


def _org_logo(org) -> Image.Image | None:
    if not org.logo_path:
        return None
    try:
        with Image.open(io.BytesIO(storage().read(org.logo_path))) as image:
            return image.convert("RGBA")
    except (FileNotFoundError, InvalidKey, OSError, ValueError, Image.DecompressionBombError):
        return None


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


# --- The package ---------------------------------------------------------------------------------


def manifest(files: dict[str, bytes]) -> bytes:
    return json.dumps({name: hashlib.sha1(data).hexdigest() for name, data in sorted(files.items())}).encode()


def sign(manifest_bytes: bytes, cert, key, wwdr) -> bytes:
    """Detached PKCS #7 (DER) over manifest.json, signed by the pass certificate, with WWDR."""
    return (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(manifest_bytes)
        .add_signer(cert, key, hashes.SHA256())
        .add_certificate(wwdr)
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])
    )


def package(files: dict[str, bytes], signer) -> bytes:
    manifest_bytes = manifest(files)
    signature = sign(manifest_bytes, *signer)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
        archive.writestr("manifest.json", manifest_bytes)
        archive.writestr("signature", signature)
    return buffer.getvalue()


def _content(registrant: Registrant, row: WalletSettings, serial: str, voided: bool) -> tuple[dict[str, bytes], str]:
    """The files of the pass (signature aside) and the fingerprint of what they show."""
    data = pass_json(registrant, row, serial, voided=voided)
    org = registrant.order.event.organization
    files = {"pass.json": json.dumps(data, ensure_ascii=False, sort_keys=True).encode(), **images(org, org.brand_color)}
    digest = hashlib.sha256(manifest(files))
    digest.update(f"{LAYOUT_VERSION}:{row.apple_certificate}".encode())
    return files, digest.hexdigest()


# --- Stored passes -------------------------------------------------------------------------------


def pass_of(registrant: Registrant) -> WalletPass:
    """The registrant's pass row (made with its serial on first use; nothing built yet)."""
    found = WalletPass.get_or_none(WalletPass.registrant == registrant)
    if found is not None:
        return found
    try:
        with db.atomic():
            return WalletPass.create(
                organization=registrant.order.organization_id,
                registrant=registrant,
                event=registrant.order.event_id,
                serial=secrets.token_hex(16),
            )
    except pw.IntegrityError:  # made at the same moment by another worker
        return WalletPass.get(WalletPass.registrant == registrant)


def is_admitted(registrant: Registrant) -> bool:
    return any(r.id == registrant.id for r in service.admitted_registrants(registrant.order))


def build(registrant: Registrant, *, void_if_canceled: bool = False) -> WalletPass:
    """Bring the registrant's stored pass up to date; raises NotSetUp or service.NoTickets. A ticket
    no longer admitted has no pass, except that one already issued is made void when asked (what
    a device that holds it is given)."""
    voided = not is_admitted(registrant)
    issued = WalletPass.select().where(WalletPass.registrant == registrant).exists()
    if voided and not (void_if_canceled and issued):
        raise service.NoTickets(f"registrant {registrant.id} has no admitted ticket")
    row = wallet_keys.settings_of(registrant.order.organization_id)
    signer = wallet_keys.apple_signer(row)
    if signer is None:
        raise NotSetUp("no pass certificate")
    wallet_pass = pass_of(registrant)
    files, fp = _content(registrant, row, wallet_pass.serial, voided)
    if wallet_pass.fingerprint == fp and wallet_pass.path and storage().exists(wallet_pass.path):
        return wallet_pass
    data = package(files, signer)
    relative = f"passes/{wallet_pass.organization_id}/{wallet_pass.serial}-{fp[:16]}.pkpass"
    storage().write(relative, data)
    previous, changed = wallet_pass.path, wallet_pass.fingerprint != fp
    values = {"path": relative, "fingerprint": fp, "size": len(data)}
    if changed:
        # Whole seconds: what Last-Modified / If-Modified-Since can say.
        values["updated_at"] = utcnow().replace(microsecond=0)
    WalletPass.update(**values).where(WalletPass.id == wallet_pass.id).execute()
    for name, value in values.items():
        setattr(wallet_pass, name, value)
    if previous and previous != relative:
        storage().delete(previous)
    return wallet_pass


def pass_bytes(registrant: Registrant, *, void_if_canceled: bool = False) -> tuple[WalletPass, bytes]:
    wallet_pass = build(registrant, void_if_canceled=void_if_canceled)
    return wallet_pass, storage().read(wallet_pass.path)


def build_order(order_id: int) -> int:
    """The passes of every admitted ticket of the order (the worker, once it is paid); the passes
    already issued for tickets no longer admitted are made void. Returns how many are valid."""
    order = Order.get_or_none(Order.id == order_id)
    if order is None or wallet_keys.apple_signer(wallet_keys.settings_of(order.organization_id)) is None:
        return 0
    registrants = service.admitted_registrants(order)
    for registrant in registrants:
        build(registrant)
    admitted = {r.id for r in registrants}
    issued = WalletPass.select(WalletPass.registrant).join(Registrant).where(Registrant.order == order)
    for (registrant_id,) in issued.tuples():
        if registrant_id not in admitted:
            build(Registrant.get_by_id(registrant_id), void_if_canceled=True)
    wallet_push.record_pushes(WalletPass.select(WalletPass.id).join(Registrant).where(Registrant.order == order))
    return len(registrants)


def rebuild_event(event_id: int) -> int:
    """The event's time, venue or name changed: its passes are built again; those whose content
    changed get a new updated_at, and the devices registered for them are told through APNs
    (webapp/tickets/wallet_push.py). Returns how many changed."""
    changed = 0
    query = WalletPass.select(WalletPass.registrant).where(WalletPass.event == event_id).order_by(WalletPass.id)
    for (registrant_id,) in query.tuples():
        registrant = Registrant.get_or_none(Registrant.id == registrant_id)
        if registrant is None or not is_admitted(registrant):
            continue
        before = WalletPass.get(WalletPass.registrant == registrant_id).fingerprint
        try:
            after = build(registrant).fingerprint
        except NotSetUp:
            return changed
        changed += after != before
    wallet_push.record_pushes(WalletPass.select(WalletPass.id).where(WalletPass.event == event_id))
    return changed


def offers(order: Order) -> dict:
    """What the order page and the ticket email offer: which wallets, and for which tickets."""
    row = wallet_keys.settings_of(order.organization_id)
    apple, google = bool(row.apple_certificate), bool(row.google_key)
    registrants = service.admitted_registrants(order) if apple or google else []
    return {"apple": apple, "google": google, "registrants": registrants}
