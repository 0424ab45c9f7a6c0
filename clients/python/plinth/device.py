"""`Device`: a device that builds, signs and sends its reports to an oracle,
over HTTP (`POST /v1/reports`) or MQTT (the raw bytes on
`plinth/reports/<device id>`; the oracle's verdict comes back as JSON on
`plinth/acks/<device id>`); `https://` and `mqtts://` are checked against the
system's roots plus a CA file (`ca_file=`, or PLINTH_CA_FILE).

    key = DeviceKey.load("sensor1.json")               # or DeviceKey.generate()
    dev = Device.connect(key, "weather", "http://127.0.0.1:8646",
                         mqtt="mqtt://127.0.0.1:1883")
    dev.send(dev.report(Reading(21_500, "celsius")))               # over HTTP
    dev.send(dev.report(Reading(21_600, "celsius")), via="mqtt")   # over MQTT

`send` returns the accepted verdict and raises `ReportRefused` (with the
oracle's `code` and `reason`) for a refused one.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
import uuid
from typing import Any

from . import oracle_models as om
from .errors import PlinthError, ReportRefused, TransportError
from .keys import DeviceKey
from ._tls import ssl_context
from .oracle import OracleClient
from .report import Body, Report, SignedReport


def report_topic(device_id: str) -> str:
    """The topic a device publishes its reports to."""
    return f"plinth/reports/{device_id}"


def ack_topic(device_id: str) -> str:
    """The topic the oracle publishes a device's verdicts to."""
    return f"plinth/acks/{device_id}"


def now_ms() -> int:
    """The wall clock, Unix milliseconds."""
    return time.time_ns() // 1_000_000


class Device:
    """A device of `network` on the chain `chain` (its identity, 32 bytes).

    Epochs are `(timestamp_ms − genesis_time_ms) // epoch_ms`; sequence numbers
    follow the clock (so they keep increasing across restarts) and never repeat.
    """

    def __init__(self, key: DeviceKey, network: str, chain: bytes, *, genesis_time_ms: int,
                 epoch_ms: int, oracle: OracleClient | None = None, mqtt: str | None = None,
                 ca_file: str | None = None):
        self.key = key
        self.network = network
        self.chain = bytes(chain)
        self.genesis_time_ms = genesis_time_ms
        self.epoch_ms = epoch_ms
        self.oracle = oracle
        self.mqtt_url = mqtt
        self.ca_file = ca_file
        self._last_seq = 0
        self._mqtt: _MqttLink | None = None

    @classmethod
    def connect(cls, key: DeviceKey, network: str, oracle_url: str, *,
                mqtt: str | None = None, ca_file: str | None = None) -> Device:
        """A device reporting to the oracle at `oracle_url` (and to the broker
        `mqtt`, `mqtt://` or `mqtts://`): the chain identity and the epoch
        schedule come from the oracle's `/v1/status`. TLS is checked against the
        system's roots plus `ca_file` (default: $PLINTH_CA_FILE)."""
        oracle = OracleClient(oracle_url, ca_file=ca_file)
        status = oracle.status()
        return cls(key, network, bytes.fromhex(status.chain), genesis_time_ms=status.genesis_time_ms,
                   epoch_ms=status.epoch_ms, oracle=oracle, mqtt=mqtt, ca_file=ca_file)

    @property
    def id(self) -> str:
        """The device's id, `pdev1…`."""
        return self.key.device_id

    def epoch_of(self, timestamp_ms: int) -> int:
        """The reward epoch a timestamp falls in (before genesis: 0)."""
        return max(0, timestamp_ms - self.genesis_time_ms) // self.epoch_ms if self.epoch_ms else 0

    def report(self, body: Body, *, timestamp_ms: int | None = None) -> SignedReport:
        """A signed report of `body`, made now (or at `timestamp_ms`)."""
        ts = now_ms() if timestamp_ms is None else timestamp_ms
        self._last_seq = max(self._last_seq + 1, ts)
        return Report(self.chain, self.id, self.network, self.epoch_of(ts), ts, self._last_seq,
                      body).sign(self.key)

    def send(self, report: SignedReport | bytes, *, via: str = "http",
             timeout: float = 10.0) -> om.Verdict:
        """Sends one report over `via` (`http` or `mqtt`) and returns its verdict;
        raises `ReportRefused` when the oracle refuses it."""
        if via == "http":
            verdict = self.send_http([report])[0]
        elif via == "mqtt":
            verdict = self.send_mqtt(report, timeout=timeout)
        else:
            raise ValueError(f"via must be 'http' or 'mqtt', not {via!r}")
        if verdict.status != "accepted":
            raise ReportRefused(verdict.code, verdict.reason, verdict.hash)
        return verdict

    def send_http(self, reports: list[SignedReport | bytes]) -> list[om.Verdict]:
        """Sends reports in one `POST /v1/reports`; one verdict each, in order."""
        if self.oracle is None:
            raise PlinthError("this device has no oracle URL (Device.connect or oracle=)")
        return self.oracle.submit_reports(reports).results

    def send_mqtt(self, report: SignedReport | bytes, *, timeout: float = 10.0) -> om.Verdict:
        """Publishes one report's bytes on the device's topic and waits up to
        `timeout` seconds for the oracle's verdict on its ack topic."""
        if self.mqtt_url is None:
            raise PlinthError("this device has no MQTT broker (mqtt='mqtt://HOST:PORT')")
        if self._mqtt is None:
            self._mqtt = _MqttLink(self.mqtt_url, self.id, ca_file=self.ca_file)
        data = report.encode() if isinstance(report, SignedReport) else bytes(report)
        return self._mqtt.publish(data, timeout)

    def close(self) -> None:
        """Disconnects from the broker, if connected."""
        if self._mqtt is not None:
            self._mqtt.close()
            self._mqtt = None

    def __enter__(self) -> Device:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


class _MqttLink:
    """One MQTT connection of a device: publishes on its report topic, reads
    verdicts from its ack topic (in order: the oracle answers each report)."""

    def __init__(self, url: str, device_id: str, *, ca_file: str | None = None,
                 connect_timeout: float = 10.0):
        import paho.mqtt.client as mqtt

        u = urllib.parse.urlsplit(url if "://" in url else f"mqtt://{url}")
        if u.scheme not in ("mqtt", "mqtts") or not u.hostname:
            raise ValueError(f"MQTT broker {url!r} must be mqtt[s]://[USER:PASSWORD@]HOST[:PORT]")
        port = u.port or (8883 if u.scheme == "mqtts" else 1883)
        self.device_id = device_id
        self._acks: list[bytes] = []
        self._cond = threading.Condition()
        self._subscribed = threading.Event()
        self._client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                   client_id=f"{device_id[:40]}-{uuid.uuid4().hex[:8]}")
        if u.username:
            # A broker with the ACL file logs devices in by their id.
            self._client.username_pw_set(urllib.parse.unquote(u.username),
                                         urllib.parse.unquote(u.password or ""))
        if u.scheme == "mqtts":
            self._client.tls_set_context(ssl_context(ca_file))
        self._client.on_connect = self._on_connect
        self._client.on_subscribe = lambda *a, **k: self._subscribed.set()
        self._client.on_message = self._on_message
        try:
            self._client.connect(u.hostname, port, keepalive=30)
        except OSError as e:
            raise TransportError(f"MQTT broker {u.hostname}:{port}: {e}") from None
        self._client.loop_start()
        if not self._subscribed.wait(connect_timeout):
            self.close()
            raise TransportError(f"MQTT broker {u.hostname}:{port}: no subscription "
                                 f"within {connect_timeout} s")

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any,
                    properties: Any = None) -> None:
        client.subscribe(ack_topic(self.device_id), qos=1)

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        with self._cond:
            self._acks.append(msg.payload)
            self._cond.notify_all()

    def publish(self, data: bytes, timeout: float) -> om.Verdict:
        with self._cond:
            self._acks.clear()
        info = self._client.publish(report_topic(self.device_id), data, qos=1)
        info.wait_for_publish(timeout)
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._acks:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TransportError(f"no verdict on {ack_topic(self.device_id)} "
                                         f"within {timeout} s")
                self._cond.wait(left)
            payload = self._acks.pop(0)
        return om.Verdict.from_json(json.loads(payload))

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()
