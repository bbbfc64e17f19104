"""A certificate chain made in the test, shaped like Apple's: a root, a WWDR-like intermediate, and
a pass certificate (its UID the pass type id) with its private key; and a Google service account."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

PASS_TYPE_ID = "pass.test.rollcall.tickets"
UID = x509.ObjectIdentifier("0.9.2342.19200300.100.1.1")


def _name(common_name: str, uid: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if uid:
        attributes.insert(0, x509.NameAttribute(UID, uid))
    return x509.Name(attributes)


def _certificate(subject, issuer, public_key, signing_key, *, ca: bool, days=(-1, 365)) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=days[0]))
        .not_valid_after(now + dt.timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(signing_key, hashes.SHA256())
    )


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key, password: bytes | None = None) -> bytes:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


@dataclass
class Chain:
    root: x509.Certificate
    wwdr: x509.Certificate
    wwdr_key: object
    cert: x509.Certificate
    key: object

    def cert_with_key(self) -> bytes:
        return pem(self.cert) + key_pem(self.key)

    def p12(self, password: bytes) -> bytes:
        return pkcs12.serialize_key_and_certificates(
            b"pass", self.key, self.cert, None, serialization.BestAvailableEncryption(password)
        )

    def another_pass_cert(self, *, days=(-1, 365), uid=PASS_TYPE_ID):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate(
            _name("Pass Type ID: other", uid), self.wwdr.subject, key.public_key(), self.wwdr_key, ca=False, days=days
        )
        return cert, key


def make_chain(pass_type_id: str = PASS_TYPE_ID) -> Chain:
    root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    root = _certificate(_name("Test Root CA"), _name("Test Root CA"), root_key.public_key(), root_key, ca=True)
    wwdr_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    wwdr = _certificate(
        _name("Test Worldwide Developer Relations"), root.subject, wwdr_key.public_key(), root_key, ca=True
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = _certificate(
        _name(f"Pass Type ID: {pass_type_id}", pass_type_id), wwdr.subject, key.public_key(), wwdr_key, ca=False
    )
    return Chain(root=root, wwdr=wwdr, wwdr_key=wwdr_key, cert=cert, key=key)


def make_service_account() -> tuple[bytes, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    data = {
        "type": "service_account",
        "project_id": "rollcall-test",
        "private_key_id": "0123456789abcdef",
        "private_key": key_pem(key).decode(),
        "client_email": "wallet@rollcall-test.iam.gserviceaccount.com",
    }
    return json.dumps(data).encode(), key
