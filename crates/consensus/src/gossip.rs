//! Transaction gossip: what one validator accepts, every validator's mempool gets.
//!
//! ```text
//!  Node::submit ─▶ accepted raw txs ─▶ outbox ─▶ batch (≤ MAX_GOSSIP_BYTES) ─▶ p2p channel, all peers
//!  p2p channel ─▶ decode (bounded) ─▶ Node::submit_blocking(gossip = false) ─▶ mempool (durable)
//! ```
//!
//! Validators are fully connected, so one hop reaches everyone and received
//! transactions are not sent on. A transaction a peer already has, or already
//! committed, is refused there as a duplicate and costs nothing more.

use commonware_macros::select;
use commonware_p2p::{Receiver, Recipients, Sender};
use commonware_runtime::Clock;
use plinth_ledger::MAX_TX_BYTES;
use plinth_node::Node;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

/// Largest gossip message: a batch of raw transactions.
pub const MAX_GOSSIP_BYTES: usize = 1 << 20;

/// Most transactions in one gossip message.
const MAX_GOSSIP_TXS: usize = MAX_GOSSIP_BYTES / 64;

/// Why a gossip message was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GossipError {
    /// The message is over the size limit (its size, bytes).
    #[error("gossip message of {0} bytes is over the {MAX_GOSSIP_BYTES}-byte limit")]
    TooLarge(usize),
    /// Not a well-formed list of transactions (truncated, too many, trailing bytes).
    #[error("malformed gossip message: {0}")]
    Malformed(String),
}

/// Encodes a batch of raw transactions.
pub fn encode(txs: &[Vec<u8>]) -> Vec<u8> {
    plinth_core::encode(&txs.to_vec())
}

/// Decodes a batch from a peer, bounding every length before allocating.
pub fn decode(bytes: &[u8]) -> Result<Vec<Vec<u8>>, GossipError> {
    if bytes.len() > MAX_GOSSIP_BYTES {
        return Err(GossipError::TooLarge(bytes.len()));
    }
    let mut rest = bytes;
    let mut take = |n: usize| -> Result<&[u8], GossipError> {
        if rest.len() < n {
            return Err(GossipError::Malformed("truncated".into()));
        }
        let (head, tail) = rest.split_at(n);
        rest = tail;
        Ok(head)
    };
    let count = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
    if count > MAX_GOSSIP_TXS {
        return Err(GossipError::Malformed(format!("{count} transactions")));
    }
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let len = u32::from_le_bytes(take(4)?.try_into().expect("4 bytes")) as usize;
        if len > MAX_TX_BYTES {
            return Err(GossipError::Malformed(format!(
                "a transaction of {len} bytes"
            )));
        }
        out.push(take(len)?.to_vec());
    }
    if !rest.is_empty() {
        return Err(GossipError::Malformed("trailing bytes".into()));
    }
    Ok(out)
}

/// How often transactions still pending are sent again: a peer that was
/// disconnected when they were first gossiped gets them late rather than never
/// (which matters most for a node outside the validator set, whose transactions
/// reach a block only through others' mempools).
pub const RESEND_EVERY: Duration = Duration::from_secs(5);

/// Most pending transactions sent again per round.
const RESEND_MAX: usize = 10_000;

fn send_batches<S: Sender>(sender: &mut S, txs: Vec<Vec<u8>>) {
    let mut batch: Vec<Vec<u8>> = Vec::new();
    let mut size = 4usize;
    for tx in txs {
        if size + 4 + tx.len() > MAX_GOSSIP_BYTES || batch.len() >= MAX_GOSSIP_TXS {
            sender.send(Recipients::All, encode(&batch), false);
            batch.clear();
            size = 4;
        }
        size += 4 + tx.len();
        batch.push(tx);
    }
    if !batch.is_empty() {
        sender.send(Recipients::All, encode(&batch), false);
    }
}

/// Sends what `outbox` yields to every peer, in batches; every
/// [`RESEND_EVERY`], sends again what has been pending since the last round.
pub async fn run_sender<E: Clock, S: Sender>(
    clock: E,
    node: Arc<Node>,
    mut sender: S,
    mut outbox: UnboundedReceiver<Vec<Vec<u8>>>,
) {
    let mut seen_last_round: HashSet<plinth_core::Hash> = HashSet::new();
    let mut next_round = clock.current() + RESEND_EVERY;
    loop {
        select! {
            first = outbox.recv() => {
                let Some(mut pending) = first else { return };
                while let Ok(more) = outbox.try_recv() {
                    pending.extend(more);
                }
                send_batches(&mut sender, pending);
            },
            _ = clock.sleep_until(next_round) => {
                next_round = clock.current() + RESEND_EVERY;
                let pending = node.mempool_batch(RESEND_MAX);
                let stale: Vec<Vec<u8>> = pending
                    .iter()
                    .filter(|t| seen_last_round.contains(&t.hash()))
                    .map(|t| t.encode())
                    .collect();
                seen_last_round = pending.iter().map(|t| t.hash()).collect();
                if !stale.is_empty() {
                    tracing::debug!(count = stale.len(), "gossiping pending transactions again");
                    send_batches(&mut sender, stale);
                }
            },
        }
    }
}

/// Admits transactions gossiped by peers into `node`'s mempool.
pub async fn run_receiver<R: Receiver>(node: Arc<Node>, mut receiver: R) {
    while let Ok((peer, message)) = receiver.recv().await {
        match decode(message.as_ref()) {
            Ok(txs) => {
                let verdicts = node.submit_blocking(txs, false);
                let accepted = verdicts.iter().filter(|v| v.is_ok()).count();
                tracing::trace!(%peer, accepted, total = verdicts.len(), "gossiped transactions");
            }
            Err(e) => tracing::debug!(%peer, error = %e, "gossip message refused"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bounds() {
        let txs = vec![vec![1u8, 2, 3], vec![], vec![9; 100]];
        assert_eq!(decode(&encode(&txs)).unwrap(), txs);
        let mut long = encode(&txs);
        long.push(0);
        assert!(matches!(decode(&long), Err(GossipError::Malformed(_))));
        // A count that would allocate a lot is refused before allocating.
        assert!(matches!(
            decode(&u32::MAX.to_le_bytes()),
            Err(GossipError::Malformed(_))
        ));
        let big = encode(&[vec![0; MAX_TX_BYTES + 1]]);
        assert!(matches!(decode(&big), Err(GossipError::Malformed(_))));
        assert!(matches!(
            decode(&vec![0; MAX_GOSSIP_BYTES + 1]),
            Err(GossipError::TooLarge(_))
        ));
    }
}
