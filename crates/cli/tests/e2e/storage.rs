//! Storage deals on the devnet through `plinth storage`: a file put with one of the
//! devnet's honest providers comes back byte for byte and is proven epoch after
//! epoch; a provider run by hand (`plinth storage agent`) that loses a chunk is
//! slashed, and its collateral goes to the consumer.

use crate::common::*;
use plinth_core::Address;
use rand::RngCore;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: u64 = 1_000_000;
const MIB: usize = 1 << 20;
const CHUNK: usize = 256 * 1024;

/// A child process killed on drop.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn random_file(path: &Path, len: usize) -> Vec<u8> {
    let mut data = vec![0u8; len];
    rand::thread_rng().fill_bytes(&mut data);
    std::fs::write(path, &data).unwrap();
    data
}

/// A devnet on free ports: 250 ms blocks, 4 s epochs, seven dev accounts and
/// `devices` fleet devices.
fn start_devnet(dir: &Path, devices: usize) -> Devnet {
    let port = free_port();
    let child = Command::new(bin())
        .args(["devnet", "--block-time", "250ms", "--epoch-time", "4s"])
        .args(["--accounts", "7", "--devices"])
        .arg(devices.to_string())
        .arg("--rpc")
        .arg(format!("127.0.0.1:{port}"))
        .arg("--oracle-http")
        .arg(format!("127.0.0.1:{}", free_port()))
        .arg("--mqtt")
        .arg(format!("127.0.0.1:{}", free_port()))
        .arg("--data-dir")
        .arg(dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    Devnet::adopt(child, dir, port)
}

/// Waits until the devnet's oracle has posted a price a burn can use.
fn wait_for_price(net: &Devnet) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while net.get("/v1/price")["fresh"] != true {
        assert!(Instant::now() < deadline, "no fresh price within 60 s");
        std::thread::sleep(Duration::from_millis(250));
    }
}

/// A provider run by hand: a new account `keeper` (funded by frank), its device
/// registered in the storage network, where its agent keeps its data and listens.
struct Keeper {
    address: Address,
    key_file: PathBuf,
    agent_dir: PathBuf,
    port: u16,
}

impl Keeper {
    fn new(net: &Devnet, dir: &Path, tokens: &str) -> Keeper {
        let out = net.ok(&["wallet", "new", "keeper", "--json"]);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        net.ok(&["wallet", "transfer", "--from", "frank", "keeper", tokens]);
        let k = Keeper {
            address: v["address"].as_str().unwrap().parse().unwrap(),
            key_file: dir.join("keeper-device.json"),
            agent_dir: dir.join("agent"),
            port: free_port(),
        };
        net.ok(&["device", "keygen", "--out", k.key()]);
        net.ok(&[
            "device",
            "register",
            "--from",
            "keeper",
            "--key",
            k.key(),
            "--network",
            "storage",
            "--location",
            "52.50,13.40",
        ]);
        k
    }

    fn key(&self) -> &str {
        self.key_file.to_str().unwrap()
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts `plinth storage agent` and waits until it answers.
    fn start_agent(&self, net: &Devnet) -> Running {
        let agent = Running(
            Command::new(bin())
                .args(["storage", "agent", "--key", self.key(), "--data-dir"])
                .arg(&self.agent_dir)
                .arg("--listen")
                .arg(format!("127.0.0.1:{}", self.port))
                .arg("--node")
                .arg(net.url())
                .env("RUST_LOG", "warn")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap(),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        while ureq::get(&format!("{}/v1/deals", self.endpoint()))
            .call()
            .is_err()
        {
            assert!(Instant::now() < deadline, "the agent did not come up");
            std::thread::sleep(Duration::from_millis(50));
        }
        agent
    }

    /// Posts the offer: `price` credits per MiB·epoch, 1 token of collateral per
    /// MiB, `deposit` tokens into the pool.
    fn offer(&self, net: &Devnet, price: &str, deposit: &str) {
        net.ok(&[
            "storage",
            "offer",
            "--from",
            "keeper",
            "--device",
            self.key(),
            "--endpoint",
            &self.endpoint(),
            "--price",
            price,
            "--collateral",
            "1",
            "--deposit",
            deposit,
        ]);
    }
}

fn deal(net: &Devnet, id: &str) -> serde_json::Value {
    net.get(&format!("/v1/deals/{id}"))
}

fn u(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// The chance that a deal whose every epoch fails with probability `p` (each epoch
/// drawn independently) is not slashed within `epochs` epochs when `max_failures`
/// failures in a row slash it: a DP over the length of the current failure run.
fn p_no_slash(p: f64, max_failures: usize, epochs: usize) -> f64 {
    // run[j]: probability of no slash so far with j failures in a row now.
    let mut run = vec![0.0; max_failures];
    run[0] = 1.0;
    for _ in 0..epochs {
        let mut next = vec![0.0; max_failures];
        for (j, r) in run.iter().enumerate() {
            next[0] += r * (1.0 - p);
            if j + 1 < max_failures {
                next[j + 1] += r * p;
            }
        }
        run = next;
    }
    run.iter().sum()
}

/// C(n − gap, k) / C(n, k): a challenge of `k` distinct segments out of `n`
/// misses a gap of `gap` segments.
fn p_miss(n: u64, gap: u64, k: u64) -> f64 {
    (0..k)
        .map(|i| (n - gap - i) as f64 / (n - i) as f64)
        .product()
}

#[test]
fn storage_deals_are_kept_proven_and_slashed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dn");
    let net = start_devnet(&dir, 5);
    let frank: Address = net
        .ok(&["wallet", "address", "frank"])
        .trim()
        .parse()
        .unwrap();

    // The devnet's five providers register and post their offers as it starts.
    let deadline = Instant::now() + Duration::from_secs(60);
    let offers = loop {
        let offers = net.get("/v1/storage/offers?network=storage");
        if offers.as_array().unwrap().len() == 5 {
            break offers;
        }
        assert!(
            Instant::now() < deadline,
            "the devnet's storage providers have no offers: {offers}"
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    // Provider 0 is honest (services::STORAGE_BEHAVIOURS).
    let key0: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("storage/0/device.key.json")).unwrap(),
    )
    .unwrap();
    let honest = key0["device_id"].as_str().unwrap().to_string();
    let offer = offers
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["device"] == honest.as_str())
        .unwrap_or_else(|| panic!("no offer of provider 0 ({honest}): {offers}"));
    let grace = net.ok(&["wallet", "address", "grace"]);
    assert_eq!(offer["owner"], grace.trim(), "{offer}");
    assert_eq!(u(&offer["price_per_mib_epoch"]), 10);
    assert_eq!(u(&offer["collateral_per_mib"]), TOKEN);
    assert_eq!(u(&offer["free"]), 1_000 * TOKEN);

    // Credits: the devnet's oracle posts a price of $0.50; 1 token buys 50,000.
    wait_for_price(&net);
    net.ok(&["wallet", "credits", "buy", "--from", "frank", "1"]);

    // 1. A MiB with an honest devnet provider, for 10 epochs at 10 credits each.
    let file = tmp.path().join("one.bin");
    let data = random_file(&file, MIB);
    let put: serde_json::Value = serde_json::from_str(&net.ok(&[
        "storage",
        "put",
        file.to_str().unwrap(),
        "--provider",
        &honest,
        "--epochs",
        "10",
        "--from",
        "frank",
        "--json",
    ]))
    .unwrap();
    let kept = put["deal"].as_str().unwrap().to_string();
    assert_eq!(u(&put["size"]), MIB as u64);
    assert_eq!(u(&put["chunks"]), 4);
    assert_eq!(u(&put["price_per_epoch"]), 10);
    assert_eq!(u(&put["escrow"]), 100);
    let back = tmp.path().join("one.back");
    let out = net.ok(&["storage", "get", &kept, "--out", back.to_str().unwrap()]);
    assert!(out.contains(put["root"].as_str().unwrap()), "{out}");
    assert!(
        std::fs::read(&back).unwrap() == data,
        "the file came back different"
    );

    // 2. A provider run by hand, owned by a new account `keeper`.
    let keeper = Keeper::new(&net, tmp.path(), "200");
    let _agent = keeper.start_agent(&net);
    keeper.offer(&net, "10", "100");
    let file2 = tmp.path().join("two.bin");
    random_file(&file2, MIB);
    let put2: serde_json::Value = serde_json::from_str(&net.ok(&[
        "storage",
        "put",
        file2.to_str().unwrap(),
        "--provider",
        keeper.key(),
        "--epochs",
        "30",
        "--from",
        "frank",
        "--chunk-size",
        "262144",
        "--json",
    ]))
    .unwrap();
    let lost = put2["deal"].as_str().unwrap().to_string();
    assert_eq!(u(&put2["chunks"]), 4);
    // The agent keeps each deal as one file (crates/storage/src/agent/store.rs):
    // chunk 1 is lost by zeroing its bytes there.
    let data_path = keeper.agent_dir.join("deals").join(&lost).join("data");
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&data_path)
            .unwrap_or_else(|e| panic!("{}: {e}", data_path.display()));
        f.seek(SeekFrom::Start(CHUNK as u64)).unwrap();
        f.write_all(&vec![0u8; CHUNK]).unwrap();
        f.sync_all().unwrap();
    }
    // A get notices: chunk 1 does not check out, and no file is left behind.
    let back2 = tmp.path().join("two.back");
    let out = net.cli(&["storage", "get", &lost, "--out", back2.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("chunk 1"), "{err}");
    assert!(!back2.exists() && !tmp.path().join("two.back.part").exists());
    // Nothing signs for frank from here on: his balance moves only by the slash.
    let frank_balance = net.balance(&frank);
    let frank_credits = u(&net.get(&format!("/v1/credits/{frank}"))["total"]);

    // The honest deal is proven epoch after epoch, paid out of escrow.
    let deadline = Instant::now() + Duration::from_secs(120);
    let d = loop {
        let d = deal(&net, &kept);
        if u(&d["proven_epochs"]) >= 2 {
            break d;
        }
        assert!(Instant::now() < deadline, "not proven twice in 120 s: {d}");
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(u(&d["failed_epochs"]), 0, "{d}");
    assert!(u(&d["escrow"]) <= 100 - 2 * 10, "{d}");
    assert_eq!(d["status"], "active", "{d}");

    // With 1 of 4 chunks gone, a challenge of k = 8 distinct segments (of 1,024)
    // misses the gap with probability C(768,8)/C(1024,8) ≈ 0.0992, so an epoch
    // fails with p ≈ 0.9008. With max_failures = 2 in a row, the chance of no slash
    // within 20 epochs is ≈ 1.83e-9 (the DP below; exactly q = C(768,8)/C(1024,8)
    // = 591074714101573/5958451138966876).
    let p_fail = 1.0 - p_miss(1024, 256, 8);
    assert!((p_fail - 0.9008).abs() < 1e-4, "{p_fail}");
    let p_survive = p_no_slash(p_fail, 2, 20);
    assert!(p_survive < 1e-6, "{p_survive}");
    let d2 = deal(&net, &lost);
    let start = u(&d2["start_epoch"]);
    let deadline = Instant::now() + Duration::from_secs(240);
    let d2 = loop {
        let d2 = deal(&net, &lost);
        if d2["status"] == "slashed" {
            break d2;
        }
        let epoch = u(&net.get("/v1/status")["epoch"]);
        // Twenty epochs from its start, and two more for the last to be settled.
        assert!(
            epoch <= start + 22 && Instant::now() < deadline,
            "not slashed within 20 epochs: {d2}"
        );
        std::thread::sleep(Duration::from_millis(500));
    };
    assert_eq!(u(&d2["consecutive_failures"]), 2, "{d2}");
    assert!(u(&d2["failed_epochs"]) >= 2, "{d2}");
    assert_eq!(u(&d2["escrow"]), 0, "{d2}");
    assert_eq!(u(&d2["collateral"]), TOKEN, "{d2}");
    // The consumer got the collateral, and the credits of every epoch not proven.
    assert_eq!(net.balance(&frank), frank_balance + TOKEN);
    let credits = u(&net.get(&format!("/v1/credits/{frank}"))["total"]);
    assert!(
        credits >= frank_credits + 300 - 10 * u(&d2["proven_epochs"]),
        "credits {frank_credits} → {credits}: {d2}"
    );
    let out = net.ok(&["storage", "show", &lost]);
    assert!(out.contains("slashed"), "{out}");
    let mine: serde_json::Value =
        serde_json::from_str(&net.ok(&["storage", "deals", "--consumer", "frank", "--json"]))
            .unwrap();
    let ids: Vec<&str> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&kept.as_str()) && ids.contains(&lost.as_str()),
        "{mine}"
    );

    // The keeper's pool lost the slashed collateral; the rest is free to withdraw.
    let device = serde_json::from_str::<serde_json::Value>(
        &std::fs::read_to_string(&keeper.key_file).unwrap(),
    )
    .unwrap()["device_id"]
        .as_str()
        .unwrap()
        .to_string();
    let pool = net.get(&format!("/v1/storage/offers/{device}"));
    assert_eq!((u(&pool["free"]), u(&pool["locked"])), (99 * TOKEN, 0));
    let before = net.balance(&keeper.address);
    let min_fee = u(&net.get("/v1/status")["min_fee"]);
    net.ok(&[
        "storage", "withdraw", "--from", "keeper", "--device", &device, "--amount", "99",
    ]);
    assert_eq!(net.balance(&keeper.address), before + 99 * TOKEN - min_fee);
    assert_eq!(
        u(&net.get(&format!("/v1/storage/offers/{device}"))["free"]),
        0
    );
}

/// A provider's agent killed with SIGKILL in the middle of an upload keeps every
/// chunk it acknowledged: restarted on the same directory, it takes the rest
/// (`plinth storage put FILE --deal ID` resumes), and the file comes back byte for
/// byte, every chunk checked against the deal's root.
#[test]
fn a_provider_killed_mid_upload_resumes_without_loss() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dn");
    let net = start_devnet(&dir, 2);
    let frank: Address = net
        .ok(&["wallet", "address", "frank"])
        .trim()
        .parse()
        .unwrap();
    wait_for_price(&net);
    net.ok(&["wallet", "credits", "buy", "--from", "frank", "1"]);
    let keeper = Keeper::new(&net, tmp.path(), "400");
    let mut agent = keeper.start_agent(&net);
    keeper.offer(&net, "1", "300");

    // 192 MiB in 256 KiB chunks, sent in two streams of 64 MiB requests (96 MiB
    // each: a request of 64 MiB, then one of 32 MiB): the put runs in the
    // background and the agent is killed as soon as it has acknowledged a request,
    // while the second ones are under way.
    let file = tmp.path().join("big.bin");
    let data = random_file(&file, 192 * MIB);
    let put = Command::new(bin())
        .args([
            "storage",
            "put",
            file.to_str().unwrap(),
            "--provider",
            keeper.key(),
        ])
        .args([
            "--epochs",
            "3",
            "--from",
            "frank",
            "--node",
            &net.url(),
            "--keystore",
        ])
        .arg(dir.join("keystore.json"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut put = put;
    let deadline = Instant::now() + Duration::from_secs(60);
    let stored_before_kill = loop {
        if let Ok(Some(status)) = put.try_wait() {
            let mut err = String::new();
            std::io::Read::read_to_string(put.stderr.as_mut().unwrap(), &mut err).unwrap();
            assert!(status.success(), "the put failed before the kill: {err}");
        }
        let deals: serde_json::Value = ureq::get(&format!("{}/v1/deals", keeper.endpoint()))
            .call()
            .ok()
            .and_then(|r| r.into_json().ok())
            .unwrap_or_default();
        let stored = deals
            .as_array()
            .and_then(|ds| ds.first())
            .map(|d| u(&d["stored"]));
        if stored.is_some_and(|s| s > 0) {
            break stored.unwrap();
        }
        assert!(
            Instant::now() < deadline,
            "the upload did not start: {deals}"
        );
        std::thread::sleep(Duration::from_millis(2));
    };
    agent.0.kill().unwrap(); // SIGKILL
    eprintln!("killed the agent with {stored_before_kill} of 768 chunks stored");
    agent.0.wait().unwrap();
    let out = put.wait_with_output().unwrap();
    let deals = net.get(&format!("/v1/deals?consumer={frank}"));
    let id = deals[0]["id"].as_str().unwrap().to_string();
    assert_eq!(deals.as_array().unwrap().len(), 1, "{deals}");
    if !out.status.success() {
        // The put names the way to resume.
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&format!("--deal {id}")), "{err}");
    }

    // Restarted, the agent holds at least what it had acknowledged before the kill.
    agent = keeper.start_agent(&net);
    let status: serde_json::Value = ureq::get(&format!("{}/v1/deals/{id}", keeper.endpoint()))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert!(u(&status["stored"]) >= stored_before_kill, "{status}");
    assert_eq!(u(&status["chunks"]), 768, "{status}");
    // An interrupted deal is still pending: nothing can be slashed before the
    // provider's receipt, which the resumed put fetches and submits.
    if !out.status.success() {
        assert_eq!(net.get(&format!("/v1/deals/{id}"))["status"], "pending");
    }
    net.ok(&[
        "storage",
        "put",
        file.to_str().unwrap(),
        "--deal",
        &id,
        "--from",
        "frank",
    ]);
    assert_eq!(net.get(&format!("/v1/deals/{id}"))["status"], "active");
    let status: serde_json::Value = ureq::get(&format!("{}/v1/deals/{id}", keeper.endpoint()))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(status["complete"], true, "{status}");
    let back = tmp.path().join("big.back");
    net.ok(&["storage", "get", &id, "--out", back.to_str().unwrap()]);
    assert!(
        std::fs::read(&back).unwrap() == data,
        "the file came back different"
    );
    drop(agent);
}
