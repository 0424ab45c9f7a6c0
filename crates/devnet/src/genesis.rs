//! Genesis files written from typed values: [`template`] builds the default
//! [`Genesis`] (its token, fees, emission, oracle set, storage settings,
//! governance ([`governance`]) and seven networks: one per built-in proof family,
//! and two custom (WebAssembly) families, `vehicles` and `mapping`, whose modules
//! are stored in the genesis ([`shipped_modules`])) as a
//! [`GenesisFile`], whose
//! [`GenesisFile::to_toml`] writes it with the comments a network builder reads
//! before changing it. [`new_setup`] adds fresh keys: what `plinth genesis init`
//! and the devnet write.
//!
//! The text is the ledger's own serialisation ([`Genesis::to_toml`]), laid out
//! and commented with `toml_edit`; so every value in the file is one of
//! [`Genesis`]'s fields, and the file parses back to the same [`Genesis`].

use crate::keystore::Keystore;
use anyhow::{Context, Result};
use plinth_core::{Address, Keypair};
use plinth_ledger::compute::ComputeParams;
use plinth_ledger::genesis::{Fees, GenesisAccount, GenesisModule, GenesisNetwork, Staking, Token};
use plinth_ledger::governance::{Bounds, GovParams, ParamBounds, MAX_ACTIONS};
use plinth_ledger::params::Validator;
use plinth_ledger::storage::StorageParams;
use plinth_ledger::{Emission, Genesis, OracleSet};
use std::path::Path;
use toml_edit::{DocumentMut, Item, Table};

/// Balance of each development account: one million tokens at 6 decimals.
pub const DEV_BALANCE: u64 = 1_000_000 * 1_000_000;

/// Names of the devnet's funded accounts, in order.
pub const DEV_NAMES: &[&str] = &[
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
];

/// A genesis and the names of its accounts, which the file shows as comments
/// (the ledger knows accounts by address only).
#[derive(Debug, Clone)]
pub struct GenesisFile {
    /// The genesis.
    pub genesis: Genesis,
    /// A name for each of `genesis.accounts`, in order.
    pub account_names: Vec<String>,
}

/// Blocks of the devnet's governance deposit and voting periods (20 s at its
/// default 1 s blocks): proposals are decided while one watches.
pub const DEVNET_VOTING_BLOCKS: u64 = 20;

/// The devnet's longest lock, in blocks (about a day at 1 s blocks).
pub const DEVNET_MAX_LOCK_BLOCKS: u64 = 100_000;

/// The smallest deposit that brings a proposal to a vote in the templates:
/// 1,000 tokens, a thousandth of a funded development account.
pub const MIN_DEPOSIT: u64 = DEV_BALANCE / 1000;

/// The templates' governance settings: deposit and voting periods of
/// `period_blocks` each, locks of 1 to `max_lock_blocks` blocks (power up to
/// 100× the amount at the longest, as Helium's veHNT), Cosmos `x/gov`'s quorum
/// (33.4 %), threshold (50 %) and veto (33.4 %), no treasury share (the
/// template's networks share all of the emission: a proposal lowering one makes
/// room), and bounds around the template's credit, storage and emission
/// settings.
pub fn governance(period_blocks: u64, max_lock_blocks: u64) -> GovParams {
    let period_blocks = period_blocks.max(1);
    let range = |min, max| Bounds { min, max };
    GovParams {
        min_lock_blocks: 1,
        max_lock_blocks: max_lock_blocks.clamp(1, u64::from(u32::MAX)),
        max_multiplier_bps: 1_000_000,
        min_deposit: MIN_DEPOSIT,
        deposit_period_blocks: period_blocks,
        voting_period_blocks: period_blocks,
        quorum_bps: 3340,
        threshold_bps: 5000,
        veto_bps: 3340,
        max_description_bytes: 10_000,
        max_actions: MAX_ACTIONS as u32,
        max_active_proposals: 32,
        treasury_bps: 0,
        bounds: ParamBounds {
            credit_micro_usd: range(1, 1_000),
            price_max_age_ms: range(60_000, 3_600_000),
            storage_max_failures: range(1, 10),
            storage_max_deal_epochs: range(1_000, 1_000_000),
            storage_accept_epochs: range(1, 100),
            tail_per_epoch: range(0, 1_000_000_000),
        },
    }
}

/// The most oracles a devnet or a testnet's files are made with.
pub const MAX_ORACLES: usize = 7;

/// The signatures a set of `n` oracles needs by default: a majority, `n/2 + 1`
/// (1 of 1, 2 of 3, 3 of 4), so that no minority can pay or slash alone; 0 for no
/// oracles (no manifest is ever accepted).
pub fn majority(n: usize) -> u32 {
    if n == 0 {
        0
    } else {
        (n / 2 + 1) as u32
    }
}

/// The name oracle `i` has in a keystore: `oracle` for the first (the name a lone
/// oracle always had), then `oracle1`, `oracle2`, …
pub fn oracle_name(i: usize) -> String {
    match i {
        0 => "oracle".to_string(),
        i => format!("oracle{i}"),
    }
}

/// Whether `name` is one of [`oracle_name`]'s names.
pub fn is_oracle_name(name: &str) -> bool {
    name.strip_prefix("oracle").is_some_and(|n| {
        n.is_empty() || (!n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit()))
    })
}

/// The oracles' keys in a keystore, in order: `oracle`, `oracle1`, … up to the
/// first name missing.
pub fn oracle_keys(ks: &Keystore) -> Result<Vec<Keypair>> {
    let mut out = Vec::new();
    while ks.keys.iter().any(|k| k.name == oracle_name(out.len())) {
        out.push(ks.key(&oracle_name(out.len()))?);
    }
    Ok(out)
}

/// The default genesis: the devnet's token, fees, emission and networks, with
/// `validators`, funded `accounts` (name, address, balance) and `oracles`, which
/// sign reward manifests; a [`majority`] of them must sign each (1 of 1, 2 of 3).
pub fn template(
    chain_id: &str,
    genesis_time_ms: u64,
    block_time_ms: u64,
    epoch_ms: u64,
    validators: &[(String, Address)],
    accounts: &[(String, Address, u64)],
    oracles: &[Address],
) -> GenesisFile {
    let genesis = Genesis {
        chain_id: chain_id.to_string(),
        genesis_time_ms,
        block_time_ms,
        token: Token {
            name: "Plinth".into(),
            symbol: "PLN".into(),
            decimals: 6,
        },
        fees: Fees { min_fee: 1000 },
        staking: Staking {
            unbonding_blocks: 30,
            max_unbonding_entries: 16,
        },
        accounts: accounts
            .iter()
            .map(|(_, address, balance)| GenesisAccount {
                address: *address,
                balance: *balance,
            })
            .collect(),
        validators: validators
            .iter()
            .map(|(name, address)| Validator {
                address: *address,
                name: name.clone(),
            })
            .collect(),
        networks: with_energy(default_networks(), genesis_time_ms),
        emission: Emission {
            epoch_ms,
            initial_per_epoch: 1_000_000_000,
            halving_interval_epochs: 100_000,
            tail_per_epoch: 100_000_000,
            manifest_max_age_epochs: plinth_ledger::emission::DEFAULT_MANIFEST_MAX_AGE_EPOCHS,
            net_emissions_cap_per_epoch: 0,
        },
        oracles: OracleSet {
            threshold: majority(oracles.len()),
            members: oracles.to_vec(),
        },
        validator_set: None,
        credits: None,
        storage: Some(StorageParams {
            max_failures: 2,
            allow_private_endpoints: true,
            ..StorageParams::default()
        }),
        compute: Some(ComputeParams {
            // The devnet's claims move in seconds: short windows.
            commit_blocks: 30,
            reveal_blocks: 10,
            verify_blocks: 30,
            allow_private_endpoints: true,
            ..ComputeParams::default()
        }),
        governance: Some(governance(DEVNET_VOTING_BLOCKS, DEVNET_MAX_LOCK_BLOCKS)),
        makers: Vec::new(),
        modules: shipped_modules(),
    };
    GenesisFile {
        genesis,
        account_names: accounts.iter().map(|(name, _, _)| name.clone()).collect(),
    }
}

/// The WebAssembly modules of the devnet's custom families (built from the
/// sources in `crates/families`), stored on the ledger at genesis.
pub fn shipped_modules() -> Vec<GenesisModule> {
    [
        plinth_families::vehicles::VEHICLES,
        plinth_families::mapping::MAPPING,
    ]
    .iter()
    .map(|m| GenesisModule {
        name: m.name.to_string(),
        hex: hex::encode(m.bytes),
    })
    .collect()
}

/// The parameters of a custom network running a shipped module: its hash, and
/// `extra`.
fn wasm_params(module: &plinth_families::Shipped, extra: toml::Table) -> toml::Table {
    let mut t = toml::Table::new();
    t.insert(
        "module".into(),
        plinth_ledger::compute_types::module_hash(module.bytes)
            .to_hex()
            .into(),
    );
    t.extend(extra);
    t
}

/// `networks` and the neighbourhood's energy network (`solar`, its sun's day
/// starting at midday on 21 June at `genesis_ms`: [`crate::energy::devnet_params`]).
fn with_energy(mut networks: Vec<GenesisNetwork>, genesis_ms: u64) -> Vec<GenesisNetwork> {
    let params = toml::Table::try_from(crate::energy::devnet_params(genesis_ms))
        .expect("energy parameters are a table");
    networks.push(GenesisNetwork {
        name: crate::energy::ENERGY_NETWORK.into(),
        family: "energy".into(),
        params,
        share_bps: 500,
        usage_bps: 5_000,
        require_maker: false,
    });
    networks
}

/// The devnet's networks: one per built-in proof family, and the vehicles and
/// mapping networks of the shipped WebAssembly families.
fn default_networks() -> Vec<GenesisNetwork> {
    let network = |name: &str, family: &str, share_bps, usage_bps, params| GenesisNetwork {
        name: name.into(),
        family: family.into(),
        params,
        share_bps,
        usage_bps,
        require_maker: false,
    };
    vec![
        network(
            "weather",
            "sensor",
            2500,
            0,
            toml::toml! {
                unit = "celsius"
                min = -60
                max = 60
                max_reports_per_epoch = 100000
            },
        ),
        network(
            "backhaul",
            "uptime",
            1500,
            0,
            toml::toml! { heartbeat_interval_s = 5 },
        ),
        network(
            "lora",
            "coverage",
            2500,
            0,
            toml::toml! {
                rounds_per_epoch = 3
                beacon_bps = 3333
                resolution = 8
                max_range_m = 40000
                max_tx_power_dbm = 36
                gain_margin_db = 6
                max_witnesses_per_beacon = 14
                suspect_links = 2
                suspect_far_share_bps = 3000
            },
        ),
        network(
            "storage",
            "storage",
            1500,
            5000,
            toml::toml! {
                challenge_items = 8
                answer_timeout_ms = 5000
                work_floor_price_per_mib_epoch = 5
            },
        ),
        network(
            "compute",
            "compute",
            500,
            5000,
            toml::toml! {
                checks_per_epoch = 2
                check_timeout_ms = 5000
            },
        ),
        network(
            "vehicles",
            "wasm",
            500,
            0,
            wasm_params(&plinth_families::vehicles::VEHICLES, toml::Table::new()),
        ),
        network(
            "mapping",
            "wasm",
            500,
            2000,
            wasm_params(
                &plinth_families::mapping::MAPPING,
                toml::toml! { resolution = 9 },
            ),
        ),
    ]
}

/// The file's opening comment.
const HEADER: &str = "\
Plinth genesis: the first state of a chain. Every validator must start from
the same file, byte for byte; its hash is the chain's identity.";

/// Comments on the top-level keys and on the tables, by path; in the order the
/// tables appear in the file.
const NOTES: &[(&str, &str)] = &[
    ("chain_id", "Identifies the chain; transactions name it, so they cannot be replayed elsewhere."),
    ("genesis_time_ms", "Time of the genesis block, milliseconds since the Unix epoch."),
    ("block_time_ms", "Target time between blocks, in milliseconds."),
    ("token", ""),
    ("token.decimals", "Amounts on the ledger are integers in the smallest unit: 1 PLN = 10^decimals units."),
    ("fees", ""),
    ("fees.min_fee", "Smallest fee a transaction may pay, in the smallest unit. Fees go to the block's\nproposer."),
    ("staking", ""),
    ("staking.unbonding_blocks", "Blocks between unbonding stake and being able to withdraw it."),
    ("staking.max_unbonding_entries", "Unbonding entries one account may have open at a time."),
    ("emission", "Emission: new tokens paid to devices' owners through reward manifests. Time is cut\ninto epochs of `epoch_ms` from `genesis_time_ms`; epoch e emits\nmax(initial_per_epoch >> (e / halving_interval_epochs), tail_per_epoch), split\nacross the networks by their `share_bps`. Amounts in the smallest unit."),
    ("emission.epoch_ms", "Length of an epoch (30 s on the devnet: rewards show up quickly)."),
    ("emission.initial_per_epoch", "1,000 PLN per epoch at first…"),
    ("emission.halving_interval_epochs", "…halving every 100,000 epochs (0 = never)…"),
    ("emission.tail_per_epoch", "…but never less than 100 PLN per epoch."),
    ("emission.manifest_max_age_epochs", "A manifest is accepted at most this many epochs after its epoch; what an epoch\ndid not mint by then is never minted (no backlog for a leaked oracle key). The\noracle closes every epoch, with an empty manifest when it paid nothing."),
    ("oracles", "Oracles score the devices' work each epoch and sign its reward manifest; the\nledger accepts a manifest signed by at least `threshold` distinct members."),
    ("validator_set", "The validator set changes at the start of the next validator epoch of\n`epoch_blocks` blocks: by a governance proposal, or, with an `admin` (a\nbootstrap key, `plinth testnet init --bootstrap-admin`), by that account's\n`plinth wallet set-validators` (and `set-oracles`)."),
    ("credits", ""),
    ("storage", "Storage deals (see the `storage` network below)."),
    ("storage.max_failures", "Failed epochs in a row after which a deal is slashed: its collateral goes to the\nconsumer and the deal ends. The devnet slashes fast (the default is 3)."),
    ("storage.max_deal_epochs", "The longest deal, in epochs."),
    ("storage.accept_epochs", "Epochs a pending deal waits for its provider's receipt before anyone may close\nit (everything refunded)."),
    ("storage.allow_private_endpoints", "Providers on this machine or a LAN (loopback and private addresses) may serve\ndeals; off by default, so that an endpoint cannot point the oracle into a\nprivate network."),
    ("compute", "Compute jobs and leases (see the `compute` network below). Windows are in blocks;
the devnet's are short so that claims settle in seconds."),
    ("compute.max_check_failures", "Capacity checks failed in a row that close a lease (never one alone)."),
    ("compute.cheat_slash_bps", "Share of a claim's collateral slashed to the consumer when a spot check finds a
wrong result (or the provider never reveals)."),
    ("compute.default_spot_check_bps", "Share of each claim's tasks the oracle set re-executes, unless the job names one."),
    ("compute.allow_private_endpoints", "Providers on this machine or a LAN may serve (as for storage)."),
    ("governance", "Governance: holders lock tokens for voting power and decide proposals (network\nshares and parameters, new networks, oracle and validator sets, treasury\nspends, device makers, software upgrades). Periods and locks are in blocks,\nshares in basis points (10000 = all), amounts in the smallest unit."),
    ("governance.min_lock_blocks", "A position's power grows linearly with its lock, up to `max_multiplier_bps`\n(1000000 = 100x the amount) at `max_lock_blocks`. Unlocking starts a cooldown\nas long as the lock, during which the power decays to zero."),
    ("governance.min_deposit", "A proposal is voted on once this much is deposited within\n`deposit_period_blocks`; deposits are returned unless it is vetoed."),
    ("governance.voting_period_blocks", "Votes (yes, no, abstain, veto; changeable) are counted until the period's last\nblock; passed actions apply at its end."),
    ("governance.quorum_bps", "Cosmos x/gov's rules: at least `quorum_bps` of all voting power must vote; more\nthan `veto_bps` of the votes vetoing burns the deposit; otherwise more than\n`threshold_bps` of yes among yes, no and veto passes."),
    ("governance.max_description_bytes", ""),
    ("governance.treasury_bps", "Share of each epoch's emission minted into the treasury, which proposals spend;\nthe networks' shares and this add up to at most 10000 (here the networks take\nall: a proposal lowering a network's share makes room)."),
    ("governance.bounds", "Proposals may set the credit, storage and emission-tail settings only within\nthese ranges."),
    ("validators", "Validators seal blocks. Fees of their blocks go to their account."),
    ("accounts", "Initial balances, in the smallest unit."),
    ("networks", "Networks of devices. Each names the proof family that verifies its devices'\nwork; `params` belong to that family (the ledger stores them as given).\n`share_bps` is the network's share of each epoch's emission, in basis points\n(10000 = all of it); the shares add up to at most 10000."),
    ("networks.usage_bps", "Half of the share pays providers by the credits consumers paid them (usage),\nhalf by the MiB they proved."),
    ("makers", "Device makers approved from the start. A network with `require_maker` takes only\ndevices whose key an approved maker signed (`plinth maker sign`, then `plinth\ndevice register --maker --maker-signature`); the maker's credits pay\n`onboard_fee_credits` per device. Governance approves and revokes makers later."),
];

/// Comments on networks, by family, and on their parameters, by name; in the
/// order the parameters appear in the file.
const NETWORK_NOTES: &[(&str, &str)] = &[
    ("coverage", "Radio hotspots that prove coverage by being heard (beacons and witnesses)."),
    ("storage", "Storage providers keep consumers' files under deals (`plinth storage put`); each\nepoch the oracle challenges every active deal on random segments of its file."),
    ("compute", "Compute providers run consumers' WebAssembly jobs (`plinth compute render`,
`plinth compute job`) and lease capacity; the oracle set re-executes a share of
every claim's tasks and checks leased providers' capacity."),
    ("energy", "A local energy market: meters (made by an approved maker) report signed interval\nreadings; bids and offers clear per zone (an H3 cell at `zone_resolution`) and\ninterval as a uniform-price double auction at gate closure, and settle against\nthe readings (`plinth energy`). Verified generation earns the share; sales are usage."),
    ("interval_ms", "Trading intervals (15 minutes by default; 30 s here)."),
    ("gate_ms", "Orders for an interval close this long before it starts."),
    ("settle_ms", "Readings are taken until this long after an interval ends; then it settles\n(missing readings count as zero)."),
    ("penalty_price", "Credits per kWh a seller pays for energy it sold and did not deliver."),
    ("day_ms", "The sun's day: 12 minutes here (an interval is an hour of sun), its calendar\nstarting at midday on 21 June (`sun_offset_ms`), so that a devnet sees night\nwithin minutes."),
    ("certificate_wh", "Verified generation per certificate (a MWh by default; 50 Wh here)."),
    ("settle_budget_per_block", "Readings and fills one block settles at most, whole zones at a time: a large\ninterval settles over several blocks instead of stalling one."),
    ("checks_per_epoch", "Capacity checks per leased provider and epoch, at times the oracle draws."),
    ("check_timeout_ms", "How long a provider has to answer a capacity check."),
    ("coverage.params", "HIP-17 hex density scaling: Helium's mainnet table unless set, e.g.\ndensity = [{ res = 8, n = 2, target = 1, max = 4 }, { res = 10, n = 2, target = 1, max = 1 }]"),
    ("unit", ""),
    ("min", ""),
    ("max", ""),
    ("max_reports_per_epoch", "Reports the oracle takes from one device per epoch (beside the family's own\nparameters; by default what the family can use, here 72). The devnet takes\nbursts: load and crash tests stream hundreds per device."),
    ("heartbeat_interval_s", "One heartbeat per 5 s interval proves the interval (epochs are 30 s)."),
    ("rounds_per_epoch", "Each epoch has 3 beacon rounds; in each, a third of the hotspots are drawn\n(from a block hash) to beacon, so each beacons about once an epoch."),
    ("beacon_bps", ""),
    ("resolution", "Witnesses in the same or an adjacent H3 cell at this resolution prove nothing."),
    ("max_range_m", ""),
    ("max_tx_power_dbm", "Beacons may declare at most this EIRP; an RSSI above free-space path loss at\nthe asserted distance plus this margin is refused."),
    ("gain_margin_db", ""),
    ("max_witnesses_per_beacon", ""),
    ("suspect_links", "A hotspot with at least `suspect_links` distinct too-strong links (more than\nany of its counterparts), or that many too-far links making up\n`suspect_far_share_bps` of its links, is a location suspect for the epoch."),
    ("suspect_far_share_bps", ""),
    ("challenge_items", "Segments challenged per deal and epoch."),
    ("answer_timeout_ms", "How long an agent has to answer a challenge."),
    ("work_floor_price_per_mib_epoch", "Work is paid only for deals at or above this price (credits per started MiB and\nepoch), and no provider is paid more in an epoch than the token value of what\nits deals paid: opening deals with one's own provider costs at least what it\nearns."),
];

impl GenesisFile {
    /// The genesis file's text: every field of the genesis, commented.
    pub fn to_toml(&self) -> String {
        let mut doc: DocumentMut = self
            .genesis
            .to_toml()
            .parse()
            .expect("the ledger writes valid TOML");
        let root = doc.as_table_mut();
        // Shown although it is the default: the reader should know the limit.
        if let Some(emission) = root.get_mut("emission").and_then(Item::as_table_mut) {
            if !emission.contains_key("manifest_max_age_epochs") {
                let age = self.genesis.emission.manifest_max_age_epochs as i64;
                emission.insert("manifest_max_age_epochs", toml_edit::value(age));
            }
        }
        inline_bounds(root);
        let mut position = 0;
        for (path, note) in NOTES {
            match path.split_once('.') {
                None if root.get(path).is_some_and(Item::is_value) => note_key(root, path, note),
                None => {
                    position = place(root.get_mut(path), position);
                    note_table(root.get_mut(path), note);
                }
                Some((table, key)) => match root.get_mut(table) {
                    Some(Item::Table(t)) => note_key(t, key, note),
                    Some(Item::ArrayOfTables(ts)) => {
                        ts.iter_mut().for_each(|t| note_key(t, key, note))
                    }
                    _ => {}
                },
            }
        }
        note_networks(root);
        note_accounts(root, &self.account_names);
        let header: String = comment(HEADER) + "\n";
        if let Some(mut key) = root.key_mut("chain_id") {
            let prefix = key
                .leaf_decor()
                .prefix()
                .and_then(|p| p.as_str())
                .unwrap_or("")
                .to_string();
            key.leaf_decor_mut().set_prefix(header + &prefix);
        }
        doc.to_string()
    }
}

/// `# `-prefixed lines of `text`.
fn comment(text: &str) -> String {
    text.lines().map(|l| format!("# {l}\n")).collect()
}

/// Writes each range of `[governance.bounds]` on one line,
/// `credit_micro_usd = { min = 1, max = 1000 }`, rather than as a table of its own.
fn inline_bounds(root: &mut Table) {
    let bounds = root
        .get_mut("governance")
        .and_then(Item::as_table_mut)
        .and_then(|g| g.get_mut("bounds"))
        .and_then(Item::as_table_mut);
    let Some(bounds) = bounds else {
        return;
    };
    let keys: Vec<String> = bounds.iter().map(|(k, _)| k.to_string()).collect();
    for key in keys {
        // Removed and inserted again (in order): the key loses the table
        // header's layout and gets a plain `key = value` one.
        if let Some(Item::Table(t)) = bounds.remove(&key) {
            let inline = toml_edit::Value::InlineTable(t.into_inline_table());
            bounds.insert(&key, Item::Value(inline));
        }
    }
}

/// Puts `note` above `key` of `table` (above its header, for a sub-table).
fn note_key(table: &mut Table, key: &str, note: &str) {
    if let Some(Item::Table(sub)) = table.get_mut(key) {
        if !note.is_empty() {
            sub.decor_mut().set_prefix(format!("\n{}", comment(note)));
        }
        return;
    }
    match table.key_mut(key) {
        Some(mut k) if !note.is_empty() => k.leaf_decor_mut().set_prefix(comment(note)),
        _ => {}
    }
}

/// Puts `note` above a table's header (the first header of an array of tables),
/// after a blank line.
fn note_table(item: Option<&mut Item>, note: &str) {
    let table = match item {
        Some(Item::Table(t)) => Some(t),
        Some(Item::ArrayOfTables(ts)) => ts.get_mut(0),
        _ => None,
    };
    if let Some(t) = table {
        t.decor_mut().set_prefix(format!("\n{}", comment(note)));
    }
}

/// Gives a table, or each table of an array with its sub-tables, the next
/// positions in the file.
fn place(item: Option<&mut Item>, mut position: usize) -> usize {
    let mut next = |t: &mut Table| {
        t.set_position(position);
        position += 1;
        for (_, sub) in t.iter_mut() {
            if let Item::Table(s) = sub {
                s.set_position(position);
                position += 1;
            }
        }
    };
    match item {
        Some(Item::Table(t)) => next(t),
        Some(Item::ArrayOfTables(ts)) => ts.iter_mut().for_each(next),
        _ => {}
    }
    position
}

/// Comments on each network, by family, and on its parameters, which are put in
/// the order of [`NETWORK_NOTES`].
fn note_networks(root: &mut Table) {
    let Some(Item::ArrayOfTables(networks)) = root.get_mut("networks") else {
        return;
    };
    let note = |key: &str| {
        NETWORK_NOTES
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, n)| *n)
    };
    let rank = |key: &str| {
        NETWORK_NOTES
            .iter()
            .position(|(k, _)| *k == key)
            .unwrap_or(usize::MAX)
    };
    for (i, network) in networks.iter_mut().enumerate() {
        let family = network
            .get("family")
            .and_then(Item::as_str)
            .unwrap_or("")
            .to_string();
        // The first network's header carries the note on all networks.
        match note(&family) {
            Some(n) if i > 0 => network.decor_mut().set_prefix(format!("\n{}", comment(n))),
            _ => {}
        }
        if let Some(params) = network.get_mut("params").and_then(Item::as_table_mut) {
            params.sort_values_by(|a, _, b, _| rank(a).cmp(&rank(b)));
            if let Some(n) = note(&format!("{family}.params")) {
                params
                    .decor_mut()
                    .set_suffix(format!("\n{}", comment(n).trim_end()));
            }
            let keys: Vec<String> = params.iter().map(|(k, _)| k.to_string()).collect();
            for key in keys {
                note_key(params, &key, note(&key).unwrap_or(""));
            }
        }
    }
}

/// Names each `[[accounts]]` entry after its account, on its header line.
fn note_accounts(root: &mut Table, names: &[String]) {
    if let Some(Item::ArrayOfTables(accounts)) = root.get_mut("accounts") {
        for (account, name) in accounts.iter_mut().zip(names) {
            account.decor_mut().set_suffix(format!(" # {name}"));
        }
    }
}

/// What `plinth genesis init` and the devnet create.
pub struct Setup {
    /// The genesis file's text.
    pub genesis_toml: String,
    /// The one validator's key.
    pub validator: Keypair,
    /// The members of the oracle set, which sign reward manifests (named by
    /// [`oracle_name`] in the keystore).
    pub oracles: Vec<Keypair>,
    /// The funded accounts' names and keys.
    pub accounts: Vec<(String, Keypair)>,
    /// The device maker approved at genesis ([`MAKER_NAME`] in the keystore): it
    /// certifies the devices of the networks that require a maker (`vehicles`).
    pub maker: Keypair,
}

impl Setup {
    /// Adds the validator's, the oracle's and the accounts' keys to the keystore
    /// at `path` (created when missing).
    pub fn save_keys(&self, path: &Path) -> Result<()> {
        let mut ks = Keystore::load(path)?;
        self.add_keys(&mut ks)?;
        ks.save()
    }

    /// Adds the validator's, the oracles', the accounts' and the maker's keys to
    /// `ks` (sealed, when it is encrypted); the caller saves it.
    pub fn add_keys(&self, ks: &mut Keystore) -> Result<()> {
        ks.add("validator", &self.validator)?;
        for (i, key) in self.oracles.iter().enumerate() {
            ks.add(&oracle_name(i), key)?;
        }
        for (name, key) in &self.accounts {
            ks.add(name, key)?;
        }
        ks.add(MAKER_NAME, &self.maker)?;
        Ok(())
    }
}

/// `n` fresh funded accounts' names ([`DEV_NAMES`], then `account8`, …) and keys.
pub fn dev_accounts(n: usize) -> Vec<(String, Keypair)> {
    (0..n)
        .map(|i| {
            let name = DEV_NAMES
                .get(i)
                .map(|n| n.to_string())
                .unwrap_or_else(|| format!("account{i}"));
            (name, Keypair::generate())
        })
        .collect()
}

/// The funded accounts of `oracles` (named by [`oracle_name`]): each pays the
/// fees of the manifests and prices it submits.
pub fn oracle_accounts(oracles: &[Keypair]) -> Vec<(String, Address, u64)> {
    oracles
        .iter()
        .enumerate()
        .map(|(i, k)| (oracle_name(i), Address(k.public()), DEV_BALANCE / 1000))
        .collect()
}

/// Fresh keys for one validator, `oracles` oracles (a [`majority`] of which must
/// sign a manifest) and `accounts` funded accounts, and a genesis naming them.
pub fn new_setup(
    chain_id: &str,
    accounts: usize,
    oracles: usize,
    block_time_ms: u64,
    epoch_ms: u64,
    now_ms: u64,
) -> Result<Setup> {
    let validator = Keypair::generate();
    let oracles: Vec<Keypair> = (0..oracles).map(|_| Keypair::generate()).collect();
    let accounts = dev_accounts(accounts);
    let maker = Keypair::generate();
    let mut file = template(
        chain_id,
        now_ms,
        block_time_ms,
        epoch_ms,
        &[("validator".into(), Address(validator.public()))],
        &accounts
            .iter()
            .map(|(n, k)| (n.clone(), Address(k.public()), DEV_BALANCE))
            .chain(oracle_accounts(&oracles))
            .collect::<Vec<_>>(),
        &oracles
            .iter()
            .map(|k| Address(k.public()))
            .collect::<Vec<_>>(),
    );
    with_maker(&mut file.genesis, &Address(maker.public()));
    let text = file.to_toml();
    // The template must always be a valid genesis.
    Genesis::from_toml(&text).context("generated genesis is invalid")?;
    Ok(Setup {
        genesis_toml: text,
        validator,
        oracles,
        accounts,
        maker,
    })
}

/// The name of the genesis maker's key in a keystore.
pub const MAKER_NAME: &str = "maker";
/// The genesis maker's name on the ledger.
pub const MAKER_LABEL: &str = "Devnet Telematics";
/// The networks whose devices a maker must onboard: DIMO's vehicles take only
/// aftermarket devices from approved manufacturers, the energy market only
/// approved meters.
pub const MAKER_NETWORKS: &[&str] = &["vehicles", "solar"];

/// Approves `maker` in `genesis` (no onboarding fee: the devnet's maker holds no
/// credits) and makes [`MAKER_NETWORKS`] require a maker.
pub fn with_maker(genesis: &mut Genesis, maker: &Address) {
    genesis.makers.push(plinth_ledger::genesis::GenesisMaker {
        address: *maker,
        name: MAKER_LABEL.into(),
        onboard_fee_credits: 0,
    });
    for n in genesis
        .networks
        .iter_mut()
        .filter(|n| MAKER_NETWORKS.contains(&n.name.as_str()))
    {
        n.require_maker = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses() {
        let s = new_setup("t", 3, 1, 1000, 30_000, 0).unwrap();
        let g = Genesis::from_toml(&s.genesis_toml).unwrap();
        // Three accounts and the oracle, which pays its manifests' fees.
        assert_eq!(g.accounts.len(), 4);
        assert_eq!(g.networks.len(), 8);
        assert_eq!(g.supply(), 3 * DEV_BALANCE + DEV_BALANCE / 1000);
        assert_eq!(g.emission.epoch_ms, 30_000);
        assert_eq!(g.emission.initial_per_epoch, 1_000_000_000);
        assert_eq!(g.emission.halving_interval_epochs, 100_000);
        assert_eq!(g.emission.tail_per_epoch, 100_000_000);
        assert_eq!(g.oracles.threshold, 1);
        assert_eq!(g.oracles.members, vec![Address(s.oracles[0].public())]);
        let shares: Vec<u32> = g.networks.iter().map(|n| n.share_bps).collect();
        assert_eq!(shares, vec![2_500, 1_500, 2_500, 1_500, 500, 500, 500, 500]);
        // The devnet's maker onboards the vehicles' and the meters' devices.
        assert_eq!(g.makers.len(), 1);
        let required: Vec<&str> = g
            .networks
            .iter()
            .filter(|n| n.require_maker)
            .map(|n| n.name.as_str())
            .collect();
        assert_eq!(required, MAKER_NETWORKS);
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
                require_maker: n.require_maker,
                epoch: 0,
                allowance: 0,
            };
            info.family()
                .unwrap_or_else(|e| panic!("network {}: {e}", n.name));
            info.max_reports_per_epoch(g.emission.epoch_ms)
                .unwrap_or_else(|e| panic!("network {}: {e}", n.name));
        }
    }

    #[test]
    fn template_has_governance_with_short_periods_and_readable_bounds() {
        let s = new_setup("t", 1, 1, 1000, 30_000, 0).unwrap();
        let g = Genesis::from_toml(&s.genesis_toml).unwrap();
        let gov = g.governance.expect("[governance]");
        assert_eq!(
            gov,
            governance(DEVNET_VOTING_BLOCKS, DEVNET_MAX_LOCK_BLOCKS)
        );
        assert_eq!(gov.voting_period_blocks, 20);
        assert_eq!(
            (gov.quorum_bps, gov.threshold_bps, gov.veto_bps),
            (3340, 5000, 3340)
        );
        assert_eq!(gov.min_deposit, DEV_BALANCE / 1000);
        // The networks share all of the emission: no room for a treasury share.
        assert_eq!(gov.treasury_bps, 0);
        assert!(gov.validate().is_ok());
        // The devnet has no validator set section (no admin key beside governance).
        assert!(g.validator_set.is_none());
        let text = &s.genesis_toml;
        assert!(text.contains("\n[governance]\n"), "{text}");
        assert!(
            text.contains("credit_micro_usd = { min = 1, max = 1000 }"),
            "{text}"
        );
        assert!(text.contains("# Cosmos x/gov's rules"), "{text}");
        assert!(text.contains("# Proposals may set the credit"), "{text}");
        // Lock bounds follow the ledger's limits.
        assert_eq!(governance(0, u64::MAX).max_lock_blocks, u64::from(u32::MAX));
        assert_eq!(governance(0, 10).voting_period_blocks, 1);
    }

    #[test]
    fn several_oracles_need_a_majority_and_are_funded() {
        assert_eq!(
            (0..=7).map(majority).collect::<Vec<_>>(),
            vec![0, 1, 2, 2, 3, 3, 4, 4]
        );
        let s = new_setup("t", 2, 3, 1000, 30_000, 0).unwrap();
        let g = Genesis::from_toml(&s.genesis_toml).unwrap();
        let members: Vec<Address> = s.oracles.iter().map(|k| Address(k.public())).collect();
        assert_eq!(members.len(), 3);
        assert_eq!((g.oracles.threshold, &g.oracles.members), (2, &members));
        for m in &members {
            let funded = g.accounts.iter().find(|a| a.address == *m);
            assert_eq!(funded.map(|a| a.balance), Some(DEV_BALANCE / 1000));
        }
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keystore.json");
        s.save_keys(&path).unwrap();
        let ks = Keystore::load(&path).unwrap();
        let keys: Vec<Address> = oracle_keys(&ks)
            .unwrap()
            .iter()
            .map(|k| Address(k.public()))
            .collect();
        assert_eq!(keys, members);
        assert_eq!(ks.resolve("oracle2").unwrap(), members[2]);
        let names = [
            "oracle", "oracle1", "oracle12", "oracle0", "oracles", "oracle1x",
        ];
        let oracles: Vec<bool> = names.iter().map(|n| is_oracle_name(n)).collect();
        assert_eq!(oracles, [true, true, true, false, false, false]);
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
        )
        .to_toml();
        let g = Genesis::from_toml(&text).unwrap();
        assert_eq!(g.oracles.threshold, 0);
        assert!(g.oracles.members.is_empty());
    }
}
