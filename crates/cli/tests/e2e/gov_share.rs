//! Governance raises `weather`'s share, with real processes: `plinth devnet`
//! with three oracles (2 of 3 sign each manifest), its fleet and six-second
//! epochs, on a genesis with a `[governance]` section. A voter outside the
//! fleet locks tokens, proposes `SetNetworkShare` (30 % → 40 %) and votes yes;
//! the transactions are built with the ledger's types and sent with
//! `NodeClient`. The manifests before the change pay the old share's allowance,
//! the first one of the epoch the change is in force from pays the new one (as
//! the node reports it for that epoch, co-signed by recomputing oracles), and
//! `plinth oracle audit` passes for an epoch on each side.

use crate::common::*;
use crate::rewards::audit;
use plinth_api::NodeClient;
use plinth_core::{Address, Keypair};
use plinth_ledger::genesis::GenesisAccount;
use plinth_ledger::governance::{Action, Bounds, GovParams, ParamBounds, VoteOption};
use plinth_ledger::{Call, Genesis, Transaction};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const EPOCH_MS: u64 = 6_000;
const BLOCK_MS: u64 = 200;
/// `weather`'s share before and after the proposal.
const OLD_SHARE: u32 = 3_000;
const NEW_SHARE: u32 = 4_000;
/// Tokens the voter holds, locks, and deposits.
const VOTER_BALANCE: u64 = 10_000_000_000_000;
const LOCKED: u64 = 1_000_000_000_000;

/// Governance for a genesis that has none: periods of 20 blocks (4 s).
fn governance() -> GovParams {
    let any = Bounds {
        min: 0,
        // TOML integers are i64: the widest bound a genesis file holds.
        max: i64::MAX as u64,
    };
    GovParams {
        min_lock_blocks: 1,
        max_lock_blocks: 100_000,
        max_multiplier_bps: 1_000_000,
        min_deposit: 1_000_000_000,
        deposit_period_blocks: 20,
        voting_period_blocks: 20,
        quorum_bps: 3340,
        threshold_bps: 5000,
        veto_bps: 3340,
        max_description_bytes: 10_000,
        max_actions: 16,
        max_active_proposals: 32,
        treasury_bps: 0,
        bounds: ParamBounds {
            credit_micro_usd: any,
            price_max_age_ms: any,
            storage_max_failures: any,
            storage_max_deal_epochs: any,
            storage_accept_epochs: any,
            tail_per_epoch: any,
        },
    }
}

/// Writes the devnet's files to `dir` as its first start would (three
/// oracles), with `[governance]` (the template's, or [`governance`] where it
/// has none), `weather` at [`OLD_SHARE`] and room for [`NEW_SHARE`] (another
/// network gives up the difference), and a funded voter the keystore does
/// not hold (so the fleet and claimer never sign with it). Returns the voter.
fn write_genesis(dir: &Path) -> Keypair {
    std::fs::create_dir_all(dir).unwrap();
    let setup = plinth_devnet::genesis::new_setup(
        "plinth-devnet",
        5,
        3,
        BLOCK_MS,
        EPOCH_MS,
        plinth_oracle::now_ms(),
    )
    .unwrap();
    setup.save_keys(&dir.join("keystore.json")).unwrap();
    let mut g = Genesis::from_toml(&setup.genesis_toml).unwrap();
    if g.governance.is_none() {
        g.governance = Some(governance());
    }
    let treasury = g.governance.as_ref().unwrap().treasury_bps;
    let weather = g.networks.iter().position(|n| n.name == "weather").unwrap();
    g.networks[weather].share_bps = OLD_SHARE;
    let other: u32 = g
        .networks
        .iter()
        .filter(|n| n.name != "weather")
        .map(|n| n.share_bps)
        .sum();
    let excess = (other + NEW_SHARE + treasury).saturating_sub(10_000);
    let donor = g
        .networks
        .iter_mut()
        .filter(|n| n.name != "weather")
        .max_by_key(|n| n.share_bps)
        .unwrap();
    donor.share_bps -= excess;
    let voter = Keypair::generate();
    g.accounts.push(GenesisAccount {
        address: Address(voter.public()),
        balance: VOTER_BALANCE,
    });
    std::fs::write(dir.join("genesis.toml"), g.to_toml()).unwrap();
    voter
}

/// Sends `call` signed by `from` and waits until it applied.
fn send(node: &NodeClient, from: &Keypair, call: Call) {
    let who = Address(from.public());
    let status = node.status().unwrap();
    let tx = Transaction {
        chain_id: status.chain_id,
        signer: who,
        nonce: node.account(&who).unwrap().next_nonce,
        fee: status.min_fee,
        call: call.clone(),
    }
    .sign(from);
    node.submit(&tx).unwrap();
    let view = node
        .wait_committed(&tx.hash(), Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{call:?}: {e}"));
    let receipt = view.receipt.expect("a committed transaction's receipt");
    assert!(receipt.is_ok(), "{call:?}: {:?}", receipt.error);
}

/// `weather` as the node reports it in force in `epoch`.
fn weather_at(node: &NodeClient, epoch: u64) -> plinth_api::node::NetworkView {
    node.networks_at(epoch)
        .unwrap()
        .into_iter()
        .find(|n| n.name == "weather")
        .expect("weather")
}

#[test]
fn a_share_raised_by_proposal_pays_from_the_next_epoch_and_audits() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dn");
    let voter = write_genesis(&dir);
    let port = free_port();
    let oracle_port = free_range(3);
    let child = Command::new(bin())
        .args(["devnet", "--devices", "12", "--cheaters", "0%"])
        .args(["--block-time", &format!("{BLOCK_MS}ms")])
        .args(["--rpc", &format!("127.0.0.1:{port}")])
        .args(["--oracle-http", &format!("127.0.0.1:{oracle_port}")])
        .args(["--mqtt", &format!("127.0.0.1:{}", free_port())])
        .arg("--data-dir")
        .arg(&dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start plinth devnet");
    let net = Devnet::adopt(child, &dir, port);
    let oracle = format!("http://127.0.0.1:{oracle_port}");
    let node = NodeClient::new(&net.url());
    let paid = |e: u64| node.reward_epoch("weather", e).unwrap().map(|r| r.header);

    // Before: a paid epoch at the old share; the fleet earns the whole allowance.
    let before = until("a paid weather epoch", 120, || {
        let current = node.status().unwrap().epoch;
        (current.saturating_sub(3)..current).find(|e| paid(*e).is_some_and(|h| h.total > 0))
    });
    let old = weather_at(&node, before);
    assert_eq!((old.share_bps, old.epoch), (OLD_SHARE, before));
    assert_eq!(paid(before).unwrap().total, old.allowance);

    // The proposal, passed by the only locked position (the whole power).
    send(
        &node,
        &voter,
        Call::GovLock {
            amount: LOCKED,
            lock_blocks: 100_000,
        },
    );
    let proposed_in = node.status().unwrap().epoch;
    let deposit = net.get("/v1/genesis")["governance"]["min_deposit"]
        .as_u64()
        .unwrap();
    send(
        &node,
        &voter,
        Call::GovPropose {
            actions: vec![Action::SetNetworkShare {
                network: "weather".into(),
                share_bps: NEW_SHARE,
                usage_bps: old.usage_bps,
            }],
            description: "weather: 40 % of each epoch's emission".into(),
            deposit,
            execute_height: None,
        },
    );
    send(
        &node,
        &voter,
        Call::GovVote {
            proposal: 0,
            option: VoteOption::Yes,
        },
    );

    // Executed at the end of the voting period: the next epoch has the new share.
    until("the proposal's execution", 60, || {
        let next = node.status().unwrap().epoch + 1;
        (weather_at(&node, next).share_bps == NEW_SHARE).then_some(())
    });
    let current = node.status().unwrap().epoch;
    let changed = (proposed_in..=current + 1)
        .find(|e| weather_at(&node, *e).share_bps == NEW_SHARE)
        .unwrap();
    assert!(changed > proposed_in, "a change applies from a later epoch");
    let new = weather_at(&node, changed);
    assert_eq!(new.epoch, changed);
    let emission = node.genesis().unwrap().emission;
    assert_eq!(
        new.allowance,
        emission.network_allowance(changed, NEW_SHARE)
    );

    // The first manifest of the changed epoch pays the new allowance, signed by
    // two of the three oracles, each recomputing it with the epoch's share.
    let first = until("the changed epoch's manifest", 90, || paid(changed));
    assert_eq!(first.total, new.allowance);
    assert!(first.total > old.allowance);
    let published = plinth_api::OracleClient::new(&oracle)
        .manifest("weather", changed)
        .unwrap()
        .expect("the oracle publishes the paid manifest");
    assert_eq!(published.header, first);
    assert!(published.signatures.len() >= 2);
    // Every manifest before it paid at most the old share's allowance.
    for e in before..changed {
        if let Some(h) = paid(e) {
            assert!(h.total <= old.allowance, "epoch {e} paid {}", h.total);
            assert_eq!(weather_at(&node, e).share_bps, OLD_SHARE);
        }
    }

    audit(&net, &oracle, "weather", before);
    audit(&net, &oracle, "weather", changed);
}
