//! `plinth testnet init`: the files of a validator set on one machine.
//!
//! ```text
//!  DIR/genesis.toml        shared by every validator (validators, accounts, oracle)
//!  DIR/keystore.json       funded accounts and the oracle key, for wallet and oracle
//!  DIR/v0/keystore.json    validator 0's key (named `validator`)
//!  DIR/v0/node.toml        its config: genesis, key, data dir, rpc, p2p and peers
//!  DIR/v0/data/            created by `plinth node --config DIR/v0/node.toml`
//!  …                       v1, v2, … alike
//! ```

use crate::genesis::{dev_accounts, template, DEV_BALANCE};
use crate::keystore::{write_secret_file, Keystore};
use crate::node::{ConsensusFileConfig, NodeFileConfig, ValidatorEntry};
use anyhow::{bail, Context, Result};
use plinth_core::{Address, Keypair};
use plinth_ledger::validators::ValidatorSetGenesis;
use plinth_ledger::Genesis;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// What `plinth testnet init` is asked for.
pub struct TestnetInit {
    /// Validators in the genesis set.
    pub validators: usize,
    /// Nodes configured beside the validators (in every address book) but not in
    /// the genesis set: followers the admin can make validators later.
    pub spares: usize,
    /// Blocks per validator epoch: a set change takes effect at the next one.
    pub epoch_blocks: u64,
    /// The directory to write.
    pub out: PathBuf,
    /// The chain's id.
    pub chain_id: String,
    /// Funded accounts to create.
    pub accounts: usize,
    /// Time between blocks.
    pub block_time_ms: u64,
    /// Length of a reward epoch.
    pub epoch_ms: u64,
    /// Address the validators listen on.
    pub host: IpAddr,
    /// Validator i's HTTP API listens on `rpc_port + i`.
    pub rpc_port: u16,
    /// Validator i's p2p listens on `p2p_port + i`.
    pub p2p_port: u16,
    /// Overwrite an existing testnet in `out`.
    pub force: bool,
}

/// What was written, for the summary.
pub struct Written {
    /// The shared genesis file.
    pub genesis: PathBuf,
    /// The keystore of the funded accounts, the oracle and the admin.
    pub keystore: PathBuf,
    /// Each node's `node.toml` and the address of its HTTP API.
    pub configs: Vec<(PathBuf, SocketAddr)>,
}

/// Writes the testnet's files (see the module docs); the genesis last, so that its
/// presence marks a complete testnet.
pub fn init(opts: &TestnetInit) -> Result<Written> {
    check(opts)?;
    let genesis_path = opts.out.join("genesis.toml");
    if genesis_path.exists() && !opts.force {
        bail!(
            "{} exists (pass --force to overwrite the whole testnet)",
            genesis_path.display()
        );
    }
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("creating {}", opts.out.display()))?;
    let out = opts
        .out
        .canonicalize()
        .with_context(|| format!("resolving {}", opts.out.display()))?;

    let nodes: Vec<(String, Keypair)> = (0..opts.validators + opts.spares)
        .map(|i| (format!("v{i}"), Keypair::generate()))
        .collect();
    let validators = &nodes[..opts.validators];
    let oracle = Keypair::generate();
    let admin = Keypair::generate();
    let accounts = dev_accounts(opts.accounts);
    let text = genesis_text(opts, validators, &accounts, &oracle, &admin)?;

    let keystore_path = out.join("keystore.json");
    if keystore_path.exists() {
        std::fs::remove_file(&keystore_path)?;
    }
    let mut ks = Keystore::load(&keystore_path)?;
    ks.add("oracle", &oracle)?;
    ks.add("admin", &admin)?;
    for (name, key) in &accounts {
        ks.add(name, key)?;
    }
    ks.save()?;

    let configs = write_node_configs(opts, &out, &nodes)?;
    // The genesis goes last: its presence marks a complete testnet.
    write_secret_file(&genesis_path_in(&out), &text)?;
    Ok(Written {
        genesis: genesis_path_in(&out),
        keystore: keystore_path,
        configs,
    })
}

/// Refuses what cannot make a working testnet.
fn check(opts: &TestnetInit) -> Result<()> {
    if opts.validators == 0 || opts.validators + opts.spares > 100 {
        bail!("--validators must be at least 1, and validators and spares at most 100");
    }
    if opts.epoch_blocks < 2 {
        bail!("--epoch-blocks must be at least 2");
    }
    let last = |base: u16| u32::from(base) + (opts.validators + opts.spares) as u32 - 1;
    if last(opts.rpc_port) > u32::from(u16::MAX) || last(opts.p2p_port) > u32::from(u16::MAX) {
        bail!("ports run past 65535: choose lower --rpc-port / --p2p-port");
    }
    Ok(())
}

/// The testnet's genesis: the default template with the validators, the funded
/// accounts, the oracle and the admin, who may change the validator set.
fn genesis_text(
    opts: &TestnetInit,
    validators: &[(String, Keypair)],
    accounts: &[(String, Keypair)],
    oracle: &Keypair,
    admin: &Keypair,
) -> Result<String> {
    let mut file = template(
        &opts.chain_id,
        plinth_oracle::now_ms(),
        opts.block_time_ms,
        opts.epoch_ms,
        &validators
            .iter()
            .map(|(n, k)| (n.clone(), Address(k.public())))
            .collect::<Vec<_>>(),
        &accounts
            .iter()
            .map(|(n, k)| (n.clone(), Address(k.public()), DEV_BALANCE))
            .chain([
                (
                    "oracle".to_string(),
                    Address(oracle.public()),
                    DEV_BALANCE / 1000,
                ),
                (
                    "admin".to_string(),
                    Address(admin.public()),
                    DEV_BALANCE / 1000,
                ),
            ])
            .collect::<Vec<_>>(),
        &[Address(oracle.public())],
    );
    file.genesis.validator_set = Some(ValidatorSetGenesis {
        admin: Some(Address(admin.public())),
        epoch_blocks: opts.epoch_blocks,
    });
    let text = file.to_toml();
    Genesis::from_toml(&text).context("generated genesis is invalid")?;
    Ok(text)
}

/// Writes each node's key and `node.toml` under `out/vN`; returns each config
/// and its node's HTTP API address.
fn write_node_configs(
    opts: &TestnetInit,
    out: &Path,
    nodes: &[(String, Keypair)],
) -> Result<Vec<(PathBuf, SocketAddr)>> {
    let book: Vec<ValidatorEntry> = nodes
        .iter()
        .enumerate()
        .map(|(i, (_, k))| ValidatorEntry {
            address: Address(k.public()),
            p2p: SocketAddr::new(opts.host, opts.p2p_port + i as u16),
        })
        .collect();
    let mut configs = Vec::new();
    for (i, (name, key)) in nodes.iter().enumerate() {
        let dir = out.join(name);
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let key_path = dir.join("keystore.json");
        if key_path.exists() {
            std::fs::remove_file(&key_path)?;
        }
        let mut vks = Keystore::load(&key_path)?;
        vks.add("validator", key)?;
        vks.save()?;
        let rpc = SocketAddr::new(opts.host, opts.rpc_port + i as u16);
        let cfg = NodeFileConfig {
            genesis: Some(genesis_path_in(out)),
            key: Some(key_path),
            data_dir: Some(dir.join("data")),
            rpc: Some(rpc),
            block_time_ms: None,
            consensus: Some(ConsensusFileConfig {
                listen: SocketAddr::new(opts.host, opts.p2p_port + i as u16),
                validators: book.clone(),
            }),
        };
        let path = dir.join("node.toml");
        let body = toml::to_string_pretty(&cfg).context("writing node.toml")?;
        std::fs::write(
            &path,
            format!(
                "# Validator {name} of testnet `{}`. Run: plinth node --config {}\n{body}",
                opts.chain_id,
                path.display()
            ),
        )
        .with_context(|| format!("writing {}", path.display()))?;
        configs.push((path, rpc));
    }
    Ok(configs)
}

fn genesis_path_in(dir: &Path) -> PathBuf {
    dir.join("genesis.toml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_consistent_validator_set() {
        let dir = tempfile::tempdir().unwrap();
        let opts = TestnetInit {
            validators: 4,
            spares: 1,
            epoch_blocks: 100,
            out: dir.path().join("net"),
            chain_id: "plinth-testnet".into(),
            accounts: 2,
            block_time_ms: 250,
            epoch_ms: 60_000,
            host: "127.0.0.1".parse().unwrap(),
            rpc_port: 8700,
            p2p_port: 9700,
            force: false,
        };
        let w = init(&opts).unwrap();
        let genesis = Genesis::from_toml(&std::fs::read_to_string(&w.genesis).unwrap()).unwrap();
        assert_eq!(genesis.validators.len(), 4);
        let ks = Keystore::load(&w.keystore).unwrap();
        assert!(ks.key("alice").is_ok() && ks.key("oracle").is_ok());
        let vs = genesis.validator_set.as_ref().unwrap();
        assert_eq!(vs.admin, Some(ks.resolve("admin").unwrap()));
        assert_eq!(vs.epoch_blocks, 100);
        assert_eq!(w.configs.len(), 5);
        assert_eq!(genesis.oracles.members, vec![ks.resolve("oracle").unwrap()]);
        for (i, (path, rpc)) in w.configs.iter().enumerate() {
            let cfg: NodeFileConfig =
                toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            assert_eq!(cfg.rpc, Some(*rpc));
            let c = cfg.consensus.unwrap();
            assert_eq!(c.listen.port(), 9700 + i as u16);
            let key = Keystore::load(cfg.key.as_ref().unwrap())
                .unwrap()
                .key("validator")
                .unwrap();
            // Validators first, then the spare; every book lists all five.
            let in_genesis = genesis
                .validators
                .iter()
                .any(|v| v.address == Address(key.public()));
            assert_eq!(in_genesis, i < 4);
            assert_eq!(c.validators.len(), 5);
            assert_eq!(c.validators[i].address, Address(key.public()));
            for v in &genesis.validators {
                assert!(c.validators.iter().any(|e| e.address == v.address));
            }
        }
        // A second init refuses to overwrite without --force.
        assert!(init(&opts).is_err());
        assert!(init(&TestnetInit {
            force: true,
            ..opts
        })
        .is_ok());
    }
}
