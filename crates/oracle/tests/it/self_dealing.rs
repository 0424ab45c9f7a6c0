//! Self-dealing must not pay: an operator that opens deals with its own provider
//! over data it regenerates from a seed burns at least the tokens it is minted as
//! work and usage rewards, over any number of epochs (pure: the epoch computation
//! over hand-made spool batches, no network).

use plinth_core::{Address, DeviceId, Hash, Keypair};
use plinth_ledger::credits::credits_for;
use plinth_oracle::epoch::{compute, EpochSpec, Manifest, RegistrySnapshot};
use plinth_oracle::spool::SpoolBatch;
use plinth_proofs::storage::{
    RoundAnswer, RoundDeal, StorageFamilyParams, StorageRound, TokenPrice,
};
use plinth_proofs::{DeviceInfo, EpochWindow, Family};
use plinth_storage::{prove_from_memory, Commitment};

const DECIMALS: u8 = 6;
/// $0.50 per token; credits of $0.00001.
const MICRO_USD_PER_TOKEN: u64 = 500_000;
const CREDIT_MICRO_USD: u64 = 10;
/// The network's whole emission per epoch (1,000 tokens), half of it for usage:
/// far more than the dealer pays, so only the cap stands between it and a profit.
const ALLOWANCE: u64 = 1_000_000_000;
const USAGE_BPS: u32 = 5_000;
const FLOOR: u64 = 10;
const MIB: usize = 1 << 20;
const EPOCHS: u64 = 6;

fn price() -> TokenPrice {
    TokenPrice {
        micro_usd_per_token: MICRO_USD_PER_TOKEN,
        credit_micro_usd: CREDIT_MICRO_USD,
        decimals: DECIMALS,
    }
}

/// The fewest tokens (smallest unit) whose burn buys `credits` at the price.
fn tokens_to_buy(credits: u64) -> u64 {
    let unit = 10u128.pow(u32::from(DECIMALS));
    let t = (u128::from(credits) * unit * u128::from(CREDIT_MICRO_USD))
        .div_ceil(u128::from(MICRO_USD_PER_TOKEN)) as u64;
    assert!(credits_for(t, MICRO_USD_PER_TOKEN, DECIMALS, CREDIT_MICRO_USD).unwrap() >= credits);
    t
}

/// One epoch of the dealer's own deal over `data`, paid `price_per_epoch`, proven
/// honestly (it does hold the bytes: it regenerates them at will).
fn epoch(
    epoch: u64,
    provider: &Keypair,
    owner: Address,
    data: &[u8],
    price_per_epoch: u64,
    round_price: Option<TokenPrice>,
) -> Manifest {
    let params = StorageFamilyParams {
        work_floor_price_per_mib_epoch: FLOOR,
        ..StorageFamilyParams::default()
    };
    let commitment = Commitment::of_bytes(data, 64 * 1024).unwrap();
    let deal = RoundDeal {
        id: Hash::of(b"the dealer's own deal"),
        provider: DeviceId(provider.public()),
        manifest: commitment.manifest,
        price_per_epoch,
    };
    let mut round = StorageRound {
        network: "storage".into(),
        epoch,
        seed_height: 10 * (epoch + 1),
        seed: Hash::of(&epoch.to_le_bytes()),
        deals: vec![deal.clone()],
        answers: Vec::new(),
        price: round_price,
    };
    let proof = prove_from_memory(&commitment, data, &round.challenge(&params, &deal));
    round.answers.push(RoundAnswer {
        deal: deal.id,
        proof: Some(proof.encode()),
        error: None,
    });
    let registry = RegistrySnapshot {
        network: "storage".into(),
        height: 0,
        devices: vec![DeviceInfo {
            id: deal.provider,
            owner,
            location: 0,
            active: true,
        }],
    };
    let family = Family::Storage(params);
    let spec = EpochSpec {
        chain: Hash::of(b"chain"),
        network: "storage",
        family: &family,
        window: EpochWindow {
            epoch,
            start_ms: epoch * 1_000,
            end_ms: (epoch + 1) * 1_000,
        },
        allowance: ALLOWANCE,
        usage_bps: USAGE_BPS,
        wasm: None,
    };
    let m = compute(
        &spec,
        vec![
            (Hash::of(b"round"), SpoolBatch::Storage(vec![round])),
            (Hash::of(b"registry"), SpoolBatch::Registry(vec![registry])),
        ],
    );
    assert!(m.deals[0].proven, "{:?}", m.deals[0]);
    m
}

/// Over `EPOCHS` epochs: (tokens burned for the credits paid, tokens minted to
/// the dealer, work score of the last epoch).
fn farm(mib: usize, price_per_mib_epoch: u64) -> (u64, u64, u64) {
    let provider = Keypair::from_seed([7; 32]);
    let owner = Address(Keypair::from_seed([8; 32]).public());
    // Data regenerated from a seed: it costs the dealer nothing to keep.
    let data: Vec<u8> = (0..mib * MIB).map(|i| (i * 31 % 251) as u8).collect();
    let price_per_epoch = mib as u64 * price_per_mib_epoch;
    let (mut burned, mut earned, mut work) = (0, 0, 0);
    for e in 0..EPOCHS {
        let m = epoch(e, &provider, owner, &data, price_per_epoch, Some(price()));
        burned += tokens_to_buy(price_per_epoch);
        earned += m
            .entries
            .iter()
            .filter(|x| x.owner == owner)
            .map(|x| x.amount)
            .sum::<u64>();
        work = m.scored;
    }
    (burned, earned, work)
}

#[test]
fn a_self_dealer_at_the_floor_price_earns_no_more_than_it_burns() {
    let (burned, earned, work) = farm(4, FLOOR);
    // 40 credits an epoch = $0.0004 = 800 units burned; without the cap the dealer
    // would have taken the whole allowance (1,000 tokens) every epoch.
    assert_eq!(burned, EPOCHS * 800);
    assert_eq!(work, 1, "a deal at the floor earns work");
    assert!(earned > 0, "the dealer is paid something");
    let net = earned as i128 - burned as i128;
    assert!(net <= 0, "self-dealing paid {net} over {EPOCHS} epochs");
}

#[test]
fn a_self_dealer_paying_more_gains_nothing_more() {
    // Paying itself ten times the floor raises its cost and its cap alike.
    let (burned, earned, _) = farm(2, 10 * FLOOR);
    assert!(earned as i128 - burned as i128 <= 0);
}

#[test]
fn a_deal_below_the_floor_earns_no_work() {
    let (burned, earned, work) = farm(4, FLOOR - 1);
    assert_eq!(work, 0, "no work score below the floor");
    assert!(earned <= burned);
}

#[test]
fn without_a_price_nothing_is_paid() {
    let provider = Keypair::from_seed([7; 32]);
    let owner = Address(Keypair::from_seed([8; 32]).public());
    let data: Vec<u8> = (0..MIB).map(|i| (i % 253) as u8).collect();
    let m = epoch(0, &provider, owner, &data, 100, None);
    assert_eq!(m.header.total, 0);
}
