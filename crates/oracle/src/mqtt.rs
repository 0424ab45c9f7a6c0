//! MQTT: each device publishes its reports (the raw canonical bytes) to its own
//! topic, `plinth/reports/<device id>`; the oracle, an MQTT client of a broker
//! (subscribed to `plinth/reports/+`), ingests them through the same path as HTTP
//! and answers each on `plinth/acks/<device id>` with a JSON verdict. A report
//! published under another device's topic is refused (`wrong_topic`).
//!
//! Reports must not be readable by other devices before their epoch closes
//! (witnesses could copy beacons). That is the broker's job, by ACL:
//! devices may write only `plinth/reports/<own id>` and read only
//! `plinth/acks/<own id>`; only the oracle reads `plinth/reports/+`. For
//! mosquitto, `crates/oracle/mosquitto/acl` is such a file (with a password file
//! whose user names are device ids; pass the oracle's credentials as
//! `mqtt://USER:PASSWORD@HOST:PORT`).
//!
//! The devnet runs an embedded broker (rumqttd, in `plinth-devnet`'s `mqtt`
//! module) that enforces no topic ACLs: it listens on loopback only; run
//! mosquitto with the ACL file for anything else.

use crate::Oracle;
use anyhow::{bail, Context, Result};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::sync::Arc;
use std::time::Duration;

/// The topic filter the oracle reads reports from (every device's topic).
pub const REPORTS_TOPIC: &str = "plinth/reports/+";

/// The topic a device publishes its reports to.
pub fn report_topic(device: &plinth_core::DeviceId) -> String {
    format!("plinth/reports/{device}")
}

/// The topic a device's verdicts are published to.
pub fn ack_topic(device: &plinth_core::DeviceId) -> String {
    format!("plinth/acks/{device}")
}

/// A broker's address, whether it speaks TLS, and the credentials to log in
/// with, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    pub host: String,
    pub port: u16,
    /// `mqtts://`: MQTT over TLS, the broker's certificate checked against the
    /// web roots and the added CAs ([`plinth_tls::client_config`]).
    pub tls: bool,
    pub credentials: Option<(String, String)>,
}

/// Parses `mqtt://[user:password@]host:port`, `mqtts://…` for TLS (or without
/// a scheme: plain).
pub fn parse_broker(url: &str) -> Result<BrokerUrl> {
    let (tls, rest) = match url.strip_prefix("mqtts://") {
        Some(rest) => (true, rest),
        None => (false, url.strip_prefix("mqtt://").unwrap_or(url)),
    };
    let (credentials, rest) = match rest.rsplit_once('@') {
        Some((user, rest)) => {
            let (u, p) = user
                .split_once(':')
                .with_context(|| "MQTT credentials must be USER:PASSWORD@".to_string())?;
            (Some((u.to_string(), p.to_string())), rest)
        }
        None => (None, rest),
    };
    let (host, port) = parse_url(rest)?;
    Ok(BrokerUrl {
        host,
        port,
        tls,
        credentials,
    })
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
    let b = parse_broker(&broker)?;
    // One id per oracle: several oracles of one process (a devnet) must not
    // take each other's session.
    let key = oracle.address().0 .0;
    let mut opts = MqttOptions::new(
        format!("plinth-o{}-{}", hex::encode(&key[..4]), std::process::id()),
        b.host,
        b.port,
    );
    if let Some((user, password)) = b.credentials {
        opts.set_credentials(user, password);
    }
    if b.tls {
        opts.set_transport(rumqttc::Transport::tls_with_config(
            rumqttc::TlsConfiguration::Rustls(plinth_tls::client_config()),
        ));
    }
    opts.set_keep_alive(Duration::from_secs(15));
    opts.set_max_packet_size(64 * 1024, 64 * 1024);
    let (client, mut events) = AsyncClient::new(opts, 10_000);
    loop {
        match events.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                // (Re)subscribe on every connection.
                client.subscribe(REPORTS_TOPIC, QoS::AtLeastOnce).await?;
                tracing::info!("oracle subscribed to {REPORTS_TOPIC}");
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                let oracle = oracle.clone();
                let client = client.clone();
                let payload = p.payload.to_vec();
                let topic = p.topic.clone();
                tokio::spawn(async move {
                    // The publisher is the device the topic names (the broker's
                    // ACL sees to that): only its own reports are taken.
                    let Some(named) = topic
                        .strip_prefix("plinth/reports/")
                        .and_then(|d| crate::chain::parse_device(d).ok())
                    else {
                        return;
                    };
                    let device = plinth_proofs::SignedReport::decode(&payload)
                        .ok()
                        .map(|r| r.report.device);
                    let verdict = if device.is_some_and(|d| d != named) {
                        Some(crate::Verdict {
                            hash: None,
                            status: crate::VerdictStatus::Rejected,
                            code: Some("wrong_topic".into()),
                            reason: Some(format!(
                                "a report of another device published on {topic}"
                            )),
                        })
                    } else {
                        oracle.submit(vec![payload]).await.pop()
                    };
                    if let (Some(v), d) = (verdict, named) {
                        let body = serde_json::to_vec(&v).unwrap_or_default();
                        let _ = client
                            .publish(ack_topic(&d), QoS::AtMostOnce, false, body)
                            .await;
                    }
                });
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "MQTT connection lost; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}
