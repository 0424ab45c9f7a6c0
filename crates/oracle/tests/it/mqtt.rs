use crate::common::*;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::time::Duration;

/// How a test device logs in to the broker: `None` for the embedded broker,
/// `Some(password)` (user = the device id) for mosquitto with the ACL. With
/// `ca`, the broker speaks TLS only: the device (mosquitto_pub) and the verdict's
/// listener check its certificate against that CA.
async fn ingest_over_mqtt(
    net: &Net,
    broker_port: u16,
    login: Option<&str>,
    ca: Option<&std::path::Path>,
) {
    let via_mosquitto_pub = login.is_some() || ca.is_some();
    let dev = key(21);
    let clock = net.clock();
    // The report is made just before it is sent, early in an epoch (the tests'
    // epochs last 3 s): made before subscribing, a slow machine let its epoch
    // close first.
    let fresh_report = || async {
        let mut now = now_ms();
        while net.oracle.clock.window(clock.epoch_of(now)).end_ms - now < 2_000 {
            tokio::time::sleep(Duration::from_millis(50)).await;
            now = now_ms();
        }
        report(
            net.chain,
            &dev,
            "weather",
            now,
            clock.epoch_of(now),
            1,
            reading(19_500),
        )
    };
    let mut r = None;

    // Listen for the verdict on the device's ack topic.
    let id = plinth_core::DeviceId(dev.public()).to_string();
    let mut opts = MqttOptions::new("test-listener", "127.0.0.1", broker_port);
    opts.set_keep_alive(Duration::from_secs(5));
    if let Some(p) = login {
        opts.set_credentials(id.clone(), p);
    }
    if ca.is_some() {
        opts.set_transport(rumqttc::Transport::tls_with_config(
            rumqttc::TlsConfiguration::Rustls(plinth_tls::client_config()),
        ));
    }
    let (client, mut events) = AsyncClient::new(opts, 100);
    client
        .subscribe(
            plinth_oracle::mqtt::ack_topic(&plinth_core::DeviceId(dev.public())),
            QoS::AtLeastOnce,
        )
        .await
        .unwrap();
    let mut subscribed = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut sent = false;
    loop {
        let ev = tokio::time::timeout_at(deadline, events.poll())
            .await
            .expect("no verdict over MQTT within 20 s")
            .unwrap();
        match ev {
            Event::Incoming(Packet::SubAck(_)) => subscribed = true,
            Event::Incoming(Packet::Publish(p)) => {
                let v: serde_json::Value = serde_json::from_slice(&p.payload).unwrap();
                assert_eq!(v["status"], "accepted", "{v}");
                break;
            }
            _ => {}
        }
        if subscribed && !sent {
            sent = true;
            // Give the oracle's client time to (re)subscribe after start.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let r = r.insert(fresh_report().await);
            if via_mosquitto_pub {
                let file = net.dir.path().join("report.bin");
                std::fs::write(&file, r.encode()).unwrap();
                let mut publish = std::process::Command::new("mosquitto_pub");
                publish.args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &broker_port.to_string(),
                    "-t",
                    &plinth_oracle::mqtt::report_topic(&r.report.device),
                    "-q",
                    "1",
                    "-f",
                ]);
                publish.arg(&file);
                if let Some(password) = login {
                    publish.args(["-u", &id, "-P", password]);
                }
                if let Some(ca) = ca {
                    publish.arg("--cafile").arg(ca);
                }
                let out = publish
                    .output()
                    .expect("mosquitto_pub must be installed (scripts/test installs it)");
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            } else {
                client
                    .publish(
                        plinth_oracle::mqtt::report_topic(&r.report.device),
                        QoS::AtLeastOnce,
                        false,
                        r.encode(),
                    )
                    .await
                    .unwrap();
            }
        }
    }
    // It is in the spool.
    let r = r.expect("the report was sent");
    let epoch = r.report.epoch;
    let mut found = false;
    for h in net.oracle.spool.batches(epoch).unwrap() {
        if let plinth_oracle::spool::SpoolBatch::Reports(rs) =
            net.oracle.spool.read(epoch, &h).unwrap()
        {
            found |= rs.contains(&r);
        }
    }
    assert!(found, "the MQTT report is not in the spool");
}

/// MQTT over TLS: mosquitto listening with TLS only (a certificate from a
/// testnet CA), the oracle reading it over `mqtts://` trusting that CA, and the
/// device publishing with `mosquitto_pub --cafile`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mqtt_over_tls_with_mosquitto() {
    let dev = key(21);
    let net = Net::start(&[("weather", &dev)]).await;
    let port = free_port();
    let dir = net.dir.path();
    let ca = plinth_tls::certs::Ca::new("test CA", 1).unwrap();
    let issued = ca
        .issue(&["127.0.0.1".into(), "localhost".into()], 1)
        .unwrap();
    let (ca_file, cert, key_file) = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    std::fs::write(&ca_file, ca.cert_pem()).unwrap();
    std::fs::write(&cert, issued.cert_pem).unwrap();
    std::fs::write(&key_file, issued.key_pem).unwrap();
    let conf = dir.join("mosquitto-tls.conf");
    std::fs::write(
        &conf,
        format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\ncafile {}\ncertfile {}\nkeyfile {}\n",
            ca_file.display(),
            cert.display(),
            key_file.display()
        ),
    )
    .unwrap();
    let mut broker = std::process::Command::new("mosquitto")
        .arg("-c")
        .arg(&conf)
        .spawn()
        .expect("mosquitto must be installed (scripts/test installs it)");
    tokio::time::sleep(Duration::from_millis(500)).await;
    plinth_tls::add_ca_file(&ca_file).unwrap();
    tokio::spawn(plinth_oracle::mqtt::run_client(
        net.oracle.clone(),
        format!("mqtts://127.0.0.1:{port}"),
    ));
    ingest_over_mqtt(&net, port, None, Some(&ca_file)).await;
    // Plain MQTT to the TLS listener gets nowhere.
    let out = std::process::Command::new("mosquitto_pub")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-t",
            "x",
            "-m",
            "x",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a plain client was served");
    let _ = broker.kill();
    let _ = broker.wait();
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mqtt_with_the_embedded_broker() {
    let dev = key(21);
    let net = Net::start(&[("weather", &dev)]).await;
    let port = free_port();
    plinth_devnet::mqtt::start_broker(format!("127.0.0.1:{port}").parse().unwrap()).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    tokio::spawn(plinth_oracle::mqtt::run_client(
        net.oracle.clone(),
        format!("mqtt://127.0.0.1:{port}"),
    ));
    ingest_over_mqtt(&net, port, None, None).await;
}

/// Mosquitto with the shipped ACL (crates/oracle/mosquitto/acl): the device's
/// report is ingested and acknowledged, and another device can read neither the
/// reports topic nor the first device's acks.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mqtt_with_mosquitto_and_mosquitto_pub() {
    let dev = key(21);
    let spy = key(22);
    let net = Net::start(&[("weather", &dev), ("weather", &spy)]).await;
    let port = free_port();
    let dir = net.dir.path();
    let passwd = dir.join("passwd");
    let dev_id = plinth_core::DeviceId(dev.public()).to_string();
    let spy_id = plinth_core::DeviceId(spy.public()).to_string();
    for (i, (user, pass)) in [
        ("plinth-oracle", "oracle-secret"),
        (dev_id.as_str(), "dev-secret"),
        (spy_id.as_str(), "spy-secret"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut cmd = std::process::Command::new("mosquitto_passwd");
        if i == 0 {
            cmd.arg("-c");
        }
        let out = cmd
            .arg("-b")
            .arg(&passwd)
            .args([user, pass])
            .output()
            .expect("mosquitto_passwd must be installed (scripts/test installs mosquitto)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let acl = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("mosquitto/acl");
    let conf = dir.join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!(
            "listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {}\nacl_file {}\n",
            passwd.display(),
            acl.display()
        ),
    )
    .unwrap();
    let mut broker = std::process::Command::new("mosquitto")
        .arg("-c")
        .arg(&conf)
        .spawn()
        .expect("mosquitto must be installed (scripts/test installs it)");
    tokio::time::sleep(Duration::from_millis(500)).await;
    tokio::spawn(plinth_oracle::mqtt::run_client(
        net.oracle.clone(),
        format!("mqtt://plinth-oracle:oracle-secret@127.0.0.1:{port}"),
    ));
    // The spy subscribes to every report and to the device's acks.
    let mut opts = MqttOptions::new("spy", "127.0.0.1", port);
    opts.set_keep_alive(Duration::from_secs(5));
    opts.set_credentials(spy_id.clone(), "spy-secret");
    let (spy_client, mut spy_events) = AsyncClient::new(opts, 100);
    spy_client
        .subscribe("plinth/reports/+", QoS::AtLeastOnce)
        .await
        .unwrap();
    spy_client
        .subscribe(
            plinth_oracle::mqtt::ack_topic(&plinth_core::DeviceId(dev.public())),
            QoS::AtLeastOnce,
        )
        .await
        .unwrap();
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = got.clone();
    let spying = tokio::spawn(async move {
        while let Ok(ev) = spy_events.poll().await {
            if let Event::Incoming(Packet::Publish(p)) = ev {
                seen.lock().unwrap().push(p.topic);
            }
        }
    });
    ingest_over_mqtt(&net, port, Some("dev-secret"), None).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    spying.abort();
    let got = got.lock().unwrap().clone();
    assert!(got.is_empty(), "the spy read {got:?}");
    let _ = broker.kill();
    let _ = broker.wait();
}
