use crate::common::*;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use std::time::Duration;

async fn ingest_over_mqtt(net: &Net, broker_port: u16, via_mosquitto_pub: bool) {
    let dev = key(21);
    let clock = net.clock();
    let now = now_ms();
    let r = report(
        net.chain,
        &dev,
        "weather",
        now,
        clock.epoch_of(now),
        1,
        reading(19_500),
    );

    // Listen for the verdict on the device's ack topic.
    let mut opts = MqttOptions::new("test-listener", "127.0.0.1", broker_port);
    opts.set_keep_alive(Duration::from_secs(5));
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
            if via_mosquitto_pub {
                let file = net.dir.path().join("report.bin");
                std::fs::write(&file, r.encode()).unwrap();
                let out = std::process::Command::new("mosquitto_pub")
                    .args([
                        "-h",
                        "127.0.0.1",
                        "-p",
                        &broker_port.to_string(),
                        "-t",
                        "plinth/reports",
                        "-q",
                        "1",
                        "-f",
                    ])
                    .arg(&file)
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
                        plinth_oracle::mqtt::REPORTS_TOPIC,
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
    plinth_oracle::mqtt::start_broker(format!("127.0.0.1:{port}").parse().unwrap()).unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    tokio::spawn(plinth_oracle::mqtt::run_client(
        net.oracle.clone(),
        format!("mqtt://127.0.0.1:{port}"),
    ));
    ingest_over_mqtt(&net, port, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mqtt_with_mosquitto_and_mosquitto_pub() {
    let dev = key(21);
    let net = Net::start(&[("weather", &dev)]).await;
    let port = free_port();
    let conf = net.dir.path().join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!("listener {port} 127.0.0.1\nallow_anonymous true\n"),
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
        format!("mqtt://127.0.0.1:{port}"),
    ));
    ingest_over_mqtt(&net, port, true).await;
    let _ = broker.kill();
    let _ = broker.wait();
}
