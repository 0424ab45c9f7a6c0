//! The oracle's account on the ledger: every transaction it sends (manifests,
//! storage settlements, deal closings, prices) is signed here, one at a time,
//! with the account's next nonce and the chain's minimum fee.

use crate::Oracle;
use anyhow::Result;
use plinth_core::Hash;

impl Oracle {
    /// Signs `call` from the oracle's account with its next nonce and the minimum
    /// fee, and submits it; returns the transaction's hash.
    pub fn send_tx(&self, call: plinth_ledger::Call) -> Result<Hash> {
        // Held while building and sending, so that two never take the same nonce.
        let _guard = self.tx_lock.lock().expect("tx lock");
        let status = self.node.status()?;
        let acct = self.node.account(&self.address())?;
        let tx = plinth_ledger::Transaction {
            chain_id: self.chain_id.clone(),
            signer: self.address(),
            nonce: acct.next_nonce,
            fee: status.min_fee,
            call,
        }
        .sign(&self.key);
        self.node.submit(&tx)?;
        Ok(tx.hash())
    }
}
