//! `plinth wallet`: keys, balances, transfers, staking, credits and rewards (the
//! work is in [`crate::wallet`], [`crate::credits_cmd`] and [`crate::oracle_cmd`]).

use super::{Common, KdfArgs, Tx};
use crate::wallet::{self, Ctx};
use crate::{amount, credits_cmd, oracle_cmd};
use anyhow::Result;
use clap::{Args, Subcommand};

/// `plinth wallet`'s flags and subcommand.
#[derive(Args)]
pub struct WalletArgs {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: WalletCmd,
}

#[derive(Subcommand)]
pub enum WalletCmd {
    /// Create a key and add it to the keystore (sealed, in an encrypted one). A
    /// keystore that does not exist yet is created encrypted, under the passphrase
    /// of --passphrase-file, `PLINTH_PASSPHRASE` or the terminal.
    New {
        name: String,
        /// Create a keystore that does not exist yet as an unencrypted development
        /// keystore (marked `"development": true`; for development only).
        #[arg(long, conflicts_with = "encrypt")]
        development: bool,
        /// Encrypt a new keystore: the default, kept for compatibility.
        #[arg(long, hide = true)]
        encrypt: bool,
        #[command(flatten)]
        kdf: KdfArgs,
    },
    /// Encrypt the keystore in place under a passphrase (`PLINTH_PASSPHRASE`,
    /// --passphrase-file, or asked twice on the terminal).
    Encrypt {
        #[command(flatten)]
        kdf: KdfArgs,
    },
    /// Write one key to a new keystore file (encrypted with --encrypt or when
    /// the keystore is).
    Export {
        /// Key name or address.
        name: String,
        /// The file to write (must not exist).
        #[arg(long)]
        out: std::path::PathBuf,
        /// Encrypt the exported file (under the passphrase of --passphrase-file,
        /// `PLINTH_PASSPHRASE` or the terminal).
        #[arg(long)]
        encrypt: bool,
        #[command(flatten)]
        kdf: KdfArgs,
    },
    /// Add the keys of a keystore file, or a device key file (`plinth device
    /// keygen`), to the keystore.
    Import {
        /// The file to import.
        file: std::path::PathBuf,
        /// The name of the imported key (a file holding one key); a device key
        /// file's key is named after the file by default.
        #[arg(long)]
        name: Option<String>,
    },
    /// List the keystore's keys.
    List,
    /// Print the address of a key.
    Address { name: String },
    /// Show free, bonded and unbonding balances.
    Balance {
        /// Key name or address.
        who: String,
        /// Fetch and verify a state proof against the block header's root.
        #[arg(long)]
        proof: bool,
    },
    /// Credits: burn tokens for them, see them, delegate them.
    #[command(subcommand)]
    Credits(CreditsCmd),
    /// The token supply, and minted, burned and net supply per reward epoch.
    Supply {
        /// Epochs to list, newest first.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Rewards of an owner's devices per epoch, claimed or not.
    Rewards {
        /// Key name or address.
        who: String,
        #[arg(long, env = "PLINTH_ORACLE", default_value = "http://127.0.0.1:8646")]
        oracle: String,
    },
    /// Claim the rewards of your devices (every unclaimed epoch, or one).
    Claim {
        #[command(flatten)]
        tx: Tx,
        #[arg(long)]
        epoch: Option<u64>,
        #[arg(long, env = "PLINTH_ORACLE", default_value = "http://127.0.0.1:8646")]
        oracle: String,
    },
    /// Send tokens.
    Transfer {
        #[command(flatten)]
        tx: Tx,
        /// Recipient: key name or address.
        to: String,
        /// Amount in tokens, e.g. 12.5.
        amount: String,
    },
    /// List transactions that touched an account.
    History {
        who: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Bond stake to a device you own or to a validator.
    Bond(StakeArgs),
    /// Start unbonding stake (withdrawable after the unbonding period).
    Unbond(StakeArgs),
    /// Withdraw matured unbonding stake to the free balance.
    Withdraw {
        #[command(flatten)]
        tx: Tx,
    },
    /// Replace the validator set from the next validator epoch on (the chain's
    /// validator admin only).
    SetValidators {
        #[command(flatten)]
        tx: Tx,
        /// The whole new set, each member as NAME=ADDRESS.
        #[arg(required = true)]
        members: Vec<String>,
    },
    /// Put a new oracle set in force from a reward epoch on (the chain's
    /// validator admin only): messages about that epoch and later need
    /// `--threshold` signatures of its members; earlier epochs keep their set.
    SetOracles {
        #[command(flatten)]
        tx: Tx,
        /// The whole new set: each member's address (or key name), the flag
        /// repeated or followed by several.
        #[arg(long = "member", required = true, num_args = 1..)]
        members: Vec<String>,
        /// Signatures of distinct members a manifest, settlement or price needs.
        #[arg(long)]
        threshold: u32,
        /// The first reward epoch the set signs for (after the current one).
        #[arg(long)]
        from_epoch: u64,
    },
}

/// `plinth wallet credits`'s subcommands.
#[derive(Subcommand)]
pub enum CreditsCmd {
    /// Burn tokens for credits at the oracle set's posted price (refused when the
    /// price is stale). 1 credit = $0.00001 unless the genesis says otherwise.
    Buy {
        #[command(flatten)]
        tx: Tx,
        /// Tokens to burn, e.g. 2.5.
        amount: String,
        /// Who gets the credits (key name or address); the signer by default.
        #[arg(long)]
        to: Option<String>,
    },
    /// An account's credits (own and delegated).
    Balance {
        /// Key name or address.
        who: String,
    },
    /// Give some of your own credits to another account, which may spend them but
    /// not pass them on.
    Delegate {
        #[command(flatten)]
        tx: Tx,
        /// Key name or address.
        to: String,
        /// Number of credits.
        credits: u64,
    },
}

impl WalletArgs {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        let c = self.common.ctx();
        match self.command {
            WalletCmd::New {
                name,
                development,
                encrypt,
                kdf,
            } => wallet::new_key(&c, &name, development, encrypt, kdf.params()),
            WalletCmd::Encrypt { kdf } => wallet::encrypt(&c, kdf.params()),
            WalletCmd::Export {
                name,
                out,
                encrypt,
                kdf,
            } => wallet::export(&c, &name, &out, encrypt.then(|| kdf.params())),
            WalletCmd::Import { file, name } => wallet::import(&c, &file, name.as_deref()),
            WalletCmd::List => wallet::list(&c),
            WalletCmd::Address { name } => wallet::address(&c, &name),
            WalletCmd::Balance { who, proof } => wallet::balance(&c, &who, proof),
            WalletCmd::Rewards { who, oracle } => oracle_cmd::rewards(&c, &who, &oracle),
            WalletCmd::Credits(cmd) => cmd.run(&c),
            WalletCmd::Supply { limit } => credits_cmd::supply(&c, limit),
            WalletCmd::Claim { tx, epoch, oracle } => {
                oracle_cmd::claim(&c, &tx.opts(), &oracle, epoch)
            }
            WalletCmd::Transfer { tx, to, amount } => {
                wallet::transfer(&c, &tx.opts(), &to, &amount)
            }
            WalletCmd::History { who, limit } => wallet::history(&c, &who, limit),
            WalletCmd::Bond(a) => a.send(&c, true),
            WalletCmd::Unbond(a) => a.send(&c, false),
            WalletCmd::Withdraw { tx } => {
                wallet::send(&c, &tx.opts(), |_| Ok(plinth_ledger::Call::Withdraw))
            }
            WalletCmd::SetValidators { tx, members } => {
                wallet::set_validators(&c, &tx.opts(), &members)
            }
            WalletCmd::SetOracles {
                tx,
                members,
                threshold,
                from_epoch,
            } => wallet::set_oracles(&c, &tx.opts(), &members, threshold, from_epoch),
        }
    }
}

impl CreditsCmd {
    /// Runs the subcommand.
    pub fn run(self, c: &Ctx) -> Result<()> {
        match self {
            CreditsCmd::Buy { tx, amount, to } => {
                credits_cmd::buy(c, &tx.opts(), &amount, to.as_deref())
            }
            CreditsCmd::Balance { who } => credits_cmd::balance(c, &who),
            CreditsCmd::Delegate { tx, to, credits } => {
                credits_cmd::delegate(c, &tx.opts(), &to, credits)
            }
        }
    }
}

/// `wallet bond` and `wallet unbond`: the same target and amount, two calls.
#[derive(Args)]
pub struct StakeArgs {
    #[command(flatten)]
    tx: Tx,
    #[arg(long)]
    device: Option<String>,
    #[arg(long)]
    validator: Option<String>,
    amount: String,
}

impl StakeArgs {
    /// Bonds (`bond`) or starts unbonding the stake.
    fn send(&self, c: &Ctx, bond: bool) -> Result<()> {
        let target = wallet::stake_target(c, self.device.as_deref(), self.validator.as_deref())?;
        wallet::send(c, &self.tx.opts(), |s| {
            let amount = amount::parse(&self.amount, s.token.decimals)?;
            Ok(if bond {
                plinth_ledger::Call::Bond { target, amount }
            } else {
                plinth_ledger::Call::Unbond { target, amount }
            })
        })
    }
}
