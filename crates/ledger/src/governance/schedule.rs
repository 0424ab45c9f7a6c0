//! Network and emission parameters by reward epoch: a change by proposal takes
//! effect from the epoch after the executing block's, so every manifest of an
//! epoch, its oracles' computation and its audit read the same values.
//! `net/{name}` holds the base; `sys/net_schedule` the later changes
//! `(from_epoch, Network)`; `sys/emission_schedule` likewise for the emission.
//! Entries no acceptable manifest needs any more fold into the base.

use crate::emission::Emission;
use crate::error::LedgerError;
use crate::params::{ChainParams, Network};
use crate::state::{Overlay, Store};

/// The network `name` as in force in reward epoch `epoch`.
pub fn network_at<S: Store>(
    state: &Overlay<'_, S>,
    name: &str,
    epoch: u64,
) -> Result<Option<Network>, LedgerError> {
    let _ = (state, name, epoch);
    unimplemented!("issue 15: schedule")
}

/// Every network as in force in `epoch`, in name order.
pub fn networks_at<S: Store>(
    state: &Overlay<'_, S>,
    epoch: u64,
) -> Result<Vec<Network>, LedgerError> {
    let _ = (state, epoch);
    unimplemented!("issue 15: schedule")
}

/// The emission schedule as in force in `epoch`.
pub fn emission_at<S: Store>(
    state: &Overlay<'_, S>,
    params: &ChainParams,
    epoch: u64,
) -> Result<Emission, LedgerError> {
    let _ = (state, params, epoch);
    unimplemented!("issue 15: schedule")
}

/// The names of every network, in order (`sys/networks`).
pub fn network_names<S: Store>(state: &Overlay<'_, S>) -> Result<Vec<String>, LedgerError> {
    let _ = state;
    unimplemented!("issue 15: schedule")
}
