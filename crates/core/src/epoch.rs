//! Epoch arithmetic: the one place that turns a genesis time, an epoch length
//! and a timestamp into an epoch and its window.
//!
//! Epoch `e` covers timestamps `[genesis_time_ms + e·epoch_ms, genesis_time_ms +
//! (e+1)·epoch_ms)`; timestamps before genesis fall in epoch 0. Every input may
//! come from a peer (a report's epoch, a path segment), so nothing here can
//! overflow: windows saturate at `u64::MAX`, and [`EpochClock::end_ms`] says
//! `None` for an epoch that never ends within a `u64`.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

/// A chain's epoch schedule: its genesis time and epoch length, in milliseconds.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct EpochClock {
    /// The chain's genesis time (Unix milliseconds): epoch 0 starts here.
    pub genesis_time_ms: u64,
    /// The length of every epoch in milliseconds (genesis refuses 0; a zero length
    /// puts every timestamp in epoch 0).
    pub epoch_ms: u64,
}

impl EpochClock {
    /// The schedule of a chain that started at `genesis_time_ms` with epochs of
    /// `epoch_ms`.
    pub const fn new(genesis_time_ms: u64, epoch_ms: u64) -> Self {
        EpochClock {
            genesis_time_ms,
            epoch_ms,
        }
    }

    /// The epoch a timestamp falls in (timestamps before genesis are epoch 0).
    pub fn epoch_of(&self, timestamp_ms: u64) -> u64 {
        timestamp_ms
            .saturating_sub(self.genesis_time_ms)
            .checked_div(self.epoch_ms)
            .unwrap_or(0)
    }

    /// The first timestamp of `epoch`, or `None` beyond the range of a `u64`.
    pub fn start_ms(&self, epoch: u64) -> Option<u64> {
        epoch
            .checked_mul(self.epoch_ms)?
            .checked_add(self.genesis_time_ms)
    }

    /// The first timestamp after `epoch` (the epoch is over at or past it), or
    /// `None` when that lies beyond the range of a `u64`: the epoch never ends.
    pub fn end_ms(&self, epoch: u64) -> Option<u64> {
        self.start_ms(epoch.checked_add(1)?)
    }

    /// The window of `epoch`, saturating at `u64::MAX` for epochs too far ahead to
    /// be represented (such a window is empty or ends at `u64::MAX`).
    pub fn window(&self, epoch: u64) -> EpochWindow {
        EpochWindow {
            epoch,
            start_ms: self.start_ms(epoch).unwrap_or(u64::MAX),
            end_ms: self.end_ms(epoch).unwrap_or(u64::MAX),
        }
    }
}

/// One epoch's time range: `[start_ms, end_ms)`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
pub struct EpochWindow {
    /// The epoch's number.
    pub epoch: u64,
    /// Its first timestamp (inclusive).
    pub start_ms: u64,
    /// The first timestamp after it (exclusive).
    pub end_ms: u64,
}

impl EpochWindow {
    /// Whether `timestamp_ms` lies in the window.
    pub fn contains(&self, timestamp_ms: u64) -> bool {
        (self.start_ms..self.end_ms).contains(&timestamp_ms)
    }

    /// The window's length in milliseconds.
    pub fn len_ms(&self) -> u64 {
        self.end_ms.saturating_sub(self.start_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLOCK: EpochClock = EpochClock::new(1_000, 60_000);

    #[test]
    fn epochs_and_windows_agree() {
        assert_eq!(CLOCK.epoch_of(0), 0);
        assert_eq!(CLOCK.epoch_of(1_000), 0);
        assert_eq!(CLOCK.epoch_of(60_999), 0);
        assert_eq!(CLOCK.epoch_of(61_000), 1);
        for e in [0, 1, 7, 1_000_000] {
            let w = CLOCK.window(e);
            assert_eq!(w.epoch, e);
            assert_eq!(CLOCK.epoch_of(w.start_ms), e);
            assert_eq!(CLOCK.epoch_of(w.end_ms - 1), e);
            assert_eq!(CLOCK.epoch_of(w.end_ms), e + 1);
            assert!(w.contains(w.start_ms) && !w.contains(w.end_ms));
            assert_eq!(w.len_ms(), 60_000);
            assert_eq!(CLOCK.end_ms(e), Some(w.end_ms));
        }
    }

    #[test]
    fn peer_chosen_epochs_and_timestamps_never_overflow() {
        assert_eq!(CLOCK.epoch_of(u64::MAX), (u64::MAX - 1_000) / 60_000);
        assert_eq!(CLOCK.end_ms(u64::MAX), None);
        assert_eq!(CLOCK.end_ms(u64::MAX / 60_000), None);
        let w = CLOCK.window(u64::MAX - 1);
        assert_eq!((w.start_ms, w.end_ms), (u64::MAX, u64::MAX));
        let last = CLOCK.epoch_of(u64::MAX);
        assert_eq!(CLOCK.window(last).end_ms, u64::MAX);
        assert_eq!(EpochClock::new(5, 0).epoch_of(u64::MAX), 0);
    }
}
