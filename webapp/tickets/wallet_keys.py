"""The keys an organization uploads for wallet passes, checked on upload and kept encrypted.

Apple: the pass certificate with its private key (PEM, or a PKCS #12 file with its password) and
Apple's WWDR intermediate that issued it. Google: the service account's JSON key file. A private
key is stored only as a Fernet token (webapp/payments/vault.py) and never shown or logged; the
console shows the certificate's subject, expiry and fingerprint."""

from __future__ import annotations

import datetime as dt
import json

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from webapp.db import db, utcnow
from webapp.i18n import _
from webapp.payments import vault
from webapp.tickets.models import WalletSettings

MAX_FILE_BYTES = 64 * 1024
PURPOSE = b"rollcall.wallet.keys.v1"
UID = x509.ObjectIdentifier("0.9.2342.19200300.100.1.1")  # Apple writes the pass type id here


class WalletKeyError(ValueError):
    """An upload that cannot be used; `field` names the form field it belongs to."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def settings_of(org_id: int) -> WalletSettings:
    found = WalletSettings.get_or_none(WalletSettings.organization == org_id)
    return found or WalletSettings(organization=org_id)


# --- Apple ---------------------------------------------------------------------------------------


def save_apple(
    org_id: int,
    *,
    pass_type_id: str,
    team_id: str,
    certificate: bytes,
    password: str,
    wwdr: bytes,
    now: dt.datetime | None = None,
) -> WalletSettings:
    """Check the upload and keep it. Raises WalletKeyError with the field at fault."""
    now = now or utcnow()
    pass_type_id, team_id = pass_type_id.strip(), team_id.strip()
    if not pass_type_id.startswith("pass.") or len(pass_type_id) > 255:
        raise WalletKeyError(
            "pass_type_id", _("A pass type identifier starts with “pass.”, e.g. pass.com.example.tickets.")
        )
    if not team_id.isalnum() or len(team_id) > 32:
        raise WalletKeyError("team_id", _("The team identifier is letters and digits, e.g. A1B2C3D4E5."))
    cert, key = _certificate_and_key(certificate, password)
    intermediate = _wwdr(wwdr)
    _check_validity(cert, now, "certificate")
    _check_validity(intermediate, now, "wwdr")
    if cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) != key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
        raise WalletKeyError("certificate", _("The private key does not belong to this certificate."))
    try:
        cert.verify_directly_issued_by(intermediate)
    except (ValueError, TypeError, InvalidSignature):
        raise WalletKeyError("wwdr", _("This intermediate certificate did not issue your pass certificate.")) from None
    uid = [a.value for a in cert.subject.get_attributes_for_oid(UID)]
    if uid and uid[0] != pass_type_id:
        raise WalletKeyError(
            "pass_type_id", _("The certificate is for %(uid)s, not %(id)s.", uid=uid[0], id=pass_type_id)
        )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    with db.atomic():
        row = settings_of(org_id)
        row.apple_pass_type_id = pass_type_id
        row.apple_team_id = team_id
        row.apple_certificate = cert.public_bytes(serialization.Encoding.PEM).decode()
        row.apple_key = vault.encrypt(key_pem, purpose=PURPOSE)
        row.apple_wwdr = intermediate.public_bytes(serialization.Encoding.PEM).decode()
        row.apple_subject = _common_name(cert)[:255]
        row.apple_expires_at = cert.not_valid_after_utc.replace(tzinfo=None)
        row.updated_at = utcnow()
        row.save()
    return row


def apple_signer(row: WalletSettings):
    """(certificate, private key, WWDR) to sign passes with; None when not set up."""
    if not row.apple_certificate or not row.apple_key:
        return None
    cert = x509.load_pem_x509_certificate(row.apple_certificate.encode())
    key = serialization.load_pem_private_key(vault.decrypt(row.apple_key, purpose=PURPOSE).encode(), None)
    return cert, key, x509.load_pem_x509_certificate(row.apple_wwdr.encode())


def remove_apple(org_id: int) -> None:
    WalletSettings.update(
        apple_certificate="", apple_key="", apple_wwdr="", apple_subject="", apple_expires_at=None, updated_at=utcnow()
    ).where(WalletSettings.organization == org_id).execute()


def fingerprint(row: WalletSettings) -> str:
    if not row.apple_certificate:
        return ""
    cert = x509.load_pem_x509_certificate(row.apple_certificate.encode())
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def _certificate_and_key(data: bytes, password: str):
    _check_size(data, "certificate")
    if b"-----BEGIN" in data:
        try:
            cert = x509.load_pem_x509_certificate(data)
        except ValueError:
            raise WalletKeyError("certificate", _("No certificate found in this PEM file.")) from None
        try:
            key = serialization.load_pem_private_key(data, password.encode() or None)
        except TypeError:
            raise WalletKeyError("password", _("This private key is protected: enter its password.")) from None
        except (ValueError, UnsupportedAlgorithm):
            raise WalletKeyError(
                "certificate", _("The PEM file needs the private key too (or a wrong password was given).")
            ) from None
    else:
        try:
            key, cert, _others = pkcs12.load_key_and_certificates(data, password.encode() or None)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise WalletKeyError(
                "certificate", _("This is neither a PEM file nor a .p12 file this password opens.")
            ) from None
        if cert is None or key is None:
            raise WalletKeyError("certificate", _("The .p12 file must hold the certificate and its private key."))
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise WalletKeyError("certificate", _("The private key must be RSA or EC."))
    return cert, key


def _wwdr(data: bytes) -> x509.Certificate:
    _check_size(data, "wwdr")
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise WalletKeyError("wwdr", _("This is not a certificate (PEM or .cer).")) from None


def _check_size(data: bytes, field: str) -> None:
    if not data:
        raise WalletKeyError(field, _("Choose a file."))
    if len(data) > MAX_FILE_BYTES:
        raise WalletKeyError(field, _("This file is too large for a certificate (64 KB at most)."))


def _check_validity(cert: x509.Certificate, now: dt.datetime, field: str) -> None:
    if cert.not_valid_after_utc.replace(tzinfo=None) <= now:
        raise WalletKeyError(
            field, _("This certificate expired on %(day)s.", day=cert.not_valid_after_utc.strftime("%Y-%m-%d"))
        )
    if cert.not_valid_before_utc.replace(tzinfo=None) > now:
        raise WalletKeyError(
            field, _("This certificate is valid only from %(day)s.", day=cert.not_valid_before_utc.strftime("%Y-%m-%d"))
        )


def _common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else cert.subject.rfc4514_string()


# --- Google --------------------------------------------------------------------------------------


def save_google(org_id: int, *, issuer_id: str, key_file: bytes) -> WalletSettings:
    issuer_id = issuer_id.strip()
    if not issuer_id.isdigit() or len(issuer_id) > 32:
        raise WalletKeyError("issuer_id", _("The issuer ID is the number shown in the Google Pay & Wallet console."))
    _check_size(key_file, "key_file")
    try:
        data = json.loads(key_file.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise WalletKeyError("key_file", _("This is not a JSON key file.")) from None
    if not isinstance(data, dict) or data.get("type") != "service_account":
        raise WalletKeyError("key_file", _("This is not a service account key file (type service_account)."))
    email, pem, key_id = data.get("client_email"), data.get("private_key"), data.get("private_key_id")
    if not all(isinstance(v, str) and v for v in (email, pem, key_id)):
        raise WalletKeyError("key_file", _("The key file lacks client_email, private_key or private_key_id."))
    try:
        key = serialization.load_pem_private_key(pem.encode(), None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise WalletKeyError("key_file", _("The private key in this file cannot be read.")) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise WalletKeyError("key_file", _("Google signs with RSA keys: this key is not one."))
    with db.atomic():
        row = settings_of(org_id)
        row.google_issuer_id = issuer_id
        row.google_client_email = email[:255]
        row.google_key = vault.encrypt(json.dumps({"private_key": pem, "private_key_id": key_id}), purpose=PURPOSE)
        row.updated_at = utcnow()
        row.save()
    return row


def google_signer(row: WalletSettings) -> dict | None:
    """{"private_key", "private_key_id"} to sign save links with; None when not set up."""
    if not row.google_key:
        return None
    return json.loads(vault.decrypt(row.google_key, purpose=PURPOSE))


def remove_google(org_id: int) -> None:
    WalletSettings.update(google_issuer_id="", google_client_email="", google_key="", updated_at=utcnow()).where(
        WalletSettings.organization == org_id
    ).execute()
