//! The genesis: a TOML file that fixes the token, the initial balances, the
//! networks and their proof families, the validators, the block time, the emission
//! schedule, the oracle set, and the device makers approved from the start.

use crate::block::{Block, BlockHeader};
use crate::emission::{Emission, Supply, BPS};
use crate::error::LedgerError;
use crate::governance::makers::Maker;
use crate::oracle_set::OracleSet;
use crate::outcome::Execution;
use crate::params::{ChainParams, Network, Validator};
use crate::state::{Overlay, Store};
use crate::{accounts::Account, keys, tree, Amount};
use plinth_core::{Address, FamilyKind, Hash, Signature};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A chain's genesis file: everything its first state is built from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// The chain's name, which every transaction and block names (1 to 64 characters).
    pub chain_id: String,
    /// Timestamp of the genesis block, milliseconds since the Unix epoch.
    pub genesis_time_ms: u64,
    /// Target interval between blocks.
    pub block_time_ms: u64,
    /// The token.
    pub token: Token,
    /// Transaction fees.
    pub fees: Fees,
    /// Staking rules.
    pub staking: Staking,
    /// Accounts and their balances at genesis.
    #[serde(default)]
    pub accounts: Vec<GenesisAccount>,
    /// The first validator set.
    pub validators: Vec<Validator>,
    /// The networks of devices, each with its proof family.
    #[serde(default)]
    pub networks: Vec<GenesisNetwork>,
    /// The emission schedule; by default nothing is emitted.
    #[serde(default)]
    pub emission: Emission,
    /// The oracles that sign reward manifests; by default none (no manifests).
    #[serde(default)]
    pub oracles: OracleSet,
    /// How the validator set may change; by default it never does. Left out of the
    /// serialised form when absent, so older genesis files keep their hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validator_set: Option<crate::validators::ValidatorSetGenesis>,
    /// Credit settings (price of a credit, oldest usable token price); the defaults
    /// when absent, which also keeps older genesis files' hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credits: Option<crate::credits::CreditParams>,
    /// Storage deal settings (failures before a slash, longest deal); the defaults
    /// when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<crate::storage::StorageParams>,
    /// Compute market settings (check failures, slashing, spot-check rate, job
    /// limits and windows); the defaults when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compute: Option<crate::compute_types::ComputeParams>,
    /// Governance settings (locks, deposits, periods, quorum, threshold, veto,
    /// treasury share, bounds); without them, no governance call is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub governance: Option<crate::governance::GovParams>,
    /// Device makers approved at genesis (`[[makers]]`); left out of the
    /// serialised form when empty, so older genesis files keep their hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub makers: Vec<GenesisMaker>,
    /// WebAssembly modules on the ledger from the start (`[[modules]]`), e.g.
    /// the custom proof families its `wasm` networks name; left out of the
    /// serialised form when empty, so older genesis files keep their hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modules: Vec<GenesisModule>,
}

/// A WebAssembly module stored at genesis, named by its hash
/// ([`crate::compute_types::module_hash`]) as uploaded ones are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisModule {
    /// A name for people (what it is).
    pub name: String,
    /// The module's bytes, hex.
    pub hex: String,
}

impl GenesisModule {
    /// The module's bytes (`None` if `hex` is not hex).
    pub fn bytes(&self) -> Option<Vec<u8>> {
        hex::decode(&self.hex).ok()
    }
}

/// A device maker approved at genesis ([`crate::governance::makers`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisMaker {
    /// The maker's key (its account pays onboarding fees in credits).
    pub address: Address,
    /// A name for people (1 to 64 bytes).
    pub name: String,
    /// Credits charged to the maker per device onboarded.
    #[serde(default)]
    pub onboard_fee_credits: u64,
}

/// The genesis's `[token]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    /// The token's name.
    pub name: String,
    /// The token's ticker symbol.
    pub symbol: String,
    /// Decimal places of a whole token (at most 18); amounts count the smallest unit.
    pub decimals: u8,
}

/// The genesis's `[fees]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fees {
    /// The smallest fee a transaction may pay, in the smallest unit.
    pub min_fee: Amount,
}

/// The genesis's `[staking]` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Staking {
    /// Blocks between an unbond and the withdrawal of its tokens.
    pub unbonding_blocks: u64,
    /// How many unbonding entries one account may have at once.
    #[serde(default = "default_max_unbonding")]
    pub max_unbonding_entries: u64,
}

fn default_max_unbonding() -> u64 {
    16
}

/// An account funded at genesis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    /// The account's address.
    pub address: Address,
    /// Its balance, in the smallest unit.
    pub balance: Amount,
}

/// A network of devices declared at genesis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisNetwork {
    /// Its name: 1 to 32 characters of `a-z`, `0-9` and `-`.
    pub name: String,
    /// The proof family that verifies this network's work (`uptime`, `sensor`, …).
    pub family: String,
    /// The family's parameters; opaque to the ledger.
    #[serde(default)]
    pub params: toml::Table,
    /// The network's share of each epoch's emission, in basis points (out of
    /// 10,000); the shares of all networks add up to at most 10,000.
    #[serde(default)]
    pub share_bps: u32,
    /// The part of the network's share paid as usage rewards (by credits its
    /// devices earned from consumers), in basis points of that share.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub usage_bps: u32,
    /// Whether devices must be onboarded by an approved maker.
    #[serde(default, skip_serializing_if = "is_false")]
    pub require_maker: bool,
}

impl GenesisNetwork {
    /// The kind of the proof family the network names.
    pub fn kind(&self) -> Result<plinth_core::FamilyKind, plinth_core::UnknownFamily> {
        self.family.parse()
    }
}

impl Genesis {
    /// Parses and validates a genesis file's text.
    pub fn from_toml(text: &str) -> Result<Genesis, LedgerError> {
        let g: Genesis = toml::from_str(text).map_err(|e| LedgerError::Genesis(e.to_string()))?;
        g.validate()?;
        Ok(g)
    }

    /// The genesis as TOML text.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("genesis serialises")
    }

    /// The genesis's identity: a hash of its canonical JSON form.
    pub fn hash(&self) -> Hash {
        Hash::tagged(
            "plinth/genesis",
            &serde_json::to_vec(self).expect("genesis serialises"),
        )
    }

    /// The chain parameters this genesis fixes (kept in state).
    pub fn params(&self) -> ChainParams {
        ChainParams {
            chain_id: self.chain_id.clone(),
            token_name: self.token.name.clone(),
            token_symbol: self.token.symbol.clone(),
            decimals: self.token.decimals,
            block_time_ms: self.block_time_ms,
            min_fee: self.fees.min_fee,
            unbonding_blocks: self.staking.unbonding_blocks,
            max_unbonding_entries: self.staking.max_unbonding_entries,
            genesis_time_ms: self.genesis_time_ms,
            emission: self.emission.clone(),
            chain: self.chain(),
        }
    }

    /// The chain's identity, which signed messages name: derived from
    /// [`Genesis::hash`], so two chains sharing a `chain_id` still differ.
    pub fn chain(&self) -> Hash {
        plinth_core::chain_identity(&self.hash())
    }

    /// Checks the genesis is consistent: names, supply, shares, oracle set, settings.
    pub fn validate(&self) -> Result<(), LedgerError> {
        let bad = |m: String| Err(LedgerError::Genesis(m));
        if self.chain_id.is_empty() || self.chain_id.len() > 64 {
            return bad("chain_id must be 1 to 64 characters".into());
        }
        if self.token.decimals > 18 {
            return bad("token.decimals must be at most 18".into());
        }
        if self.block_time_ms == 0 {
            return bad("block_time_ms must be positive".into());
        }
        if self.validators.is_empty() {
            return bad("at least one validator is required".into());
        }
        let mut seen = BTreeSet::new();
        for v in &self.validators {
            if !seen.insert(v.address) {
                return bad(format!("validator {} listed twice", v.address));
            }
        }
        let mut seen = BTreeSet::new();
        let mut supply: Amount = 0;
        for a in &self.accounts {
            if !seen.insert(a.address) {
                return bad(format!("account {} listed twice", a.address));
            }
            supply = match supply.checked_add(a.balance) {
                Some(s) => s,
                None => return bad("total supply overflows u64".into()),
            };
        }
        let mut seen = BTreeSet::new();
        for n in &self.networks {
            if !Network::valid_name(&n.name) {
                return bad(format!(
                    "network name `{}` must be 1 to 32 characters of a-z, 0-9 and -",
                    n.name
                ));
            }
            if !seen.insert(&n.name) {
                return bad(format!("network `{}` listed twice", n.name));
            }
            if n.usage_bps > BPS {
                return bad(format!(
                    "network `{}`: usage_bps {} is more than {BPS}",
                    n.name, n.usage_bps
                ));
            }
        }
        let shares: u64 = self.networks.iter().map(|n| u64::from(n.share_bps)).sum();
        if shares > u64::from(BPS) {
            return bad(format!(
                "networks' share_bps add up to {shares}, more than {BPS}"
            ));
        }
        if self.emission.epoch_ms == 0 {
            return bad("emission.epoch_ms must be positive".into());
        }
        if self.emission.manifest_max_age_epochs == 0 {
            return bad("emission.manifest_max_age_epochs must be at least 1".into());
        }
        if let Err(reason) = self.oracles.validate() {
            return bad(reason);
        }
        if let Some(c) = &self.credits {
            if let Err(reason) = c.validate() {
                return bad(reason);
            }
        }
        if let Some(s) = &self.storage {
            if let Err(reason) = s.validate() {
                return bad(reason);
            }
        }
        if let Some(c) = &self.compute {
            if let Err(reason) = c.validate() {
                return bad(reason);
            }
        }
        if let Some(g) = &self.governance {
            if let Err(reason) = g.validate() {
                return bad(reason);
            }
            let total = shares + u64::from(g.treasury_bps);
            if total > u64::from(BPS) {
                return bad(format!(
                    "networks' share_bps and governance.treasury_bps add up to {total}, more than {BPS}"
                ));
            }
        }
        if let Err(reason) = self.validate_makers() {
            return bad(reason);
        }
        if let Err(reason) = self.validate_modules() {
            return bad(reason);
        }
        if let Some(vs) = &self.validator_set {
            if vs.epoch_blocks < 2 {
                return bad("validator_set.epoch_blocks must be at least 2".into());
            }
            if let Err(e) = crate::validators::check_set(&self.validators) {
                return bad(e.to_string());
            }
        }
        Ok(())
    }

    /// Checks the modules (each within the compute limit on module size and
    /// loadable as a custom family, once each) and that every `wasm` network
    /// names one of them.
    fn validate_modules(&self) -> Result<(), String> {
        let max = self.compute.clone().unwrap_or_default().max_module_bytes as usize;
        let mut hashes = std::collections::BTreeSet::new();
        for m in &self.modules {
            let bytes = m
                .bytes()
                .ok_or_else(|| format!("module {:?}: hex is not hex", m.name))?;
            if bytes.len() > max {
                return Err(format!(
                    "module {:?} is {} bytes, more than compute.max_module_bytes ({max})",
                    m.name,
                    bytes.len()
                ));
            }
            if !hashes.insert(crate::compute_types::module_hash(&bytes)) {
                return Err(format!("module {:?} is listed twice", m.name));
            }
        }
        for n in self
            .networks
            .iter()
            .filter(|n| n.family == FamilyKind::Wasm)
        {
            let params = serde_json::to_string(&n.params).expect("params serialise");
            let p = plinth_proofs::wasm::WasmFamilyParams::from_json(&params)
                .map_err(|e| format!("network {}: {e}", n.name))?;
            let m = self
                .modules
                .iter()
                .find(|m| {
                    m.bytes()
                        .is_some_and(|b| crate::compute_types::module_hash(&b) == p.module)
                })
                .ok_or_else(|| {
                    format!(
                        "network {}: module {} is not in [[modules]]",
                        n.name, p.module
                    )
                })?;
            plinth_proofs::wasm::load(&m.bytes().unwrap_or_default())
                .map_err(|e| format!("network {}: module {:?}: {e}", n.name, m.name))?;
        }
        Ok(())
    }

    /// Checks the makers list: each key once, names of 1 to 64 bytes.
    fn validate_makers(&self) -> Result<(), String> {
        let mut seen = BTreeSet::new();
        for m in &self.makers {
            if !seen.insert(m.address) {
                return Err(format!("maker {} listed twice", m.address));
            }
            if !crate::governance::makers::valid_name(&m.name) {
                return Err(format!("maker {}: a name must be 1 to 64 bytes", m.address));
            }
        }
        Ok(())
    }

    /// The total supply at genesis.
    pub fn supply(&self) -> Amount {
        self.accounts.iter().map(|a| a.balance).sum()
    }

    /// Builds the state at version 0 on an empty store.
    pub fn execute<S: Store>(&self, store: &S) -> Result<Execution, LedgerError> {
        self.validate()?;
        if let Some(v) = store.version()? {
            return Err(LedgerError::Genesis(format!(
                "store already holds state at height {v}"
            )));
        }
        let mut state = Overlay::new(store);
        state.put_t(keys::PARAMS.to_vec(), &self.params());
        for a in &self.accounts {
            let acct = Account {
                balance: a.balance,
                ..Account::default()
            };
            state.put_t(keys::account(a.address.key()), &acct);
        }
        for v in &self.validators {
            state.put_t(keys::validator(v.address.key()), v);
        }
        if let Some(vs) = &self.validator_set {
            crate::validators::init(&mut state, vs, &self.validators);
        }
        if let Some(c) = &self.credits {
            state.put_t(keys::CREDIT_PARAMS.to_vec(), c);
        }
        if let Some(s) = &self.storage {
            state.put_t(keys::STORAGE_PARAMS.to_vec(), s);
        }
        if let Some(c) = &self.compute {
            state.put_t(keys::COMPUTE_PARAMS.to_vec(), c);
        }
        for n in &self.networks {
            let network = Network {
                name: n.name.clone(),
                family: n.family.clone(),
                // toml::Table is ordered, so this JSON is canonical.
                params_json: serde_json::to_string(&n.params).expect("params serialise"),
                share_bps: n.share_bps,
                usage_bps: n.usage_bps,
                require_maker: n.require_maker,
            };
            state.put_t(keys::network(&n.name), &network);
        }
        let mut names: Vec<String> = self.networks.iter().map(|n| n.name.clone()).collect();
        names.sort();
        state.put_t(keys::NETWORK_NAMES.to_vec(), &names);
        if let Some(g) = &self.governance {
            state.put_t(keys::GOV_PARAMS.to_vec(), g);
        }
        let makers: Vec<_> = self
            .makers
            .iter()
            .map(|m| Maker::new(m.address, &m.name, m.onboard_fee_credits, None))
            .collect();
        crate::governance::makers::init(&mut state, &makers);
        for m in &self.modules {
            let bytes = m.bytes().unwrap_or_default();
            let chunks = bytes
                .chunks(crate::compute_types::MODULE_CHUNK_BYTES)
                .map(<[u8]>::to_vec)
                .collect();
            crate::compute::jobs::store_module(
                &mut state,
                &crate::compute_types::module_hash(&bytes),
                chunks,
                Address(plinth_core::PublicKey([0; 32])),
                0,
            );
        }
        state.put_t(keys::ORACLES.to_vec(), &self.oracles);
        state.put_t(
            keys::SUPPLY.to_vec(),
            &Supply {
                genesis: self.supply(),
                ..Supply::default()
            },
        );
        state.put_t(keys::HEAD.to_vec(), &(0u64, self.genesis_time_ms));
        let writes = state.into_writes();
        let (state_root, tree_batch) = tree::update(store, &writes, 0)?;
        Ok(Execution {
            version: 0,
            receipts: Vec::new(),
            writes,
            state_root,
            tree_batch,
        })
    }

    /// The genesis block (height 0, no transactions, unsigned) for a state root.
    pub fn block(&self, state_root: Hash) -> Block {
        Block {
            header: BlockHeader {
                chain_id: self.chain_id.clone(),
                height: 0,
                // The parent of genesis names the genesis file itself.
                parent: self.hash(),
                timestamp_ms: self.genesis_time_ms,
                proposer: self.validators[0].address,
                tx_root: Hash::ZERO,
                state_root,
            },
            txs: Vec::new(),
            signature: Signature([0; 64]),
        }
    }
}

fn is_false(v: &bool) -> bool {
    !*v
}

fn is_zero(v: &u32) -> bool {
    *v == 0
}
