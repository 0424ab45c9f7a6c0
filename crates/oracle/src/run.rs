//! Running an oracle: the HTTP API, the MQTT client, registry refresh, probe
//! rounds and the epoch closer, until shutdown.

use crate::{now_ms, Oracle};
use anyhow::Result;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Where the oracle listens and what it connects to.
pub struct Endpoints {
    /// The listener the HTTP API is served on (plain or TLS).
    pub http: plinth_tls::server::Listener,
    /// `mqtt://host:port` of a broker to ingest from, if any.
    pub mqtt: Option<String>,
}

/// Runs every oracle task until `stop` turns true.
pub async fn run(
    oracle: Arc<Oracle>,
    endpoints: Endpoints,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    let mut tasks = Vec::new();
    if let Some(broker) = endpoints.mqtt.clone() {
        let o = oracle.clone();
        tasks.push(tokio::spawn(async move {
            if let Err(e) = crate::mqtt::run_client(o, broker).await {
                tracing::error!(error = %e, "MQTT ingest stopped");
            }
        }));
    }
    tasks.push(tokio::spawn(refresh_registry(oracle.clone())));
    tasks.push(tokio::spawn(probe_rounds(oracle.clone())));
    tasks.push(tokio::spawn(beacon_rounds(oracle.clone())));
    // The price feed, if this oracle runs it.
    if oracle.config.price_micro_usd.is_some() {
        tasks.push(tokio::spawn(price_feed(oracle.clone())));
    }
    // Epoch closer, on a thread of its own: request load (which uses the runtime
    // and its blocking pool) cannot delay it.
    let closer_stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let closer = {
        let o = oracle.clone();
        let stop = closer_stop.clone();
        std::thread::Builder::new()
            .name("oracle-closer".into())
            .spawn(move || closer_loop(o, stop))?
    };
    // The exchange with peer oracles, on a thread of its own too.
    let exchange = if oracle.config.peers.is_empty() {
        None
    } else {
        let o = oracle.clone();
        let stop = closer_stop.clone();
        Some(
            std::thread::Builder::new()
                .name("oracle-exchange".into())
                .spawn(move || exchange_loop(o, stop))?,
        )
    };
    // Compute: spot checks re-execute tasks, capacity checks wait on providers; a
    // thread of its own keeps both off the closer's and the runtime's threads.
    let compute = {
        let o = oracle.clone();
        let stop = closer_stop.clone();
        std::thread::Builder::new()
            .name("oracle-compute".into())
            // Re-executing tasks: the interpreter needs more than the default stack.
            .stack_size(plinth_compute::runner::THREAD_STACK_BYTES)
            .spawn(move || compute_loop(o, stop))?
    };
    let mut stop_http = stop.clone();
    let server = axum::serve(endpoints.http, crate::http::router(oracle.clone()))
        .with_graceful_shutdown(async move {
            let _ = stop_http.changed().await;
        });
    let server = tokio::spawn(async move { server.await });
    let _ = stop.changed().await;
    for t in &tasks {
        t.abort();
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
    closer_stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = tokio::task::spawn_blocking(move || {
        let _ = closer.join();
        let _ = compute.join();
        if let Some(x) = exchange {
            let _ = x.join();
        }
    })
    .await;
    oracle.shutdown();
    Ok(())
}

/// Registry refresh, forever; devices new to the registry are probed at once, so
/// that none escapes the probes' gate for the rest of the epoch. The current
/// epoch's networks are read again too (admission serves a network added by
/// proposal from its first epoch).
async fn refresh_registry(o: Arc<Oracle>) {
    loop {
        tokio::time::sleep(o.config.registry_refresh).await;
        let o2 = o.clone();
        let r = tokio::task::spawn_blocking(move || -> Result<usize> {
            o2.refresh_networks()?;
            let new = o2.refresh_registry()?;
            let now = now_ms();
            let end = o2.clock.window(o2.clock.epoch_of(now)).end_ms;
            if new.is_empty() || now + o2.config.probe_deadline.as_millis() as u64 >= end {
                return Ok(0);
            }
            let head = o2.node.status()?.head_hash;
            Ok(o2.probe_round(head, now, Some(&new))?.len())
        })
        .await;
        if let Ok(Err(e)) = r {
            tracing::warn!(error = %e, "registry refresh failed");
        }
    }
}

/// Probe rounds, forever: challenges from the head block's hash; only rounds
/// whose deadline falls inside the current epoch, so answers land in its spool.
async fn probe_rounds(o: Arc<Oracle>) {
    loop {
        tokio::time::sleep(o.config.probe_interval).await;
        let o2 = o.clone();
        let r = tokio::task::spawn_blocking(move || -> Result<usize> {
            let now = now_ms();
            let end = o2.clock.window(o2.clock.epoch_of(now)).end_ms;
            if now + o2.config.probe_deadline.as_millis() as u64 >= end {
                return Ok(0);
            }
            let head = o2.node.status()?.head_hash;
            Ok(o2.probe_round(head, now, None)?.len())
        })
        .await;
        match r {
            Ok(Ok(n)) if n > 0 => tracing::debug!(probes = n, "probe round issued"),
            Ok(Err(e)) => tracing::warn!(error = %e, "probe round failed"),
            _ => {}
        }
    }
}

/// Beacon rounds of coverage networks (those of the current epoch), forever:
/// drawn from the head block when a round begins.
async fn beacon_rounds(o: Arc<Oracle>) {
    loop {
        let o2 = o.clone();
        let r = tokio::task::spawn_blocking(move || -> Result<usize> {
            if !o2.has_coverage()? {
                return Ok(0);
            }
            let status = o2.node.status()?;
            Ok(o2
                .beacon_round(status.height, status.head_hash, now_ms())?
                .len())
        })
        .await;
        match r {
            Ok(Ok(n)) if n > 0 => tracing::debug!(rounds = n, "beacon rounds drawn"),
            Ok(Err(e)) => tracing::warn!(error = %e, "drawing beacon rounds failed"),
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The price feed, forever: the price posted every `price_interval`.
async fn price_feed(o: Arc<Oracle>) {
    loop {
        let o2 = o.clone();
        match tokio::task::spawn_blocking(move || o2.post_price(now_ms())).await {
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "posting the price failed; will retry")
            }
            Err(e) => tracing::error!(error = %e, "price feed panicked"),
            _ => {}
        }
        tokio::time::sleep(o.config.price_interval).await;
    }
}

/// Closes due epochs every second until `stop`.
fn closer_loop(o: Arc<Oracle>, stop: Arc<std::sync::atomic::AtomicBool>) {
    use std::sync::atomic::Ordering;
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_secs(1));
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let o2 = o.clone();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            o2.close_due_epochs(now_ms())
        })) {
            Ok(Err(e)) => tracing::warn!(error = %e, "closing epochs failed; will retry"),
            Err(_) => tracing::error!("epoch closer panicked"),
            _ => {}
        }
    }
}

/// Runs the compute job ([`Oracle::compute_pass`]) every second until `stop`.
fn compute_loop(o: Arc<Oracle>, stop: Arc<std::sync::atomic::AtomicBool>) {
    use std::sync::atomic::Ordering;
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_secs(1));
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let o2 = o.clone();
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| o2.compute_pass())) {
            Ok(Err(e)) => {
                tracing::warn!(error = %format!("{e:#}"), "compute pass failed; will retry")
            }
            Err(_) => tracing::error!("compute pass panicked"),
            _ => {}
        }
    }
}

/// Reads the peers' spools every `exchange_interval` until `stop`: the current
/// epoch's batches, and the previous one's until its manifests are proposed.
fn exchange_loop(o: Arc<Oracle>, stop: Arc<std::sync::atomic::AtomicBool>) {
    use std::sync::atomic::Ordering;
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(o.config.exchange_interval);
        let now = now_ms();
        let current = o.clock.epoch_of(now);
        let mut epochs = vec![current];
        if current > 0 && now < o.cutoff_ms(current - 1) + 60_000 {
            epochs.push(current - 1);
        }
        for e in epochs {
            let o2 = o.clone();
            match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| o2.pull(e))) {
                Ok(n) if n > 0 => {
                    tracing::debug!(epoch = e, batches = n, "batches taken from peers")
                }
                Err(_) => tracing::error!("exchange panicked"),
                _ => {}
            }
        }
    }
}
