"""Local HTTP servers that speak the gateways' documented protocols, for the real clients to talk
to: Midtrans (Snap create + status API) and Stripe (Checkout Sessions). They record every request
they receive so tests can assert what our client really sent."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote

STATUS_CODES = {
    "settlement": "200",
    "capture": "200",
    "pending": "201",
    "deny": "202",
    "cancel": "200",
    "expire": "407",
    "refund": "200",
    "partial_refund": "200",
    "failure": "202",
}


class _Server:
    def __init__(self):
        self.requests: list[dict] = []
        handler = self._handler_class()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def _handler_class(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                record = {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                server.requests.append(record)
                status, payload = server.route(record)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

        return Handler

    def route(self, record) -> tuple[int, dict]:
        raise NotImplementedError


class FakeMidtrans(_Server):
    """Snap on /snap/v1/transactions and the status API on /v2/<order_id>/status. (Midtrans serves
    them from two hosts; one server with both paths stands in for both.)"""

    def __init__(self, server_key: str):
        super().__init__()
        self.server_key = server_key
        self.transactions: dict[str, dict] = {}

    def _authorized(self, record) -> bool:
        expected = "Basic " + base64.b64encode(f"{self.server_key}:".encode()).decode()
        return record["headers"].get("Authorization") == expected

    def route(self, record):
        if not self._authorized(record):
            return 401, {
                "error_messages": ["Access denied due to unauthorized transaction, please check client or server key"]
            }
        if record["method"] == "POST" and record["path"] == "/snap/v1/transactions":
            return self._create(json.loads(record["body"]))
        match = re.fullmatch(r"/v2/([^/]+)/status", record["path"])
        if record["method"] == "GET" and match:
            return self._status(unquote(match.group(1)))
        return 404, {"error_messages": ["not found"]}

    def _create(self, body):
        details = body.get("transaction_details", {})
        order_id, gross = details.get("order_id", ""), details.get("gross_amount")
        errors = []
        if not re.fullmatch(r"[A-Za-z0-9\-_~.]{1,50}", order_id):
            errors.append("transaction_details.order_id format is invalid")
        if not isinstance(gross, int) or gross < 1:
            errors.append("transaction_details.gross_amount must be a whole number of rupiah")
        if order_id in self.transactions:
            errors.append("transaction_details.order_id has already been taken")
        if errors:
            return 400, {"error_messages": errors}
        token = str(uuid.uuid4())
        self.transactions[order_id] = {
            "order_id": order_id,
            "gross_amount": f"{gross}.00",
            "transaction_status": "pending",
            "fraud_status": None,
            "transaction_id": str(uuid.uuid4()),
            "payment_type": "bank_transfer",
        }
        return 201, {"token": token, "redirect_url": f"{self.url}/snap/v4/redirection/{token}"}

    def _status(self, order_id):
        tx = self.transactions.get(order_id)
        if tx is None:
            return 200, {"status_code": "404", "status_message": "Transaction doesn't exist."}
        status_code = STATUS_CODES.get(tx["transaction_status"], "200")
        body = {
            "status_code": status_code,
            "status_message": "Success, transaction is found",
            "transaction_id": tx["transaction_id"],
            "order_id": order_id,
            "gross_amount": tx["gross_amount"],
            "currency": "IDR",
            "payment_type": tx["payment_type"],
            "transaction_time": "2026-11-23 10:00:00",
            "transaction_status": tx["transaction_status"],
            "signature_key": self.signature(order_id, status_code, tx["gross_amount"]),
        }
        if tx["fraud_status"]:
            body["fraud_status"] = tx["fraud_status"]
        if tx.get("refund_amount"):
            body["refund_amount"] = tx["refund_amount"]
        return 200, body

    def signature(self, order_id, status_code, gross_amount, server_key=None):
        key = self.server_key if server_key is None else server_key
        return hashlib.sha512(f"{order_id}{status_code}{gross_amount}{key}".encode()).hexdigest()

    def set_status(self, order_id, status, fraud_status=None, gross_amount=None, refund_amount=None):
        tx = self.transactions[order_id]
        tx["transaction_status"], tx["fraud_status"] = status, fraud_status
        if gross_amount is not None:
            tx["gross_amount"] = gross_amount
        if refund_amount is not None:
            tx["refund_amount"] = refund_amount

    def notification(self, order_id, *, server_key=None) -> bytes:
        """The HTTP notification Midtrans posts for the transaction's current state."""
        tx = self.transactions[order_id]
        status_code = STATUS_CODES.get(tx["transaction_status"], "200")
        body = {
            "transaction_time": "2026-11-23 10:00:00",
            "transaction_status": tx["transaction_status"],
            "transaction_id": tx["transaction_id"],
            "status_message": "midtrans payment notification",
            "status_code": status_code,
            "signature_key": self.signature(order_id, status_code, tx["gross_amount"], server_key),
            "payment_type": tx["payment_type"],
            "order_id": order_id,
            "merchant_id": "G000000000",
            "gross_amount": tx["gross_amount"],
            "currency": "IDR",
        }
        if tx["fraud_status"]:
            body["fraud_status"] = tx["fraud_status"]
        return json.dumps(body).encode()


class FakeStripe(_Server):
    """POST /v1/checkout/sessions (form-encoded, Bearer secret key) and GET /v1/checkout/sessions/<id>."""

    def __init__(self, secret_key: str):
        super().__init__()
        self.secret_key = secret_key
        self.sessions: dict[str, dict] = {}

    def route(self, record):
        if record["headers"].get("Authorization") != f"Bearer {self.secret_key}":
            return 401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}
        if record["method"] == "POST" and record["path"] == "/v1/checkout/sessions":
            return self._create(parse_qsl(record["body"].decode(), keep_blank_values=True))
        match = re.fullmatch(r"/v1/checkout/sessions/([^/]+)", record["path"])
        if record["method"] == "GET" and match and match.group(1) in self.sessions:
            return 200, self.sessions[match.group(1)]
        return 404, {"error": {"type": "invalid_request_error", "message": "No such checkout.session"}}

    def _create(self, pairs):
        form = dict(pairs)
        required = (
            "mode",
            "success_url",
            "line_items[0][price_data][currency]",
            "line_items[0][price_data][unit_amount]",
        )
        missing = [k for k in required if not form.get(k)]
        if missing:
            return 400, {
                "error": {"type": "invalid_request_error", "message": f"Missing required param: {missing[0]}."}
            }
        session_id = "cs_test_" + uuid.uuid4().hex
        session = {
            "id": session_id,
            "object": "checkout.session",
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": int(form["line_items[0][price_data][unit_amount]"])
            * int(form.get("line_items[0][quantity]", 1)),
            "currency": form["line_items[0][price_data][currency]"],
            "client_reference_id": form.get("client_reference_id"),
            "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
            "payment_intent": None,
            "payment_method_types": ["card"],
        }
        self.sessions[session_id] = session
        return 200, session

    def complete(self, session_id, *, paid=True, amount_total=None) -> dict:
        session = self.sessions[session_id]
        session.update(status="complete", payment_status="paid" if paid else "unpaid")
        session["payment_intent"] = session["payment_intent"] or "pi_" + uuid.uuid4().hex[:24]
        if amount_total is not None:
            session["amount_total"] = amount_total
        return dict(session)


def stripe_event(kind: str, obj: dict) -> bytes:
    return json.dumps(
        {"id": "evt_" + uuid.uuid4().hex[:24], "object": "event", "type": kind, "data": {"object": obj}}
    ).encode()


def stripe_signature(body: bytes, *secrets: str, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    parts = [f"t={t}"] + [
        "v1=" + hmac.new(s.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest() for s in secrets
    ]
    return ",".join(parts)
