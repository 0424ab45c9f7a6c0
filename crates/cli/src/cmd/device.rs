//! `plinth device`: device keys and registration, the device agent, the fleet
//! simulator (the work is in [`crate::wallet`] and [`crate::device_cmd`]).

use super::{parse_percent, Common, Tx};
use crate::device_cmd;
use crate::wallet::{self, Ctx};
use anyhow::Result;
use clap::{Args, Subcommand};
use plinth_core::{DeviceId, Signature};
use plinth_devnet::parse_duration;
use plinth_ledger::Call;
use std::path::PathBuf;
use std::time::Duration;

/// `plinth device`'s flags and subcommand.
#[derive(Args)]
pub struct DeviceArgs {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: DeviceCmd,
}

/// `plinth device`'s subcommands.
#[derive(Subcommand)]
pub enum DeviceCmd {
    /// Create a device key file.
    Keygen {
        #[arg(long, default_value = "device.key.json")]
        out: PathBuf,
    },
    /// Register a device to the owner (`--from`), signed by both.
    Register {
        #[command(flatten)]
        tx: Tx,
        /// The device's key file.
        #[arg(long)]
        key: PathBuf,
        #[arg(long)]
        network: String,
        /// LAT,LON in degrees.
        #[arg(long, allow_hyphen_values = true)]
        location: String,
        /// H3 resolution of the stored cell.
        #[arg(long, default_value_t = 12)]
        resolution: u8,
        /// The approved maker that made the device (key name or address):
        /// registers it as made by that maker, who pays its onboarding fee.
        #[arg(long, requires = "maker_signature")]
        maker: Option<String>,
        /// The maker's signature over the device key (`plinth maker sign`), hex.
        #[arg(long, requires = "maker", value_parser = super::maker::parse_signature)]
        maker_signature: Option<Signature>,
    },
    /// Hand a device to another owner.
    Transfer {
        #[command(flatten)]
        tx: Tx,
        device: String,
        /// New owner: key name or address.
        #[arg(long)]
        to: String,
    },
    /// Assert a new location.
    #[command(alias = "move")]
    UpdateLocation {
        #[command(flatten)]
        tx: Tx,
        device: String,
        #[arg(long, allow_hyphen_values = true)]
        location: String,
        #[arg(long, default_value_t = 12)]
        resolution: u8,
    },
    /// Retire a device for good.
    Retire {
        #[command(flatten)]
        tx: Tx,
        device: String,
    },
    /// Show one device.
    Show { id: String },
    /// Run the device agent: signed reports on a schedule, answers to probes.
    Run {
        /// The device's key file.
        #[arg(long)]
        key: PathBuf,
        #[arg(long, env = "PLINTH_ORACLE", default_value = "http://127.0.0.1:8646")]
        oracle: String,
        /// Time between reports.
        #[arg(long, default_value = "5s", value_parser = parse_duration)]
        interval: Duration,
        /// For sensor networks: the value to report (in the network's unit).
        #[arg(long, allow_hyphen_values = true)]
        value: Option<String>,
    },
    /// Simulate many devices, honest and cheating, in one process.
    Fleet {
        #[arg(long, default_value_t = 100)]
        count: usize,
        /// Share of cheaters, e.g. 10%, spread over the cheating strategies.
        #[arg(long, default_value = "10%", value_parser = parse_percent)]
        cheaters: u32,
        #[arg(long, env = "PLINTH_ORACLE", default_value = "http://127.0.0.1:8646")]
        oracle: String,
        /// Owners (key names in the keystore), in turn.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "alice,bob,carol,dave,erin"
        )]
        owners: Vec<String>,
        /// An approved maker's key (name in the keystore) that certifies the
        /// devices of networks requiring a maker; by default the keystore's
        /// `maker` (the devnet's genesis maker), if it has one.
        #[arg(long)]
        maker: Option<String>,
        #[arg(long, default_value = "5s", value_parser = parse_duration)]
        interval: Duration,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// List devices, by owner or network.
    List {
        #[arg(long)]
        owner: Option<String>,
        #[arg(long)]
        network: Option<String>,
    },
}

impl DeviceArgs {
    /// Runs the subcommand.
    pub fn run(self) -> Result<()> {
        let c = self.common.ctx();
        match self.command {
            DeviceCmd::Keygen { out } => wallet::device_keygen(&c, &out),
            DeviceCmd::Register {
                tx,
                key,
                network,
                location,
                resolution,
                maker,
                maker_signature,
            } => {
                let made_by = super::maker::made_by(&c, maker.as_deref(), maker_signature)?;
                let place = (location.as_str(), resolution);
                wallet::device_register(&c, &tx.opts(), &key, &network, place, made_by)
            }
            DeviceCmd::Transfer { tx, device, to } => transfer(&c, &tx, &device, &to),
            DeviceCmd::UpdateLocation {
                tx,
                device,
                location,
                resolution,
            } => update_location(&c, &tx, &device, &location, resolution),
            DeviceCmd::Retire { tx, device } => {
                let device: DeviceId = device.parse()?;
                wallet::send(&c, &tx.opts(), |_| Ok(Call::RetireDevice { device }))
            }
            DeviceCmd::Show { id } => wallet::device_show(&c, &id),
            DeviceCmd::Run {
                key,
                oracle,
                interval,
                value,
            } => {
                crate::init_logging();
                device_cmd::run(&c, &key, &oracle, interval, value.as_deref())
            }
            DeviceCmd::Fleet {
                count,
                cheaters,
                oracle,
                owners,
                maker,
                interval,
                seed,
            } => {
                crate::init_logging();
                device_cmd::fleet(
                    &c,
                    device_cmd::FleetOpts {
                        count,
                        cheaters_bps: cheaters,
                        oracle: &oracle,
                        owners: &owners,
                        maker: maker.as_deref(),
                        interval,
                        seed,
                    },
                )
            }
            DeviceCmd::List { owner, network } => {
                wallet::device_list(&c, owner.as_deref(), network.as_deref())
            }
        }
    }
}

/// `device transfer`: hands `device` to the owner `to` names.
fn transfer(c: &Ctx, tx: &Tx, device: &str, to: &str) -> Result<()> {
    let device: DeviceId = device.parse()?;
    let new_owner = c.keystore()?.resolve(to)?;
    wallet::send(c, &tx.opts(), |_| {
        Ok(Call::TransferDevice { device, new_owner })
    })
}

/// `device update-location`: asserts a new location.
fn update_location(c: &Ctx, tx: &Tx, device: &str, location: &str, resolution: u8) -> Result<()> {
    let device: DeviceId = device.parse()?;
    let location = wallet::parse_location(location, resolution)?;
    wallet::send(c, &tx.opts(), |_| {
        Ok(Call::UpdateLocation { device, location })
    })
}
