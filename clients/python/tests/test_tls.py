"""TLS: `https://` and `mqtts://` against servers whose certificate a test CA
signed, trusted through `ca_file=` or PLINTH_CA_FILE and refused without it."""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from plinth import DeviceKey, NodeClient, TransportError
from plinth.device import _MqttLink, report_topic


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """A CA and a certificate for 127.0.0.1 and localhost that it signed."""
    d = tmp_path_factory.mktemp("tls")
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("plinth test CA"))
          .issuer_name(_name("plinth test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(minutes=5))
          .not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder().subject_name(_name("127.0.0.1"))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = {"ca": d / "ca.pem", "cert": d / "server.pem", "key": d / "server.key"}
    paths["ca"].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths["cert"].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return paths


class Genesis(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"chain_id": "tls-test", "genesis_time_ms": 1}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def https_url(certs):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Genesis)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(certs["cert"], certs["key"])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"https://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def test_https_with_the_ca_and_refused_without(certs, https_url, monkeypatch):
    monkeypatch.delenv("PLINTH_CA_FILE", raising=False)
    assert NodeClient(https_url, ca_file=certs["ca"]).genesis().chain_id == "tls-test"
    with pytest.raises(TransportError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        NodeClient(https_url, timeout=5).genesis()
    monkeypatch.setenv("PLINTH_CA_FILE", str(certs["ca"]))
    assert NodeClient(https_url).genesis().chain_id == "tls-test"


def _free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(scope="module")
def mqtts(certs, tmp_path_factory):
    """A mosquitto broker with a TLS listener (Debian's mosquitto; scripts/test
    installs it)."""
    binary = shutil.which("mosquitto") or shutil.which("/usr/sbin/mosquitto")
    if binary is None:
        pytest.skip("mosquitto is not installed")
    port = _free_port()
    conf = tmp_path_factory.mktemp("mosquitto") / "mosquitto.conf"
    # run as ourselves: started as root, mosquitto would drop to a user that
    # cannot read pytest's private temporary directory
    user = pwd.getpwuid(os.getuid()).pw_name
    conf.write_text(f"user {user}\nlistener {port} 127.0.0.1\nallow_anonymous true\n"
                    f"cafile {certs['ca']}\ncertfile {certs['cert']}\nkeyfile {certs['key']}\n")
    proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"mosquitto did not start: {proc.stderr.read().decode()}")
            time.sleep(0.1)
    yield f"mqtts://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(10)


def test_mqtts_with_the_ca_and_refused_without(certs, mqtts, monkeypatch):
    import paho.mqtt.client as mqtt

    monkeypatch.delenv("PLINTH_CA_FILE", raising=False)
    device = DeviceKey.generate().device_id
    # an oracle stand-in: reads the device's report topic over TLS
    got: list[bytes] = []
    ready = threading.Event()
    reader = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="reader")
    ctx = ssl.create_default_context(cafile=str(certs["ca"]))
    reader.tls_set_context(ctx)
    reader.on_connect = lambda c, *a: c.subscribe(report_topic(device), qos=1)
    reader.on_subscribe = lambda *a: ready.set()
    reader.on_message = lambda c, u, msg: got.append(msg.payload)
    reader.connect("127.0.0.1", int(mqtts.rsplit(":", 1)[1]))
    reader.loop_start()
    try:
        assert ready.wait(10)
        link = _MqttLink(mqtts, device, ca_file=str(certs["ca"]))
        try:
            # no oracle answers here: the report arrives, no verdict comes back
            with pytest.raises(TransportError, match="no verdict"):
                link.publish(b"report bytes", timeout=1)
        finally:
            link.close()
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            time.sleep(0.05)
        assert got == [b"report bytes"]
        with pytest.raises(TransportError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            _MqttLink(mqtts, device)
    finally:
        reader.loop_stop()
        reader.disconnect()
