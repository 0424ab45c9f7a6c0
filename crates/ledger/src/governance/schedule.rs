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
