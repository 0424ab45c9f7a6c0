//! Network and emission parameters by reward epoch: a change by proposal takes
//! effect from the epoch after the executing block's, so every manifest of an
//! epoch, its oracles' computation and its audit read the same values.
//!
//! ```text
//!  net/{name}              the base network (what every epoch reads unless a change follows)
//!  sys/net_schedule        [(from_epoch, Network)] in (epoch, name) order
//!  sys/emission_schedule   [(from_epoch, Emission)] in epoch order; base: ChainParams.emission
//!  network_at(name, e)  =  the last change of `name` with from_epoch <= e, else the base
//! ```
//!
//! Entries no acceptable manifest needs any more (in force only before
//! `current − manifest_max_age_epochs`, see
//! [`Emission::oldest_acceptable`]) fold away when a
//! change is scheduled: a network's into its base `net/{name}`; the emission's
//! into the one entry in force at that epoch (the base in `sys/params` stays the
//! genesis's, so the parameters one block reads never change under it). The
//! value in force at every epoch a manifest may still be accepted for is
//! unchanged by folding. Each schedule holds at most
//! [`MAX_SCHEDULED_CHANGES`] entries ([`TxError::TooManyPendingChanges`]), so
//! reading and folding one is bounded work.

use crate::context::Fail;
use crate::emission::Emission;
use crate::error::{LedgerError, TxError};
use crate::keys;
use crate::params::{ChainParams, Network};
use crate::state::{Overlay, Store};
use std::collections::BTreeMap;

/// Most entries one schedule (the networks' or the emission's) holds.
pub const MAX_SCHEDULED_CHANGES: usize = 64;

/// The network `name` as in force in reward epoch `epoch`.
pub fn network_at<S: Store>(
    state: &Overlay<'_, S>,
    name: &str,
    epoch: u64,
) -> Result<Option<Network>, LedgerError> {
    let Some(base) = state.get_t::<Network>(&keys::network(name))? else {
        return Ok(None);
    };
    Ok(Some(
        in_force(&network_schedule(state)?, name, epoch).unwrap_or(base),
    ))
}

/// Every network as in force in `epoch`, in name order.
pub fn networks_at<S: Store>(
    state: &Overlay<'_, S>,
    epoch: u64,
) -> Result<Vec<Network>, LedgerError> {
    let entries = network_schedule(state)?;
    let mut out = Vec::new();
    for name in network_names(state)? {
        let base = state
            .get_t::<Network>(&keys::network(&name))?
            .ok_or_else(|| LedgerError::Corrupt {
                key: String::from_utf8_lossy(keys::NETWORK_NAMES).into_owned(),
                reason: format!("lists network `{name}`, which has no record"),
            })?;
        out.push(in_force(&entries, &name, epoch).unwrap_or(base));
    }
    Ok(out)
}

/// The emission schedule as in force in `epoch`.
pub fn emission_at<S: Store>(
    state: &Overlay<'_, S>,
    params: &ChainParams,
    epoch: u64,
) -> Result<Emission, LedgerError> {
    let entries = emission_schedule(state)?;
    Ok(entries
        .iter()
        .rev()
        .find(|(from, _)| *from <= epoch)
        .map_or_else(|| params.emission.clone(), |(_, e)| e.clone()))
}

/// The tokens minted again in reward epoch `epoch` by net emissions
/// ([`Emission::reminted`]): what was burned in the epoch before, up to the cap
/// of the emission in force in `epoch`; 0 in epoch 0. The epoch before is over
/// by the time anything of `epoch` is minted (a manifest waits for its epoch's
/// end; the treasury is minted in the first block after it), so this never
/// changes once read for a mint.
pub fn reminted_at<S: Store>(
    state: &Overlay<'_, S>,
    params: &ChainParams,
    epoch: u64,
) -> Result<crate::Amount, LedgerError> {
    let emission = emission_at(state, params, epoch)?;
    if emission.net_emissions_cap_per_epoch == 0 || epoch == 0 {
        return Ok(0);
    }
    let before = crate::credits::epoch_supply(state, epoch - 1)?;
    Ok(emission.reminted(before.burned))
}

/// What a network (or the treasury) with `share_bps` may mint for reward epoch
/// `epoch`: its share of the emission in force then plus its share of the
/// tokens minted again ([`reminted_at`]). The ledger takes a manifest up to
/// this and `GET /v1/networks?epoch=E` gives it to the oracles.
pub fn allowance_at<S: Store>(
    state: &Overlay<'_, S>,
    params: &ChainParams,
    epoch: u64,
    share_bps: u32,
) -> Result<crate::Amount, LedgerError> {
    let emission = emission_at(state, params, epoch)?;
    let reminted = reminted_at(state, params, epoch)?;
    Ok(emission.allowance_with(epoch, share_bps, reminted))
}

/// The names of every network, in order (`sys/networks`).
pub fn network_names<S: Store>(state: &Overlay<'_, S>) -> Result<Vec<String>, LedgerError> {
    state.get_or_default(keys::NETWORK_NAMES)
}

/// The network changes not folded yet, `(from_epoch, network)` in (epoch, name) order.
pub fn network_schedule<S: Store>(
    state: &Overlay<'_, S>,
) -> Result<Vec<(u64, Network)>, LedgerError> {
    state.get_or_default(keys::NETWORK_SCHEDULE)
}

/// The emission changes not folded yet, `(from_epoch, emission)` in epoch order.
pub fn emission_schedule<S: Store>(
    state: &Overlay<'_, S>,
) -> Result<Vec<(u64, Emission)>, LedgerError> {
    state.get_or_default(keys::EMISSION_SCHEDULE)
}

fn in_force(entries: &[(u64, Network)], name: &str, epoch: u64) -> Option<Network> {
    entries
        .iter()
        .rev()
        .find(|(from, n)| *from <= epoch && n.name == name)
        .map(|(_, n)| n.clone())
}

/// A network schedule with one more change: the entries to keep and the bases
/// folded out of it.
pub(crate) struct NetworkPlan {
    entries: Vec<(u64, Network)>,
    folded: Vec<Network>,
}

/// Plans putting `network` in force from `from_epoch` (replacing a change of the
/// same network from the same epoch), after folding what epoch `oldest` no longer
/// needs. Refused when the schedule would grow past [`MAX_SCHEDULED_CHANGES`].
pub(crate) fn plan_network<S: Store>(
    state: &Overlay<'_, S>,
    network: Network,
    from_epoch: u64,
    oldest: u64,
) -> Result<NetworkPlan, Fail> {
    let (old, mut entries): (Vec<_>, Vec<_>) = network_schedule(state)?
        .into_iter()
        .partition(|(from, _)| *from <= oldest);
    // In epoch order, so the last change of each name wins.
    let folded: BTreeMap<String, Network> =
        old.into_iter().map(|(_, n)| (n.name.clone(), n)).collect();
    let key = |(from, n): &(u64, Network)| (*from, n.name.clone());
    match entries.binary_search_by_key(&(from_epoch, network.name.clone()), key) {
        Ok(i) => entries[i].1 = network,
        Err(i) => entries.insert(i, (from_epoch, network)),
    }
    check_len(entries.len())?;
    Ok(NetworkPlan {
        entries,
        folded: folded.into_values().collect(),
    })
}

/// Writes a planned network schedule and its folded bases.
pub(crate) fn write_network_plan<S: Store>(state: &mut Overlay<'_, S>, plan: NetworkPlan) {
    for n in &plan.folded {
        state.put_t(keys::network(&n.name), n);
    }
    state.put_t(keys::NETWORK_SCHEDULE.to_vec(), &plan.entries);
}

/// Plans putting `emission` in force from `from_epoch` (replacing a change from
/// the same epoch), after dropping the changes superseded before epoch `oldest`.
/// Refused when the schedule would grow past [`MAX_SCHEDULED_CHANGES`].
pub(crate) fn plan_emission<S: Store>(
    state: &Overlay<'_, S>,
    emission: Emission,
    from_epoch: u64,
    oldest: u64,
) -> Result<Vec<(u64, Emission)>, Fail> {
    let mut entries = emission_schedule(state)?;
    if let Some(i) = entries.iter().rposition(|(from, _)| *from <= oldest) {
        entries.drain(..i);
    }
    match entries.binary_search_by_key(&from_epoch, |(from, _)| *from) {
        Ok(i) => entries[i].1 = emission,
        Err(i) => entries.insert(i, (from_epoch, emission)),
    }
    check_len(entries.len())?;
    Ok(entries)
}

/// Writes a planned emission schedule.
pub(crate) fn write_emission_plan<S: Store>(
    state: &mut Overlay<'_, S>,
    entries: Vec<(u64, Emission)>,
) {
    state.put_t(keys::EMISSION_SCHEDULE.to_vec(), &entries);
}

fn check_len(len: usize) -> Result<(), TxError> {
    if len > MAX_SCHEDULED_CHANGES {
        return Err(TxError::TooManyPendingChanges {
            pending: len as u64,
            limit: MAX_SCHEDULED_CHANGES as u64,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::BlockContext;
    use crate::governance::actions::tests::{
        block, check_at, genesis, run, store, MAX_AGE, PER_EPOCH, TAIL,
    };
    use crate::governance::Action;
    use crate::rewards::{self, ManifestHeader};
    use crate::state::MemStore;
    use plinth_core::{Hash, Keypair};

    fn share(network: &str, share_bps: u32) -> Action {
        Action::SetNetworkShare {
            network: network.into(),
            share_bps,
            usage_bps: 0,
        }
    }

    fn tail(tail_per_epoch: u64) -> Action {
        Action::SetEmissionTail { tail_per_epoch }
    }

    fn share_at(state: &Overlay<'_, MemStore>, name: &str, epoch: u64) -> u32 {
        network_at(state, name, epoch).unwrap().unwrap().share_bps
    }

    #[test]
    fn a_network_reads_the_same_in_every_needed_epoch_across_folding() {
        let g = genesis();
        let store = store(&g);
        let mut state = Overlay::new(&store);
        run(&mut state, &g, 1, &share("weather", 6_000)).unwrap();
        run(&mut state, &g, 3, &share("weather", 6_500)).unwrap();
        let before: Vec<u32> = (0..10).map(|e| share_at(&state, "weather", e)).collect();
        assert_eq!(
            before,
            [5_000, 5_000, 6_000, 6_000, 6_500, 6_500, 6_500, 6_500, 6_500, 6_500]
        );
        assert_eq!(network_schedule(&state).unwrap().len(), 2);

        // At epoch 5 manifests of epochs 3 on are acceptable: the change from
        // epoch 2 folds into the base, the one from epoch 4 stays.
        run(&mut state, &g, 5, &share("power", 1_000)).unwrap();
        let base: Network = state.get_t(&keys::network("weather")).unwrap().unwrap();
        assert_eq!(base.share_bps, 6_000);
        let entries: Vec<(u64, String)> = network_schedule(&state)
            .unwrap()
            .into_iter()
            .map(|(from, n)| (from, n.name))
            .collect();
        assert_eq!(entries, [(4, "weather".into()), (6, "power".into())]);
        for e in (5 - MAX_AGE)..10 {
            assert_eq!(
                share_at(&state, "weather", e),
                before[e as usize],
                "epoch {e}"
            );
        }
        assert_eq!(
            (share_at(&state, "power", 5), share_at(&state, "power", 6)),
            (2_000, 1_000)
        );
        assert_eq!(network_at(&state, "nope", 5).unwrap(), None);
    }

    #[test]
    fn the_emission_reads_the_same_in_every_needed_epoch_across_folding() {
        let g = genesis();
        let params = g.params();
        let store = store(&g);
        let mut state = Overlay::new(&store);
        run(&mut state, &g, 1, &tail(20_000)).unwrap();
        run(&mut state, &g, 3, &tail(30_000)).unwrap();
        let tail_at = |state: &Overlay<'_, MemStore>, e| {
            emission_at(state, &params, e).unwrap().tail_per_epoch
        };
        let before: Vec<u64> = (0..10).map(|e| tail_at(&state, e)).collect();
        assert_eq!(before[..5], [TAIL, TAIL, 20_000, 20_000, 30_000]);
        run(&mut state, &g, 6, &tail(40_000)).unwrap();
        let froms: Vec<u64> = emission_schedule(&state)
            .unwrap()
            .iter()
            .map(|(f, _)| *f)
            .collect();
        assert_eq!(froms, [4, 7]);
        for e in (6 - MAX_AGE)..7 {
            assert_eq!(tail_at(&state, e), before[e as usize], "epoch {e}");
        }
        assert_eq!(tail_at(&state, 7), 40_000);
        // Everything but the tail stays the genesis's.
        let e7 = emission_at(&state, &params, 7).unwrap();
        assert_eq!(
            (
                e7.epoch_ms,
                e7.initial_per_epoch,
                e7.manifest_max_age_epochs
            ),
            (params.emission.epoch_ms, PER_EPOCH, MAX_AGE)
        );
    }

    #[test]
    fn a_full_schedule_refuses_more_changes() {
        let g = genesis();
        let store = store(&g);
        let mut state = Overlay::new(&store);
        let weather = network_at(&state, "weather", 0).unwrap().unwrap();
        let full: Vec<(u64, Network)> = (0..MAX_SCHEDULED_CHANGES as u64)
            .map(|i| (100 + i, weather.clone()))
            .collect();
        state.put_t(keys::NETWORK_SCHEDULE.to_vec(), &full);
        let emissions: Vec<(u64, Emission)> = (0..MAX_SCHEDULED_CHANGES as u64)
            .map(|i| (100 + i, g.emission.clone()))
            .collect();
        state.put_t(keys::EMISSION_SCHEDULE.to_vec(), &emissions);
        let too_many = Err(TxError::TooManyPendingChanges {
            pending: MAX_SCHEDULED_CHANGES as u64 + 1,
            limit: MAX_SCHEDULED_CHANGES as u64,
        });
        assert_eq!(check_at(&state, &g, 1, &share("power", 100)), too_many);
        assert_eq!(run(&mut state, &g, 1, &share("power", 100)), too_many);
        assert_eq!(check_at(&state, &g, 1, &tail(5)), too_many);
    }

    fn manifest(g: &crate::Genesis, network: &str, epoch: u64, total: u64) -> Result<(), TxError> {
        let header = ManifestHeader {
            chain: g.chain(),
            network: network.into(),
            epoch,
            root: Hash::ZERO,
            total,
            devices: 1,
            inputs: Hash::ZERO,
            registry_height: 0,
            awards: plinth_core::Hash::ZERO,
            award_count: 0,
        };
        let signature = header.sign(&Keypair::from_seed([0x0C; 32]));
        let store = store(g);
        let mut state = Overlay::new(&store);
        run(&mut state, g, 1, &share("weather", 6_000)).unwrap();
        run(&mut state, g, 1, &tail(20_000)).unwrap();
        let ctx = BlockContext {
            height: 31,
            ..block(3)
        };
        match rewards::submit_manifest(&mut state, &g.params(), &ctx, &header, &[signature]) {
            Ok(()) => Ok(()),
            Err(crate::context::Fail::Tx(e)) => Err(e),
            Err(crate::context::Fail::Fatal(e)) => panic!("fatal: {e}"),
        }
    }

    #[test]
    fn a_manifest_is_held_to_the_share_and_emission_in_force_in_its_epoch() {
        let mut g = genesis();
        // Only the tail: 10,000 an epoch, 20,000 from epoch 2.
        g.emission.initial_per_epoch = 0;
        let over = |allowed| {
            Err(TxError::OverEmission {
                total: allowed + 1,
                allowed,
            })
        };
        // Epoch 1: 50 % of 10,000.
        assert_eq!(manifest(&g, "weather", 1, 5_000), Ok(()));
        assert_eq!(manifest(&g, "weather", 1, 5_001), over(5_000));
        // Epoch 2: 60 % of 20,000.
        assert_eq!(manifest(&g, "weather", 2, 12_000), Ok(()));
        assert_eq!(manifest(&g, "weather", 2, 12_001), over(12_000));
        assert_eq!(manifest(&g, "power", 2, 4_001), over(4_000));
        assert_eq!(
            manifest(&g, "nope", 2, 0),
            Err(TxError::UnknownNetwork {
                network: "nope".into()
            })
        );
    }
}
