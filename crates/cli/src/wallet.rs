//! `plinth wallet …` and `plinth device …`: keys, queries and signed transactions.

use crate::amount;
use crate::keystore::{DeviceKeyFile, KdfParams, Keystore, Passphrase};
use anyhow::{bail, Context, Result};
use plinth_api::node::*;
use plinth_api::NodeClient;
use plinth_core::{Address, DeviceId, Keypair};
use plinth_ledger::{Call, StakeTarget, Transaction};
use std::path::Path;
use std::time::Duration;

/// What every wallet and device command shares.
pub struct Ctx {
    pub keystore: std::path::PathBuf,
    /// Where an encrypted keystore's passphrase comes from.
    pub passphrase: Passphrase,
    pub node: String,
    pub json: bool,
}

impl Ctx {
    pub fn client(&self) -> NodeClient {
        NodeClient::new(&self.node)
    }

    pub fn keystore(&self) -> Result<Keystore> {
        Keystore::load_with(&self.keystore, self.passphrase.clone())
    }

    pub fn print<T: serde::Serialize>(&self, value: &T, human: impl FnOnce() -> String) {
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(value).unwrap_or_default()
            );
        } else {
            println!("{}", human());
        }
    }
}

/// Settles the form of the keystore `ks` before a command adds keys to it
/// (`wallet new`, `genesis init`). One that does not exist yet is created
/// encrypted under `params` (the passphrase from its [`crate::keystore::Passphrase`]:
/// a file, `PLINTH_PASSPHRASE`, the terminal; with none the command stops), or,
/// with `development`, as an unencrypted development keystore. An existing one
/// keeps its form: `--development` on an encrypted one, or `--encrypt` on a
/// development one, is refused rather than ignored.
pub fn settle_new_keystore(
    ks: &mut Keystore,
    development: bool,
    encrypt: bool,
    params: KdfParams,
) -> Result<()> {
    if ks.path().exists() {
        if development && ks.is_encrypted() {
            bail!(
                "keystore {} is encrypted: --development only applies to a keystore that \
                 does not exist yet (an existing one keeps its form)",
                ks.path().display()
            );
        }
        if encrypt && !ks.is_encrypted() {
            bail!(
                "keystore {0} is an unencrypted development keystore: run `plinth wallet \
                 --keystore {0} encrypt` first (it encrypts every key in it)",
                ks.path().display()
            );
        }
        return Ok(());
    }
    if development {
        return Ok(());
    }
    ks.encrypt(params).context(
        "a new keystore is encrypted (--development writes an unencrypted development \
         keystore instead, for development only)",
    )
}

/// `wallet new`: a fresh key in the keystore. A keystore that does not exist yet
/// is created encrypted (Argon2id `params`), or unencrypted with `development`
/// ([`settle_new_keystore`]); a key added to an existing keystore takes its form.
pub fn new_key(
    ctx: &Ctx,
    name: &str,
    development: bool,
    encrypt: bool,
    params: KdfParams,
) -> Result<()> {
    let mut ks = ctx.keystore()?;
    settle_new_keystore(&mut ks, development, encrypt, params)?;
    let key = Keypair::generate();
    let address = ks.add(name, &key)?;
    ks.save()?;
    ctx.print(
        &serde_json::json!({"name": name, "address": address, "encrypted": ks.is_encrypted()}),
        || {
            let mut s = format!("{name}  {address}\n(saved in {}", ks.path().display());
            if !ks.is_encrypted() {
                s.push_str(
                    ", an unencrypted development keystore: `plinth wallet encrypt` encrypts it",
                );
            }
            s + ")"
        },
    );
    Ok(())
}

/// `wallet encrypt`: encrypts the development keystore in place (a new file
/// written, synced and renamed over the old one).
pub fn encrypt(ctx: &Ctx, params: KdfParams) -> Result<()> {
    let mut ks = ctx.keystore()?;
    if !ks.path().exists() {
        bail!("no keystore at {}", ks.path().display());
    }
    ks.encrypt(params)?;
    ks.save()?;
    ctx.print(
        &serde_json::json!({"keystore": ks.path(), "keys": ks.keys.len(), "encrypted": true}),
        || {
            format!(
                "encrypted {} key(s) in {} (argon2id, {} MiB, {} passes; xchacha20poly1305)",
                ks.keys.len(),
                ks.path().display(),
                params.memory_kib / 1024,
                params.iterations
            )
        },
    );
    Ok(())
}

/// `wallet export`: the key `name` alone in a new keystore file `out`, encrypted
/// when `encrypt` is given or the keystore is (with the same passphrase source),
/// else a development keystore.
pub fn export(ctx: &Ctx, name: &str, out: &Path, encrypt: Option<KdfParams>) -> Result<()> {
    if out.exists() {
        bail!("{} already exists; refusing to overwrite it", out.display());
    }
    let ks = ctx.keystore()?;
    let key = ks.key(name)?;
    let entry = ks
        .keys
        .iter()
        .find(|k| k.address == Address(key.public()))
        .context("the key is in the keystore")?;
    let mut exported = Keystore::load_with(out, ctx.passphrase.clone())?;
    let params = encrypt.or(ks.kdf_params());
    if let Some(params) = params {
        exported.encrypt(params)?;
    }
    let address = exported.add(&entry.name, &key)?;
    exported.save()?;
    ctx.print(
        &serde_json::json!({"name": entry.name, "address": address, "file": out, "encrypted": exported.is_encrypted()}),
        || {
            format!(
                "{}  {address}\n(exported to {}, {})",
                entry.name,
                out.display(),
                if exported.is_encrypted() {
                    "encrypted"
                } else {
                    "unencrypted"
                }
            )
        },
    );
    Ok(())
}

/// `wallet import`: the keys of `file` — a keystore (development or encrypted)
/// or a device key file as `plinth device keygen` writes — added to the
/// keystore; `rename` names the key of a file that holds one.
pub fn import(ctx: &Ctx, file: &Path, rename: Option<&str>) -> Result<()> {
    let text = crate::keystore::read_secret_file(file, "key file")?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a key file (JSON)", file.display()))?;
    drop(text);
    let mut keys: Vec<(String, Keypair)> = if value.get("device_id").is_some() {
        let stem = file
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
            .split('.')
            .next()
            .unwrap_or_default()
            .to_string();
        vec![(stem, DeviceKeyFile::load(file)?)]
    } else {
        let source = Keystore::load_with(file, ctx.passphrase.clone())?;
        source
            .keys
            .iter()
            .map(|k| Ok((k.name.clone(), source.key(&k.name)?)))
            .collect::<Result<_>>()?
    };
    if keys.is_empty() {
        bail!("{} holds no key", file.display());
    }
    if let Some(name) = rename {
        if keys.len() != 1 {
            bail!(
                "{} holds {} keys: --name renames only the key of a file that holds one",
                file.display(),
                keys.len()
            );
        }
        keys[0].0 = name.to_string();
    }
    let mut ks = ctx.keystore()?;
    for (name, key) in &keys {
        let address = Address(key.public());
        if let Some(k) = ks.keys.iter().find(|k| k.address == address) {
            bail!("{address} is already in the keystore as `{}`", k.name);
        }
        ks.add(name, key)?;
    }
    ks.save()?;
    let rows: Vec<_> = keys
        .iter()
        .map(|(n, k)| serde_json::json!({"name": n, "address": Address(k.public())}))
        .collect();
    ctx.print(&rows, || {
        let mut s: Vec<String> = keys
            .iter()
            .map(|(n, k)| format!("{n:<12} {}", Address(k.public())))
            .collect();
        s.push(format!("(imported into {})", ks.path().display()));
        s.join("\n")
    });
    Ok(())
}

pub fn list(ctx: &Ctx) -> Result<()> {
    let ks = ctx.keystore()?;
    let rows: Vec<_> = ks
        .keys
        .iter()
        .map(|k| serde_json::json!({"name": k.name, "address": k.address}))
        .collect();
    ctx.print(&rows, || {
        if ks.keys.is_empty() {
            return format!(
                "no keys in {} (create one with `plinth wallet new NAME`)",
                ks.path().display()
            );
        }
        ks.keys
            .iter()
            .map(|k| format!("{:<12} {}", k.name, k.address))
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}

pub fn address(ctx: &Ctx, name: &str) -> Result<()> {
    let addr = ctx.keystore()?.resolve(name)?;
    ctx.print(&serde_json::json!({"address": addr}), || addr.to_string());
    Ok(())
}

pub fn balance(ctx: &Ctx, who: &str, proof: bool) -> Result<()> {
    let addr = ctx.keystore()?.resolve(who)?;
    let client = ctx.client();
    let status = client.status()?;
    let view = if proof {
        client.account_with_proof(&addr)?
    } else {
        client.account(&addr)?
    };
    let mut verified = None;
    if let Some(p) = &view.proof {
        // The proof must check out, and its root must be the one in the block header.
        let block: BlockView = client.get(&format!("/v1/blocks/{}", p.height))?;
        if !p.verify() || block.header.state_root != p.state_root {
            bail!("the node's state proof for {addr} does not verify");
        }
        verified = Some(format!(
            "proof verified against state root {} at height {}",
            p.state_root, p.height
        ));
    }
    let d = status.token.decimals;
    let sym = &status.token.symbol;
    ctx.print(&view, || {
        let unbonding: u64 = view.unbonding.iter().map(|u| u.amount).sum();
        let mut s = format!(
            "{addr}\n  free       {} {sym}\n  bonded     {} {sym}\n  unbonding  {} {sym}\n  nonce      {}  (height {})",
            amount::format(view.balance, d),
            amount::format(view.bonded, d),
            amount::format(unbonding, d),
            view.nonce,
            view.height,
        );
        for u in &view.unbonding {
            s.push_str(&format!(
                "\n    {} {sym} withdrawable from height {}",
                amount::format(u.amount, d),
                u.release_height
            ));
        }
        for b in &view.bonds {
            let target = match b.target {
                StakeTarget::Device(id) => format!("device {id}"),
                StakeTarget::Validator(a) => format!("validator {a}"),
            };
            s.push_str(&format!("\n    bonded {} {sym} to {target}", amount::format(b.amount, d)));
        }
        if let Some(v) = &verified {
            s.push_str(&format!("\n  {v}"));
        }
        s
    });
    Ok(())
}

pub fn history(ctx: &Ctx, who: &str, limit: usize) -> Result<()> {
    let addr = ctx.keystore()?.resolve(who)?;
    let client = ctx.client();
    let items = client.history(
        &addr,
        &HistoryQuery {
            limit: Some(limit as u64),
        },
    )?;
    let decimals = client.status()?.token.decimals;
    ctx.print(&items, || {
        if items.is_empty() {
            return format!("no transactions for {addr}");
        }
        items
            .iter()
            .map(|i| {
                let what = match &i.tx.call {
                    Call::Transfer { to, amount: a } if i.tx.signer == addr => {
                        format!("sent {} to {to}", amount::format(*a, decimals))
                    }
                    Call::Transfer { amount: a, .. } => {
                        format!(
                            "received {} from {}",
                            amount::format(*a, decimals),
                            i.tx.signer
                        )
                    }
                    other => serde_json::to_value(other)
                        .ok()
                        .and_then(|v| v.get("type").and_then(|t| t.as_str().map(str::to_owned)))
                        .unwrap_or_default(),
                };
                format!("#{:<6} {}  {what}", i.height, i.hash)
            })
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}

/// Options of every command that sends a transaction.
pub struct SendOpts {
    pub from: String,
    /// Fee in tokens; the chain's minimum when absent.
    pub fee: Option<String>,
    pub wait: bool,
}

/// Signs and submits `call` from `opts.from`; waits for its block unless told not
/// to. Returns the fee, the hash and, when waited for, the committed view.
pub(crate) fn submit_call(
    ctx: &Ctx,
    opts: &SendOpts,
    status: &StatusView,
    call: Call,
) -> Result<(u64, plinth_core::Hash, Option<TxView>)> {
    let ks = ctx.keystore()?;
    let key = ks.key(&opts.from)?;
    let signer = Address(key.public());
    let client = ctx.client();
    let fee = match &opts.fee {
        Some(f) => amount::parse(f, status.token.decimals)?,
        None => status.min_fee,
    };
    let acct = client.account(&signer)?;
    let tx = Transaction {
        chain_id: status.chain_id.clone(),
        signer,
        nonce: acct.next_nonce,
        fee,
        call,
    }
    .sign(&key);
    let hash = tx.hash();
    client.submit(&tx)?;
    if !opts.wait {
        return Ok((fee, hash, None));
    }
    let view = client.wait_committed(&hash, Duration::from_secs(60))?;
    Ok((fee, hash, Some(view)))
}

/// [`send`] without output (for commands that send many transactions).
pub fn send_quiet(ctx: &Ctx, opts: &SendOpts, call: Call) -> Result<()> {
    let status = ctx.client().status()?;
    submit_call(ctx, opts, &status, call).map(|_| ())
}

/// Signs and submits the call `make_call` builds, and reports the outcome.
pub fn send(
    ctx: &Ctx,
    opts: &SendOpts,
    make_call: impl FnOnce(&StatusView) -> Result<Call>,
) -> Result<()> {
    let status = ctx.client().status()?;
    let call = make_call(&status)?;
    let (fee, hash, view) = submit_call(ctx, opts, &status, call)?;
    match view {
        None => ctx.print(
            &serde_json::json!({"hash": hash, "status": "pending"}),
            || format!("submitted {hash} (pending)"),
        ),
        Some(view) => ctx.print(&view, || {
            format!(
                "committed {hash} in block {} (fee {} {})",
                view.height.unwrap_or(0),
                amount::format(fee, status.token.decimals),
                status.token.symbol
            )
        }),
    }
    Ok(())
}

/// Replaces the validator set (admin only): `members` are NAME=ADDRESS.
pub fn set_validators(ctx: &Ctx, opts: &SendOpts, members: &[String]) -> Result<()> {
    let validators = validator_set(members)?;
    send(ctx, opts, |_| Ok(Call::SetValidators { validators }))
}

/// A validator set from NAME=ADDRESS members, checked as the ledger checks it.
pub fn validator_set(members: &[String]) -> Result<Vec<plinth_ledger::params::Validator>> {
    let mut validators = Vec::with_capacity(members.len());
    for m in members {
        let Some((name, address)) = m.split_once('=') else {
            bail!("`{m}`: give each member as NAME=ADDRESS");
        };
        validators.push(plinth_ledger::params::Validator {
            address: address
                .parse()
                .map_err(|e| anyhow::anyhow!("`{address}` is not an address: {e}"))?,
            name: name.to_string(),
        });
    }
    plinth_ledger::validators::check_set(&validators).map_err(|e| anyhow::anyhow!(e))?;
    Ok(validators)
}

/// Schedules an oracle set (admin only) from `from_epoch` on: `members` are
/// addresses or key names. The set's shape is checked before anything is sent;
/// the ledger judges the rest (the signer, the epoch).
pub fn set_oracles(
    ctx: &Ctx,
    opts: &SendOpts,
    members: &[String],
    threshold: u32,
    from_epoch: u64,
) -> Result<()> {
    let set = oracle_set(&ctx.keystore()?, members, threshold)?;
    send(ctx, opts, |status| {
        if from_epoch <= status.epoch {
            bail!(
                "--from-epoch {from_epoch} is not after the current epoch {}",
                status.epoch
            );
        }
        Ok(Call::SetOracleSet {
            set,
            effective_epoch: from_epoch,
        })
    })
}

/// An oracle set of `members` (addresses or key names) and `threshold`, its
/// shape checked (the ledger judges the rest).
pub fn oracle_set(
    ks: &Keystore,
    members: &[String],
    threshold: u32,
) -> Result<plinth_ledger::OracleSet> {
    let members = members
        .iter()
        .map(|m| ks.resolve(m))
        .collect::<Result<Vec<_>>>()?;
    let set = plinth_ledger::OracleSet { threshold, members };
    set.validate().map_err(|e| anyhow::anyhow!(e))?;
    if !set.is_active() {
        bail!("an oracle set needs at least one member and a threshold of at least 1");
    }
    Ok(set)
}

pub fn transfer(ctx: &Ctx, opts: &SendOpts, to: &str, amount_text: &str) -> Result<()> {
    let to = ctx.keystore()?.resolve(to)?;
    send(ctx, opts, |s| {
        Ok(Call::Transfer {
            to,
            amount: amount::parse(amount_text, s.token.decimals)?,
        })
    })
}

pub fn stake_target(
    ctx: &Ctx,
    device: Option<&str>,
    validator: Option<&str>,
) -> Result<StakeTarget> {
    match (device, validator) {
        (Some(d), None) => Ok(StakeTarget::Device(d.parse::<DeviceId>()?)),
        (None, Some(v)) => Ok(StakeTarget::Validator(ctx.keystore()?.resolve(v)?)),
        _ => bail!("name exactly one of --device ID or --validator ADDRESS"),
    }
}

/// Reads `LAT,LON` into an H3 cell at `resolution`.
pub fn parse_location(text: &str, resolution: u8) -> Result<u64> {
    let (lat, lon) = text
        .split_once(',')
        .with_context(|| format!("location `{text}` must be LAT,LON (e.g. 52.52,13.40)"))?;
    let lat: f64 = lat
        .trim()
        .parse()
        .with_context(|| format!("latitude `{lat}` is not a number"))?;
    let lon: f64 = lon
        .trim()
        .parse()
        .with_context(|| format!("longitude `{lon}` is not a number"))?;
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        bail!("location {lat},{lon} is off the globe (latitude -90..90, longitude -180..180)");
    }
    let res = h3o::Resolution::try_from(resolution).context("H3 resolution must be 0 to 15")?;
    let cell = h3o::LatLng::new(lat, lon)
        .context("invalid coordinates")?
        .to_cell(res);
    Ok(u64::from(cell))
}

pub fn device_keygen(ctx: &Ctx, out: &Path) -> Result<()> {
    if out.exists() {
        bail!(
            "{} already exists; refusing to overwrite a device key",
            out.display()
        );
    }
    let id = DeviceKeyFile::write(out, &Keypair::generate())?;
    ctx.print(
        &serde_json::json!({"device_id": id, "key_file": out}),
        || format!("{id}\n(key saved in {})", out.display()),
    );
    Ok(())
}

/// Registers the device whose key file is `key_file` to `opts.from` in
/// `network` at `place` (LAT,LON and H3 resolution); with `made_by`, as made by
/// that maker, whose certificate it is ([`Call::RegisterMadeDevice`]).
pub fn device_register(
    ctx: &Ctx,
    opts: &SendOpts,
    key_file: &Path,
    network: &str,
    place: (&str, u8),
    made_by: Option<(Address, plinth_core::Signature)>,
) -> Result<()> {
    let device_key = DeviceKeyFile::load(key_file)?;
    let owner = Address(ctx.keystore()?.key(&opts.from)?.public());
    let cell = parse_location(place.0, place.1)?;
    let device = DeviceId(device_key.public());
    send(ctx, opts, |s| {
        let msg = plinth_ledger::devices::registration_message(
            &plinth_core::chain_identity(&s.genesis_hash),
            &owner,
            &device,
            network,
            cell,
        );
        let device_signature = device_key.sign(&msg);
        let network = network.to_string();
        Ok(match made_by {
            None => Call::RegisterDevice {
                device,
                network,
                location: cell,
                device_signature,
            },
            Some((maker, maker_signature)) => Call::RegisterMadeDevice {
                device,
                network,
                location: cell,
                device_signature,
                maker,
                maker_signature,
            },
        })
    })
}

pub fn device_show(ctx: &Ctx, id: &str) -> Result<()> {
    let id: DeviceId = id.parse()?;
    let view: DeviceView = ctx.client().get(&format!("/v1/devices/{id}"))?;
    ctx.print(&view, || device_line(&view));
    Ok(())
}

fn device_line(d: &DeviceView) -> String {
    format!(
        "{}\n  owner     {}\n  network   {}\n  location  {} (res {}, {:.5},{:.5})\n  status    {:?}\n  stake     {}\n  since     block {}",
        d.id, d.owner, d.network, d.location, d.resolution, d.lat, d.lon, d.status, d.stake, d.registered_height
    )
}

pub fn device_list(ctx: &Ctx, owner: Option<&str>, network: Option<&str>) -> Result<()> {
    let query = DevicesQuery {
        owner: match owner {
            Some(o) => Some(ctx.keystore()?.resolve(o)?.to_string()),
            None => None,
        },
        network: network.map(str::to_string),
        ..Default::default()
    };
    let views = ctx.client().devices(&query)?;
    ctx.print(&views, || {
        if views.is_empty() {
            return "no devices".into();
        }
        views
            .iter()
            .map(|d| format!("{}  {:<10} {}  {:?}", d.id, d.network, d.location, d.status))
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(())
}
