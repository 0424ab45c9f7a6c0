//! A proposal's actions as people type and read them: the shorthand flags of
//! `plinth gov propose` ([`ActionFlags`]), the JSON actions file
//! ([`read_actions_file`]), and one line per action for `plinth gov show`
//! ([`describe`]).
//!
//! Every [`Action`] kind can be written in the file (the ledger's serde form,
//! tagged by `"type"`); the flags cover them too, in a fixed order after the
//! file's actions.

use crate::amount;
use crate::keystore::Keystore;
use anyhow::{bail, Context, Result};
use clap::Args;
use plinth_api::node::TokenView;
use plinth_ledger::governance::Action;
use std::path::Path;

/// Largest actions file read.
pub const MAX_ACTIONS_FILE: u64 = 1 << 20;

/// The shorthand flags of `plinth gov propose`, one per action kind.
#[derive(Args, Default)]
pub struct ActionFlags {
    /// Change a network's emission share and usage split (basis points).
    #[arg(long, value_name = "NETWORK:SHARE_BPS:USAGE_BPS")]
    set_share: Vec<String>,
    /// Change a network's family parameters (JSON, checked by the family).
    #[arg(long, value_name = "NETWORK:JSON")]
    set_family_params: Vec<String>,
    /// Add a network (its devices need no maker; use the file for that).
    #[arg(long, value_name = "NAME:FAMILY:SHARE_BPS:USAGE_BPS:JSON")]
    add_network: Vec<String>,
    /// Replace the credit settings: JSON {credit_micro_usd, price_max_age_ms}.
    #[arg(long, value_name = "JSON")]
    set_credit_params: Option<String>,
    /// Replace the storage settings: JSON {max_failures, max_deal_epochs,
    /// accept_epochs, allow_private_endpoints}.
    #[arg(long, value_name = "JSON")]
    set_storage_params: Option<String>,
    /// Change the emission floor per epoch, in tokens.
    #[arg(long, value_name = "TOKENS")]
    set_emission_tail: Option<String>,
    /// Put an oracle set in force from a reward epoch on; members are key
    /// names or addresses.
    #[arg(long, value_name = "FROM_EPOCH:THRESHOLD:MEMBER[,MEMBER…]")]
    set_oracles: Option<String>,
    /// Replace the validator set from the next validator epoch on.
    #[arg(long, value_name = "NAME=ADDRESS[,NAME=ADDRESS…]")]
    set_validators: Option<String>,
    /// Pay tokens from the treasury.
    #[arg(long, value_name = "TO:TOKENS")]
    treasury_spend: Vec<String>,
    /// Approve a device maker, with its onboarding fee in credits per device.
    #[arg(long, value_name = "ADDRESS:NAME:FEE")]
    approve_maker: Vec<String>,
    /// Revoke a device maker (its devices stop earning from the next epoch).
    #[arg(long, value_name = "ADDRESS")]
    revoke_maker: Vec<String>,
    /// Plan a software upgrade: nodes halt before HEIGHT unless their binary
    /// knows NAME.
    #[arg(long, value_name = "NAME:HEIGHT")]
    plan_upgrade: Option<String>,
    /// Cancel the planned upgrade.
    #[arg(long)]
    cancel_upgrade: bool,
}

/// `s` split at its first `n - 1` colons into exactly `n` parts.
fn fields<'a>(s: &'a str, n: usize, shape: &str) -> Result<Vec<&'a str>> {
    let parts: Vec<&str> = s.splitn(n, ':').collect();
    if parts.len() != n || parts.iter().any(|p| p.is_empty()) {
        bail!("`{s}`: expected {shape}");
    }
    Ok(parts)
}

fn number<T: std::str::FromStr>(s: &str, what: &str) -> Result<T> {
    s.trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("`{s}` is not a valid {what}"))
}

/// JSON text checked to parse, written compactly.
fn json_text(s: &str) -> Result<String> {
    let v: serde_json::Value =
        serde_json::from_str(s).with_context(|| format!("`{s}` is not JSON"))?;
    Ok(v.to_string())
}

impl ActionFlags {
    /// The actions the flags name, in the order of the flags' list above.
    pub fn actions(&self, ks: &Keystore, decimals: u8) -> Result<Vec<Action>> {
        let mut out = Vec::new();
        for s in &self.set_share {
            let f = fields(s, 3, "NETWORK:SHARE_BPS:USAGE_BPS")?;
            out.push(Action::SetNetworkShare {
                network: f[0].into(),
                share_bps: number(f[1], "share in basis points")?,
                usage_bps: number(f[2], "usage share in basis points")?,
            });
        }
        for s in &self.set_family_params {
            let f = fields(s, 2, "NETWORK:JSON")?;
            out.push(Action::SetFamilyParams {
                network: f[0].into(),
                params_json: json_text(f[1])?,
            });
        }
        for s in &self.add_network {
            let f = fields(s, 5, "NAME:FAMILY:SHARE_BPS:USAGE_BPS:JSON")?;
            out.push(Action::AddNetwork {
                name: f[0].into(),
                family: f[1].into(),
                share_bps: number(f[2], "share in basis points")?,
                usage_bps: number(f[3], "usage share in basis points")?,
                params_json: json_text(f[4])?,
                require_maker: false,
            });
        }
        if let Some(s) = &self.set_credit_params {
            let params = serde_json::from_str(s)
                .with_context(|| format!("`{s}` is not credit settings JSON"))?;
            out.push(Action::SetCreditParams { params });
        }
        if let Some(s) = &self.set_storage_params {
            let params = serde_json::from_str(s)
                .with_context(|| format!("`{s}` is not storage settings JSON"))?;
            out.push(Action::SetStorageParams { params });
        }
        if let Some(s) = &self.set_emission_tail {
            out.push(Action::SetEmissionTail {
                tail_per_epoch: amount::parse(s, decimals)?,
            });
        }
        if let Some(s) = &self.set_oracles {
            let f = fields(s, 3, "FROM_EPOCH:THRESHOLD:MEMBER[,MEMBER…]")?;
            let members: Vec<String> = f[2].split(',').map(str::to_string).collect();
            out.push(Action::SetOracleSet {
                set: crate::wallet::oracle_set(ks, &members, number(f[1], "threshold")?)?,
                effective_epoch: number(f[0], "epoch")?,
            });
        }
        if let Some(s) = &self.set_validators {
            let members: Vec<String> = s.split(',').map(str::to_string).collect();
            out.push(Action::SetValidators {
                validators: crate::wallet::validator_set(&members)?,
            });
        }
        for s in &self.treasury_spend {
            let Some((to, tokens)) = s.rsplit_once(':') else {
                bail!("`{s}`: expected TO:TOKENS");
            };
            out.push(Action::TreasurySpend {
                to: ks.resolve(to)?,
                amount: amount::parse(tokens, decimals)?,
            });
        }
        for s in &self.approve_maker {
            let (maker, rest) = s.split_once(':').unwrap_or((s, ""));
            let Some((name, fee)) = rest.rsplit_once(':').filter(|(n, _)| !n.is_empty()) else {
                bail!("`{s}`: expected ADDRESS:NAME:FEE");
            };
            out.push(Action::ApproveMaker {
                maker: ks.resolve(maker)?,
                name: name.into(),
                onboard_fee_credits: number(fee, "fee in credits")?,
            });
        }
        for s in &self.revoke_maker {
            out.push(Action::RevokeMaker {
                maker: ks.resolve(s)?,
            });
        }
        if let Some(s) = &self.plan_upgrade {
            let Some((name, height)) = s.rsplit_once(':').filter(|(n, _)| !n.is_empty()) else {
                bail!("`{s}`: expected NAME:HEIGHT");
            };
            out.push(Action::PlanUpgrade {
                name: name.into(),
                height: number(height, "height")?,
            });
        }
        if self.cancel_upgrade {
            out.push(Action::CancelUpgrade);
        }
        Ok(out)
    }
}

/// The actions in a JSON file: an array of the ledger's [`Action`]s, tagged by
/// `"type"` (amounts in the token's smallest unit).
pub fn read_actions_file(path: &Path) -> Result<Vec<Action>> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    if size > MAX_ACTIONS_FILE {
        bail!(
            "{} is {size} bytes, more than the {MAX_ACTIONS_FILE} an actions file may have",
            path.display()
        );
    }
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: expected a JSON array of actions, each tagged by \"type\" \
             (e.g. [{{\"type\": \"plan_upgrade\", \"name\": \"v2\", \"height\": 1000}}])",
            path.display()
        )
    })
}

/// `bps` as a percentage with two decimals.
pub fn percent(bps: u64) -> String {
    format!("{}.{:02}%", bps / 100, bps % 100)
}

/// One line saying what `a` does, for people.
pub fn describe(a: &Action, token: &TokenView) -> String {
    let tokens = |v: u64| format!("{} {}", amount::format(v, token.decimals), token.symbol);
    match a {
        Action::SetNetworkShare {
            network,
            share_bps,
            usage_bps,
        } => format!(
            "set network {network}'s share to {} of emission ({} of it for usage)",
            percent((*share_bps).into()),
            percent((*usage_bps).into())
        ),
        Action::SetFamilyParams {
            network,
            params_json,
        } => format!("set network {network}'s family parameters to {params_json}"),
        Action::AddNetwork {
            name,
            family,
            params_json,
            share_bps,
            usage_bps,
            require_maker,
        } => format!(
            "add network {name} (family {family}, share {}, usage {}{}) with {params_json}",
            percent((*share_bps).into()),
            percent((*usage_bps).into()),
            if *require_maker { ", makers required" } else { "" }
        ),
        Action::SetCreditParams { params } => format!(
            "set credits: 1 credit = {} micro-USD, prices valid {} ms",
            params.credit_micro_usd, params.price_max_age_ms
        ),
        Action::SetStorageParams { params } => format!(
            "set storage: slash after {} failed epochs, deals up to {} epochs, accept within {} epochs{}",
            params.max_failures,
            params.max_deal_epochs,
            params.accept_epochs,
            if params.allow_private_endpoints { ", private endpoints allowed" } else { "" }
        ),
        Action::SetEmissionTail { tail_per_epoch } => {
            format!("set the emission floor to {} per epoch", tokens(*tail_per_epoch))
        }
        Action::SetOracleSet {
            set,
            effective_epoch,
        } => format!(
            "oracle set from epoch {effective_epoch}: {} of {} ({})",
            set.threshold,
            set.members.len(),
            set.members.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
        ),
        Action::SetValidators { validators } => format!(
            "validator set: {}",
            validators
                .iter()
                .map(|v| format!("{}={}", v.name, v.address))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Action::TreasurySpend { to, amount } => {
            format!("pay {} from the treasury to {to}", tokens(*amount))
        }
        Action::ApproveMaker {
            maker,
            name,
            onboard_fee_credits,
        } => format!("approve maker {name} ({maker}), {onboard_fee_credits} credits per device"),
        Action::RevokeMaker { maker } => format!("revoke maker {maker}"),
        Action::PlanUpgrade { name, height } => {
            format!("plan upgrade `{name}` at height {height}")
        }
        Action::CancelUpgrade => "cancel the planned upgrade".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plinth_core::Keypair;

    fn keystore() -> (Keystore, plinth_core::Address) {
        let dir = std::env::temp_dir().join(format!("plinth-gov-actions-{}", std::process::id()));
        let mut ks = Keystore::load(&dir.join("none.json")).unwrap();
        let a = ks.add("alice", &Keypair::from_seed([7; 32])).unwrap();
        (ks, a)
    }

    #[test]
    fn shorthand_flags_build_the_ledger_actions() {
        let (ks, alice) = keystore();
        let flags = ActionFlags {
            set_share: vec!["weather:4000:500".into()],
            set_family_params: vec![r#"weather:{"unit": "celsius", "min": -10}"#.into()],
            treasury_spend: vec!["alice:12.5".into()],
            approve_maker: vec![format!("{alice}:Acme: Inc:25")],
            plan_upgrade: Some("v2.1:1200".into()),
            cancel_upgrade: true,
            set_emission_tail: Some("100".into()),
            ..Default::default()
        };
        let got = flags.actions(&ks, 6).unwrap();
        assert_eq!(
            got,
            vec![
                Action::SetNetworkShare {
                    network: "weather".into(),
                    share_bps: 4000,
                    usage_bps: 500
                },
                Action::SetFamilyParams {
                    network: "weather".into(),
                    params_json: r#"{"min":-10,"unit":"celsius"}"#.into()
                },
                Action::SetEmissionTail {
                    tail_per_epoch: 100_000_000
                },
                Action::TreasurySpend {
                    to: alice,
                    amount: 12_500_000
                },
                Action::ApproveMaker {
                    maker: alice,
                    name: "Acme: Inc".into(),
                    onboard_fee_credits: 25
                },
                Action::PlanUpgrade {
                    name: "v2.1".into(),
                    height: 1200
                },
                Action::CancelUpgrade,
            ]
        );
    }

    #[test]
    fn malformed_flags_say_what_was_expected() {
        let (ks, _) = keystore();
        let bad = |flags: ActionFlags| flags.actions(&ks, 6).unwrap_err().to_string();
        assert!(bad(ActionFlags {
            set_share: vec!["weather:4000".into()],
            ..Default::default()
        })
        .contains("NETWORK:SHARE_BPS:USAGE_BPS"));
        assert!(bad(ActionFlags {
            plan_upgrade: Some("1200".into()),
            ..Default::default()
        })
        .contains("NAME:HEIGHT"));
        assert!(bad(ActionFlags {
            set_family_params: vec!["weather:{not json".into()],
            ..Default::default()
        })
        .contains("is not JSON"));
    }

    #[test]
    fn every_action_kind_reads_from_the_file_form() {
        let json = r#"[
          {"type": "set_network_share", "network": "weather", "share_bps": 4000, "usage_bps": 0},
          {"type": "set_family_params", "network": "weather", "params_json": "{}"},
          {"type": "add_network", "name": "air", "family": "sensor", "params_json": "{}",
           "share_bps": 100, "usage_bps": 0, "require_maker": true},
          {"type": "set_credit_params", "params": {"credit_micro_usd": 10, "price_max_age_ms": 60000}},
          {"type": "set_storage_params", "params": {"max_failures": 3}},
          {"type": "set_emission_tail", "tail_per_epoch": 5},
          {"type": "set_oracle_set", "set": {"threshold": 1, "members": []}, "effective_epoch": 9},
          {"type": "set_validators", "validators": []},
          {"type": "treasury_spend", "to": "plinth109gk565vphh7e45saxmdy6lfjpmrzpkxw87g45ktqy28jseylwkqd5n65q", "amount": 1},
          {"type": "approve_maker", "maker": "plinth109gk565vphh7e45saxmdy6lfjpmrzpkxw87g45ktqy28jseylwkqd5n65q", "name": "m", "onboard_fee_credits": 1},
          {"type": "revoke_maker", "maker": "plinth109gk565vphh7e45saxmdy6lfjpmrzpkxw87g45ktqy28jseylwkqd5n65q"},
          {"type": "plan_upgrade", "name": "v2", "height": 100},
          {"type": "cancel_upgrade"}
        ]"#;
        let dir = std::env::temp_dir().join(format!("plinth-actions-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("actions.json");
        std::fs::write(&path, json).unwrap();
        let actions = read_actions_file(&path).unwrap();
        assert_eq!(actions.len(), 13);
        let token = TokenView {
            name: "Plinth".into(),
            symbol: "PLN".into(),
            decimals: 6,
        };
        // Each kind reads back as written, and has a line for people.
        for a in &actions {
            let v = serde_json::to_value(a).unwrap();
            assert_eq!(&serde_json::from_value::<Action>(v).unwrap(), a);
            assert!(!describe(a, &token).is_empty());
        }
        std::fs::write(&path, r#"[{"type": "mint_everything"}]"#).unwrap();
        assert!(read_actions_file(&path)
            .unwrap_err()
            .to_string()
            .contains("tagged by \"type\""));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
