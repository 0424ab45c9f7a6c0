//! `plinth family`: tools for authors of custom (`wasm`) proof families: run a
//! module over recorded epochs (`test`), put it on the ledger (`upload`).

use super::Common;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use plinth_compute::ledger::NodeLedger;
use plinth_ledger::compute_types::{module_chunks, module_hash};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// `plinth family …`.
#[derive(Subcommand)]
pub enum FamilyCmd {
    /// Run a family module over recorded epoch inputs (the `*.input` files an
    /// oracle with `record_family_inputs` writes under
    /// `family-inputs/<network>/`) and print what it scores.
    Test(TestArgs),
    /// Put a family module on the ledger (in chunks, `UploadModule`; nothing is
    /// sent when it is there already) and print its hash: the `module` a `wasm`
    /// network's parameters name (genesis, `AddNetwork`, `SetFamilyParams`).
    Upload(UploadArgs),
}

/// `plinth family upload MODULE --from KEY`.
#[derive(Args)]
pub struct UploadArgs {
    /// The module (`.wasm`); it must load as a family (ABI v1), as a proposal
    /// naming it will check.
    module: PathBuf,
    /// The key (name or address in the keystore) that signs and pays the chunks.
    #[arg(long)]
    from: String,
    #[command(flatten)]
    common: Common,
}

/// `plinth family test MODULE --inputs DIR`.
#[derive(Args)]
pub struct TestArgs {
    /// The module (`.wasm`).
    module: PathBuf,
    /// A directory of `*.input` files (family ABI v1 inputs), run in name order.
    #[arg(long)]
    inputs: PathBuf,
    /// Fuel for each epoch.
    #[arg(long, default_value_t = plinth_proofs::wasm::DEFAULT_FUEL)]
    fuel: u64,
    /// Give each epoch the state recorded with it, instead of the state the
    /// module returned for the epoch before (the first one always gets its own).
    #[arg(long)]
    recorded_state: bool,
    /// How many of the best scores to print per epoch.
    #[arg(long, default_value_t = 5)]
    top: usize,
    /// Print JSON: per epoch file, every score by device, the rejections
    /// (report, code, reason), fuel and state size, or the failure.
    #[arg(long)]
    json: bool,
}

impl FamilyCmd {
    /// Runs the command.
    pub fn run(self) -> Result<()> {
        match self {
            FamilyCmd::Test(a) => a.run(),
            FamilyCmd::Upload(a) => a.run(),
        }
    }
}

impl TestArgs {
    fn run(self) -> Result<()> {
        let bytes = std::fs::read(&self.module)
            .with_context(|| format!("reading {}", self.module.display()))?;
        let module = plinth_proofs::wasm::load(&bytes)
            .with_context(|| format!("{} is not a family module", self.module.display()))?;
        let hash = plinth_ledger::compute_types::module_hash(&bytes);
        if !self.json {
            println!(
                "module {} ({} bytes, hash {hash})",
                self.module.display(),
                bytes.len(),
            );
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.inputs)
            .with_context(|| format!("reading {}", self.inputs.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "input"))
            .collect();
        files.sort();
        if files.is_empty() {
            bail!("no *.input files in {}", self.inputs.display());
        }
        let mut state: Option<Vec<u8>> = None;
        let mut failed = 0;
        let mut epochs = Vec::new();
        for path in &files {
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            let mut input = std::fs::read(path)?;
            if let (Some(s), false) = (&state, self.recorded_state) {
                input = plinth_proofs::wasm::with_state(&input, s)
                    .with_context(|| format!("{name} is not a family ABI v1 input"))?;
            }
            match plinth_proofs::wasm::run_raw(&module, &input, self.fuel) {
                Ok(r) if self.json => {
                    epochs.push(serde_json::json!({
                        "file": name,
                        "scores": r.scores.iter().map(|(d, s)| (d.to_string(), *s)).collect::<BTreeMap<_, _>>(),
                        "rejections": r.rejections.iter().map(|(h, code, reason)| serde_json::json!({
                            "report": h, "code": code, "reason": reason,
                        })).collect::<Vec<_>>(),
                        "fuel_used": r.fuel_used,
                        "state_bytes": r.state.len(),
                    }));
                    state = Some(r.state);
                }
                Ok(r) => {
                    let total: u128 = r.scores.iter().map(|(_, s)| u128::from(*s)).sum();
                    let mut codes: BTreeMap<&str, u64> = BTreeMap::new();
                    for (_, code, _) in &r.rejections {
                        *codes.entry(code).or_default() += 1;
                    }
                    println!(
                        "{name}: {} devices scored, total {total}, {} rejected {codes:?}, fuel {}, state {} bytes",
                        r.scores.len(),
                        r.rejections.len(),
                        r.fuel_used,
                        r.state.len()
                    );
                    let mut best = r.scores.clone();
                    best.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                    for (device, score) in best.iter().take(self.top) {
                        println!("  {device} {score}");
                    }
                    state = Some(r.state);
                }
                Err(e) => {
                    failed += 1;
                    if self.json {
                        epochs.push(serde_json::json!({
                            "file": name,
                            "error": { "code": e.code(), "message": e.to_string() },
                        }));
                    } else {
                        println!("{name}: FAILED ({}): {e}", e.code());
                    }
                }
            }
        }
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({
                    "module": hash,
                    "epochs": epochs,
                }))?
            );
        }
        if failed > 0 {
            bail!("{failed} of {} epochs failed", files.len());
        }
        Ok(())
    }
}

impl UploadArgs {
    fn run(self) -> Result<()> {
        let ctx = self.common.ctx();
        let bytes = std::fs::read(&self.module)
            .with_context(|| format!("reading {}", self.module.display()))?;
        // Refused here rather than by the proposal that would name it.
        plinth_proofs::wasm::load(&bytes)
            .with_context(|| format!("{} is not a family module", self.module.display()))?;
        let hash = module_hash(&bytes);
        let key = ctx.keystore()?.key(&self.from)?;
        let ledger = NodeLedger::new(&ctx.node, key);
        let there = ledger
            .client()
            .compute_module(&hash)
            .with_context(|| format!("asking the node at {} for module {hash}", ctx.node))?
            .is_some();
        let chunks = u32::try_from(bytes.len()).map_or(0, module_chunks);
        if !there {
            plinth_compute::client::upload_module(&ledger, &bytes)?;
        }
        ctx.print(
            &serde_json::json!({
                "module": hash,
                "bytes": bytes.len(),
                "uploaded": !there,
                "chunks": if there { 0 } else { chunks },
            }),
            || {
                let what = if there {
                    "is on the ledger already".to_string()
                } else {
                    format!("uploaded in {chunks} chunks")
                };
                format!(
                    "module {hash} ({} bytes) {what}\nname it in a wasm network's parameters: {{\"module\": \"{hash}\"}}",
                    bytes.len()
                )
            },
        );
        Ok(())
    }
}
