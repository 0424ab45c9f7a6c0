//! The typed genesis template describes the same genesis as the format string it
//! replaced: for the devnet's, `plinth genesis init`'s and the testnet's genesis,
//! the old text and the new parse to equal [`Genesis`] values (so equal hashes:
//! the same chain identity), once the one section added since, `[governance]`
//! ([`with_governance`]), is added to the old.

use plinth_core::{Address, Keypair};
use plinth_devnet::genesis::{
    governance, template, DEVNET_MAX_LOCK_BLOCKS, DEVNET_VOTING_BLOCKS, DEV_BALANCE,
};
use plinth_ledger::validators::ValidatorSetGenesis;
use plinth_ledger::Genesis;
use std::fmt::Write;

/// The genesis template as `plinth` wrote it before it was typed (a format
/// string), kept to check that the typed one describes the same genesis.
fn legacy_template(
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

# Compute jobs and leases (see the `compute` network below). Windows are in blocks;
# the devnet's are short so that claims settle in seconds.
[compute]
commit_blocks = 30
reveal_blocks = 10
verify_blocks = 30
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
share_bps = 2500
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

[[networks]]
name = "compute"
family = "compute"
share_bps = 500
usage_bps = 5000
[networks.params]
checks_per_epoch = 2
check_timeout_ms = 5000
"#
    );
    s
}

fn addr(seed: u8) -> Address {
    Address(Keypair::from_seed([seed; 32]).public())
}

/// Validators, accounts (with the oracle's) and oracles as the devnet has them.
#[allow(clippy::type_complexity)]
fn members(
    accounts: usize,
) -> (
    Vec<(String, Address)>,
    Vec<(String, Address, u64)>,
    Vec<Address>,
) {
    let validators = vec![("validator".to_string(), addr(1))];
    let mut funded: Vec<(String, Address, u64)> = (0..accounts)
        .map(|i| (format!("account{i}"), addr(10 + i as u8), DEV_BALANCE))
        .collect();
    funded.push(("oracle".into(), addr(2), DEV_BALANCE / 1000));
    (validators, funded, vec![addr(2)])
}

/// The legacy genesis `text` with what the template gained since: the
/// governance section (issue 15), and the custom networks `vehicles` and
/// `mapping` with their modules, backhaul's share lowered to make room, and
/// mapping's usage part that pays bursts (issue 17); the energy network
/// `solar` (issue 18).
fn with_governance(text: &str) -> Genesis {
    let mut g = Genesis::from_toml(text).unwrap();
    assert_eq!(g.governance, None, "the legacy text has no governance");
    g.governance = Some(governance(DEVNET_VOTING_BLOCKS, DEVNET_MAX_LOCK_BLOCKS));
    assert!(g.modules.is_empty(), "the legacy text has no modules");
    let backhaul = g
        .networks
        .iter_mut()
        .find(|n| n.name == "backhaul")
        .unwrap();
    backhaul.share_bps = 1500;
    let shipped = [
        plinth_families::vehicles::VEHICLES,
        plinth_families::mapping::MAPPING,
    ];
    for (m, (extra, usage_bps)) in shipped.iter().zip([("", 0), ("resolution = 9\n", 2_000)]) {
        let hash = plinth_ledger::compute_types::module_hash(m.bytes);
        g.networks.push(plinth_ledger::genesis::GenesisNetwork {
            name: m.name.into(),
            family: "wasm".into(),
            params: toml::from_str(&format!("module = \"{hash}\"\n{extra}")).unwrap(),
            share_bps: 500,
            usage_bps,
            require_maker: false,
        });
        g.modules.push(plinth_ledger::genesis::GenesisModule {
            name: m.name.into(),
            hex: hex::encode(m.bytes),
        });
    }
    // The neighbourhood's energy market (issue 18).
    g.networks.push(plinth_ledger::genesis::GenesisNetwork {
        name: "solar".into(),
        family: "energy".into(),
        params: toml::Table::try_from(plinth_devnet::energy::devnet_params(g.genesis_time_ms))
            .unwrap(),
        share_bps: 500,
        usage_bps: 5_000,
        require_maker: false,
    });
    g
}

#[test]
fn typed_template_parses_to_the_same_genesis_as_the_format_string() {
    for (accounts, epoch_ms, block_time_ms) in
        [(5, 30_000, 1000), (3, 30_000, 200), (0, 60_000, 250)]
    {
        let (validators, funded, oracles) = members(accounts);
        let args = ("plinth-devnet", 1_767_225_600_000, block_time_ms, epoch_ms);
        let old = legacy_template(
            args.0,
            args.1,
            args.2,
            args.3,
            &validators,
            &funded,
            &oracles,
        );
        let new = template(
            args.0,
            args.1,
            args.2,
            args.3,
            &validators,
            &funded,
            &oracles,
        )
        .to_toml();
        let (old, new) = (with_governance(&old), Genesis::from_toml(&new).unwrap());
        assert_eq!(new, old);
        assert_eq!(new.hash(), old.hash());
    }
}

#[test]
fn typed_template_without_oracles_matches_too() {
    let validators = vec![("v".to_string(), addr(1))];
    let old = legacy_template("t", 0, 1000, 30_000, &validators, &[], &[]);
    let new = template("t", 0, 1000, 30_000, &validators, &[], &[]).to_toml();
    assert_eq!(Genesis::from_toml(&new).unwrap(), with_governance(&old));
}

/// `plinth testnet init` appended its validator-set section to the template.
#[test]
fn testnet_genesis_matches_the_appended_section() {
    let validators: Vec<(String, Address)> =
        (0..4).map(|i| (format!("v{i}"), addr(40 + i))).collect();
    let (_, mut funded, oracles) = members(2);
    funded.push(("admin".into(), addr(3), DEV_BALANCE / 1000));
    let old = legacy_template(
        "plinth-testnet",
        5,
        250,
        60_000,
        &validators,
        &funded,
        &oracles,
    );
    let old = format!(
        "{old}
# Changing the validator set: the admin account's `plinth wallet set-validators`
# takes effect at the start of the next validator epoch of `epoch_blocks` blocks.
[validator_set]
admin = \"{}\"
epoch_blocks = {}
",
        addr(3),
        100
    );
    let mut file = template(
        "plinth-testnet",
        5,
        250,
        60_000,
        &validators,
        &funded,
        &oracles,
    );
    file.genesis.validator_set = Some(ValidatorSetGenesis {
        admin: Some(addr(3)),
        epoch_blocks: 100,
    });
    let new = Genesis::from_toml(&file.to_toml()).unwrap();
    assert_eq!(new, with_governance(&old));
    assert!(new.validator_set.is_some());
}

/// The file keeps its comments: the ones a network builder needs to change it.
#[test]
fn typed_template_is_commented() {
    let (validators, funded, oracles) = members(2);
    let text = template("c", 0, 1000, 30_000, &validators, &funded, &oracles).to_toml();
    for needle in [
        "# Plinth genesis: the first state of a chain.",
        "# Identifies the chain;",
        "[[accounts]] # account0",
        "[[accounts]] # oracle",
        "# …halving every 100,000 epochs (0 = never)…",
        "manifest_max_age_epochs = 16",
        "# Witnesses in the same or an adjacent H3 cell",
        "density = [{ res = 8",
        "# Segments challenged per deal and epoch.",
    ] {
        assert!(text.contains(needle), "no `{needle}` in\n{text}");
    }
}
