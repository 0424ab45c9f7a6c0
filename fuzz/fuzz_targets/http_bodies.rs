//! The JSON bodies the node and the oracle deserialize from requests, and the
//! JSON documents they read from each other: `POST /v1/txs`, `POST /v1/txs/batch`
//! (node), `POST /v1/reports`, `POST /v1/cosign/price`, `POST /v1/cosign/manifest`,
//! `POST /v1/cosign/settlement`, `POST /v1/cosign/verdict`, `POST /v1/cosign/checks`
//! (oracle; and its binary `POST /v1/reports` body), `POST /v1/check` (a compute provider's agent), the spool read query of
//! a peer, the oracle's published reward manifest (read by auditors and the
//! explorer), and a storage agent's receipt and deal status (read by the client).
//! The first byte picks the type. Whatever parses must serialise and parse back to the same JSON, and the
//! decoders the handlers call next must answer, not panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::{de::DeserializeOwned, Serialize};

/// Parses `data` as `T`; when it parses, checks the JSON round trip.
fn parse<T: DeserializeOwned + Serialize>(data: &[u8]) -> Option<T> {
    let value: T = serde_json::from_slice(data).ok()?;
    let json = serde_json::to_vec(&value).expect("a parsed body serialises");
    let back: T = serde_json::from_slice(&json).expect("its own JSON reads back");
    assert_eq!(
        serde_json::to_vec(&back).unwrap(),
        json,
        "JSON round trip differs"
    );
    Some(value)
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, data)) = data.split_first() else {
        return;
    };
    match which % 15 {
        0 => {
            if let Some(r) = parse::<plinth_node::api::SubmitRequest>(data) {
                if let Ok(raw) = hex::decode(r.tx.trim()) {
                    let _ = plinth_ledger::SignedTx::decode(&raw);
                }
            }
        }
        1 => {
            if let Some(r) = parse::<plinth_node::api::BatchRequest>(data) {
                for tx in r.txs.iter().take(4) {
                    if let Ok(raw) = hex::decode(tx.trim()) {
                        let _ = plinth_ledger::SignedTx::decode(&raw);
                    }
                }
            }
        }
        2 => {
            if let Some(r) = parse::<plinth_oracle::http::ReportsRequest>(data) {
                for report in r.reports.iter().take(4) {
                    if let Ok(raw) = hex::decode(report.trim()) {
                        let _ = plinth_proofs::SignedReport::decode(&raw);
                    }
                }
            }
        }
        3 => {
            if let Some(r) = parse::<plinth_oracle::cosign::CosignRequest>(data) {
                let _ = r.price.signing_bytes();
            }
        }
        4 => {
            if let Some(m) = parse::<plinth_oracle::epoch::Manifest>(data) {
                let _ = plinth_oracle::epoch::inputs_hash(&m.batches);
                let _ = plinth_ledger::rewards::manifest_root(&m.entries);
            }
        }
        5 => {
            // What a device reads back from the oracle for its reports.
            let _ = parse::<Vec<plinth_oracle::Verdict>>(data);
        }
        8 => {
            if let Some(p) = parse::<plinth_api::oracle::ManifestProposal>(data) {
                let _ = p.header.signing_bytes();
                let _ = plinth_oracle::epoch::inputs_hash(&p.batches);
            }
        }
        9 => {
            if let Some(p) = parse::<plinth_api::oracle::SettlementProposal>(data) {
                let _ = p.settlement.signing_bytes();
            }
        }
        10 => {
            if let Some(a) = parse::<plinth_api::oracle::PeerAuth>(data) {
                let _ = a.verify(&plinth_core::Hash::ZERO, 1);
                let _ = a.query();
            }
        }
        11 => {
            // A spot-check verdict to co-sign: the proposer is checked first.
            if let Some(p) = parse::<plinth_api::oracle::VerdictProposal>(data) {
                let s = &p.signature;
                let _ = s
                    .oracle
                    .key()
                    .verify(&p.verdict.signing_bytes(), &s.signature);
            }
        }
        12 => {
            if let Some(p) = parse::<plinth_api::oracle::ChecksProposal>(data) {
                let s = &p.signature;
                let _ = s
                    .oracle
                    .key()
                    .verify(&p.checks.signing_bytes(), &s.signature);
            }
        }
        13 => {
            // A capacity check the agent runs: refused above MAX_ROUNDS, run
            // deterministically below (small ones only: a fuzz input must be quick).
            use plinth_compute::check::{run_check, CheckError, MAX_ROUNDS};
            if let Some(r) = parse::<plinth_compute::check::CheckRequest>(data) {
                if r.rounds > MAX_ROUNDS {
                    assert_eq!(
                        run_check(&r),
                        Err(CheckError::TooManyRounds { rounds: r.rounds })
                    );
                } else if r.rounds <= 256 {
                    let a = run_check(&r).expect("a check within the rounds runs");
                    assert_eq!(run_check(&r).unwrap(), a, "a check is deterministic");
                }
            }
        }
        14 => {
            // A binary `POST /v1/reports` body: framed reports, each then decoded
            // as the oracle does; what splits is framed back to the same bytes.
            let max = plinth_oracle::http::MAX_REPORTS;
            if let Ok(frames) = plinth_oracle::http::report_frames(data, max) {
                assert!(frames.len() <= max);
                let reports: Vec<&[u8]> = frames.iter().map(|r| &data[r.clone()]).collect();
                assert_eq!(plinth_oracle::http::frame_reports(&reports), data);
                for r in reports.iter().take(4) {
                    let _ = plinth_proofs::SignedReport::decode_received(r);
                }
            }
        }
        6 => {
            if let Some(r) = parse::<plinth_storage::agent::Receipt>(data) {
                let _ = r.device.key().verify(r.deal.as_bytes(), &r.signature);
            }
        }
        _ => {
            if let Some(s) = parse::<plinth_storage::agent::DealStatus>(data) {
                let _ = s.manifest.check();
            }
        }
    }
});
