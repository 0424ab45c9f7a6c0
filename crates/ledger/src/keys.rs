//! The key layout of ledger state. Every key starts with its module's prefix, so a
//! module's entries are contiguous and prefix scans (devices of an owner) are cheap.

use plinth_core::PublicKey;

/// The chain parameters ([`crate::params::ChainParams`]).
pub const PARAMS: &[u8] = b"sys/params";
/// The head marker: `(height, timestamp_ms)` of the last block.
pub const HEAD: &[u8] = b"sys/head";
/// The token supply record ([`crate::emission::Supply`]).
pub const SUPPLY: &[u8] = b"sys/supply";
/// The oracle set that signs reward manifests ([`crate::rewards::OracleSet`]).
pub const ORACLES: &[u8] = b"sys/oracles";
/// The oracle sets scheduled by transaction, `(from_epoch, set)` in epoch order
/// (see [`crate::oracle_set::oracle_set_at`]).
pub const ORACLE_SCHEDULE: &[u8] = b"sys/oracle_schedule";
/// The latest token price the oracle set posted ([`crate::credits::PricePoint`]).
pub const PRICE: &[u8] = b"sys/price";
/// Credit settings, when the genesis has a `[credits]` section.
pub const CREDIT_PARAMS: &[u8] = b"sys/credit_params";

/// Storage settings, when the genesis has a `[storage]` section.
pub const STORAGE_PARAMS: &[u8] = b"sys/storage_params";

/// A provider device's storage offer ([`crate::storage::StorageOffer`]).
pub fn storage_offer(device: &PublicKey) -> Vec<u8> {
    with_key(b"soff/", device)
}

/// Prefix of every storage offer.
pub const STORAGE_OFFER_PREFIX: &[u8] = b"soff/";

/// A storage deal ([`crate::storage::Deal`]).
pub fn deal(id: &plinth_core::Hash) -> Vec<u8> {
    let mut k = b"deal/".to_vec();
    k.extend_from_slice(id.as_bytes());
    k
}

/// Index entry: consumer → deal (value empty).
pub fn deal_by_consumer(consumer: &PublicKey, id: &plinth_core::Hash) -> Vec<u8> {
    let mut k = with_key(b"dealc/", consumer);
    k.extend_from_slice(id.as_bytes());
    k
}

/// Index entry: provider device → deal (value empty).
pub fn deal_by_provider(provider: &PublicKey, id: &plinth_core::Hash) -> Vec<u8> {
    let mut k = with_key(b"dealp/", provider);
    k.extend_from_slice(id.as_bytes());
    k
}

/// Prefix of a consumer's deal index.
pub fn deals_of_consumer(consumer: &PublicKey) -> Vec<u8> {
    with_key(b"dealc/", consumer)
}

/// Prefix of a provider device's deal index.
pub fn deals_of_provider(provider: &PublicKey) -> Vec<u8> {
    with_key(b"dealp/", provider)
}

/// The active deals of a network: `deala/{network}/{id}` (value empty).
pub fn active_deals(network: &str) -> Vec<u8> {
    let mut k = b"deala/".to_vec();
    k.extend_from_slice(network.as_bytes());
    k.push(b'/');
    k
}

/// Index entry: an active deal of a network (value empty).
pub fn active_deal(network: &str, id: &plinth_core::Hash) -> Vec<u8> {
    let mut k = active_deals(network);
    k.extend_from_slice(id.as_bytes());
    k
}

/// Credits used and refunded by a storage network in one epoch.
pub fn storage_usage(network: &str, epoch: u64) -> Vec<u8> {
    let mut k = b"susage/".to_vec();
    k.extend_from_slice(network.as_bytes());
    k.push(b'/');
    k.extend_from_slice(&epoch.to_be_bytes());
    k
}

/// An account's credits ([`crate::credits::Credits`]).
pub fn credits(addr: &PublicKey) -> Vec<u8> {
    with_key(b"cred/", addr)
}

/// Tokens minted and burned in one reward epoch (big-endian, so epochs sort).
pub fn epoch_supply(epoch: u64) -> Vec<u8> {
    let mut k = b"sys/esupply/".to_vec();
    k.extend_from_slice(&epoch.to_be_bytes());
    k
}

/// The validator-set record ([`crate::validators::ValidatorSet`]), on chains that
/// can change their set.
pub const VALIDATOR_SET: &[u8] = b"sys/validator_set";

fn with_key(prefix: &[u8], key: &PublicKey) -> Vec<u8> {
    let mut k = Vec::with_capacity(prefix.len() + 32);
    k.extend_from_slice(prefix);
    k.extend_from_slice(key.as_bytes());
    k
}

/// An account ([`crate::accounts::Account`]).
pub fn account(addr: &PublicKey) -> Vec<u8> {
    with_key(b"acct/", addr)
}

/// A device ([`crate::devices::Device`]).
pub fn device(id: &PublicKey) -> Vec<u8> {
    with_key(b"dev/", id)
}

/// Index entry: owner → device (value empty).
pub fn owner_device(owner: &PublicKey, device: &PublicKey) -> Vec<u8> {
    let mut k = owner_prefix(owner);
    k.extend_from_slice(device.as_bytes());
    k
}

/// Prefix of an owner's device index.
pub fn owner_prefix(owner: &PublicKey) -> Vec<u8> {
    with_key(b"own/", owner)
}

/// A validator ([`crate::params::Validator`]).
pub fn validator(addr: &PublicKey) -> Vec<u8> {
    with_key(b"val/", addr)
}

/// Prefix of every validator.
pub const VALIDATOR_PREFIX: &[u8] = b"val/";

/// A network ([`crate::params::Network`]).
pub fn network(name: &str) -> Vec<u8> {
    let mut k = b"net/".to_vec();
    k.extend_from_slice(name.as_bytes());
    k
}

/// Prefix of every network.
pub const NETWORK_PREFIX: &[u8] = b"net/";

/// Prefix of every network's registry digest.
pub const REGISTRY_PREFIX: &[u8] = b"reg/";

/// A network's registry digest ([`crate::devices::RegistryDigest`]): `reg/{network}`.
pub fn registry(network: &str) -> Vec<u8> {
    let mut k = REGISTRY_PREFIX.to_vec();
    k.extend_from_slice(network.as_bytes());
    k
}

/// A staker's bond on one target.
pub fn bond(staker: &PublicKey, target_tag: u8, target: &PublicKey) -> Vec<u8> {
    let mut k = with_key(b"bond/", staker);
    k.push(target_tag);
    k.extend_from_slice(target.as_bytes());
    k
}

/// Prefix of a staker's bonds.
pub fn bond_prefix(staker: &PublicKey) -> Vec<u8> {
    with_key(b"bond/", staker)
}

/// Total stake bonded to one target.
pub fn stake_total(target_tag: u8, target: &PublicKey) -> Vec<u8> {
    let mut k = b"stake/".to_vec();
    k.push(target_tag);
    k.extend_from_slice(target.as_bytes());
    k
}

/// A network's reward epochs: `rwd/{network}/`. Network names are `[a-z0-9-]`, so
/// the `/` after the name ends it unambiguously.
pub fn reward_prefix(network: &str) -> Vec<u8> {
    let mut k = b"rwd/".to_vec();
    k.extend_from_slice(network.as_bytes());
    k.push(b'/');
    k
}

/// An accepted reward manifest: `rwd/{network}/{epoch BE}`.
pub fn reward_epoch(network: &str, epoch: u64) -> Vec<u8> {
    let mut k = reward_prefix(network);
    k.extend_from_slice(&epoch.to_be_bytes());
    k
}

/// The marker of a claimed manifest entry: `rwd/{network}/{epoch BE}/c/{index BE}`.
pub fn reward_claim(network: &str, epoch: u64, index: u64) -> Vec<u8> {
    let mut k = reward_epoch(network, epoch);
    k.extend_from_slice(b"/c/");
    k.extend_from_slice(&index.to_be_bytes());
    k
}

/// Governance settings ([`crate::governance::GovParams`]), when the genesis has them.
pub const GOV_PARAMS: &[u8] = b"gov/params";
/// Governance id counters ([`crate::governance::GovCounters`]).
pub const GOV_COUNTERS: &[u8] = b"gov/next";
/// The voting power totals ([`crate::governance::positions::PowerTotals`]).
pub const GOV_POWER: &[u8] = b"gov/power";
/// Ids of proposals in their deposit or voting period (`Vec<u64>`).
pub const GOV_ACTIVE: &[u8] = b"gov/active";
/// Ids of passed proposals waiting for their `execute_height` (`Vec<u64>`).
pub const GOV_PENDING: &[u8] = b"gov/pending";
/// The planned upgrade ([`crate::governance::UpgradePlan`]).
pub const UPGRADE: &[u8] = b"sys/upgrade";
/// Upgrades applied so far (`Vec<UpgradePlan>`, oldest first).
pub const UPGRADES_APPLIED: &[u8] = b"sys/upgrades_applied";
/// Network changes by reward epoch (`Vec<(u64, Network)>`, see [`crate::governance::schedule`]).
pub const NETWORK_SCHEDULE: &[u8] = b"sys/net_schedule";
/// Emission changes by reward epoch (`Vec<(u64, Emission)>`).
pub const EMISSION_SCHEDULE: &[u8] = b"sys/emission_schedule";
/// The names of every network, in order (`Vec<String>`).
pub const NETWORK_NAMES: &[u8] = b"sys/networks";

fn with_id(prefix: &[u8], id: u64) -> Vec<u8> {
    let mut k = prefix.to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// A governance position: `gpos/{id BE}`.
pub fn gov_position(id: u64) -> Vec<u8> {
    with_id(b"gpos/", id)
}

/// The position ids an owner holds (`Vec<u64>`): `gown/{owner}`.
pub fn gov_owner_positions(owner: &PublicKey) -> Vec<u8> {
    with_key(b"gown/", owner)
}

/// Whom an owner delegates its voting power to (`Address`): `gdel/{owner}`.
pub fn gov_delegate(owner: &PublicKey) -> Vec<u8> {
    with_key(b"gdel/", owner)
}

/// Who delegates to an account (`Vec<Address>`): `gdelto/{delegate}`.
pub fn gov_delegators(delegate: &PublicKey) -> Vec<u8> {
    with_key(b"gdelto/", delegate)
}

/// Cooldowns ending at a height (`(Σ amount, Σ amount × end)` as `(u128, u128)`): `gexp/{height BE}`.
pub fn gov_expiry(height: u64) -> Vec<u8> {
    with_id(b"gexp/", height)
}

/// A proposal: `gprop/{id BE}`.
pub fn gov_proposal(id: u64) -> Vec<u8> {
    with_id(b"gprop/", id)
}

/// Prefix of every proposal.
pub const GOV_PROPOSAL_PREFIX: &[u8] = b"gprop/";

/// Prefix of the power counted in a proposal, by owner.
pub fn gov_counted_prefix(proposal: u64) -> Vec<u8> {
    let mut k = with_id(b"gvote/", proposal);
    k.push(b'/');
    k
}

/// An owner's power as counted in a proposal ([`crate::governance::Counted`]):
/// `gvote/{proposal BE}/{owner}`.
pub fn gov_counted(proposal: u64, owner: &PublicKey) -> Vec<u8> {
    let mut k = gov_counted_prefix(proposal);
    k.extend_from_slice(owner.as_bytes());
    k
}

/// Prefix of the votes cast on a proposal, by voter.
pub fn gov_vote_prefix(proposal: u64) -> Vec<u8> {
    let mut k = with_id(b"gvoter/", proposal);
    k.push(b'/');
    k
}

/// A voter's own vote ([`crate::governance::Vote`]): `gvoter/{proposal BE}/{voter}`.
pub fn gov_vote(proposal: u64, voter: &PublicKey) -> Vec<u8> {
    let mut k = gov_vote_prefix(proposal);
    k.extend_from_slice(voter.as_bytes());
    k
}

/// A device maker ([`crate::governance::makers::Maker`]): `mkr/{key}`.
pub fn maker(addr: &PublicKey) -> Vec<u8> {
    with_key(MAKER_PREFIX, addr)
}

/// Prefix of every maker.
pub const MAKER_PREFIX: &[u8] = b"mkr/";

/// Prefix of every governance position.
pub const GOV_POSITION_PREFIX: &[u8] = b"gpos/";

// ---- compute (crate::compute) ----

/// Compute settings, when the genesis has a `[compute]` section.
pub const COMPUTE_PARAMS: &[u8] = b"sys/compute_params";

fn with_hash(prefix: &[u8], h: &plinth_core::Hash) -> Vec<u8> {
    let mut k = prefix.to_vec();
    k.extend_from_slice(h.as_bytes());
    k
}

/// Prefix of every compute offer.
pub const COMPUTE_OFFER_PREFIX: &[u8] = b"coff/";

/// A provider device's compute offer: `coff/{device}`.
pub fn compute_offer(device: &PublicKey) -> Vec<u8> {
    with_key(COMPUTE_OFFER_PREFIX, device)
}

/// A provider's reputation: `crep/{device}`.
pub fn compute_reputation(device: &PublicKey) -> Vec<u8> {
    with_key(b"crep/", device)
}

/// Prefix of every compute order.
pub const COMPUTE_ORDER_PREFIX: &[u8] = b"cord/";

/// An order: `cord/{id}`.
pub fn compute_order(id: &plinth_core::Hash) -> Vec<u8> {
    with_hash(COMPUTE_ORDER_PREFIX, id)
}

/// Prefix of an order's bids.
pub fn compute_bids_of(order: &plinth_core::Hash) -> Vec<u8> {
    with_hash(b"cbid/", order)
}

/// A bid: `cbid/{order}{device}`.
pub fn compute_bid(order: &plinth_core::Hash, device: &PublicKey) -> Vec<u8> {
    let mut k = compute_bids_of(order);
    k.extend_from_slice(device.as_bytes());
    k
}

/// Prefix of every lease.
pub const LEASE_PREFIX: &[u8] = b"clse/";

/// A lease: `clse/{id}`.
pub fn lease(id: &plinth_core::Hash) -> Vec<u8> {
    with_hash(LEASE_PREFIX, id)
}

/// Prefix of a provider's lease index.
pub fn leases_of_provider(device: &PublicKey) -> Vec<u8> {
    with_key(b"clsep/", device)
}

/// Index entry: provider → lease (value empty).
pub fn lease_by_provider(device: &PublicKey, id: &plinth_core::Hash) -> Vec<u8> {
    let mut k = leases_of_provider(device);
    k.extend_from_slice(id.as_bytes());
    k
}

/// Prefix of a consumer's lease index.
pub fn leases_of_consumer(consumer: &PublicKey) -> Vec<u8> {
    with_key(b"clsec/", consumer)
}

/// Index entry: consumer → lease (value empty).
pub fn lease_by_consumer(consumer: &PublicKey, id: &plinth_core::Hash) -> Vec<u8> {
    let mut k = leases_of_consumer(consumer);
    k.extend_from_slice(id.as_bytes());
    k
}

/// Prefix of the active-lease index of a network (value empty): what the oracle
/// checks. `clsea/{network}/{id}`.
pub fn active_leases_of(network: &str) -> Vec<u8> {
    let mut k = b"clsea/".to_vec();
    k.extend_from_slice(network.as_bytes());
    k.push(b'/');
    k
}

/// Index entry: an active lease of a network.
pub fn active_lease(network: &str, id: &plinth_core::Hash) -> Vec<u8> {
    let mut k = active_leases_of(network);
    k.extend_from_slice(id.as_bytes());
    k
}

/// Prefix of every complete module.
pub const MODULE_PREFIX: &[u8] = b"wmod/";

/// A complete module's info ([`crate::compute_types::ModuleInfo`]): `wmod/{hash}`.
pub fn module(hash: &plinth_core::Hash) -> Vec<u8> {
    with_hash(MODULE_PREFIX, hash)
}

/// A complete module's chunk: `wmodc/{hash}{index BE}`.
pub fn module_chunk(hash: &plinth_core::Hash, index: u32) -> Vec<u8> {
    let mut k = with_hash(b"wmodc/", hash);
    k.extend_from_slice(&index.to_be_bytes());
    k
}

/// An upload in progress ([`crate::compute_types::ModuleUpload`]): `wup/{uploader}{hash}`.
pub fn module_upload(uploader: &PublicKey, hash: &plinth_core::Hash) -> Vec<u8> {
    let mut k = with_key(b"wup/", uploader);
    k.extend_from_slice(hash.as_bytes());
    k
}

/// A chunk of an upload in progress: `wupc/{uploader}{hash}{index BE}`.
pub fn module_upload_chunk(uploader: &PublicKey, hash: &plinth_core::Hash, index: u32) -> Vec<u8> {
    let mut k = with_key(b"wupc/", uploader);
    k.extend_from_slice(hash.as_bytes());
    k.extend_from_slice(&index.to_be_bytes());
    k
}

/// Prefix of every job.
pub const JOB_PREFIX: &[u8] = b"cjob/";

/// A job: `cjob/{id}`.
pub fn job(id: &plinth_core::Hash) -> Vec<u8> {
    with_hash(JOB_PREFIX, id)
}

/// A job's input bytes: `cjin/{id}`.
pub fn job_input(id: &plinth_core::Hash) -> Vec<u8> {
    with_hash(b"cjin/", id)
}

/// A task's slot ([`crate::compute_types::TaskSlot`]): `ctsk/{job}{task BE}`.
pub fn task_slot(job: &plinth_core::Hash, task: u32) -> Vec<u8> {
    let mut k = with_hash(b"ctsk/", job);
    k.extend_from_slice(&task.to_be_bytes());
    k
}

/// Prefix of a job's claims (in claim order).
pub fn claims_of_job(job: &plinth_core::Hash) -> Vec<u8> {
    with_hash(b"cjcl/", job)
}

/// Index entry: job → its `n`th claim's id, `cjcl/{job}{n BE}`.
pub fn job_claim(job: &plinth_core::Hash, n: u32) -> Vec<u8> {
    let mut k = claims_of_job(job);
    k.extend_from_slice(&n.to_be_bytes());
    k
}

/// A claim ([`crate::compute_types::TaskClaim`]): `ccl/{id}`.
pub fn claim(id: &plinth_core::Hash) -> Vec<u8> {
    with_hash(b"ccl/", id)
}

/// Prefix of a consumer's job index.
pub fn jobs_of_consumer(consumer: &PublicKey) -> Vec<u8> {
    with_key(b"cjobc/", consumer)
}

/// Index entry: consumer → job (value empty).
pub fn job_by_consumer(consumer: &PublicKey, id: &plinth_core::Hash) -> Vec<u8> {
    let mut k = jobs_of_consumer(consumer);
    k.extend_from_slice(id.as_bytes());
    k
}

/// Prefix of the index of claims waiting for the oracle set (revealed), by network:
/// `ccpend/{network}/{claim}` (value empty).
pub fn pending_claims_of(network: &str) -> Vec<u8> {
    let mut k = b"ccpend/".to_vec();
    k.extend_from_slice(network.as_bytes());
    k.push(b'/');
    k
}

/// Index entry: a revealed claim waiting for its verdict.
pub fn pending_claim(network: &str, claim: &plinth_core::Hash) -> Vec<u8> {
    let mut k = pending_claims_of(network);
    k.extend_from_slice(claim.as_bytes());
    k
}

/// A compute network's usage in an epoch ([`crate::compute_types::ComputeUsage`]):
/// `cuse/{network}/{epoch BE}`.
pub fn compute_usage(network: &str, epoch: u64) -> Vec<u8> {
    let mut k = b"cuse/".to_vec();
    k.extend_from_slice(network.as_bytes());
    k.push(b'/');
    k.extend_from_slice(&epoch.to_be_bytes());
    k
}

/// Prefix of the credits each provider earned in a network's epoch.
pub fn compute_earned_of(network: &str, epoch: u64) -> Vec<u8> {
    let mut k = b"cern/".to_vec();
    k.extend_from_slice(network.as_bytes());
    k.push(b'/');
    k.extend_from_slice(&epoch.to_be_bytes());
    k
}

/// Credits a provider earned in a network's epoch (u64): `cern/{network}/{epoch BE}{device}`.
pub fn compute_earned(network: &str, epoch: u64, device: &PublicKey) -> Vec<u8> {
    let mut k = compute_earned_of(network, epoch);
    k.extend_from_slice(device.as_bytes());
    k
}

/// A burst ([`crate::bursts::Burst`]): `bst/{id}`.
pub fn burst(id: &plinth_core::Hash) -> Vec<u8> {
    with_hash(BURST_PREFIX, id)
}

/// Prefix of every burst.
pub const BURST_PREFIX: &[u8] = b"bst/";

// ---- energy ([`crate::energy`]) ----

/// `{tag}{network}/`: the start of an energy network's keys of one kind.
fn energy_net(tag: &[u8], network: &str) -> Vec<u8> {
    let mut k = tag.to_vec();
    k.extend_from_slice(network.as_bytes());
    k.push(b'/');
    k
}

/// A meter ([`crate::energy::Meter`]): `emtr/{device}`.
pub fn energy_meter(device: &plinth_core::DeviceId) -> Vec<u8> {
    let mut k = ENERGY_METER_PREFIX.to_vec();
    k.extend_from_slice(device.key().as_bytes());
    k
}

/// Prefix of every meter.
pub const ENERGY_METER_PREFIX: &[u8] = b"emtr/";

/// The meter at a site (a device id): `esit/{network}/{cell BE}`.
pub fn energy_site(network: &str, cell: u64) -> Vec<u8> {
    let mut k = energy_net(b"esit/", network);
    k.extend_from_slice(&cell.to_be_bytes());
    k
}

/// An order ([`crate::energy::Order`]): `eord/{seq BE}`.
pub fn energy_order(seq: u64) -> Vec<u8> {
    let mut k = ENERGY_ORDER_PREFIX.to_vec();
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// Prefix of every order.
pub const ENERGY_ORDER_PREFIX: &[u8] = b"eord/";

/// The next order sequence number (u64).
pub const ENERGY_SEQ: &[u8] = b"sys/energy_seq";
/// The next certificate id (u64).
pub const ENERGY_CERT_SEQ: &[u8] = b"sys/energy_cert_seq";

/// A zone's book (a paged list of order sequences): `ebk/{network}/{zone BE}`.
pub fn energy_book(network: &str, zone: u64) -> Vec<u8> {
    let mut k = energy_net(b"ebk/", network);
    k.extend_from_slice(&zone.to_be_bytes());
    k
}

/// The zones with open orders (`Vec<u64>`, ascending): `ezn/{network}`.
pub fn energy_zones(network: &str) -> Vec<u8> {
    let mut k = b"ezn/".to_vec();
    k.extend_from_slice(network.as_bytes());
    k
}

/// A network's market state ([`crate::energy::MarketState`]): `emkt/{network}`.
pub fn energy_market(network: &str) -> Vec<u8> {
    let mut k = b"emkt/".to_vec();
    k.extend_from_slice(network.as_bytes());
    k
}

/// Prefix of a network's zone clearings: `eclr/{network}/`.
pub fn energy_clearings_of(network: &str) -> Vec<u8> {
    energy_net(b"eclr/", network)
}

/// A zone's clearing ([`crate::energy::ZoneClearing`]):
/// `eclr/{network}/{interval BE}{zone BE}`.
pub fn energy_clearing(network: &str, interval: u64, zone: u64) -> Vec<u8> {
    let mut k = energy_clearings_of(network);
    k.extend_from_slice(&interval.to_be_bytes());
    k.extend_from_slice(&zone.to_be_bytes());
    k
}

/// The zones that cleared in an interval (`Vec<u64>`): `eclz/{network}/{interval BE}`.
pub fn energy_cleared_zones(network: &str, interval: u64) -> Vec<u8> {
    let mut k = energy_net(b"eclz/", network);
    k.extend_from_slice(&interval.to_be_bytes());
    k
}

/// A zone interval's fills until it settles (a paged list):
/// `efil/{network}/{interval BE}{zone BE}`.
pub fn energy_fills(network: &str, interval: u64, zone: u64) -> Vec<u8> {
    let mut k = energy_net(b"efil/", network);
    k.extend_from_slice(&interval.to_be_bytes());
    k.extend_from_slice(&zone.to_be_bytes());
    k
}

/// The meters of one zone with a reading kept for an interval (a paged list):
/// `erdl/{network}/{interval BE}{zone BE}`.
pub fn energy_readings_in(network: &str, interval: u64, zone: u64) -> Vec<u8> {
    let mut k = energy_net(b"erdl/", network);
    k.extend_from_slice(&interval.to_be_bytes());
    k.extend_from_slice(&zone.to_be_bytes());
    k
}

/// The zones with a reading kept for an interval, in the order their first
/// reading came (a paged list): `erdz/{network}/{interval BE}`.
pub fn energy_reading_zones(network: &str, interval: u64) -> Vec<u8> {
    let mut k = energy_net(b"erdz/", network);
    k.extend_from_slice(&interval.to_be_bytes());
    k
}

/// The zones an interval's settlement goes through, ascending (a paged list,
/// while it is under way): `eszl/{network}/{interval BE}`.
pub fn energy_settle_zones(network: &str, interval: u64) -> Vec<u8> {
    let mut k = energy_net(b"eszl/", network);
    k.extend_from_slice(&interval.to_be_bytes());
    k
}

/// Where a network's settlement under way stands (`(interval, next zone index)`):
/// `escu/{network}/`.
pub fn energy_settle_cursor(network: &str) -> Vec<u8> {
    energy_net(b"escu/", network)
}

/// A reading kept until its interval settles ([`crate::energy::KeptReading`]):
/// `erd/{network}/{interval BE}{meter}`.
pub fn energy_reading(network: &str, interval: u64, meter: &plinth_core::DeviceId) -> Vec<u8> {
    let mut k = energy_net(b"erd/", network);
    k.extend_from_slice(&interval.to_be_bytes());
    k.extend_from_slice(meter.key().as_bytes());
    k
}

/// Prefix of the verified generation of a network's epoch:
/// `egen/{network}/{epoch BE}`.
pub fn energy_generation_of(network: &str, epoch: u64) -> Vec<u8> {
    let mut k = energy_net(b"egen/", network);
    k.extend_from_slice(&epoch.to_be_bytes());
    k
}

/// A meter's verified generation in a network's epoch (u64, Wh).
pub fn energy_generation(network: &str, epoch: u64, meter: &plinth_core::DeviceId) -> Vec<u8> {
    let mut k = energy_generation_of(network, epoch);
    k.extend_from_slice(meter.key().as_bytes());
    k
}

/// Prefix of a meter's settled trades: `etr/{meter}`.
pub fn energy_trades_of(meter: &plinth_core::DeviceId) -> Vec<u8> {
    let mut k = b"etr/".to_vec();
    k.extend_from_slice(meter.key().as_bytes());
    k
}

/// A settled trade ([`crate::energy::TradeRecord`]): `etr/{meter}{interval BE}{order BE}`.
pub fn energy_trade(meter: &plinth_core::DeviceId, interval: u64, order: u64) -> Vec<u8> {
    let mut k = energy_trades_of(meter);
    k.extend_from_slice(&interval.to_be_bytes());
    k.extend_from_slice(&order.to_be_bytes());
    k
}

/// A certificate ([`crate::energy::Certificate`]): `ecrt/{id BE}`.
pub fn energy_certificate(id: u64) -> Vec<u8> {
    let mut k = ENERGY_CERT_PREFIX.to_vec();
    k.extend_from_slice(&id.to_be_bytes());
    k
}

/// Prefix of every certificate.
pub const ENERGY_CERT_PREFIX: &[u8] = b"ecrt/";

/// Prefix of the certificates an account holds: `ecow/{owner}`.
pub fn energy_certificates_of(owner: &plinth_core::Address) -> Vec<u8> {
    let mut k = b"ecow/".to_vec();
    k.extend_from_slice(owner.key().as_bytes());
    k
}

/// An account holds a certificate (`()`): `ecow/{owner}{id BE}`.
pub fn energy_certificate_owner(owner: &plinth_core::Address, id: u64) -> Vec<u8> {
    let mut k = energy_certificates_of(owner);
    k.extend_from_slice(&id.to_be_bytes());
    k
}
