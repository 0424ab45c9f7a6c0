"""Plinth from Python: typed clients of the node's and the oracle's HTTP APIs,
and a device that signs and sends reports over HTTP and MQTT.

- `NodeClient`, `OracleClient` (`plinth.node`, `plinth.oracle`): one method per
  route, returning the models generated from the OpenAPI documents
  (`plinth.node_models`, `plinth.oracle_models`); a non-2xx answer raises
  `ApiError` with the API's error `code` and `message`.
- `Device`, `DeviceKey` (`plinth.device`, `plinth.keys`): device keys (the CLI's
  key files), reports built, signed and sent.
- `Report`, `SignedReport` and the bodies (`plinth.report`): the report format,
  byte for byte as `plinth_proofs::Report`.
"""

from .device import Device
from .errors import ApiError, ModelError, PlinthError, ReportError, ReportRefused, TransportError
from .keys import DeviceKey, chain_identity, device_id, tagged_hash
from .node import NodeClient
from .oracle import OracleClient
from .report import (
    Beacon,
    Custom,
    Heartbeat,
    ProbeAnswer,
    Reading,
    Report,
    SignedReport,
    Witness,
)

__all__ = [
    "ApiError", "Beacon", "Custom", "Device", "DeviceKey", "Heartbeat", "ModelError",
    "NodeClient", "OracleClient", "PlinthError", "ProbeAnswer", "Reading", "Report",
    "ReportError", "ReportRefused", "SignedReport", "TransportError", "Witness",
    "chain_identity", "device_id", "tagged_hash",
]
__version__ = "0.1.0"
