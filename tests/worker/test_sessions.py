"""The worker tier's HTTP sessions against a server that closes a kept-alive connection just as the
next request arrives on it (what gunicorn does when its keepalive timeout runs out at that moment)."""

from __future__ import annotations

import socket
import struct
import threading

import pytest
import requests

from tests.worker.conftest import Session

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok"


class ClosingServer:
    """Answers the first request of each connection, keeps it alive, and resets it when the second
    request arrives (read, not answered). Counts connections and requests answered."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.connections = 0
        self.answered: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.listener.close()
        self.thread.join(5)

    def _serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn: socket.socket):
        with conn:
            first = self._request(conn)
            if not first:
                return
            self.answered.append(first.split(b"\r\n", 1)[0])
            conn.sendall(ANSWER)
            if self._request(conn):
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close with a reset

    @staticmethod
    def _request(conn: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return b""
            data += chunk
        return data


def test_a_get_on_a_connection_reset_under_it_is_sent_again_on_a_new_one():
    with ClosingServer() as server:
        session = Session()
        assert session.get(f"{server.url}/one", timeout=10).text == "ok"
        again = session.get(f"{server.url}/two", timeout=10)
    assert again.status_code == 200 and again.text == "ok"
    assert server.connections == 2
    assert server.answered == [b"GET /one HTTP/1.1", b"GET /two HTTP/1.1"]


def test_a_post_on_a_connection_reset_under_it_is_not_sent_twice():
    with ClosingServer() as server:
        session = Session()
        assert session.get(f"{server.url}/one", timeout=10).text == "ok"
        with pytest.raises(requests.ConnectionError):
            session.post(f"{server.url}/pay", data=b"x", timeout=10)
    assert server.answered == [b"GET /one HTTP/1.1"]
