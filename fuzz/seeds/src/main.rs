//! Writes the seed corpus of every fuzz target into `fuzz/corpus/<target>/`:
//! valid encodings made with the crates' own constructors, so the fuzzers start
//! from inputs that reach past the first length check.
//!
//! ```sh
//! cargo run --manifest-path fuzz/Cargo.toml -p plinth-fuzz-seeds                   # light targets
//! cargo run --manifest-path fuzz/Cargo.toml -p plinth-fuzz-seeds --features heavy  # and the heavy ones
//! ```
//! Rerun after a wire-format change; a seed that no longer decodes still works
//! as a fuzz input, it just starts the fuzzer further from valid.

use plinth_core::merkle::Proof;
use plinth_core::{Address, DeviceId, Hash, Keypair};
use plinth_ledger::credits::PricePoint;
use plinth_ledger::rewards::{manifest_proof, manifest_root};
use plinth_ledger::{Block, BlockHeader, Call, ManifestEntry, ManifestHeader, OracleSignature};
use plinth_ledger::{SignedTx, StakeTarget, Transaction};
use plinth_proofs::energy::{Reading, SignedReading};
use plinth_proofs::{Report, ReportBody, SignedReport};
use plinth_storage::{prove_from_memory, Commitment, Manifest, StorageChallenge};
use std::path::{Path, PathBuf};

/// The chain identity the seeds sign for (any fixed hash decodes the same).
fn chain() -> Hash {
    plinth_core::chain_identity(&Hash::tagged("fuzz", b"genesis"))
}

const CHAIN: &str = "fuzz";

fn key(n: u8) -> Keypair {
    Keypair::from_seed([n; 32])
}

fn addr(n: u8) -> Address {
    Address(key(n).public())
}

fn device(n: u8) -> DeviceId {
    DeviceId(key(n).public())
}

/// Writes `bytes` as `corpus/<target>/<name>`.
fn write(root: &Path, target: &str, name: &str, bytes: &[u8]) {
    let dir = root.join(target);
    std::fs::create_dir_all(&dir).expect("corpus directory");
    std::fs::write(dir.join(name), bytes).expect("seed file");
}

/// The same with a leading selector byte, for targets that read several types.
fn write_sel(root: &Path, target: &str, name: &str, selector: u8, bytes: &[u8]) {
    let mut v = vec![selector];
    v.extend_from_slice(bytes);
    write(root, target, name, &v);
}

/// Meter `n`'s signed reading of `interval`, having exported `export_wh`.
fn meter_reading(n: u8, interval: u64, export_wh: u64) -> SignedReading {
    Reading {
        meter: device(n),
        interval,
        import_wh: 500 + interval,
        export_wh,
    }
    .sign(&chain(), &key(n))
}

fn tx(n: u8, nonce: u64, call: Call) -> SignedTx {
    Transaction {
        chain_id: CHAIN.into(),
        signer: addr(n),
        nonce,
        fee: 10,
        call,
    }
    .sign(&key(n))
}

fn entries() -> Vec<ManifestEntry> {
    (0..5u8)
        .map(|i| ManifestEntry {
            device: device(40 + i),
            owner: addr(50 + i),
            amount: 1_000 + u64::from(i),
        })
        .collect()
}

fn manifest_header(entries: &[ManifestEntry]) -> ManifestHeader {
    ManifestHeader {
        chain: chain(),
        network: "sensors".into(),
        epoch: 3,
        root: manifest_root(entries),
        total: entries.iter().map(|e| e.amount).sum(),
        devices: entries.len() as u64,
        inputs: Hash::tagged("fuzz", b"inputs"),
        registry_height: 0,
        awards: plinth_core::Hash::ZERO,
        award_count: 0,
    }
}

/// The file `storage_proof` checks proofs against (the target builds the same).
fn storage_file() -> (Vec<u8>, Commitment) {
    let data: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 251) as u8).collect();
    let c = Commitment::of_bytes(&data, 2048).expect("a valid layout");
    (data, c)
}

fn storage_manifest() -> Manifest {
    storage_file().1.manifest
}

fn txs() -> Vec<(&'static str, SignedTx)> {
    let entries = entries();
    let header = manifest_header(&entries);
    let price = PricePoint {
        chain: chain(),
        micro_usd_per_token: 1_250_000,
        timestamp_ms: 1_700_000_000_000,
    };
    vec![
        (
            "transfer",
            tx(
                1,
                0,
                Call::Transfer {
                    to: addr(2),
                    amount: 500,
                },
            ),
        ),
        (
            "register_device",
            tx(
                1,
                1,
                Call::RegisterDevice {
                    device: device(9),
                    network: "sensors".into(),
                    location: 0x0892_8308_2803_ffff,
                    device_signature: key(9).sign(b"registration"),
                },
            ),
        ),
        (
            "bond",
            tx(
                1,
                2,
                Call::Bond {
                    target: StakeTarget::Validator(addr(3)),
                    amount: 77,
                },
            ),
        ),
        ("withdraw", tx(1, 3, Call::Withdraw)),
        (
            "submit_manifest",
            tx(
                4,
                0,
                Call::SubmitManifest {
                    signatures: vec![header.sign(&key(5)), header.sign(&key(6))],
                    header: header.clone(),
                },
            ),
        ),
        (
            "claim",
            tx(
                4,
                1,
                Call::Claim {
                    network: "sensors".into(),
                    epoch: 3,
                    index: 2,
                    entry: entries[2],
                    proof: manifest_proof(&entries, 2).expect("entry 2"),
                },
            ),
        ),
        (
            "post_price",
            tx(
                4,
                2,
                Call::PostPrice {
                    signatures: vec![OracleSignature::over(&key(5), &price.signing_bytes())],
                    price,
                },
            ),
        ),
        (
            "open_deal",
            tx(
                7,
                0,
                Call::OpenDeal {
                    provider: device(8),
                    manifest: storage_manifest(),
                    epochs: 10,
                    price_per_epoch: 3,
                    min_collateral: 100,
                },
            ),
        ),
        (
            "post_energy_order",
            tx(
                7,
                2,
                Call::PostEnergyOrder {
                    meter: device(8),
                    side: plinth_ledger::energy::Side::Offer,
                    wh: 120,
                    price: 9_000,
                    from_interval: 40,
                    to_interval: 70,
                },
            ),
        ),
        (
            "post_readings",
            tx(
                7,
                3,
                Call::PostReadings {
                    readings: (0..3u64)
                        .map(|i| meter_reading(8, 40 + i, 100 * i))
                        .collect(),
                },
            ),
        ),
        (
            "activate_deal",
            tx(
                7,
                1,
                Call::ActivateDeal {
                    deal: Hash::tagged("fuzz", b"deal"),
                    receipt: key(8).sign(b"receipt"),
                },
            ),
        ),
    ]
}

fn block(txs: Vec<SignedTx>) -> Block {
    let header = BlockHeader {
        chain_id: CHAIN.into(),
        height: 12,
        parent: Hash::tagged("fuzz", b"parent"),
        timestamp_ms: 1_700_000_000_000,
        proposer: addr(3),
        tx_root: plinth_ledger::block::tx_root(&txs),
        state_root: Hash::tagged("fuzz", b"state"),
    };
    Block::seal(header, txs, &key(3))
}

fn reports() -> Vec<(&'static str, SignedReport)> {
    let bodies = [
        ("heartbeat", ReportBody::Heartbeat),
        (
            "probe_answer",
            ReportBody::ProbeAnswer {
                challenge: Hash::tagged("fuzz", b"challenge"),
            },
        ),
        (
            "reading",
            ReportBody::Reading {
                value_milli: -12_500,
                unit: "celsius".into(),
            },
        ),
        (
            "beacon",
            ReportBody::Beacon {
                round: 4,
                draw: Hash::tagged("fuzz", b"draw"),
                tx_power_centi_dbm: 2700,
            },
        ),
        (
            "witness",
            ReportBody::Witness {
                beacon: Hash::tagged("fuzz", b"beacon"),
                rssi_centi_dbm: -9000,
                snr_centi_db: 550,
                frequency_hz: 868_100_000,
                received_ms: 1_700_000_000_500,
            },
        ),
    ];
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, (name, body))| {
            let r = Report {
                chain: chain(),
                device: device(9),
                network: "sensors".into(),
                epoch: 3,
                timestamp_ms: 1_700_000_000_000,
                seq: i as u64,
                body,
            }
            .sign(&key(9));
            (name, r)
        })
        .collect()
}

fn genesis_toml() -> String {
    format!(
        "chain_id = \"{CHAIN}\"\ngenesis_time_ms = 1700000000000\nblock_time_ms = 500\n\
         [token]\nname = \"Plinth\"\nsymbol = \"PLN\"\ndecimals = 6\n\
         [fees]\nmin_fee = 10\n[staking]\nunbonding_blocks = 3\n\
         [emission]\nepoch_ms = 60000\ninitial_per_epoch = 1000000\n\
         [oracles]\nthreshold = 1\nmembers = [\"{}\"]\n\
         [[validators]]\nname = \"v\"\naddress = \"{}\"\n\
         [[networks]]\nname = \"sensors\"\nfamily = \"sensor\"\nshare_bps = 3000\n\
         [networks.params]\nunit = \"celsius\"\nmin = -40\nmax = 60\n\
         [[networks]]\nname = \"uptime\"\nfamily = \"uptime\"\nshare_bps = 3000\n\
         [[networks]]\nname = \"files\"\nfamily = \"storage\"\nshare_bps = 1000\nusage_bps = 5000\n\
         [[accounts]]\naddress = \"{}\"\nbalance = 1000000\n",
        addr(5),
        addr(3),
        addr(1),
    )
}

fn light(root: &Path) {
    let txs = txs();
    for (name, t) in &txs {
        write(root, "signed_tx", name, &t.encode());
    }
    let all: Vec<SignedTx> = txs.iter().map(|(_, t)| t.clone()).collect();
    write(
        root,
        "ledger_block",
        "empty",
        &plinth_core::encode(&block(vec![])),
    );
    write(
        root,
        "ledger_block",
        "txs",
        &plinth_core::encode(&block(all)),
    );

    for (name, r) in reports() {
        write(root, "report", name, &r.encode());
    }

    // energy_reading: the meter's capacity and last reading, then a reading.
    let context = |capacity: u64, last: (u64, u64, u64)| -> Vec<u8> {
        [capacity, last.0, last.1, last.2]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect()
    };
    // Interval 400,000 of a chain started at 1,700,000,000,000 ms: daytime.
    for (name, capacity, last, r) in [
        (
            "accepted",
            5_000,
            (399_999, 500, 1_000),
            meter_reading(8, 400_000, 1_200),
        ),
        ("consumer", 0, (9, 500, 0), meter_reading(8, 10, 0)),
        ("went_back", 5_000, (9, 500, 900), meter_reading(8, 10, 100)),
        ("after_gap", 5_000, (3, 400, 0), meter_reading(8, 10, 50)),
    ] {
        let mut v = context(capacity, last);
        v.extend(plinth_core::encode(&r));
        write(root, "energy_reading", name, &v);
    }

    let entries = entries();
    let header = manifest_header(&entries);
    let input = (
        header.clone(),
        vec![header.sign(&key(5)), header.sign(&key(6))],
        entries[2],
        manifest_proof(&entries, 2).expect("entry 2"),
    );
    write(
        root,
        "reward_manifest",
        "claim",
        &plinth_core::encode(&input),
    );
    let single = [entries[0]];
    let lone = (
        manifest_header(&single),
        Vec::<OracleSignature>::new(),
        entries[0],
        Proof {
            index: 0,
            leaf_count: 1,
            siblings: vec![],
        },
    );
    write(
        root,
        "reward_manifest",
        "single",
        &plinth_core::encode(&lone),
    );

    let (data, commitment) = storage_file();
    let segments = commitment.manifest.segment_count();
    for (name, indices) in [
        ("one", vec![0]),
        ("last", vec![segments - 1]),
        ("all", (0..segments).collect::<Vec<_>>()),
    ] {
        let challenge = StorageChallenge {
            deal: Hash::tagged("fuzz", b"deal"),
            epoch: 5,
            indices,
        };
        let proof = prove_from_memory(&commitment, &data, &challenge);
        assert_eq!(proof.items.len(), challenge.indices.len());
        write(root, "storage_proof", name, &proof.encode());
        write_sel(root, "storage_challenge", name, 0, &challenge.encode());
    }
    write_sel(
        root,
        "storage_challenge",
        "manifest",
        1,
        &plinth_core::encode(&commitment.manifest),
    );

    let text = genesis_toml();
    let g = plinth_ledger::Genesis::from_toml(&text).expect("the seed genesis is valid");
    write_sel(root, "genesis", "toml", 0, text.as_bytes());
    write_sel(
        root,
        "genesis",
        "json",
        1,
        &serde_json::to_vec(&g).expect("genesis JSON"),
    );

    for (i, (name, params)) in [
        (
            "uptime",
            r#"{"heartbeat_interval_s": 5, "probe_weight_bps": 2500}"#,
        ),
        ("sensor", r#"{"unit": "celsius", "min": -40.5, "max": 60}"#),
        ("coverage", "{}"),
        ("storage", "{}"),
    ]
    .into_iter()
    .enumerate()
    {
        write_sel(root, "family_params", name, i as u8, params.as_bytes());
    }

    for (name, text) in wasm_modules() {
        let bytes = wat::parse_str(&text).expect("seed WAT assembles");
        write(root, "wasm_module", name, &bytes);
    }

    for (name, bytes) in family_outputs() {
        write(root, "family_output", name, &bytes);
    }
}

#[allow(dead_code)] // the seeds need the keys and reports only
#[path = "../../fixtures/family_output.rs"]
mod family_fixture;

/// ABI v1 outputs (borsh, by hand) for the `family_output` target's epoch:
/// empty, a score and a rejection, a state, and awards (version 2).
fn family_outputs() -> Vec<(&'static str, Vec<u8>)> {
    let output =
        |scores: &[([u8; 32], u64)], rejections: &[([u8; 32], &str, &str)], state: &[u8]| {
            let mut b = 1u32.to_le_bytes().to_vec();
            b.extend((scores.len() as u32).to_le_bytes());
            for (d, s) in scores {
                b.extend(d);
                b.extend(s.to_le_bytes());
            }
            b.extend((rejections.len() as u32).to_le_bytes());
            for (r, code, reason) in rejections {
                b.extend(r);
                for s in [code, reason] {
                    b.extend((s.len() as u32).to_le_bytes());
                    b.extend(s.as_bytes());
                }
            }
            b.extend((state.len() as u32).to_le_bytes());
            b.extend(state);
            b
        };
    let dev = |n: u8| family_fixture::key(n).public().0;
    let reports = family_fixture::reports();
    vec![
        ("empty", output(&[], &[], &[])),
        (
            "scored",
            output(
                &[(dev(1), 1_000), (dev(2), 7)],
                &[(reports[1].hash().0, "replayed", "the same trip twice")],
                &[],
            ),
        ),
        ("state", output(&[(dev(2), 1)], &[], b"next epoch's state")),
        ("awards", {
            // Output version 2: version 1's fields, then the awards.
            let (a, b) = if dev(1) < dev(2) {
                (dev(1), dev(2))
            } else {
                (dev(2), dev(1))
            };
            let mut o = output(&[(dev(1), 5), (dev(2), 6)], &[], &[]);
            o[..4].copy_from_slice(&2u32.to_le_bytes());
            o.extend(2u32.to_le_bytes());
            o.extend(0x08a1_f1d4_89a4_ffffu64.to_le_bytes());
            o.extend(1u32.to_le_bytes());
            o.extend(a);
            o.extend(0x08a1_f1d4_89a6_ffffu64.to_le_bytes());
            o.extend(2u32.to_le_bytes());
            o.extend(a);
            o.extend(b);
            o
        }),
    ]
}

/// Task modules (the ABI of `plinth_wasm`): ones that load and run to each
/// outcome, so the fuzzer starts from inputs past validation.
fn wasm_modules() -> Vec<(&'static str, String)> {
    let alloc = r#"
      (global $top (mut i32) (i32.const 1024))
      (func (export "plinth_alloc") (param $len i32) (result i32)
        (local $p i32)
        (local.set $p (global.get $top))
        (global.set $top (i32.add (global.get $top) (local.get $len)))
        (local.get $p))"#;
    let task = |body: &str| {
        format!(
            r#"(module (memory (export "memory") 1 16) {alloc}
                 (func (export "plinth_task") (param $ptr i32) (param $len i32) (param $task i32)
                   (result i64) {body}))"#
        )
    };
    let echo = "(i64.or (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
                        (i64.extend_i32_u (local.get $len)))";
    vec![
        ("echo", task(echo)),
        ("failed", task("(i64.const -7)")),
        ("trap", task("(unreachable)")),
        ("loop", task("(loop $l (br $l)) (i64.const 0)")),
        (
            "grow",
            task("(i64.extend_i32_s (memory.grow (local.get $task)))"),
        ),
        (
            "float",
            task(
                "(f64.store (i32.const 0) (f64.sqrt (f64.div (f64.convert_i32_s (local.get $task))
                                                            (f64.const 0))))
                 (i64.const 8)",
            ),
        ),
        (
            "start_table",
            format!(
                r#"(module (memory (export "memory") 1) {alloc}
                     (table 4 funcref) (elem (i32.const 0) $t)
                     (global $g (mut i32) (i32.const 0))
                     (func $s (global.set $g (i32.const 5))) (start $s)
                     (type $ty (func (param i32 i32 i32) (result i64)))
                     (func $t (type $ty) (i64.extend_i32_u (global.get $g)))
                     (func (export "plinth_task") (type $ty)
                       (call_indirect (type $ty) (local.get 0) (local.get 1) (local.get 2)
                                                 (i32.const 0))))"#
            ),
        ),
    ]
}

#[cfg(feature = "heavy")]
fn heavy(root: &Path) {
    use commonware_codec::{varint::UInt, Decode as _, Encode as _};
    use plinth_oracle::spool::{ProbeIssue, SpoolBatch};

    let txs: Vec<SignedTx> = txs().into_iter().map(|(_, t)| t).collect();
    // The consensus codec's bytes, written from its definition (a varint length,
    // then the borsh ledger block) and checked by its own decoder, so the seeds
    // do not depend on how `plinth_consensus::Block` is constructed.
    let consensus = |b: Block| {
        let inner = plinth_core::encode(&b);
        let mut bytes = UInt(inner.len() as u64).encode().to_vec();
        bytes.extend_from_slice(&inner);
        let decoded = plinth_consensus::Block::decode_cfg(bytes.clone(), &(1 << 20))
            .expect("the seed is a valid consensus block");
        assert_eq!(decoded.ledger(), &b);
        bytes
    };
    write(
        root,
        "consensus_block",
        "txs",
        &consensus(block(txs.clone())),
    );
    write(root, "consensus_block", "empty", &consensus(block(vec![])));

    let raw: Vec<Vec<u8>> = txs.iter().map(|t| t.encode()).collect();
    write(
        root,
        "gossip",
        "txs",
        &plinth_consensus::gossip::encode(&raw),
    );
    write(
        root,
        "gossip",
        "empty",
        &plinth_consensus::gossip::encode(&[]),
    );

    let reports: Vec<SignedReport> = reports().into_iter().map(|(_, r)| r).collect();
    let batches = [
        ("reports", SpoolBatch::Reports(reports.clone())),
        (
            "probes",
            SpoolBatch::Probes(vec![ProbeIssue {
                device: device(9),
                challenge: Hash::tagged("fuzz", b"challenge"),
                issued_ms: 1_700_000_000_000,
                deadline_ms: 1_700_000_030_000,
            }]),
        ),
    ];
    for (name, b) in batches {
        write(root, "spool_batch", name, &plinth_core::encode(&b));
    }

    let json = |v: serde_json::Value| serde_json::to_vec(&v).expect("json");
    let hexes: Vec<String> = txs.iter().map(|t| hex::encode(t.encode())).collect();
    write_sel(
        root,
        "http_bodies",
        "submit",
        0,
        &json(serde_json::json!({ "tx": hexes[0] })),
    );
    write_sel(
        root,
        "http_bodies",
        "batch",
        1,
        &json(serde_json::json!({ "txs": hexes })),
    );
    let report_hexes: Vec<String> = reports.iter().map(|r| hex::encode(r.encode())).collect();
    write_sel(
        root,
        "http_bodies",
        "reports",
        2,
        &json(serde_json::json!({ "reports": report_hexes })),
    );
    let price = PricePoint {
        chain: chain(),
        micro_usd_per_token: 1_250_000,
        timestamp_ms: 1_700_000_000_000,
    };
    let cosign = plinth_oracle::cosign::CosignRequest {
        signature: OracleSignature::over(&key(5), &price.signing_bytes()),
        price,
    };
    write_sel(
        root,
        "http_bodies",
        "cosign",
        3,
        &serde_json::to_vec(&cosign).expect("json"),
    );
    let entries = entries();
    let header = manifest_header(&entries);
    let manifest = plinth_oracle::epoch::Manifest {
        signatures: vec![header.sign(&key(5))],
        header,
        entries,
        batches: vec![Hash::tagged("fuzz", b"batch")],
        rejected: [("late".to_string(), 2u64)].into_iter().collect(),
        scored: 5,
        deals: vec![],
        usage: Default::default(),
        refusals: vec![],
    };
    let manifest_json = serde_json::to_vec(&manifest).expect("json");
    write_sel(root, "http_bodies", "manifest", 4, &manifest_json);
    write_sel(root, "http_bodies", "explorer_manifest", 5, &manifest_json);
    let deal = Hash::tagged("fuzz", b"deal");
    let receipt = plinth_storage::agent::Receipt {
        deal,
        device: device(8),
        chain: chain(),
        signature: key(8).sign(&plinth_storage::receipt_message(
            &chain(),
            &deal,
            &storage_manifest(),
        )),
    };
    write_sel(
        root,
        "http_bodies",
        "receipt",
        6,
        &serde_json::to_vec(&receipt).expect("json"),
    );
    let status = plinth_storage::agent::DealStatus {
        deal,
        manifest: storage_manifest(),
        chunks: 3,
        stored: 3,
        complete: true,
    };
    write_sel(
        root,
        "http_bodies",
        "deal_status",
        7,
        &serde_json::to_vec(&status).expect("json"),
    );
    // Compute: a spot-check verdict and capacity checks to co-sign, a capacity check.
    let verdict = plinth_ledger::compute::JobVerdict {
        chain: chain(),
        claim: Hash::tagged("fuzz", b"claim"),
        epoch: 3,
        seed_height: 42,
        checks: (0..4u32)
            .map(|task| plinth_ledger::compute::TaskCheck {
                task,
                ok: task != 2,
            })
            .collect(),
    };
    let verdict = plinth_api::oracle::VerdictProposal {
        signature: verdict.sign(&key(5)),
        verdict,
    };
    write_sel(
        root,
        "http_bodies",
        "cosign_verdict",
        11,
        &serde_json::to_vec(&verdict).expect("json"),
    );
    let checks = plinth_ledger::compute::ComputeChecks {
        chain: chain(),
        network: "gpu".into(),
        epoch: 3,
        leases: vec![
            plinth_ledger::compute::LeaseChecks {
                lease: Hash::tagged("fuzz", b"lease-1"),
                results: vec![true, true, false],
            },
            plinth_ledger::compute::LeaseChecks {
                lease: Hash::tagged("fuzz", b"lease-2"),
                results: vec![false],
            },
        ],
    };
    let checks = plinth_api::oracle::ChecksProposal {
        signature: checks.sign(&key(5)),
        checks,
    };
    write_sel(
        root,
        "http_bodies",
        "cosign_checks",
        12,
        &serde_json::to_vec(&checks).expect("json"),
    );
    let check = plinth_compute::check::CheckRequest {
        lease: Hash::tagged("fuzz", b"lease-1"),
        seed: 0x5eed,
        rounds: 100,
    };
    write_sel(
        root,
        "http_bodies",
        "check",
        13,
        &serde_json::to_vec(&check).expect("json"),
    );
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../corpus");
    light(&root);
    #[cfg(feature = "heavy")]
    heavy(&root);
    println!("seed corpus written to {}", root.display());
}
