//! Compute on the devnet through `plinth compute`: a scene rendered tile by tile
//! on the devnet's five providers (two honest, a garbage one, a copier, a
//! skipper) comes back as exactly the picture a local run of the same module
//! gives, every cheater's claims slashed on the way; and a provider run by hand
//! under a lease, SIGKILLed in the middle of its claim, resumes after a restart
//! and is paid exactly once per task.

use crate::common::*;
use plinth_compute::runner::execute;
use plinth_core::{DeviceId, Hash};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

/// A child process killed on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A devnet on free ports with 250 ms blocks, 6 s epochs, seven dev accounts and
/// no fleet; its compute providers run, the demo render does not.
fn start_devnet(dir: &Path) -> Devnet {
    let port = free_port();
    let child = Command::new(bin())
        .args(["devnet", "--block-time", "250ms", "--epoch-time", "6s"])
        .args(["--accounts", "7", "--devices", "1"])
        .arg("--rpc")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--oracle-http")
        .arg(format!("127.0.0.1:{}", free_port()))
        .arg("--mqtt")
        .arg(format!("127.0.0.1:{}", free_port()))
        .arg("--data-dir")
        .arg(dir)
        .env("RUST_LOG", "warn")
        .env("PLINTH_DEVNET_DEMO_RENDER", "0")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    Devnet::adopt(child, dir, port)
}

fn wait_for_price(net: &Devnet) {
    until("a fresh price", 60, || {
        (net.get("/v1/price")["fresh"] == true).then_some(())
    });
}

/// A small scene (the demo's objects at 96×64 in 16-pixel tiles: 24 tasks, few
/// samples), written to `dir/scene.toml`.
fn small_scene(dir: &Path) -> PathBuf {
    let mut scene: toml::Value = toml::from_str(plinth_render::DEMO_SCENE).unwrap();
    let image = scene["image"].as_table_mut().unwrap();
    image.insert("width".into(), 96.into());
    image.insert("height".into(), 64.into());
    image.insert("tile".into(), 16.into());
    image.insert("samples".into(), 4.into());
    image.insert("max_bounces".into(), 3.into());
    let path = dir.join("scene.toml");
    std::fs::write(&path, toml::to_string(&scene).unwrap()).unwrap();
    path
}

fn u(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The devnet's compute providers, in the devnet's order (honest, honest,
/// garbage, copier, skipper).
fn providers(dir: &Path) -> Vec<DeviceId> {
    (0..5)
        .map(|i| {
            let key = plinth_devnet::keystore::DeviceKeyFile::load(
                &dir.join("compute")
                    .join(i.to_string())
                    .join("device.key.json"),
            )
            .unwrap();
            DeviceId(key.public())
        })
        .collect()
}

#[test]
fn a_render_catches_every_cheater_and_the_frame_is_exact() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dn");
    let net = start_devnet(&dir);
    wait_for_price(&net);
    net.ok(&["wallet", "credits", "buy", "--from", "frank", "20"]);
    // The devnet's five providers come up after its node.
    until("the devnet's five compute offers", 90, || {
        let out = net.ok(&["compute", "offers", "--json"]);
        let offers: serde_json::Value = serde_json::from_str(&out).unwrap();
        (offers.as_array().unwrap().len() == 5).then_some(())
    });

    let scene = small_scene(tmp.path());
    let out = tmp.path().join("frame.png");
    let started = Instant::now();
    let printed = net.ok(&[
        "compute",
        "render",
        scene.to_str().unwrap(),
        "--from",
        "frank",
        "--out",
        out.to_str().unwrap(),
        "--spot-check",
        "100%",
        "--json",
    ]);
    let done: serde_json::Value = serde_json::from_str(&printed).unwrap();
    eprintln!(
        "rendered in {:.1} s: {done}",
        started.elapsed().as_secs_f64()
    );
    let job: Hash = done["job"].as_str().unwrap().parse().unwrap();

    // The picture is exactly what the module gives run here, tile by tile.
    let text = std::fs::read_to_string(&scene).unwrap();
    let s = plinth_render::Scene::from_toml(&text).unwrap();
    let input = s.encode().unwrap();
    let module =
        plinth_wasm::Module::new(plinth_render::MODULE, plinth_compute::runner::limits()).unwrap();
    let mut frame = plinth_render::Frame::new(s.tiling());
    let view = net.get(&format!("/v1/compute/jobs/{job}"));
    let fuel = u(&view["fuel_per_task"]);
    let tiles: Vec<Vec<u8>> = std::thread::Builder::new()
        .stack_size(plinth_compute::runner::THREAD_STACK_BYTES)
        .spawn(move || {
            (0..s.tasks())
                .map(|t| execute(&module, &input, t, fuel).unwrap().bytes)
                .collect()
        })
        .unwrap()
        .join()
        .unwrap();
    for (t, tile) in tiles.iter().enumerate() {
        frame.insert(t as u32, tile).unwrap();
    }
    assert_eq!(
        std::fs::read(&out).unwrap(),
        frame.to_png(),
        "the frame differs from a local render"
    );
    assert_eq!(view["status"], "completed");
    assert_eq!(
        u(&view["escrow"]),
        0,
        "every tile paid once, the rest refunded: {view}"
    );

    // Every claim: verified only with right results; the cheaters' slashed.
    let claims: Vec<serde_json::Value> = {
        let v = net.get(&format!("/v1/compute/jobs/{job}/claims?limit=500"));
        v.as_array().unwrap().clone()
    };
    let devs = providers(&dir);
    let mut slashed_by = [0u32; 5];
    let mut verified_by = [0u32; 5];
    for c in &claims {
        let p: DeviceId = c["provider"].as_str().unwrap().parse().unwrap();
        let i = devs
            .iter()
            .position(|d| *d == p)
            .expect("a devnet provider");
        match c["status"].as_str().unwrap() {
            "verified" => verified_by[i] += 1,
            "slashed" => slashed_by[i] += 1,
            _ => {}
        }
    }
    eprintln!("claims verified {verified_by:?}, slashed {slashed_by:?}");
    assert_eq!(verified_by[2], 0, "the garbage provider is never paid");
    assert_eq!(verified_by[3], 0, "the copier is never paid");
    for (i, name) in [(2, "garbage"), (3, "copier")] {
        let tried = claims.iter().any(|c| c["provider"] == devs[i].to_string());
        assert!(
            !tried || slashed_by[i] > 0,
            "the {name} provider claimed tasks and was not slashed"
        );
    }
    // The compute network's reward manifests pay the providers by the credits
    // the ledger recorded they earned: an epoch with earnings gets a manifest
    // whose every entry is a provider that earned in it.
    let (epoch, earned, manifest) = until("a compute manifest paying providers", 90, || {
        let current = u(&net.get("/v1/status")["epoch"]);
        (0..current).find_map(|e| {
            let earned = net.get(&format!("/v1/compute/earned/compute/{e}"));
            let earned = earned.as_array().filter(|a| !a.is_empty())?.clone();
            let m = get_opt(&format!("{}/v1/rewards/compute/{e}", net.url()))?;
            Some((e, earned, m))
        })
    });
    eprintln!("epoch {epoch}: earned {earned:?}, manifest {manifest}");
    let header = &manifest["header"];
    assert!(u(&header["devices"]) >= 1, "{manifest}");
    assert!(u(&header["devices"]) <= earned.len() as u64, "{manifest}");
    assert!(u(&header["total"]) > 0, "{manifest}");
    let rep = |i: usize| net.get(&format!("/v1/compute/offers/{}", devs[i]))["reputation"].clone();
    for i in 0..2 {
        assert_eq!(
            u(&rep(i)["claims_slashed"]),
            0,
            "an honest provider was slashed"
        );
    }
}

/// Runs `plinth compute …` for the hand-run provider.
fn compute_agent(net: &Devnet, key: &Path, data: &Path, port: u16) -> Running {
    let agent = Running(
        Command::new(bin())
            .args(["compute", "agent", "--from", "keeper", "--device"])
            .arg(key)
            .arg("--data-dir")
            .arg(data)
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .args(["--tasks-per-claim", "6", "--poll-ms", "200"])
            .arg("--node")
            .arg(net.url())
            .arg("--keystore")
            .arg(net.keystore())
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    until("the agent's API", 30, || {
        ureq::get(&format!("http://127.0.0.1:{port}/v1/status"))
            .call()
            .ok()
            .map(|_| ())
    });
    agent
}

#[test]
fn a_leased_provider_killed_mid_claim_resumes_and_is_paid_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dn");
    let net = start_devnet(&dir);
    wait_for_price(&net);
    net.ok(&["wallet", "credits", "buy", "--from", "frank", "20"]);
    // A provider by hand: account, device, offer.
    net.ok(&["wallet", "new", "keeper"]);
    net.ok(&["wallet", "transfer", "--from", "frank", "keeper", "500"]);
    let key = tmp.path().join("keeper-device.json");
    net.ok(&["device", "keygen", "--out", key.to_str().unwrap()]);
    net.ok(&[
        "device",
        "register",
        "--from",
        "keeper",
        "--key",
        key.to_str().unwrap(),
        "--network",
        "compute",
        "--location",
        "52.50,13.40",
    ]);
    let port = free_port();
    let endpoint = format!("http://127.0.0.1:{port}");
    net.ok(&[
        "compute",
        "offer",
        "--from",
        "keeper",
        "--device",
        key.to_str().unwrap(),
        "--endpoint",
        &endpoint,
        "--cores",
        "4",
        "--memory-mib",
        "8192",
        "--accelerator",
        "nvidia-l4:24576",
        "--region",
        "52.50,13.40",
        "--price-per-block",
        "2",
        "--collateral-per-lease",
        "10",
        "--collateral-per-task",
        "1",
        "--deposit",
        "200",
    ]);
    let device = DeviceId(
        plinth_devnet::keystore::DeviceKeyFile::load(&key)
            .unwrap()
            .public(),
    );

    // The market: frank orders an accelerator, keeper bids, frank accepts.
    let order: serde_json::Value = serde_json::from_str(&net.ok(&[
        "compute",
        "order",
        "--from",
        "frank",
        "--accelerator",
        "nvidia-l4",
        "--max-price",
        "3",
        "--blocks",
        "4000",
        "--deposit",
        "5000",
        "--json",
    ]))
    .unwrap();
    let order = order["order"].as_str().unwrap().to_string();
    net.ok(&[
        "compute",
        "bid",
        "--from",
        "keeper",
        "--order",
        &order,
        "--device",
        key.to_str().unwrap(),
        "--price",
        "2",
    ]);
    net.ok(&[
        "compute",
        "accept",
        "--from",
        "frank",
        "--order",
        &order,
        "--device",
        key.to_str().unwrap(),
    ]);
    let lease = net.get(&format!("/v1/compute/leases/{order}"));
    assert_eq!(lease["status"]["status"], "active", "{lease}");
    let paid_at = |net: &Devnet| u(&net.get(&format!("/v1/compute/leases/{order}"))["paid"]);
    let before = paid_at(&net);
    net.wait_height(net.height() + 8);
    assert!(
        paid_at(&net) > before,
        "the lease pays per block without a transaction"
    );

    // A job only the lease's provider may run.
    let scene = small_scene(tmp.path());
    let input = plinth_render::Scene::from_toml(&std::fs::read_to_string(&scene).unwrap())
        .unwrap()
        .encode()
        .unwrap();
    let input_path = tmp.path().join("input.bin");
    std::fs::write(&input_path, &input).unwrap();
    let module_path = tmp.path().join("render.wasm");
    std::fs::write(&module_path, plinth_render::MODULE).unwrap();
    let created: serde_json::Value = serde_json::from_str(&net.ok(&[
        "compute",
        "job",
        "--from",
        "frank",
        "--module",
        module_path.to_str().unwrap(),
        "--input",
        input_path.to_str().unwrap(),
        "--tasks",
        "24",
        "--fuel",
        "4000000000",
        "--price",
        "3",
        "--spot-check",
        "25%",
        "--lease",
        &order,
        "--json",
    ]))
    .unwrap();
    let job = created["job"].as_str().unwrap().to_string();

    // The agent takes a claim; SIGKILL while it runs its tasks.
    let data = tmp.path().join("agent");
    let agent = compute_agent(&net, &key, &data, port);
    let first = until("the agent's first claim", 60, || {
        let claims = net.get(&format!("/v1/compute/jobs/{job}/claims"));
        claims.as_array().and_then(|c| c.first().cloned())
    });
    drop(agent);
    let claim = first["id"].as_str().unwrap().to_string();
    let status = net.get(&format!("/v1/compute/claims/{claim}"))["status"].clone();
    eprintln!("killed the agent with its claim {claim} {status}");

    // Restarted on the same data, it resumes; the job completes.
    let _agent = compute_agent(&net, &key, &data, port);
    let view = until("the job done", 240, || {
        let v = net.get(&format!("/v1/compute/jobs/{job}"));
        (v["status"] != "open").then_some(v)
    });
    assert_eq!(view["status"], "completed", "{view}");
    assert_eq!(u(&view["escrow"]), 0);
    let rep = net.get(&format!("/v1/compute/offers/{device}"))["reputation"].clone();
    assert_eq!(
        u(&rep["tasks_verified"]),
        24,
        "every task paid exactly once: {rep}"
    );
    assert_eq!(u(&rep["claims_slashed"]), 0, "{rep}");
    // Paid per task exactly: 24 × 3 credits from the job, plus the lease's blocks.
    let earned_jobs = 24 * 3;
    assert!(u(&rep["credits_earned"]) >= earned_jobs);

    // The consumer closes the lease: paid exactly the blocks it ran, the rest back.
    let close = net.ok(&["compute", "close", "--from", "frank", &order, "--json"]);
    assert!(
        close.contains("committed") || close.contains("hash"),
        "{close}"
    );
    let closed = net.get(&format!("/v1/compute/leases/{order}"));
    assert_eq!(closed["status"]["status"], "closed", "{closed}");
    let blocks = u(&closed["closed_height"]) - u(&closed["start_height"]);
    assert_eq!(u(&closed["paid"]), blocks * 2, "{closed}");
    assert_eq!(u(&closed["escrow"]), 0, "the rest refunded: {closed}");
}
