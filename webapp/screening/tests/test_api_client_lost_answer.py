"""docs/api_client.py's upload was said to be "retried safely", but only 409 and 429 were
retried: a lost answer (the connection reset after the request was sent) raised at once, and the
Idempotency-Key it was sent with was never shown. Against a local socket server that resets
the first connection: the upload is sent again with the same key and answers the reading; when
every try is lost, the error carries the key. Also: the Reading TypedDict names every field of
the schema's Reading."""
from __future__ import annotations

import json
import socket
import struct
import threading

import pytest


def _read_request(connection) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += connection.recv(65536)
    return head


class ResettingServer:
    """Answers 201 with a reading, after resetting the first `resets` connections."""

    def __init__(self, resets: int):
        self.resets, self.keys = resets, []
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                return
            with connection:
                head = _read_request(connection)
                self.keys.append(next(line.split(b": ", 1)[1].decode() for line in head.split(b"\r\n")
                                      if line.lower().startswith(b"idempotency-key")))
                if len(self.keys) <= self.resets:  # the answer is lost: a TCP reset
                    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    continue
                body = json.dumps({"id": 7, "outcome": "normal"}).encode()
                connection.sendall(b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
                                   b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body)


@pytest.fixture
def xray(tmp_path):
    path = tmp_path / "chest.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    return path


def test_a_lost_answer_is_sent_again_with_the_same_key(docs_api_client, xray):
    server = ResettingServer(resets=2)
    client = docs_api_client.ScreeningClient(f"http://127.0.0.1:{server.port}", "key", timeout=5)
    client.backoff = 0.01
    assert client.upload(xray)["id"] == 7
    assert len(server.keys) == 3 and len(set(server.keys)) == 1


def test_when_every_answer_is_lost_the_key_is_given_back(docs_api_client, xray):
    server = ResettingServer(resets=10)
    client = docs_api_client.ScreeningClient(f"http://127.0.0.1:{server.port}", "key", timeout=5,
                                             retries=2)
    client.backoff = 0.01
    with pytest.raises(docs_api_client.AnswerLost) as lost:
        client.upload(xray, idempotency_key="my-own-key-1")
    assert lost.value.idempotency_key == "my-own-key-1"
    assert server.keys == ["my-own-key-1"] * 3


def test_the_reading_type_names_every_field_of_the_schema(docs_api_client, db):
    from django.test import Client
    from django.urls import reverse

    schema = Client().get(reverse("api:openapi")).json()["components"]["schemas"]["Reading"]
    assert set(docs_api_client.Reading.__annotations__) == set(schema["properties"])
