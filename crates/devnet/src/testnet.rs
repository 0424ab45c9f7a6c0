//! `plinth testnet init`: the files of a validator set and an oracle set on one
//! machine.
//!
//! ```text
//!  DIR/genesis.toml        shared by every validator (validators, accounts, oracle set,
//!                          governance)
//!  DIR/keystore.json       funded accounts and the oracles' keys (and the bootstrap
//!                          admin's, if asked for), for the wallet
//!  DIR/v0/keystore.json    validator 0's key (named `validator`)
//!  DIR/v0/node.toml        its config: genesis, key, data dir, rpc, p2p and peers
//!  DIR/v0/data/            created by `plinth node --config DIR/v0/node.toml`
//!  …                       v1, v2, … alike
//!  DIR/o0/keystore.json    oracle 0's key (named `oracle`)
//!  DIR/o0/oracle.toml      its config: node (validator 0 mod V), key, data dir, http,
//!                          mqtt (if any) and peers (the other oracles' HTTP APIs)
//!  DIR/o0/data/            created by `plinth oracle --config DIR/o0/oracle.toml`
//!  …                       o1, o2, … alike
//!
//!  with --tls (every HTTP API over HTTPS):
//!  DIR/tls/ca.pem          the testnet's CA: what clients trust (--ca, PLINTH_CA_FILE)
//!  DIR/tls/ca-key.pem      its key (0600): whoever holds it can impersonate any server
//!  DIR/v0/tls/cert.pem     validator 0's certificate (the host, localhost, 127.0.0.1)
//!  DIR/v0/tls/key.pem      its key (0600); node.toml's [tls] names both
//!  DIR/o0/tls/…            oracle 0's alike; oracle.toml has [tls], `ca`, and
//!                          https:// for its node and peers
//! ```
//!
//! The genesis oracle set is every oracle, with a
//! [`majority`](crate::genesis::majority) threshold (2 of 3).
//!
//! The genesis has governance ([`crate::genesis::governance`], voting periods of
//! [`TestnetInit::voting_period_ms`]) and no admin key: the validator and oracle
//! sets change by proposal. [`TestnetInit::bootstrap_admin`] adds an `admin`
//! account that may change them by a transaction as well.

use crate::genesis::{
    dev_accounts, governance, majority, oracle_accounts, oracle_name, template, DEV_BALANCE,
    MAX_ORACLES,
};
#[cfg(test)]
use crate::keystore::read_secret_file;
use crate::keystore::{write_secret_file, Keystore};
use crate::node::{ConsensusFileConfig, NodeFileConfig, ValidatorEntry};
use crate::oracle::OracleFileConfig;
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
    /// the genesis set: followers a proposal (or the admin) can make validators later.
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
    /// Oracles in the genesis oracle set (a majority must sign each manifest).
    pub oracles: usize,
    /// Oracle i's HTTP API listens on `oracle_port + i`.
    pub oracle_port: u16,
    /// The MQTT broker devices publish to (`mqtt://host:port`), which every
    /// oracle reads; none by default.
    pub mqtt: Option<String>,
    /// Overwrite an existing testnet in `out`.
    pub force: bool,
    /// Governance's deposit and voting periods, in milliseconds (turned into
    /// blocks of `block_time_ms`).
    pub voting_period_ms: u64,
    /// Keep a validator-set admin key (`admin` in the keystore) that changes the
    /// validator and oracle sets by a transaction, beside governance.
    pub bootstrap_admin: bool,
    /// Make a CA and a certificate per node and oracle: every HTTP API is served
    /// over HTTPS, and the oracles reach their node and peers over it.
    pub tls: bool,
}

/// How long the testnet's certificates are valid, days.
pub const TLS_DAYS: u64 = 365;

/// The testnet's longest governance lock: four years of blocks (Helium's veHNT),
/// at most what the ledger allows.
const MAX_LOCK_MS: u64 = 4 * 365 * 24 * 3600 * 1000;

/// What was written, for the summary.
pub struct Written {
    /// The shared genesis file.
    pub genesis: PathBuf,
    /// The keystore of the funded accounts, the oracles and the bootstrap admin.
    pub keystore: PathBuf,
    /// Each node's `node.toml` and the address of its HTTP API.
    pub configs: Vec<(PathBuf, SocketAddr)>,
    /// Each oracle's `oracle.toml` and the address of its HTTP API.
    pub oracles: Vec<(PathBuf, SocketAddr)>,
    /// Signatures a manifest needs (of `oracles.len()`).
    pub threshold: u32,
    /// The testnet CA's certificate, with `--tls`: clients pass it as `--ca`.
    pub ca: Option<PathBuf>,
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
    let oracles: Vec<Keypair> = (0..opts.oracles).map(|_| Keypair::generate()).collect();
    let admin = opts.bootstrap_admin.then(Keypair::generate);
    let accounts = dev_accounts(opts.accounts);
    let text = genesis_text(opts, validators, &accounts, &oracles, admin.as_ref())?;

    let keystore_path = out.join("keystore.json");
    if keystore_path.exists() {
        std::fs::remove_file(&keystore_path)?;
    }
    let mut ks = Keystore::load(&keystore_path)?;
    for (i, key) in oracles.iter().enumerate() {
        ks.add(&oracle_name(i), key)?;
    }
    if let Some(admin) = &admin {
        ks.add("admin", admin)?;
    }
    for (name, key) in &accounts {
        ks.add(name, key)?;
    }
    ks.save()?;

    let ca = if opts.tls {
        Some(write_ca(&out, &opts.chain_id)?)
    } else {
        None
    };
    let tls = ca.as_ref().map(|(ca, path)| (ca, path.as_path()));
    let configs = write_node_configs(opts, &out, &nodes, tls)?;
    let validator_apis: Vec<SocketAddr> = configs[..opts.validators]
        .iter()
        .map(|(_, rpc)| *rpc)
        .collect();
    let oracle_configs = write_oracle_configs(opts, &out, &oracles, &validator_apis, tls)?;
    // The genesis goes last: its presence marks a complete testnet.
    write_secret_file(&genesis_path_in(&out), &text)?;
    Ok(Written {
        genesis: genesis_path_in(&out),
        keystore: keystore_path,
        configs,
        oracles: oracle_configs,
        threshold: majority(opts.oracles),
        ca: ca.map(|(_, path)| path),
    })
}

/// The scheme of the testnet's HTTP APIs.
fn scheme(tls: bool) -> &'static str {
    if tls {
        "https"
    } else {
        "http"
    }
}

/// Makes the testnet's CA: `out/tls/ca.pem` and its key `out/tls/ca-key.pem`.
fn write_ca(out: &Path, chain_id: &str) -> Result<(plinth_tls::certs::Ca, PathBuf)> {
    let ca = plinth_tls::certs::Ca::new(&format!("{chain_id} CA"), TLS_DAYS)
        .context("making the testnet's CA")?;
    let dir = out.join("tls");
    let cert = dir.join("ca.pem");
    write_secret_file(&dir.join("ca-key.pem"), &ca.key_pem())?;
    std::fs::write(&cert, ca.cert_pem()).with_context(|| format!("writing {}", cert.display()))?;
    Ok((ca, cert))
}

/// Issues the certificate of a server listening on `host` into `dir/tls/`.
fn write_server_cert(
    ca: &plinth_tls::certs::Ca,
    dir: &Path,
    host: IpAddr,
) -> Result<crate::node::TlsFiles> {
    let mut hosts = vec![host.to_string(), "localhost".to_string()];
    if host.is_unspecified() || !host.is_loopback() {
        hosts.push("127.0.0.1".to_string());
    }
    hosts.dedup();
    let issued = ca
        .issue(&hosts, TLS_DAYS)
        .with_context(|| format!("issuing a certificate for {}", dir.display()))?;
    let files = crate::node::TlsFiles {
        cert: dir.join("tls").join("cert.pem"),
        key: dir.join("tls").join("key.pem"),
    };
    write_secret_file(&files.key, &issued.key_pem)?;
    std::fs::write(&files.cert, issued.cert_pem)
        .with_context(|| format!("writing {}", files.cert.display()))?;
    Ok(files)
}

/// Refuses what cannot make a working testnet.
fn check(opts: &TestnetInit) -> Result<()> {
    if opts.validators == 0 || opts.validators + opts.spares > 100 {
        bail!("--validators must be at least 1, and validators and spares at most 100");
    }
    if opts.epoch_blocks < 2 {
        bail!("--epoch-blocks must be at least 2");
    }
    if opts.block_time_ms == 0 || opts.voting_period_ms < opts.block_time_ms {
        bail!("--voting-period must be at least one block (--block-time)");
    }
    if !(1..=MAX_ORACLES).contains(&opts.oracles) {
        bail!("--oracles must be 1 to {MAX_ORACLES}");
    }
    let nodes = (opts.validators + opts.spares) as u32;
    let ranges = [
        ("--rpc-port", u32::from(opts.rpc_port), nodes),
        ("--p2p-port", u32::from(opts.p2p_port), nodes),
        (
            "--oracle-port",
            u32::from(opts.oracle_port),
            opts.oracles as u32,
        ),
    ];
    for (i, (flag, base, n)) in ranges.iter().enumerate() {
        if base + n - 1 > u32::from(u16::MAX) {
            bail!("ports run past 65535: choose a lower {flag}");
        }
        for (other, obase, on) in &ranges[i + 1..] {
            if base < &(obase + on) && obase < &(base + n) {
                bail!("the ports of {flag} and {other} overlap: choose apart ones");
            }
        }
    }
    Ok(())
}

/// The testnet's genesis: the default template with the validators, the funded
/// accounts, the oracles (a majority of which sign each manifest), governance
/// with the asked voting period, and the bootstrap admin if any, who may change
/// the validator set beside governance.
fn genesis_text(
    opts: &TestnetInit,
    validators: &[(String, Keypair)],
    accounts: &[(String, Keypair)],
    oracles: &[Keypair],
    admin: Option<&Keypair>,
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
            .chain(oracle_accounts(oracles))
            .chain(admin.map(|admin| {
                (
                    "admin".to_string(),
                    Address(admin.public()),
                    DEV_BALANCE / 1000,
                )
            }))
            .collect::<Vec<_>>(),
        &oracles
            .iter()
            .map(|k| Address(k.public()))
            .collect::<Vec<_>>(),
    );
    // The section stays without an admin: it carries the validator epochs.
    file.genesis.validator_set = Some(ValidatorSetGenesis {
        admin: admin.map(|a| Address(a.public())),
        epoch_blocks: opts.epoch_blocks,
    });
    file.genesis.governance = Some(governance(
        opts.voting_period_ms.div_ceil(opts.block_time_ms),
        MAX_LOCK_MS / opts.block_time_ms,
    ));
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
    tls: Option<(&plinth_tls::certs::Ca, &Path)>,
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
        let tls = match tls {
            Some((ca, _)) => Some(write_server_cert(ca, &dir, opts.host)?),
            None => None,
        };
        let cfg = NodeFileConfig {
            genesis: Some(genesis_path_in(out)),
            key: Some(key_path),
            passphrase_file: None,
            data_dir: Some(dir.join("data")),
            rpc: Some(rpc),
            block_time_ms: None,
            consensus: Some(ConsensusFileConfig {
                listen: SocketAddr::new(opts.host, opts.p2p_port + i as u16),
                validators: book.clone(),
            }),
            tls,
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

/// Writes each oracle's key and `oracle.toml` under `out/oN`: oracle `i` reads
/// validator `i mod V`'s HTTP API (`validator_apis`) and has the other oracles as
/// its peers. Returns each config and its oracle's HTTP API address.
fn write_oracle_configs(
    opts: &TestnetInit,
    out: &Path,
    oracles: &[Keypair],
    validator_apis: &[SocketAddr],
    tls: Option<(&plinth_tls::certs::Ca, &Path)>,
) -> Result<Vec<(PathBuf, SocketAddr)>> {
    let scheme = scheme(tls.is_some());
    let apis: Vec<SocketAddr> = (0..oracles.len())
        .map(|i| SocketAddr::new(opts.host, opts.oracle_port + i as u16))
        .collect();
    let mut configs = Vec::with_capacity(oracles.len());
    for (i, key) in oracles.iter().enumerate() {
        let dir = out.join(format!("o{i}"));
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let key_path = dir.join("keystore.json");
        if key_path.exists() {
            std::fs::remove_file(&key_path)?;
        }
        let mut oks = Keystore::load(&key_path)?;
        oks.add("oracle", key)?;
        oks.save()?;
        let (tls_files, ca) = match tls {
            Some((ca, ca_path)) => (
                Some(write_server_cert(ca, &dir, opts.host)?),
                Some(ca_path.to_path_buf()),
            ),
            None => (None, None),
        };
        let cfg = OracleFileConfig {
            node: Some(format!(
                "{scheme}://{}",
                validator_apis[i % validator_apis.len()]
            )),
            tls: tls_files,
            ca,
            key: Some(key_path),
            data_dir: Some(dir.join("data")),
            http: Some(apis[i]),
            mqtt: opts.mqtt.clone(),
            peers: apis
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, a)| format!("{scheme}://{a}"))
                .collect(),
            ..OracleFileConfig::default()
        };
        let path = dir.join("oracle.toml");
        let body = toml::to_string_pretty(&cfg).context("writing oracle.toml")?;
        std::fs::write(
            &path,
            format!(
                "# Oracle o{i} ({}) of testnet `{}`: {} of the {} oracles sign each manifest.\n\
                 # Run: plinth oracle --config {}\n\
                 # Add `price_usd = \"0.50\"` to run the price feed (an oracle co-signs\n\
                 # its peers' prices only when it runs one too).\n{body}",
                Address(key.public()),
                opts.chain_id,
                majority(oracles.len()),
                oracles.len(),
                path.display()
            ),
        )
        .with_context(|| format!("writing {}", path.display()))?;
        configs.push((path, apis[i]));
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
            oracles: 1,
            oracle_port: 8800,
            mqtt: None,
            force: false,
            voting_period_ms: 120_000,
            bootstrap_admin: true,
            tls: false,
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

    #[test]
    fn writes_an_oracle_set_of_three_with_threshold_two() {
        let dir = tempfile::tempdir().unwrap();
        let opts = TestnetInit {
            validators: 4,
            spares: 0,
            epoch_blocks: 100,
            out: dir.path().join("net"),
            chain_id: "plinth-testnet".into(),
            accounts: 1,
            block_time_ms: 250,
            epoch_ms: 60_000,
            host: "127.0.0.1".parse().unwrap(),
            rpc_port: 8700,
            p2p_port: 9700,
            oracles: 3,
            oracle_port: 8800,
            mqtt: Some("mqtt://127.0.0.1:1883".into()),
            force: false,
            voting_period_ms: 120_000,
            bootstrap_admin: false,
            tls: false,
        };
        let w = init(&opts).unwrap();
        let genesis = Genesis::from_toml(&std::fs::read_to_string(&w.genesis).unwrap()).unwrap();
        let ks = Keystore::load(&w.keystore).unwrap();
        // Without --bootstrap-admin: no admin, the set changes by proposal; the
        // section stays for its epochs, and governance votes for two minutes.
        assert!(ks.resolve("admin").is_err());
        let vs = genesis.validator_set.as_ref().unwrap();
        assert_eq!((vs.admin, vs.epoch_blocks), (None, 100));
        let gov = genesis.governance.as_ref().unwrap();
        assert_eq!(gov.voting_period_blocks, 120_000 / 250);
        assert_eq!(gov.max_lock_blocks, 4 * 365 * 24 * 3600 * 4);
        assert_eq!(genesis.accounts.len(), 1 + 3);
        assert_eq!(w.threshold, 2);
        assert_eq!(genesis.oracles.threshold, 2);
        assert_eq!(w.oracles.len(), 3);
        let mut members = Vec::new();
        for (i, (path, http)) in w.oracles.iter().enumerate() {
            assert_eq!(
                path,
                &w.genesis
                    .parent()
                    .unwrap()
                    .join(format!("o{i}/oracle.toml"))
            );
            let cfg: OracleFileConfig =
                toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            assert_eq!(cfg.http, Some(*http));
            assert_eq!(http.port(), 8800 + i as u16);
            // Oracle i reads validator i mod 4.
            assert_eq!(cfg.node, Some(format!("http://127.0.0.1:{}", 8700 + i)));
            assert_eq!(cfg.mqtt.as_deref(), Some("mqtt://127.0.0.1:1883"));
            let peers: Vec<String> = (0..3)
                .filter(|j| *j != i)
                .map(|j| format!("http://127.0.0.1:{}", 8800 + j))
                .collect();
            assert_eq!(cfg.peers, peers);
            assert!(cfg.data_dir.unwrap().ends_with(format!("o{i}/data")));
            let key = Keystore::load(cfg.key.as_ref().unwrap())
                .unwrap()
                .key("oracle")
                .unwrap();
            let address = Address(key.public());
            // The shared keystore names it too, and the genesis funds it.
            assert_eq!(ks.resolve(&oracle_name(i)).unwrap(), address);
            let funded = genesis.accounts.iter().find(|a| a.address == address);
            assert_eq!(funded.map(|a| a.balance), Some(DEV_BALANCE / 1000));
            members.push(address);
        }
        assert_eq!(genesis.oracles.members, members);

        // Oracle ports that collide with the validators' are refused.
        let err = init(&TestnetInit {
            oracle_port: 8702,
            force: true,
            ..opts
        })
        .err()
        .unwrap();
        assert!(err.to_string().contains("overlap"), "{err}");
    }

    #[test]
    fn with_tls_every_api_gets_a_certificate_from_the_testnet_ca() {
        let dir = tempfile::tempdir().unwrap();
        let opts = TestnetInit {
            validators: 2,
            spares: 0,
            epoch_blocks: 100,
            out: dir.path().join("net"),
            chain_id: "plinth-testnet".into(),
            accounts: 1,
            block_time_ms: 250,
            epoch_ms: 60_000,
            host: "127.0.0.1".parse().unwrap(),
            rpc_port: 8700,
            p2p_port: 9700,
            oracles: 2,
            oracle_port: 8800,
            mqtt: None,
            force: false,
            voting_period_ms: 120_000,
            bootstrap_admin: false,
            tls: true,
        };
        let w = init(&opts).unwrap();
        let ca = w.ca.clone().unwrap();
        assert!(ca.ends_with("tls/ca.pem"));
        let ca_key = ca.with_file_name("ca-key.pem");
        assert!(read_secret_file(&ca_key, "CA key").is_ok());
        for (path, _) in &w.configs {
            let cfg: NodeFileConfig =
                toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            let tls = cfg.tls.expect("[tls]");
            // Each key is its owner's alone, and goes with its certificate.
            tls.server_config().unwrap();
        }
        for (i, (path, _)) in w.oracles.iter().enumerate() {
            let cfg: OracleFileConfig =
                toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            cfg.tls.expect("[tls]").server_config().unwrap();
            assert_eq!(cfg.ca.as_deref(), Some(ca.as_path()));
            assert_eq!(
                cfg.node,
                Some(format!("https://127.0.0.1:{}", 8700 + i % 2))
            );
            assert_eq!(
                cfg.peers,
                vec![format!("https://127.0.0.1:{}", 8800 + (1 - i))]
            );
        }
        // The CA is one clients can add.
        plinth_tls::add_ca_file(&ca).unwrap();
    }
}
