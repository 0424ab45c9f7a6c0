//! The governance API through `NodeClient` over HTTP, on a chain whose genesis
//! has a `[governance]` section: positions locked, delegated and unlocked,
//! proposals made, voted on (a vote changed) and executed through the API, then
//! every `/v1/gov` and `/v1/makers` endpoint read back; and the typed 400s and
//! 404s, on that chain and on one without governance.

use crate::common::*;
use plinth_api::gov::{AddressPageQuery, ProposalsQuery};
use plinth_api::{ClientError, NodeClient};
use plinth_core::{Address, Keypair};
use plinth_ledger::governance::{
    Action, Bounds, GovParams, Lock, ParamBounds, ProposalStatus, VoteOption,
};
use plinth_ledger::{Call, SignedTx};
use plinth_node::rpc::router;
use plinth_node::Node;
use std::sync::Arc;

/// The multiplier of a position locked for `MAX_LOCK` blocks: 2×.
const MAX_MULT_BPS: u64 = 20_000;
const MAX_LOCK: u64 = 100;
const MIN_DEPOSIT: u64 = 1_000;
const VOTING_BLOCKS: u64 = 6;

fn gov_params() -> GovParams {
    // TOML integers stop at i64::MAX (the genesis hash is over its TOML).
    let wide = Bounds {
        min: 0,
        max: i64::MAX as u64,
    };
    GovParams {
        min_lock_blocks: 10,
        max_lock_blocks: MAX_LOCK,
        max_multiplier_bps: MAX_MULT_BPS,
        min_deposit: MIN_DEPOSIT,
        deposit_period_blocks: 50,
        voting_period_blocks: VOTING_BLOCKS,
        quorum_bps: 3340,
        threshold_bps: 5000,
        veto_bps: 3340,
        max_description_bytes: 1000,
        max_actions: 4,
        max_active_proposals: 8,
        treasury_bps: 1000,
        bounds: ParamBounds {
            credit_micro_usd: wide,
            price_max_age_ms: wide,
            storage_max_failures: wide,
            storage_max_deal_epochs: wide,
            storage_accept_epochs: wide,
            tail_per_epoch: wide,
        },
    }
}

/// Raw power of `amount` locked for `blocks`, and its display value.
fn power(amount: u64, blocks: u64) -> (u128, u128) {
    let raw = u128::from(amount) * u128::from(MAX_MULT_BPS) * u128::from(blocks);
    (raw, raw / (u128::from(MAX_LOCK) * 10_000))
}

/// Serves `node` over HTTP; returns a client of it.
async fn serve(node: &Arc<Node>) -> NodeClient {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(node.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    NodeClient::new(&base)
}

/// Runs a blocking client call off the async runtime.
async fn blocking<T: Send + 'static>(
    client: &NodeClient,
    f: impl FnOnce(NodeClient) -> T + Send + 'static,
) -> T {
    let c = client.clone();
    tokio::task::spawn_blocking(move || f(c)).await.unwrap()
}

/// A governance chain, its client, and each user's next nonce.
struct Chain {
    node: Arc<Node>,
    client: NodeClient,
    _dir: tempfile::TempDir,
}

impl Chain {
    async fn new() -> Chain {
        let dir = tempfile::tempdir().unwrap();
        let mut g = genesis();
        g.governance = Some(gov_params());
        let node = Node::open(g, validator_key(), config(dir.path())).unwrap();
        let client = serve(&node).await;
        Chain {
            node,
            client,
            _dir: dir,
        }
    }

    fn tx(&self, from: &Keypair, call: Call) -> SignedTx {
        signed(from, nonce(&self.node, &addr(from)), FEE, call)
    }

    /// Submits `txs` through the API and commits them in one block; each must apply.
    async fn commit(&self, txs: Vec<SignedTx>) {
        let hashes: Vec<_> = txs.iter().map(|t| t.hash()).collect();
        blocking(&self.client, move |c| {
            for t in &txs {
                c.submit(t).unwrap();
            }
        })
        .await;
        let head = produce(&self.node).await;
        let receipts = self.node.store.receipts(head.height).unwrap().unwrap();
        for h in hashes {
            let r = receipts
                .iter()
                .find(|r| r.tx_hash == h)
                .expect("in the block");
            assert_eq!(r.error, None, "transaction {h} applied");
        }
    }

    fn head(&self) -> u64 {
        self.node.store.head().unwrap().height
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn lock_propose_vote_and_read_every_endpoint() {
    let chain = Chain::new().await;
    let c = &chain.client;
    let (u0, u1, u2, u3) = (user(0), user(1), user(2), user(3));
    let lock = |amount, lock_blocks| Call::GovLock {
        amount,
        lock_blocks,
    };
    chain
        .commit(vec![
            chain.tx(&u0, lock(100_000, MAX_LOCK)),
            chain.tx(&u1, lock(50_000, 50)),
            chain.tx(&u2, lock(10_000, MAX_LOCK)),
        ])
        .await;
    chain
        .commit(vec![chain.tx(
            &u2,
            Call::GovDelegate {
                to: Some(addr(&u1)),
            },
        )])
        .await;

    // Totals: power grows with the lock; tokens locked are counted.
    let gov = blocking(c, |c| c.gov().unwrap()).await;
    let (p0, p1, p2) = (
        power(100_000, MAX_LOCK),
        power(50_000, 50),
        power(10_000, MAX_LOCK),
    );
    assert_eq!(gov.params, gov_params());
    assert_eq!(gov.total_power.raw, p0.0 + p1.0 + p2.0);
    assert_eq!(gov.total_power.display, 270_000, "tokens × multiplier");
    assert_eq!(gov.tokens_locked, 160_000);
    assert_eq!(gov.treasury, plinth_ledger::governance::treasury_address());
    assert_eq!((gov.upgrade, gov.active_proposals.len()), (None, 0));
    assert_eq!(gov.height, chain.head());

    // Positions: power now and while locked, delegation both ways.
    let (a1, a2) = (addr(&u1), addr(&u2));
    let (v1, v2) = blocking(c, move |c| {
        (c.positions(&a1).unwrap(), c.positions(&a2).unwrap())
    })
    .await;
    assert_eq!(v1.power.raw, p1.0);
    assert_eq!(v1.positions.len(), 1);
    let pos1 = &v1.positions[0];
    assert_eq!(
        (pos1.position.amount, pos1.position.lock_blocks),
        (50_000, 50)
    );
    assert_eq!(pos1.power.raw, p1.0);
    assert_eq!(
        pos1.locked_power, pos1.power,
        "a locked position has its full power"
    );
    assert_eq!(pos1.cooldown_end, None);
    assert_eq!((v1.delegate, &v1.delegators), (None, &vec![a2]));
    assert_eq!(v1.delegated_power.raw, p2.0);
    assert_eq!((v2.delegate, v2.delegators.len()), (Some(a1), 0));
    let id1 = pos1.position.id;
    let one = blocking(c, move |c| c.position(id1).unwrap()).await;
    assert_eq!(one.as_ref(), Some(pos1));

    // A proposal with its full deposit opens the vote at once; a second, short
    // of the deposit, waits in its deposit period.
    let maker = addr(&u3);
    let actions = vec![
        Action::PlanUpgrade {
            name: "v2".into(),
            height: 1_000_000,
        },
        Action::ApproveMaker {
            maker,
            name: "Acme".into(),
            onboard_fee_credits: 5,
        },
    ];
    chain
        .commit(vec![
            chain.tx(
                &u0,
                Call::GovPropose {
                    actions: actions.clone(),
                    description: "v2, and Acme makes devices".into(),
                    deposit: MIN_DEPOSIT,
                    execute_height: None,
                },
            ),
            chain.tx(
                &u3,
                Call::GovPropose {
                    actions: vec![Action::SetEmissionTail { tail_per_epoch: 5 }],
                    description: "not yet".into(),
                    deposit: MIN_DEPOSIT / 2,
                    execute_height: None,
                },
            ),
        ])
        .await;
    let newest = blocking(c, |c| {
        c.proposals(&ProposalsQuery {
            before: Some(u64::MAX),
            ..Default::default()
        })
        .unwrap()
    })
    .await;
    assert_eq!(newest.len(), 2);
    let (second, first) = (&newest[0], &newest[1]);
    assert!(second.proposal.id > first.proposal.id, "newest first");
    assert_eq!(first.proposal.actions, actions);
    assert_eq!(first.proposal.proposer, addr(&u0));
    assert_eq!(first.proposal.status, ProposalStatus::Voting);
    assert_eq!(second.proposal.status, ProposalStatus::DepositPeriod);
    let end = first.proposal.voting_end.expect("voting");
    assert_eq!(first.verdict.period_end, Some(end));
    assert_eq!(first.verdict.blocks_left, end - chain.head());
    assert_eq!(
        (first.verdict.outcome.as_str(), first.verdict.quorum_reached),
        ("no_quorum", false)
    );
    let id = first.proposal.id;
    let ascending = blocking(c, |c| c.proposals(&ProposalsQuery::default()).unwrap()).await;
    let ids: Vec<u64> = ascending.iter().map(|p| p.proposal.id).collect();
    assert_eq!(ids, [first.proposal.id, second.proposal.id]);
    let waiting = blocking(c, |c| {
        c.proposals(&ProposalsQuery {
            status: Some("deposit_period".into()),
            ..Default::default()
        })
        .unwrap()
    })
    .await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].proposal.id, second.proposal.id);
    let after_first = blocking(c, move |c| {
        c.proposals(&ProposalsQuery {
            after: Some(id),
            ..Default::default()
        })
        .unwrap()
    })
    .await;
    assert_eq!(after_first.len(), 1);

    // Votes: u2's power follows its delegate u1; then u1 changes its vote.
    let vote = |o| Call::GovVote {
        proposal: id,
        option: o,
    };
    chain
        .commit(vec![
            chain.tx(&u0, vote(VoteOption::Yes)),
            chain.tx(&u1, vote(VoteOption::No)),
        ])
        .await;
    let p = blocking(c, move |c| c.proposal(id).unwrap().unwrap()).await;
    assert_eq!(p.tally.yes.raw, p0.0);
    assert_eq!(
        p.tally.no.raw,
        p1.0 + p2.0,
        "the delegator's power follows u1"
    );
    assert_eq!(p.tally.voted.display, 270_000);
    assert_eq!(p.verdict.turnout_bps, 10_000);
    assert_eq!(p.verdict.yes_bps, 7407);
    assert_eq!(p.verdict.outcome, "passed");
    let votes = blocking(c, move |c| c.all_votes(id).unwrap()).await;
    assert_eq!(votes.len(), 2);
    let of = |a: Address| votes.iter().find(|v| v.voter == a).unwrap().clone();
    assert_eq!(of(addr(&u0)).option, VoteOption::Yes);
    assert_eq!(of(addr(&u0)).power.raw, p0.0);
    assert_eq!(of(addr(&u1)).power.raw, p1.0);
    assert_eq!(of(addr(&u1)).delegated_power.raw, p2.0);
    // Voters come in address order, one page at a time.
    let page = blocking(c, move |c| {
        let first = c
            .votes(
                id,
                &AddressPageQuery {
                    limit: Some(1),
                    ..Default::default()
                },
            )
            .unwrap();
        let rest = c
            .votes(
                id,
                &AddressPageQuery {
                    after: Some(first[0].voter.to_string()),
                    limit: Some(10),
                },
            )
            .unwrap();
        (first, rest)
    })
    .await;
    assert_eq!(page.0.len() + page.1.len(), 2);
    assert!(page.0[0].voter < page.1[0].voter);

    chain
        .commit(vec![chain.tx(&u1, vote(VoteOption::Yes))])
        .await;
    let p = blocking(c, move |c| c.proposal(id).unwrap().unwrap()).await;
    assert_eq!(p.tally.yes.raw, p0.0 + p1.0 + p2.0, "a changed vote moves");
    assert_eq!(p.tally.no.raw, 0);
    assert_eq!(p.verdict.yes_bps, 10_000);

    // Unlocking starts the cooldown: power decays from the locked power.
    chain
        .commit(vec![chain.tx(&u1, Call::GovUnlock { position: id1 })])
        .await;
    let cooling = blocking(c, move |c| c.position(id1).unwrap().unwrap()).await;
    let Lock::Cooling { end_height } = cooling.position.lock else {
        panic!("cooling: {:?}", cooling.position.lock);
    };
    assert_eq!(cooling.cooldown_end, Some(end_height));
    assert_eq!(cooling.locked_power.raw, p1.0);
    let left = end_height - cooling.height;
    assert_eq!(cooling.power.raw, power(50_000, left).0);

    // At the end of the vote the actions apply: the upgrade is planned and the
    // maker approved.
    while chain.head() < end {
        produce(&chain.node).await;
    }
    let (p, gov, makers, acme) = blocking(c, move |c| {
        (
            c.proposal(id).unwrap().unwrap(),
            c.gov().unwrap(),
            c.makers(&AddressPageQuery::default()).unwrap(),
            c.maker(&maker).unwrap(),
        )
    })
    .await;
    assert!(
        matches!(p.proposal.status, ProposalStatus::Executed { height } if height == end),
        "{:?}",
        p.proposal.status
    );
    assert_eq!(p.verdict.blocks_left, 0);
    assert_eq!(p.verdict.period_end, None);
    let plan = gov.upgrade.expect("an upgrade planned");
    assert_eq!(
        (plan.name.as_str(), plan.height, plan.proposal),
        ("v2", 1_000_000, id)
    );
    assert_eq!(gov.active_proposals, vec![second.proposal.id]);
    assert_eq!(makers.len(), 1);
    let acme = acme.expect("the maker");
    assert_eq!(makers[0], acme);
    assert_eq!(
        (
            acme.address,
            acme.name.as_str(),
            acme.onboard_fee_credits,
            acme.approved_by
        ),
        (maker, "Acme", 5, Some(id))
    );
}

/// `f`'s error, with its status and code.
fn refused<T: std::fmt::Debug>(r: Result<T, ClientError>) -> (u16, String) {
    let e = r.expect_err("refused");
    (e.status().unwrap_or(0), e.code().unwrap_or("").to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_ids_and_bad_values_are_typed_errors() {
    let chain = Chain::new().await;
    let someone = addr(&user(3));
    let got = blocking(&chain.client, move |c| {
        (
            c.proposal(7).unwrap(),
            c.position(7).unwrap(),
            c.maker(&someone).unwrap(),
            c.positions(&someone).unwrap(),
            refused(c.votes(7, &AddressPageQuery::default())),
            refused(c.get::<serde_json::Value>("/v1/gov/proposals/x")),
            refused(c.get::<serde_json::Value>("/v1/gov/positions/-1")),
            refused(c.get::<serde_json::Value>("/v1/gov/proposals?status=won")),
            refused(c.get::<serde_json::Value>("/v1/gov/proposals?limit=101")),
            refused(c.get::<serde_json::Value>("/v1/gov/proposals/1/votes?after=nope")),
            refused(c.get::<serde_json::Value>("/v1/gov/positions?owner=nope")),
            refused(c.get::<serde_json::Value>("/v1/gov/positions")),
            refused(c.get::<serde_json::Value>("/v1/makers?limit=1001")),
            refused(c.get::<serde_json::Value>("/v1/makers/nope")),
            refused(c.get::<serde_json::Value>("/v1/gov/proposals/0/votes?limit=501")),
        )
    })
    .await;
    assert!(got.0.is_none() && got.1.is_none() && got.2.is_none());
    assert!(got.3.positions.is_empty() && got.3.power.raw == 0);
    assert_eq!(got.4, (404, "unknown_proposal".into()));
    assert_eq!(got.5, (400, "invalid_proposal_id".into()));
    assert_eq!(got.6, (400, "invalid_position_id".into()));
    assert_eq!(got.7, (400, "invalid_status".into()));
    assert_eq!(got.8, (400, "invalid_limit".into()));
    assert_eq!(got.9, (400, "invalid_address".into()));
    assert_eq!(got.10, (400, "invalid_address".into()));
    assert_eq!(got.11, (400, "invalid_query".into()));
    assert_eq!(got.12, (400, "invalid_limit".into()));
    assert_eq!(got.13, (400, "invalid_address".into()));
    assert_eq!(got.14, (400, "invalid_limit".into()));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chain_without_governance_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let node = open(dir.path());
    let client = serve(&node).await;
    let someone = addr(&user(0));
    let got = blocking(&client, move |c| {
        (
            refused(c.gov()),
            refused(c.proposal(0)),
            refused(c.proposals(&ProposalsQuery::default())),
            refused(c.positions(&someone)),
            c.makers(&AddressPageQuery::default()).unwrap(),
        )
    })
    .await;
    let none = (404, "no_governance".to_string());
    assert_eq!(
        (&got.0, &got.1, &got.2, &got.3),
        (&none, &none, &none, &none)
    );
    assert!(got.4.is_empty(), "no makers");
}
