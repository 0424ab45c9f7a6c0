//! The provider's agent over real HTTP on loopback, with the client: round trips,
//! restarts, refusals with their reasons, and each cheating behaviour caught.

use crate::bytes;
use plinth_core::Hash;
use plinth_storage::agent::{
    self, Agent, AgentConfig, Behaviour, DealInfo, DealSource, DealSourceError, OpenDeal,
    RunningAgent,
};
use plinth_storage::client::{commit_file, ClientError, StorageClient};
use plinth_storage::tree::KEY;
use plinth_storage::{
    verify_proof, Commitment, Manifest, ProofError, StorageChallenge, DEFAULT_CHALLENGE_ITEMS,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

const CHUNK: u32 = 4096;

fn start(dir: &Path, behaviour: Behaviour) -> RunningAgent {
    let mut config = AgentConfig::new(dir);
    config.behaviour = behaviour;
    agent::spawn(Agent::open(config).unwrap(), "127.0.0.1:0", 2).unwrap()
}

fn write_file(dir: &Path, name: &str, len: usize, seed: u64) -> (PathBuf, Vec<u8>) {
    let data = bytes(len, seed);
    let path = dir.join(name);
    std::fs::write(&path, &data).unwrap();
    (path, data)
}

fn deal(n: u8) -> Hash {
    Hash::of(&[b'd', n])
}

fn challenge(m: &Manifest, deal: &Hash, epoch: u64) -> StorageChallenge {
    StorageChallenge::derive(
        &Hash::of(b"block hash"),
        deal,
        epoch,
        m,
        DEFAULT_CHALLENGE_ITEMS,
    )
}

fn refused(e: ClientError) -> (u16, String) {
    match e {
        ClientError::Refused { status, code, .. } => (status, code),
        other => panic!("expected a refusal, got {other}"),
    }
}

/// The status and error code of a request (code empty on success).
fn raw_status(r: Result<ureq::Response, ureq::Error>) -> (u16, String) {
    match r {
        Ok(resp) => (resp.status(), String::new()),
        Err(e) => refused(e.into()),
    }
}

/// A raw upload of `body` as chunks from `from` on: the agent's status and code.
fn raw_put(url: &str, deal: &Hash, from: u64, body: &[u8]) -> (u16, String) {
    raw_status(
        ureq::put(&format!("{url}/v1/deals/{}/chunks/{from}", deal.to_hex())).send_bytes(body),
    )
}

#[test]
fn put_get_prove_and_restart_keep_the_data() {
    let tmp = tempfile::tempdir().unwrap();
    let data_dir = tmp.path().join("agent");
    let (file, data) = write_file(tmp.path(), "in.bin", 300_000 + 123, 1);
    let d = deal(1);
    let manifest = {
        let running = start(&data_dir, Behaviour::Honest);
        let client = StorageClient::new(&running.url());
        let m = client.put(&d, &file, CHUNK).unwrap();
        assert_eq!(m.root, Hash(*blake3::keyed_hash(&KEY, &data).as_bytes()));
        assert_eq!((m.size, m.chunk_size), (data.len() as u64, CHUNK));
        let status = client.status(&d).unwrap();
        assert!(status.complete);
        assert_eq!(status.stored, m.chunk_count());
        // Putting the same file again is harmless.
        assert_eq!(client.put(&d, &file, CHUNK).unwrap(), m);
        m
    };
    // A fresh process on the same directory serves the same data.
    let running = start(&data_dir, Behaviour::Honest);
    let client = StorageClient::new(&running.url());
    let out = tmp.path().join("out.bin");
    let got = client.get(&d, &manifest.root, manifest.size, &out).unwrap();
    assert_eq!(got, manifest);
    assert_eq!(std::fs::read(&out).unwrap(), data);
    for i in [0, 1, manifest.chunk_count() - 1] {
        let chunk = client.get_chunk(&d, &manifest, i).unwrap();
        let start = manifest.chunk_offset(i) as usize;
        assert_eq!(chunk, data[start..start + manifest.chunk_len(i)]);
    }
    for epoch in 0..10 {
        let ch = challenge(&manifest, &d, epoch);
        let proof = client.prove(&ch).unwrap();
        verify_proof(&manifest, &ch, &proof).unwrap();
    }
    // The free functions do the same with the default chunk size.
    let d2 = deal(2);
    let m2 = plinth_storage::client::put(&running.url(), &d2, &file).unwrap();
    assert_eq!(m2.root, manifest.root);
    assert_eq!(m2.chunk_size, plinth_storage::CHUNK_SIZE);
    let out2 = tmp.path().join("out2.bin");
    plinth_storage::client::get(&running.url(), &d2, &m2.root, m2.size, &out2).unwrap();
    assert_eq!(std::fs::read(&out2).unwrap(), data);
    // Asking for the wrong root or size is refused before any data moves.
    let wrong = client.get(&d, &Hash::of(b"x"), manifest.size, &tmp.path().join("no"));
    assert!(matches!(wrong, Err(ClientError::WrongDeal { .. })));
    assert!(!tmp.path().join("no").exists());
}

#[test]
fn uploads_that_do_not_match_the_deal_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let running = start(&tmp.path().join("agent"), Behaviour::Honest);
    let url = running.url();
    let client = StorageClient::new(&url);
    let data = bytes(5 * CHUNK as usize + 100, 2);
    let c = Commitment::of_bytes(&data, CHUNK).unwrap();
    let d = deal(3);
    let chunk = |i: usize| &data[i * CHUNK as usize..((i + 1) * CHUNK as usize).min(data.len())];

    // Nothing can be uploaded before the deal is open.
    assert_eq!(raw_put(&url, &d, 0, chunk(0)), (404, "unknown_deal".into()));

    // A hash list that does not lead to the root, a bad manifest, an empty file.
    let mut bad_hashes = c.chunks.leaves().to_vec();
    bad_hashes.swap(0, 1);
    let open = |manifest: Manifest, chunk_hashes: Vec<Hash>| {
        let body = plinth_core::encode(&OpenDeal {
            manifest,
            chunk_hashes,
        });
        raw_status(ureq::put(&format!("{url}/v1/deals/{}", d.to_hex())).send_bytes(&body))
    };
    assert_eq!(open(c.manifest, bad_hashes), (400, "bad_hashes".into()));
    let empty = Manifest {
        size: 0,
        ..c.manifest
    };
    assert_eq!(open(empty, vec![]), (400, "bad_manifest".into()));
    let odd = Manifest {
        chunk_size: 3000,
        ..c.manifest
    };
    assert_eq!(open(odd, vec![]), (400, "bad_manifest".into()));
    let garbage =
        raw_status(ureq::put(&format!("{url}/v1/deals/{}", d.to_hex())).send_bytes(b"nonsense"));
    assert_eq!(garbage, (400, "bad_body".into()));

    let status = client.open_deal(&d, &c).unwrap();
    assert_eq!(
        (status.stored, status.chunks, status.complete),
        (0, 6, false)
    );
    // Opening again with the same commitment is fine; with another, a conflict.
    client.open_deal(&d, &c).unwrap();
    let other = Commitment::of_bytes(&bytes(100, 9), CHUNK).unwrap();
    assert_eq!(
        refused(client.open_deal(&d, &other).unwrap_err()),
        (409, "deal_exists".into())
    );

    // A flipped bit, or the right bytes at the wrong index.
    let mut bad = chunk(1).to_vec();
    bad[10] ^= 1;
    assert_eq!(raw_put(&url, &d, 1, &bad), (422, "bad_chunk".into()));
    assert_eq!(raw_put(&url, &d, 2, chunk(1)), (422, "bad_chunk".into()));
    assert_eq!(client.status(&d).unwrap().stored, 0);

    // Chunks 0 and 1 good, then a bad chunk 2: the good ones are kept.
    let mut run = [chunk(0), chunk(1), &bad].concat();
    assert_eq!(raw_put(&url, &d, 0, &run), (422, "bad_chunk".into()));
    assert_eq!(client.status(&d).unwrap().stored, 2);

    // A body that stops inside a chunk, or runs past the end of the file.
    run = [chunk(2), &chunk(3)[..100]].concat();
    assert_eq!(raw_put(&url, &d, 2, &run), (400, "bad_body".into()));
    assert_eq!(client.status(&d).unwrap().stored, 3);
    let too_long = [chunk(5), &[0u8; 1][..]].concat();
    assert_eq!(raw_put(&url, &d, 5, &too_long), (413, "too_large".into()));
    assert_eq!(raw_put(&url, &d, 6, chunk(0)), (400, "bad_index".into()));

    // The data is not served until it is all there; then it is.
    let out = tmp.path().join("out");
    let early = client
        .get(&d, &c.manifest.root, c.manifest.size, &out)
        .unwrap_err();
    assert_eq!(refused(early), (409, "incomplete".into()));
    assert!(!out.exists());
    let last = raw_put(&url, &d, 3, &[chunk(3), chunk(4), chunk(5)].concat());
    assert_eq!(last.0, 200);
    client
        .get(&d, &c.manifest.root, c.manifest.size, &out)
        .unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), data);
}

#[test]
fn capacity_and_restart_of_a_partial_upload() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("agent");
    let data = bytes(10 * CHUNK as usize, 3);
    let c = Commitment::of_bytes(&data, CHUNK).unwrap();
    {
        let mut config = AgentConfig::new(&dir);
        config.capacity = 15 * CHUNK as u64;
        let running = agent::spawn(Agent::open(config).unwrap(), "127.0.0.1:0", 1).unwrap();
        let client = StorageClient::new(&running.url());
        client.open_deal(&deal(1), &c).unwrap();
        assert_eq!(
            refused(client.open_deal(&deal(2), &c).unwrap_err()),
            (507, "full".into())
        );
        let half = &data[..4 * CHUNK as usize];
        assert_eq!(raw_put(&running.url(), &deal(1), 0, half).0, 200);
    }
    // After a restart the four acknowledged chunks are still there; the rest follow.
    let running = start(&dir, Behaviour::Honest);
    let client = StorageClient::new(&running.url());
    let status = client.status(&deal(1)).unwrap();
    assert_eq!((status.stored, status.complete), (4, false));
    let rest = &data[4 * CHUNK as usize..];
    assert_eq!(raw_put(&running.url(), &deal(1), 4, rest).0, 200);
    assert!(client.status(&deal(1)).unwrap().complete);
}

/// The ledger as the agent sees it, in memory.
#[derive(Default)]
struct Ledger {
    deals: Mutex<HashMap<Hash, Manifest>>,
    down: Mutex<bool>,
}

impl DealSource for Ledger {
    fn deal(&self, id: &Hash) -> Result<Option<DealInfo>, DealSourceError> {
        if *self.down.lock().unwrap() {
            return Err(DealSourceError("connection refused".into()));
        }
        Ok(self
            .deals
            .lock()
            .unwrap()
            .get(id)
            .map(|m| DealInfo { manifest: *m }))
    }
}

#[test]
fn with_a_deal_source_only_the_ledgers_deals_are_taken() {
    let tmp = tempfile::tempdir().unwrap();
    let ledger = Arc::new(Ledger::default());
    let mut config = AgentConfig::new(tmp.path().join("agent"));
    config.deals = Some(ledger.clone());
    let running = agent::spawn(Agent::open(config).unwrap(), "127.0.0.1:0", 1).unwrap();
    let client = StorageClient::new(&running.url());
    let (file, _) = write_file(tmp.path(), "f", 20_000, 4);
    let c = commit_file(&file, CHUNK).unwrap();

    let e = client.put(&deal(1), &file, CHUNK).unwrap_err();
    assert_eq!(refused(e), (404, "unknown_deal".into()));
    ledger.deals.lock().unwrap().insert(
        deal(1),
        Manifest {
            size: c.manifest.size + 1,
            ..c.manifest
        },
    );
    let e = client.put(&deal(1), &file, CHUNK).unwrap_err();
    assert_eq!(refused(e), (409, "manifest_mismatch".into()));
    *ledger.down.lock().unwrap() = true;
    assert_eq!(
        refused(client.put(&deal(1), &file, CHUNK).unwrap_err()),
        (503, "deal_source".into())
    );
    *ledger.down.lock().unwrap() = false;
    ledger.deals.lock().unwrap().insert(deal(1), c.manifest);
    assert_eq!(client.put(&deal(1), &file, CHUNK).unwrap(), c.manifest);
}

/// A provider acknowledging everything but keeping only about a quarter of its
/// chunks fails exactly the epochs whose challenge lands in a dropped chunk, and a
/// consumer's download stops at the first dropped chunk.
#[test]
fn a_provider_that_drops_chunks_is_caught() {
    let tmp = tempfile::tempdir().unwrap();
    let running = start(
        &tmp.path().join("agent"),
        Behaviour::DropChunks {
            per_million: 250_000,
        },
    );
    let client = StorageClient::new(&running.url());
    let (file, _) = write_file(tmp.path(), "f", 64 * CHUNK as usize, 5);
    let d = deal(1);
    let m = client.put(&d, &file, CHUNK).unwrap();
    // It claims to hold everything.
    assert!(client.status(&d).unwrap().complete);
    let dropped: Vec<u64> = (0..m.chunk_count())
        .filter(|&i| agent::drops(&d, i, 250_000))
        .collect();
    assert!(!dropped.is_empty() && dropped.len() < 32, "{dropped:?}");
    let mut failed = 0;
    for epoch in 0..100 {
        let ch = challenge(&m, &d, epoch);
        let proof = client.prove(&ch).unwrap();
        let hit = ch
            .indices
            .iter()
            .find(|&&s| dropped.contains(&(s / m.segments_per_chunk())));
        match (verify_proof(&m, &ch, &proof), hit) {
            (Ok(()), None) => {}
            (Err(ProofError::MissingItem { index }), Some(&first)) => {
                assert_eq!(index, first);
                failed += 1;
            }
            (r, h) => panic!("epoch {epoch}: {r:?} with dropped segment {h:?}"),
        }
    }
    assert!(failed > 0);
    let out = tmp.path().join("out");
    let e = client.get(&d, &m.root, m.size, &out).unwrap_err();
    assert_eq!(e.bad_chunk(), Some(dropped[0]), "{e}");
    assert!(!out.exists() && !tmp.path().join("out.part").exists());
    // So does fetching a dropped chunk alone.
    let e = client.get_chunk(&d, &m, dropped[0]).unwrap_err();
    assert_eq!(e.bad_chunk(), Some(dropped[0]), "{e}");
}

/// A provider that kept the leaf of every segment, and so every path, but no data:
/// every answer has the right leaves and paths and the wrong bytes.
#[test]
fn a_provider_that_keeps_only_hashes_is_caught() {
    let tmp = tempfile::tempdir().unwrap();
    let running = start(&tmp.path().join("agent"), Behaviour::HashesOnly);
    let client = StorageClient::new(&running.url());
    let (file, data) = write_file(tmp.path(), "f", 20 * CHUNK as usize + 7, 6);
    let d = deal(1);
    let m = client.put(&d, &file, CHUNK).unwrap();
    let c = Commitment::of_bytes(&data, CHUNK).unwrap();
    for epoch in 0..20 {
        let ch = challenge(&m, &d, epoch);
        let proof = client.prove(&ch).unwrap();
        assert_eq!(proof.items.len(), ch.indices.len());
        let honest = plinth_storage::prove_from_memory(&c, &data, &ch);
        for (cheat, real) in proof.items.iter().zip(&honest.items) {
            assert_eq!((cheat.leaf, &cheat.path), (real.leaf, &real.path));
        }
        assert_eq!(
            verify_proof(&m, &ch, &proof),
            Err(ProofError::WrongLeaf {
                index: ch.indices[0]
            })
        );
    }
    let e = client
        .get(&d, &m.root, m.size, &tmp.path().join("out"))
        .unwrap_err();
    assert_eq!(e.bad_chunk(), Some(0));
}

#[test]
fn an_offline_provider_answers_nothing_until_it_is_back() {
    let tmp = tempfile::tempdir().unwrap();
    let running = start(&tmp.path().join("agent"), Behaviour::Honest);
    let client = StorageClient::new(&running.url());
    let (file, _) = write_file(tmp.path(), "f", 50_000, 7);
    let d = deal(1);
    let m = client.put(&d, &file, CHUNK).unwrap();
    let ch = challenge(&m, &d, 1);
    running.agent.set_behaviour(Behaviour::Offline);
    assert_eq!(
        refused(client.prove(&ch).unwrap_err()),
        (503, "offline".into())
    );
    assert_eq!(
        refused(client.status(&d).unwrap_err()),
        (503, "offline".into())
    );
    running.agent.set_behaviour(Behaviour::Honest);
    verify_proof(&m, &ch, &client.prove(&ch).unwrap()).unwrap();
}

/// Bytes damaged on the provider's disk: its own check keeps it from answering with
/// them, and a download names the damaged chunk.
#[test]
fn damaged_data_on_disk_is_named_not_served_as_good() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("agent");
    let running = start(&dir, Behaviour::Honest);
    let client = StorageClient::new(&running.url());
    let (file, _) = write_file(tmp.path(), "f", 8 * CHUNK as usize, 8);
    let d = deal(1);
    let m = client.put(&d, &file, CHUNK).unwrap();
    let data_file = dir.join("deals").join(d.to_hex()).join("data");
    let mut on_disk = std::fs::read(&data_file).unwrap();
    on_disk[3 * CHUNK as usize + 5] ^= 0xff;
    std::fs::write(&data_file, &on_disk).unwrap();
    let e = client
        .get(&d, &m.root, m.size, &tmp.path().join("out"))
        .unwrap_err();
    assert_eq!(e.bad_chunk(), Some(3));
    // A challenge on every segment: all but chunk 3's are answered.
    let all = StorageChallenge {
        deal: d,
        epoch: 0,
        indices: (0..m.segment_count()).step_by(2).collect(),
    };
    let proof = client.prove(&all).unwrap();
    let missing: Vec<u64> = all
        .indices
        .iter()
        .copied()
        .filter(|i| !proof.items.iter().any(|it| it.index == *i))
        .collect();
    assert_eq!(missing, vec![12, 14]);
    assert_eq!(
        verify_proof(&m, &all, &proof),
        Err(ProofError::MissingItem { index: 12 })
    );
}

#[test]
fn bad_challenges_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let running = start(&tmp.path().join("agent"), Behaviour::Honest);
    let url = running.url();
    let client = StorageClient::new(&url);
    let (file, _) = write_file(tmp.path(), "f", 10_000, 9);
    let d = deal(1);
    client.put(&d, &file, CHUNK).unwrap();
    let prove_url = format!("{url}/v1/deals/{}/prove", d.to_hex());
    let other = StorageChallenge {
        deal: deal(2),
        epoch: 0,
        indices: vec![0],
    };
    let r = ureq::post(&prove_url).send_bytes(&other.encode());
    assert_eq!(raw_status(r), (400, "bad_challenge".into()));
    let r = ureq::post(&prove_url).send_bytes(b"junk");
    assert_eq!(raw_status(r), (400, "bad_challenge".into()));
    let r = ureq::post(&prove_url).send_bytes(&vec![0u8; 100_000]);
    assert_eq!(raw_status(r), (413, "too_large".into()));
    // Indices beyond the file get no items (and so fail verification).
    let beyond = StorageChallenge {
        deal: d,
        epoch: 0,
        indices: vec![0, 1_000_000],
    };
    assert_eq!(client.prove(&beyond).unwrap().items.len(), 1);
    // A deal the agent does not hold.
    assert_eq!(
        refused(client.prove(&other).unwrap_err()),
        (404, "unknown_deal".into())
    );
}

/// An agent that answers a challenge a byte at a time cannot stretch the oracle's
/// deadline: a client made `with_deadline` gives up when it passes, however the
/// bytes trickle in (each read alone would be within a per-read timeout).
#[test]
fn a_trickling_agent_cannot_stretch_the_deadline() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { return };
            std::thread::spawn(move || {
                use std::io::{Read, Write};
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                let _ = s.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ncontent-length: 1000\r\n\r\n",
                );
                // 1,000 bytes at one per 50 ms: 50 s in all.
                for _ in 0..1000 {
                    if s.write_all(&[0]).is_err() {
                        return;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
            });
        }
    });
    let m = Commitment::of_bytes(&bytes(10_000, 1), CHUNK)
        .unwrap()
        .manifest;
    let c = challenge(&m, &deal(1), 1);
    let started = std::time::Instant::now();
    let err = StorageClient::with_deadline(&url, std::time::Duration::from_millis(500))
        .prove(&c)
        .unwrap_err();
    // Far less than the 50 s the answer would take.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "gave up after {:?}: {err}",
        started.elapsed()
    );
    assert!(!err.is_refused(), "{err}");
    // The per-read timeout alone does not stop it: each byte comes in time.
    let started = std::time::Instant::now();
    let slow = StorageClient::with_timeout(&url, std::time::Duration::from_millis(500));
    let waited = std::thread::spawn(move || slow.prove(&c));
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(
        !waited.is_finished(),
        "the per-read timeout should not fire"
    );
    assert!(started.elapsed() >= std::time::Duration::from_secs(2));
}

/// `POST /v1/prove` answers many deals' challenges in one request, in order: a
/// proof for each deal the agent holds (exactly what the single endpoint gives),
/// nothing for one it does not; batches over the limit are refused.
#[test]
fn batched_challenges_are_answered_in_order() {
    let tmp = tempfile::tempdir().unwrap();
    let running = start(&tmp.path().join("agent"), Behaviour::Honest);
    let client = StorageClient::new(&running.url());
    let mut challenges = Vec::new();
    let mut manifests = Vec::new();
    for n in 0..3u8 {
        let (file, _) = write_file(
            tmp.path(),
            &format!("f{n}"),
            9 * CHUNK as usize + n as usize,
            10 + n as u64,
        );
        let m = client.put(&deal(n), &file, CHUNK).unwrap();
        challenges.push(challenge(&m, &deal(n), 5));
        manifests.push(m);
    }
    // A deal the agent does not hold, in the middle.
    challenges.insert(1, challenge(&manifests[0], &deal(99), 5));
    let answers = client.prove_batch(&challenges).unwrap();
    assert_eq!(answers.len(), 4);
    assert!(answers[1].is_none());
    for (i, n) in [(0, 0), (2, 1), (3, 2)] {
        let proof = answers[i].as_ref().expect("a proof");
        assert_eq!(proof, &client.prove(&challenges[i]).unwrap());
        verify_proof(&manifests[n], &challenges[i], proof).unwrap();
    }
    assert!(client.prove_batch(&[]).unwrap().is_empty());
    // Over the limit: the client refuses to send it, the agent to take it.
    let many = vec![challenges[0].clone(); agent::MAX_BATCH_CHALLENGES + 1];
    assert!(client.prove_batch(&many).is_err());
    let (status, code) = raw_status(
        ureq::post(&format!("{}/v1/prove", running.url())).send_bytes(&plinth_core::encode(&many)),
    );
    assert_eq!((status, code.as_str()), (400, "too_many_challenges"));
    let (status, code) =
        raw_status(ureq::post(&format!("{}/v1/prove", running.url())).send_bytes(&[1, 2, 3]));
    assert_eq!((status, code.as_str()), (400, "bad_challenge"));
}

#[test]
fn receipts_name_the_agents_chain_and_are_refused_for_another() {
    let tmp = tempfile::tempdir().unwrap();
    let (file, _) = write_file(tmp.path(), "in.bin", 10_000, 7);
    let device = plinth_core::Keypair::from_seed([9; 32]);
    let provider = plinth_core::DeviceId(device.public());
    let here = plinth_core::chain_identity(&Hash::of(b"genesis here"));
    let there = plinth_core::chain_identity(&Hash::of(b"genesis there"));
    let mut config = AgentConfig::new(tmp.path().join("agent"));
    config.receipt_key = Some(agent::ReceiptKey {
        key: device.clone(),
        chain: here,
    });
    let running = agent::spawn(Agent::open(config).unwrap(), "127.0.0.1:0", 1).unwrap();
    let client = StorageClient::new(&running.url());
    let d = deal(3);
    let m = client.put(&d, &file, CHUNK).unwrap();
    let sig = client.receipt(&here, &d, &m, &provider).unwrap();
    assert!(provider
        .key()
        .verify(&plinth_storage::receipt_message(&here, &d, &m), &sig)
        .is_ok());
    // The same deal id and manifest on another chain: this receipt is not for it.
    assert!(provider
        .key()
        .verify(&plinth_storage::receipt_message(&there, &d, &m), &sig)
        .is_err());
    assert!(matches!(
        client.receipt(&there, &d, &m, &provider),
        Err(ClientError::Malformed(_))
    ));
}
