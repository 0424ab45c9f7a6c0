#!/usr/bin/env python3
"""A weather sensor in a few lines: reads a device key file (`plinth device
keygen`'s, registered with `plinth device register --key`), and sends a signed
reading every few seconds over HTTP or MQTT, printing each verdict.

    python3 clients/python/examples/sensor.py --key sensor1.json --value 21.5
    python3 clients/python/examples/sensor.py --key sensor1.json --mqtt mqtt://127.0.0.1:1883
"""

from __future__ import annotations

import argparse
import random
import sys
import time

from plinth import Device, DeviceKey, PlinthError, Reading, ReportRefused


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--key", required=True, help="the device's key file")
    p.add_argument("--network", default="weather")
    p.add_argument("--unit", default="celsius", help="the network's unit")
    p.add_argument("--oracle", default="http://127.0.0.1:8646")
    p.add_argument("--mqtt", help="send over MQTT through this broker (mqtt[s]://HOST:PORT)")
    p.add_argument("--value", type=float, default=21.5, help="the reading, ± a little noise")
    p.add_argument("--every", type=float, default=5.0, help="seconds between readings")
    p.add_argument("--count", type=int, default=0, help="stop after this many (0: never)")
    a = p.parse_args()

    dev = Device.connect(DeviceKey.load(a.key), a.network, a.oracle, mqtt=a.mqtt)
    sent = refused = 0
    with dev:
        while a.count == 0 or sent < a.count:
            value = round((a.value + random.uniform(-0.2, 0.2)) * 1000)
            report = dev.report(Reading(value, a.unit))
            try:
                verdict = dev.send(report, via="mqtt" if a.mqtt else "http")
                print(f"epoch {report.report.epoch} seq {report.report.seq}: "
                      f"{value / 1000:.3f} {a.unit} accepted as {verdict.hash}")
            except ReportRefused as e:
                refused += 1
                print(f"refused: {e.code}: {e.reason}", file=sys.stderr)
            except PlinthError as e:
                print(f"not sent: {e}", file=sys.stderr)
                return 1
            sent += 1
            if a.count == 0 or sent < a.count:
                time.sleep(a.every)
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
