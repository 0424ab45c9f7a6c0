//! MQTT: devices publish reports (the raw canonical bytes) to `plinth/reports`;
//! the oracle, an MQTT client of a broker, ingests them through the same path as
//! HTTP and answers each on `plinth/acks/<device id>` with a JSON verdict.
//! [`start_broker`] runs an embedded broker (rumqttd) for the devnet.

use crate::Oracle;
use anyhow::{bail, Context, Result};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// The topic devices publish reports to.
pub const REPORTS_TOPIC: &str = "plinth/reports";

/// The topic a device's verdicts are published to.
pub fn ack_topic(device: &plinth_core::DeviceId) -> String {
    format!("plinth/acks/{device}")
}

/// Parses `mqtt://host:port` (or `host:port`).
pub fn parse_url(url: &str) -> Result<(String, u16)> {
    let rest = url.strip_prefix("mqtt://").unwrap_or(url);
    let (host, port) = rest
        .rsplit_once(':')
        .with_context(|| format!("MQTT broker `{url}` must be mqtt://HOST:PORT"))?;
    let port: u16 = port
        .parse()
        .with_context(|| format!("bad port in `{url}`"))?;
    if host.is_empty() {
        bail!("MQTT broker `{url}` has no host");
    }
    Ok((host.to_string(), port))
}

/// Runs the oracle's MQTT client until the process ends, reconnecting as needed.
pub async fn run_client(oracle: Arc<Oracle>, broker: String) -> Result<()> {
    let (host, port) = parse_url(&broker)?;
    let mut opts = MqttOptions::new(format!("plinth-oracle-{}", std::process::id()), host, port);
    opts.set_keep_alive(Duration::from_secs(15));
    opts.set_max_packet_size(64 * 1024, 64 * 1024);
    let (client, mut events) = AsyncClient::new(opts, 10_000);
    loop {
        match events.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                // (Re)subscribe on every connection.
                client.subscribe(REPORTS_TOPIC, QoS::AtLeastOnce).await?;
                tracing::info!(%broker, "oracle subscribed to {REPORTS_TOPIC}");
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                let oracle = oracle.clone();
                let client = client.clone();
                let payload = p.payload.to_vec();
                tokio::spawn(async move {
                    let verdict = oracle.submit(vec![payload.clone()]).await.pop();
                    let device = plinth_proofs::SignedReport::decode(&payload)
                        .ok()
                        .map(|r| r.report.device);
                    if let (Some(v), Some(d)) = (verdict, device) {
                        let body = serde_json::to_vec(&v).unwrap_or_default();
                        let _ = client
                            .publish(ack_topic(&d), QoS::AtMostOnce, false, body)
                            .await;
                    }
                });
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, %broker, "MQTT connection lost; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

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
