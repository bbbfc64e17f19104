"""A local stand-in for APNs: HTTP/2 (the h2 library) over TLS on loopback, with a server
certificate from a CA made here, that requires a client certificate, checks it is the expected
pass certificate, and keeps every push it receives. Answers are 200 unless `answers` names a push
token: (status, reason) as APNs gives them."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import tempfile
import threading
import time
import uuid
from pathlib import Path

import h2.config
import h2.connection
import h2.events
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _certificate(subject: str, issuer: x509.Name | None, public_key, signing_key, *, ca: bool, ip: str | None = None):
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ip:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]), False)
    return builder.sign(signing_key, hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


class ApnsServer:
    def __init__(self, *, client_ca: list[x509.Certificate], expected_client: x509.Certificate):
        self.folder = Path(tempfile.mkdtemp(prefix="apns-test-"))
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _certificate("Test APNs CA", None, ca_key.public_key(), ca_key, ca=True)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate("127.0.0.1", ca.subject, key.public_key(), ca_key, ca=False, ip="127.0.0.1")
        self.ca_file = self.folder / "apns-ca.pem"
        self.ca_file.write_bytes(_pem(ca))
        (self.folder / "server.pem").write_bytes(_pem(cert))
        (self.folder / "server.key").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        (self.folder / "client-ca.pem").write_bytes(b"".join(_pem(c) for c in client_ca))

        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(self.folder / "server.pem", self.folder / "server.key")
        self.context.load_verify_locations(cafile=self.folder / "client-ca.pem")
        self.context.verify_mode = ssl.CERT_REQUIRED  # no pass certificate, no connection
        self.context.set_alpn_protocols(["h2"])
        self.expected_client = expected_client.public_bytes(serialization.Encoding.DER)

        self.received: list[dict] = []
        self.refused: list[str] = []  # connections turned away, and why
        self.answers: dict[str, tuple[int, str]] = {}
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{self._listener.getsockname()[1]}"
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def tokens(self) -> list[str]:
        with self._lock:
            return sorted(push["token"] for push in self.received)

    def wait_refused(self, timeout: float = 5.0) -> list[str]:
        """The connections turned away (the server's side of a handshake ends after the client's)."""
        deadline = time.monotonic() + timeout
        while not self.refused and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.refused

    def close(self) -> None:
        self._closed = True
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                raw, _address = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(raw,), daemon=True).start()

    def _serve(self, raw: socket.socket) -> None:
        try:
            sock = self.context.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            self.refused.append(f"TLS: {exc}")
            raw.close()
            return
        with sock:
            if sock.getpeercert(binary_form=True) != self.expected_client:
                self.refused.append("a client certificate other than the pass certificate")
                return
            if sock.selected_alpn_protocol() != "h2":
                self.refused.append(f"ALPN {sock.selected_alpn_protocol()!r}, not h2")
                return
            self._h2(sock)

    def _h2(self, sock: ssl.SSLSocket) -> None:
        connection = h2.connection.H2Connection(
            config=h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        )
        connection.initiate_connection()
        sock.sendall(connection.data_to_send())
        streams: dict[int, dict] = {}
        while True:
            try:
                data = sock.recv(65535)
            except OSError:
                return
            if not data:
                return
            for event in connection.receive_data(data):
                if isinstance(event, h2.events.RequestReceived):
                    streams[event.stream_id] = {"headers": dict(event.headers), "body": b""}
                elif isinstance(event, h2.events.DataReceived):
                    streams[event.stream_id]["body"] += event.data
                    connection.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    self._answer(connection, event.stream_id, streams.pop(event.stream_id))
                elif isinstance(event, h2.events.ConnectionTerminated):
                    sock.sendall(connection.data_to_send())
                    return
            sock.sendall(connection.data_to_send())

    def _answer(self, connection: h2.connection.H2Connection, stream_id: int, request: dict) -> None:
        headers = request["headers"]
        path = headers.get(":path", "")
        token = path.removeprefix("/3/device/")
        with self._lock:
            self.received.append(
                {"method": headers.get(":method"), "path": path, "token": token,
                 "topic": headers.get("apns-topic"), "body": request["body"]}
            )  # fmt: skip
            status, reason = self.answers.get(token, (200, ""))
        body = b'{"reason": "%s"}' % reason.encode() if reason else b""
        response = [(":status", str(status)), ("apns-id", str(uuid.uuid4()))]
        if body:
            response += [("content-type", "application/json"), ("content-length", str(len(body)))]
        connection.send_headers(stream_id, response, end_stream=not body)
        if body:
            connection.send_data(stream_id, body, end_stream=True)
