//! The devnet's embedded MQTT broker (rumqttd), which devices publish their
//! reports to and the oracle's MQTT client reads (see `plinth_oracle::mqtt`).
//!
//! It enforces no topic ACLs (rumqttd has none: only connection user/password
//! checks), so on it any client can subscribe to `plinth/reports/+`: it listens
//! on loopback for the devnet and must not be exposed; run mosquitto with the
//! oracle's ACL file (`crates/oracle/mosquitto/acl`) for anything else.

use anyhow::{Context, Result};
use std::net::SocketAddr;

/// Starts an embedded MQTT 3.1.1 broker on `addr` (its own threads).
pub fn start_broker(addr: SocketAddr) -> Result<()> {
    let config = format!(
        r#"
id = 0
[router]
id = 0
max_connections = 10010
max_outgoing_packet_count = 200
max_segment_size = 104857600
max_segment_count = 10

[v4.1]
name = "v4-1"
listen = "{addr}"
next_connection_delay_ms = 1
[v4.1.connections]
connection_timeout_ms = 60000
max_payload_size = 65536
max_inflight_count = 500
dynamic_filters = true
"#
    );
    let config: rumqttd::Config = toml::from_str(&config).context("broker config")?;
    std::thread::Builder::new()
        .name("mqtt-broker".into())
        .spawn(move || {
            let mut broker = rumqttd::Broker::new(config);
            if let Err(e) = broker.start() {
                tracing::error!(error = %e, "embedded MQTT broker stopped");
            }
        })?;
    Ok(())
}
