"""A Web Push service (RFC 8030) on loopback for tests: it checks each push's VAPID JWT (RFC 8292)
against the key in its header and decrypts the aes128gcm payload (RFC 8291) with the private key
of the browser it made the subscription for."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PushService:
    """A push service on loopback: POST /push/<name> with a VAPID header and an encrypted body.
    Header names are compared without case, as HTTP says."""

    def __init__(self):
        self.browsers: dict[str, tuple] = {}  # name -> (private key, auth secret)
        self.gone: set[str] = set()
        self.received: list[dict] = []
        self.refused: list[str] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                name = self.path.rsplit("/", 1)[-1]
                status, note = service.receive(name, {k.lower(): v for k, v in self.headers.items()}, body)
                if note:
                    service.refused.append(note)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def browser(self, name: str) -> dict:
        """A new browser's PushSubscription JSON, its keys kept here to decrypt with."""
        key = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        self.browsers[name] = (key, auth)
        point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": f"{self.origin}/push/{name}", "keys": {"p256dh": _b64(point), "auth": _b64(auth)}}

    def receive(self, name: str, headers: dict, body: bytes) -> tuple[int, str]:
        if name in self.gone:
            return 410, ""
        if name not in self.browsers:
            return 404, ""
        scheme, _, params = headers.get("authorization", "").partition(" ")
        fields = dict(part.strip().split("=", 1) for part in params.split(",") if "=" in part)
        if scheme != "vapid" or "t" not in fields or "k" not in fields:
            return 401, "no VAPID authorization"
        server_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64(fields["k"]))
        try:
            claims = jwt.decode(fields["t"], server_key, algorithms=["ES256"], audience=self.origin)
        except jwt.PyJWTError as exc:
            return 403, f"VAPID JWT refused: {exc}"
        if not claims["exp"] <= time.time() + 24 * 3600 or not claims.get("sub", "").startswith("mailto:"):
            return 403, "VAPID claims out of bounds"
        if headers.get("content-encoding") != "aes128gcm" or "ttl" not in headers:
            return 400, "not an RFC 8291 message"
        key, auth = self.browsers[name]
        plaintext = http_ece.decrypt(body, private_key=key, auth_secret=auth, version="aes128gcm")
        self.received.append({"name": name, "k": fields["k"], "claims": claims, "payload": json.loads(plaintext)})
        return 201, ""

    def close(self):
        self.server.shutdown()
        self.server.server_close()
