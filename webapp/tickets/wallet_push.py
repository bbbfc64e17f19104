"""Telling devices that a wallet pass changed (Apple's pass-update protocol): for every device
registered for the pass, an HTTP/2 POST of an empty JSON object to APNs at
`/3/device/<push token>`, `apns-topic` the pass type identifier, the TLS client certificate the
organization's pass certificate. The device then asks the pass web service which of its passes
changed and fetches them (webapp/tickets/views_wallet.py).

A registration remembers the pass version it was last told of (`pushed_at`, the pass's
`updated_at`): a push work item tells only the devices behind, so a retried or repeated item tells
nobody twice, and a worker that died between building a pass and recording its pushes is caught
up by the next build of the same passes."""

from __future__ import annotations

import json
import logging
import secrets
import ssl
import tempfile
from collections.abc import Iterable
from itertools import groupby
from pathlib import Path
from urllib.parse import quote

import httpx
import peewee as pw
from cryptography.hazmat.primitives import serialization

from webapp import work
from webapp.db import db, utcnow
from webapp.runtime import settings
from webapp.tickets import wallet_keys
from webapp.tickets.models import WalletPass, WalletRegistration

log = logging.getLogger("rollcall.tickets.wallet_push")

KIND = "tickets.wallet_push"  # {"registration_ids"}: tell these devices their pass changed
BATCH = 100  # devices per work item: one HTTP/2 connection each
TIMEOUT = httpx.Timeout(15.0)


class ApnsUnavailable(RuntimeError):
    """APNs could not be reached or asked us to come back (429, 5xx): the work engine retries the
    item with backoff; the devices already told are not told again."""


def record_pushes(passes: pw.SelectQuery) -> int:
    """One work item per batch of the devices registered for `passes` (a query of WalletPass ids)
    that have not been told of their pass's current version. Returns how many devices."""
    due = (
        WalletRegistration.select(WalletRegistration.id)
        .join(WalletPass)
        .where(
            WalletRegistration.wallet_pass.in_(passes)
            & (WalletRegistration.pushed_at.is_null() | (WalletRegistration.pushed_at < WalletPass.updated_at))
        )
        .order_by(WalletRegistration.id)
    )
    ids = [registration_id for (registration_id,) in due.tuples()]
    with db.atomic():
        for start in range(0, len(ids), BATCH):
            work.record(KIND, {"registration_ids": ids[start : start + BATCH]}, priority=work.BULK)
    return len(ids)


def push(registration_ids: Iterable[int]) -> dict[str, int]:
    """Tell these devices (those still behind) that their pass changed. Returns the counts of
    `sent`, `removed` (APNs said the token is gone: 410) and `refused` (400, 403 and the like:
    logged and kept on the registration); raises ApnsUnavailable when some must be retried."""
    rows = (
        WalletRegistration.select(WalletRegistration, WalletPass)
        .join(WalletPass)
        .where(WalletRegistration.id.in_(list(registration_ids)))
        .order_by(WalletRegistration.organization, WalletRegistration.id)
    )
    due = [r for r in rows if r.pushed_at is None or r.pushed_at < r.wallet_pass.updated_at]
    counts = {"sent": 0, "removed": 0, "refused": 0, "retry": 0}
    last_problem = ""
    for org_id, group in groupby(due, key=lambda r: r.organization_id):
        row = wallet_keys.settings_of(org_id)
        signer = wallet_keys.apple_signer(row)
        if signer is None:  # the certificate was removed: nothing can be pushed, nothing to retry
            continue
        with httpx.Client(http2=True, verify=_tls_context(signer), timeout=TIMEOUT) as client:
            for registration in group:
                outcome, problem = _push_one(client, row.apple_pass_type_id, registration)
                counts[outcome] += 1
                last_problem = problem or last_problem
    if counts["retry"]:
        raise ApnsUnavailable(f"{counts['retry']} device(s) to tell again: {last_problem}")
    return counts


def _push_one(client: httpx.Client, topic: str, registration: WalletRegistration) -> tuple[str, str]:
    url = f"{settings().apns_url}/3/device/{quote(registration.push_token, safe='')}"
    try:
        answer = client.post(url, content=b"{}", headers={"apns-topic": topic, "content-type": "application/json"})
    except httpx.HTTPError as exc:  # timeouts, refused connections, TLS and HTTP/2 failures
        return "retry", f"{type(exc).__name__}: {exc}"
    status, reason = answer.status_code, _reason(answer)
    version = registration.wallet_pass.updated_at
    if status == 200:
        _mark(registration, pushed_at=version, push_error="", push_error_at=None)
        return "sent", ""
    if status == 410:  # the token is no longer valid: the device removed the pass or the app
        WalletRegistration.delete().where(
            (WalletRegistration.id == registration.id) & (WalletRegistration.push_token == registration.push_token)
        ).execute()
        return "removed", ""
    if status == 429 or status >= 500:
        return "retry", f"APNs answered {status} {reason}".strip()
    # 400 (BadDeviceToken, ...), 403 (a certificate APNs does not accept for this topic), 404, 413:
    # asking again cannot help. The device still fetches the pass when it next asks by itself.
    log.warning(
        "APNs refused the push for wallet pass %s (organization %s): %s %s",
        registration.wallet_pass_id, registration.organization_id, status, reason,
    )  # fmt: skip
    _mark(registration, pushed_at=version, push_error=f"{status} {reason}".strip()[:255], push_error_at=utcnow())
    return "refused", ""


def _mark(registration: WalletRegistration, **values) -> None:
    WalletRegistration.update(**values).where(
        (WalletRegistration.id == registration.id) & (WalletRegistration.push_token == registration.push_token)
    ).execute()


def _reason(answer: httpx.Response) -> str:
    """APNs's `reason` (BadDeviceToken, Unregistered, ...) from its JSON error body, if any."""
    try:
        body = json.loads(answer.content[:4096] or b"{}")
    except ValueError:
        return ""
    reason = body.get("reason") if isinstance(body, dict) else None
    return reason[:100] if isinstance(reason, str) else ""


def _tls_context(signer) -> ssl.SSLContext:
    """The usual trusted CAs (plus ROLLCALL_APNS_CA_FILE), and the pass certificate as the client
    certificate. The ssl module loads a key only from a file: it is written encrypted under a
    one-time password to a private temporary folder, and removed at once."""
    cert, key, _wwdr = signer
    context = httpx.create_ssl_context()
    if settings().apns_ca_file is not None:
        context.load_verify_locations(cafile=str(settings().apns_ca_file))
    password = secrets.token_urlsafe(24).encode()
    with tempfile.TemporaryDirectory(prefix="rollcall-apns-") as folder:
        cert_path, key_path = Path(folder) / "cert.pem", Path(folder) / "key.pem"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(password),
            )
        )
        context.load_cert_chain(str(cert_path), str(key_path), password=password)
    return context
