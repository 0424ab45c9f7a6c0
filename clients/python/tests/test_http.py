"""The transport's errors, against a local HTTP server that answers as told."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from plinth import ApiError, NodeClient, TransportError
from plinth.errors import ModelError

ANSWERS = {
    "/v1/devices/pdev1nma5uz5f6dkkv28z6adu9frklgfga2m9t7tl88qmnztfwftcpupsr6f8uc":
        (404, "application/json", json.dumps({"error": {"code": "unknown_device",
                                                        "message": "no such device",
                                                        "details": {"id": "x"}}})),
    "/v1/status": (502, "text/plain", "bad gateway"),
    "/v1/supply": (200, "application/json", json.dumps({"genesis": 1})),
    "/v1/genesis": (200, "text/plain", "not json"),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        status, ctype, body = ANSWERS.get(self.path, (500, "text/plain", ""))
        data = body.encode()
        self.send_response(status)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def test_a_json_error_carries_code_message_and_details(server):
    with pytest.raises(ApiError) as e:
        NodeClient(server).device("pdev1nma5uz5f6dkkv28z6adu9frklgfga2m9t7tl88qmnztfwftcpupsr6f8uc")
    assert (e.value.status, e.value.code, e.value.message) == (404, "unknown_device", "no such device")
    assert e.value.details == {"id": "x"}
    assert "unknown_device" in str(e.value)


def test_an_error_that_is_not_json_keeps_its_text(server):
    with pytest.raises(ApiError) as e:
        NodeClient(server).status()
    assert (e.value.status, e.value.code, e.value.message) == (502, None, "bad gateway")


def test_an_answer_off_the_schema_or_not_json_is_a_model_error(server):
    with pytest.raises(ModelError, match="'minted' is missing"):
        NodeClient(server).supply()
    with pytest.raises(ModelError, match="not JSON"):
        NodeClient(server).genesis()


def test_no_server_is_a_transport_error():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(TransportError):
        NodeClient(f"http://127.0.0.1:{port}", timeout=2).status()
    with pytest.raises(ValueError, match="http"):
        NodeClient("127.0.0.1:8645")
