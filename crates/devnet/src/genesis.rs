//! Writing genesis files: the commented default, and the devnet's.

use crate::keystore::Keystore;
use anyhow::{Context, Result};
use plinth_core::{Address, Keypair};
use plinth_ledger::Genesis;
use std::fmt::Write;
use std::path::Path;

/// Balance of each development account: one million tokens at 6 decimals.
pub const DEV_BALANCE: u64 = 1_000_000 * 1_000_000;

/// Names of the devnet's funded accounts, in order.
pub const DEV_NAMES: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
];

/// A commented genesis file. `oracles` sign reward manifests; any one of them
/// suffices (threshold 1) — raise the threshold when there are several.
pub fn template(
    chain_id: &str,
    genesis_time_ms: u64,
    block_time_ms: u64,
    epoch_ms: u64,
    validators: &[(String, Address)],
    accounts: &[(String, Address, u64)],
    oracles: &[Address],
) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"# Plinth genesis: the first state of a chain. Every validator must start from
# the same file, byte for byte; its hash is the chain's identity.

# Identifies the chain; transactions name it, so they cannot be replayed elsewhere.
chain_id = "{chain_id}"
# Time of the genesis block, milliseconds since the Unix epoch.
genesis_time_ms = {genesis_time_ms}
# Target time between blocks, in milliseconds.
block_time_ms = {block_time_ms}

[token]
name = "Plinth"
symbol = "PLN"
# Amounts on the ledger are integers in the smallest unit: 1 PLN = 10^decimals units.
decimals = 6

[fees]
# Smallest fee a transaction may pay, in the smallest unit. Fees go to the block's
# proposer.
min_fee = 1000

[staking]
# Blocks between unbonding stake and being able to withdraw it.
unbonding_blocks = 30
# Unbonding entries one account may have open at a time.
max_unbonding_entries = 16

# Emission: new tokens paid to devices' owners through reward manifests. Time is cut
# into epochs of `epoch_ms` from `genesis_time_ms`; epoch e emits
# max(initial_per_epoch >> (e / halving_interval_epochs), tail_per_epoch), split
# across the networks by their `share_bps`. Amounts in the smallest unit.
[emission]
# Length of an epoch (30 s on the devnet: rewards show up quickly).
epoch_ms = {epoch_ms}
# 1,000 PLN per epoch at first…
initial_per_epoch = 1_000_000_000
# …halving every 100,000 epochs (0 = never)…
halving_interval_epochs = 100_000
# …but never less than 100 PLN per epoch.
tail_per_epoch = 100_000_000
# A manifest is accepted at most this many epochs after its epoch; what an epoch
# did not mint by then is never minted (no backlog for a leaked oracle key). The
# oracle closes every epoch, with an empty manifest when it paid nothing.
manifest_max_age_epochs = 16
"#
    );
    let members: Vec<String> = oracles.iter().map(|a| format!("\"{a}\"")).collect();
    let _ = writeln!(
        s,
        r#"# Oracles score the devices' work each epoch and sign its reward manifest; the
# ledger accepts a manifest signed by at least `threshold` distinct members.
[oracles]
threshold = {}
members = [{}]
"#,
        oracles.len().min(1),
        members.join(", ")
    );
    let _ = writeln!(
        s,
        r#"# Storage deals (see the `storage` network below).
[storage]
# Failed epochs in a row after which a deal is slashed: its collateral goes to the
# consumer and the deal ends. The devnet slashes fast (the default is 3).
max_failures = 2
# Providers on this machine or a LAN (loopback and private addresses) may serve
# deals; off by default, so that an endpoint cannot point the oracle into a
# private network.
allow_private_endpoints = true
"#
    );
    let _ = writeln!(
        s,
        "# Validators seal blocks. Fees of their blocks go to their account."
    );
    for (name, addr) in validators {
        let _ = writeln!(
            s,
            "[[validators]]\nname = \"{name}\"\naddress = \"{addr}\"\n"
        );
    }
    let _ = writeln!(s, "# Initial balances, in the smallest unit.");
    for (name, addr, balance) in accounts {
        let _ = writeln!(
            s,
            "[[accounts]] # {name}\naddress = \"{addr}\"\nbalance = {balance}\n"
        );
    }
    let _ = writeln!(
        s,
        r#"# Networks of devices. Each names the proof family that verifies its devices'
# work; `params` belong to that family (the ledger stores them as given).
# `share_bps` is the network's share of each epoch's emission, in basis points
# (10000 = all of it); the shares add up to at most 10000.
[[networks]]
name = "weather"
family = "sensor"
share_bps = 3000
[networks.params]
unit = "celsius"
min = -60
max = 60
# Reports the oracle takes from one device per epoch (beside the family's own
# parameters; by default what the family can use, here 72). The devnet takes
# bursts: load and crash tests stream hundreds per device.
max_reports_per_epoch = 100000

[[networks]]
name = "backhaul"
family = "uptime"
share_bps = 3000
[networks.params]
# One heartbeat per 5 s interval proves the interval (epochs are 30 s).
heartbeat_interval_s = 5

# Radio hotspots that prove coverage by being heard (beacons and witnesses).
[[networks]]
name = "lora"
family = "coverage"
share_bps = 2500
[networks.params]
# Each epoch has 3 beacon rounds; in each, a third of the hotspots are drawn
# (from a block hash) to beacon, so each beacons about once an epoch.
rounds_per_epoch = 3
beacon_bps = 3333
# Witnesses in the same or an adjacent H3 cell at this resolution prove nothing.
resolution = 8
max_range_m = 40000
# Beacons may declare at most this EIRP; an RSSI above free-space path loss at
# the asserted distance plus this margin is refused.
max_tx_power_dbm = 36
gain_margin_db = 6
max_witnesses_per_beacon = 14
# A hotspot with at least `suspect_links` distinct too-strong links (more than
# any of its counterparts), or that many too-far links making up
# `suspect_far_share_bps` of its links, is a location suspect for the epoch.
suspect_links = 2
suspect_far_share_bps = 3000
# HIP-17 hex density scaling: Helium's mainnet table unless set, e.g.
# density = [{{ res = 8, n = 2, target = 1, max = 4 }}, {{ res = 10, n = 2, target = 1, max = 1 }}]

# Storage providers keep consumers' files under deals (`plinth storage put`); each
# epoch the oracle challenges every active deal on random segments of its file.
[[networks]]
name = "storage"
family = "storage"
share_bps = 1500
# Half of the share pays providers by the credits consumers paid them (usage),
# half by the MiB they proved.
usage_bps = 5000
[networks.params]
# Segments challenged per deal and epoch.
challenge_items = 8
# How long an agent has to answer a challenge.
answer_timeout_ms = 5000
# Work is paid only for deals at or above this price (credits per started MiB and
# epoch), and no provider is paid more in an epoch than the token value of what
# its deals paid: opening deals with one's own provider costs at least what it
# earns.
work_floor_price_per_mib_epoch = 5
"#
    );
    s
}

/// What `plinth genesis init` and the devnet create.
pub struct Setup {
    /// The genesis file's text.
    pub genesis_toml: String,
    /// The one validator's key.
    pub validator: Keypair,
    /// The one member of the oracle set; signs reward manifests.
    pub oracle: Keypair,
    /// The funded accounts' names and keys.
    pub accounts: Vec<(String, Keypair)>,
}

impl Setup {
    /// Adds the validator's, the oracle's and the accounts' keys to the keystore
    /// at `path` (created when missing).
    pub fn save_keys(&self, path: &Path) -> Result<()> {
        let mut ks = Keystore::load(path)?;
        ks.add("validator", &self.validator)?;
        ks.add("oracle", &self.oracle)?;
        for (name, key) in &self.accounts {
            ks.add(name, key)?;
        }
        ks.save()
    }
}

/// Fresh keys for one validator, one oracle and `accounts` funded accounts, and a
/// genesis naming them.
pub fn new_setup(
    chain_id: &str,
    accounts: usize,
    block_time_ms: u64,
    epoch_ms: u64,
    now_ms: u64,
) -> Result<Setup> {
    let validator = Keypair::generate();
    let oracle = Keypair::generate();
    let accounts: Vec<(String, Keypair)> = (0..accounts)
        .map(|i| {
            let name = DEV_NAMES
                .get(i)
                .map(|n| n.to_string())
                .unwrap_or_else(|| format!("account{i}"));
            (name, Keypair::generate())
        })
        .collect();
    let text = template(
        chain_id,
        now_ms,
        block_time_ms,
        epoch_ms,
        &[("validator".into(), Address(validator.public()))],
        &accounts
            .iter()
            .map(|(n, k)| (n.clone(), Address(k.public()), DEV_BALANCE))
            // The oracle pays the fees of the manifests it submits.
            .chain(std::iter::once((
                "oracle".to_string(),
                Address(oracle.public()),
                DEV_BALANCE / 1000,
            )))
            .collect::<Vec<_>>(),
        &[Address(oracle.public())],
    );
    // The template must always be a valid genesis.
    Genesis::from_toml(&text).context("generated genesis is invalid")?;
    Ok(Setup {
        genesis_toml: text,
        validator,
        oracle,
        accounts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses() {
        let s = new_setup("t", 3, 1000, 30_000, 0).unwrap();
        let g = Genesis::from_toml(&s.genesis_toml).unwrap();
        // Three accounts and the oracle, which pays its manifests' fees.
        assert_eq!(g.accounts.len(), 4);
        assert_eq!(g.networks.len(), 4);
        assert_eq!(g.supply(), 3 * DEV_BALANCE + DEV_BALANCE / 1000);
        assert_eq!(g.emission.epoch_ms, 30_000);
        assert_eq!(g.emission.initial_per_epoch, 1_000_000_000);
        assert_eq!(g.emission.halving_interval_epochs, 100_000);
        assert_eq!(g.emission.tail_per_epoch, 100_000_000);
        assert_eq!(g.oracles.threshold, 1);
        assert_eq!(g.oracles.members, vec![Address(s.oracle.public())]);
        let shares: Vec<u32> = g.networks.iter().map(|n| n.share_bps).collect();
        assert_eq!(shares, vec![3_000, 3_000, 2_500, 1_500]);
        assert_eq!(shares.iter().sum::<u32>(), 10_000);
        let storage = &g.networks[3];
        assert_eq!(
            (storage.family.as_str(), storage.usage_bps),
            ("storage", 5_000)
        );
        assert_eq!(g.storage.map(|s| s.max_failures), Some(2));
        for n in &g.networks {
            let info = plinth_oracle::chain::NetworkInfo {
                name: n.name.clone(),
                family: n.family.clone(),
                params: serde_json::to_value(&n.params).unwrap(),
                share_bps: n.share_bps,
                usage_bps: n.usage_bps,
            };
            info.family()
                .unwrap_or_else(|e| panic!("network {}: {e}", n.name));
            info.max_reports_per_epoch(g.emission.epoch_ms)
                .unwrap_or_else(|e| panic!("network {}: {e}", n.name));
        }
    }

    #[test]
    fn template_without_oracles_accepts_no_manifests() {
        let text = template(
            "t",
            0,
            1000,
            30_000,
            &[("v".into(), Address(Keypair::generate().public()))],
            &[],
            &[],
        );
        let g = Genesis::from_toml(&text).unwrap();
        assert_eq!(g.oracles.threshold, 0);
        assert!(g.oracles.members.is_empty());
    }
}
