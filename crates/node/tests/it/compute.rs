//! The compute API through `NodeClient` over HTTP, on a chain with a compute
//! network whose records were all made by signed transactions the ledger applied:
//! providers (one maker-attested) offer, a consumer orders, providers bid, leases
//! run and end, capacity checks build reputation, a module is uploaded and jobs
//! are claimed, committed, revealed, verified, slashed and left pending for the
//! oracle set. Every `/v1/compute` endpoint is read back (paging included), a
//! lease's payment is seen growing block by block without a transaction, and the
//! typed 400s and 404s are checked, on that chain and on one without compute.

use crate::common::*;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use plinth_api::compute::*;
use plinth_api::{ClientError, NodeClient};
use plinth_core::{DeviceId, Hash, Keypair};
use plinth_ledger::compute::{
    self, Accelerator, ClaimStatus, ComputeAttrs, ComputeChecks, ComputeParams,
    ComputeRequirements, JobStatus, JobVerdict, LeaseChecks, LeaseCloseReason, LeaseStatus,
    OrderStatus, TaskCheck,
};
use plinth_ledger::credits::PricePoint;
use plinth_ledger::genesis::{GenesisMaker, GenesisNetwork};
use plinth_ledger::governance::makers::maker_message;
use plinth_ledger::{devices, Call, Overlay, SealedHeader};
use plinth_node::api::ErrorBody;
use plinth_node::rpc::router;
use plinth_node::Node;
use std::sync::Arc;
use tower::ServiceExt;

const GPU: &str = "gpu";
/// Reward epochs of 2 s, so a capacity check's epoch ends within the test.
const EPOCH: u64 = 2_000;
const ENDPOINT: &str = "http://93.184.216.34:9000";
const POOL: u64 = 20_000;
const PER_LEASE: u64 = 5_000;
const PER_TASK: u64 = 10;
const TASK_PRICE: u64 = 3;
/// The windows a claim has (commit, reveal, verify), blocks.
const WINDOW: u64 = 4;

fn maker() -> Keypair {
    Keypair::from_seed([0x3A; 32])
}

fn consumer() -> Keypair {
    user(1)
}

fn relayer() -> Keypair {
    user(2)
}

/// Providers: device 0 (an H100, made and attested by the maker) and device 1
/// (CPU only) of user 0, device 2 (CPU only) of user 3.
fn provider_owner(i: u8) -> Keypair {
    if i == 2 {
        user(3)
    } else {
        user(0)
    }
}

fn h100() -> ComputeAttrs {
    ComputeAttrs {
        cores: 32,
        memory_mib: 262_144,
        accelerator: Some(Accelerator {
            model: "nvidia-h100".into(),
            memory_mib: 81_920,
            count: 1,
        }),
        region: berlin(),
    }
}

fn cpu_only() -> ComputeAttrs {
    ComputeAttrs {
        cores: 8,
        memory_mib: 16_384,
        accelerator: None,
        region: berlin(),
    }
}

/// A module of 2 full chunks and a partial one.
fn module_bytes() -> Vec<u8> {
    (0..(2 * compute::MODULE_CHUNK_BYTES + 100))
        .map(|i| (i * 7 % 251) as u8)
        .collect()
}

fn result(task: u32) -> Hash {
    compute::task_result_hash(format!("tile {task}").as_bytes())
}

/// The test's genesis: the node tests' chain plus the compute network `gpu`,
/// short claim windows, a device maker, and 2-second reward epochs.
fn compute_genesis() -> plinth_ledger::Genesis {
    let mut g = genesis();
    g.networks.push(GenesisNetwork {
        name: GPU.into(),
        family: compute::FAMILY.into(),
        params: Default::default(),
        share_bps: 1_000,
        usage_bps: 5_000,
        require_maker: false,
    });
    g.compute = Some(ComputeParams {
        commit_blocks: WINDOW,
        reveal_blocks: WINDOW,
        verify_blocks: WINDOW,
        ..ComputeParams::default()
    });
    g.makers.push(GenesisMaker {
        address: addr(&maker()),
        name: "Acme Compute".into(),
        onboard_fee_credits: 0,
    });
    g.emission.epoch_ms = EPOCH;
    g
}

/// Serves `node` over HTTP; returns a client of it.
async fn serve(node: &Arc<Node>) -> NodeClient {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = router(node.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    NodeClient::new(&base)
}

/// A chain, its client and router.
struct Chain {
    node: Arc<Node>,
    client: NodeClient,
    app: Router,
    chain: Hash,
    _dir: tempfile::TempDir,
}

impl Chain {
    async fn open(g: plinth_ledger::Genesis) -> Chain {
        let dir = tempfile::tempdir().unwrap();
        let chain = g.chain();
        let node = Node::open(g, validator_key(), config(dir.path())).unwrap();
        let client = serve(&node).await;
        Chain {
            app: router(node.clone()),
            node,
            client,
            chain,
            _dir: dir,
        }
    }

    /// Submits `call` from `from` and commits it in a block of its own; it must
    /// apply. Returns the block.
    async fn ok(&self, from: &Keypair, call: Call) -> SealedHeader {
        let stx = signed(from, nonce(&self.node, &addr(from)), FEE, call);
        let hash = stx.hash();
        let r = self.node.submit(vec![stx.encode()]).await.remove(0);
        assert!(r.is_ok(), "admitted: {r:?}");
        let head = produce(&self.node).await;
        let receipts = self.node.store.receipts(head.height).unwrap().unwrap();
        let r = receipts
            .iter()
            .find(|r| r.tx_hash == hash)
            .expect("in the block");
        assert_eq!(r.error, None, "{:?} applied", stx.tx.call);
        head
    }

    /// Produces `n` empty blocks.
    async fn blocks(&self, n: u64) -> SealedHeader {
        let mut last = None;
        for _ in 0..n {
            last = Some(produce(&self.node).await);
        }
        last.expect("at least one block")
    }

    fn head(&self) -> SealedHeader {
        self.node.store.head().unwrap()
    }

    /// The reward epoch of the head block.
    fn epoch(&self) -> u64 {
        (self.head().timestamp_ms - GENESIS_TIME_MS) / EPOCH
    }

    /// Runs a blocking client call off the async runtime.
    async fn read<T: Send + 'static>(&self, f: impl FnOnce(NodeClient) -> T + Send + 'static) -> T {
        let c = self.client.clone();
        tokio::task::spawn_blocking(move || f(c)).await.unwrap()
    }

    /// `GET uri` through the router: status, content type, body.
    async fn raw(&self, uri: &str) -> (StatusCode, String, Vec<u8>) {
        let req = Request::builder().uri(uri).body(Body::empty()).unwrap();
        let resp = self.app.clone().oneshot(req).await.unwrap();
        let (parts, body) = resp.into_parts();
        let ct = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = body.collect().await.unwrap().to_bytes().to_vec();
        (parts.status, ct, bytes)
    }

    /// `GET uri` answers `status` with a JSON error; returns its code.
    async fn error(&self, uri: &str, status: StatusCode) -> String {
        let (s, ct, body) = self.raw(uri).await;
        let text = String::from_utf8_lossy(&body).into_owned();
        assert_eq!(s, status, "{uri}: {text}");
        assert!(ct.starts_with("application/json"), "{uri}: {ct}");
        let e: ErrorBody = serde_json::from_slice(&body).unwrap();
        e.error.code
    }

    fn stored_lease(&self, id: &Hash) -> compute::Lease {
        let snap = self.node.store.snapshot().unwrap();
        compute::lease(&Overlay::new(&snap), id).unwrap().unwrap()
    }

    // ---- the market and its jobs, by transactions ----

    async fn register_providers(&self) {
        let location = berlin();
        for i in 0..3u8 {
            let (owner, device) = (provider_owner(i), device_key(i));
            let id = dev_id(&device);
            let msg = devices::registration_message(&self.chain, &addr(&owner), &id, GPU, location);
            let call = if i == 0 {
                Call::RegisterMadeDevice {
                    device: id,
                    network: GPU.into(),
                    location,
                    device_signature: device.sign(&msg),
                    maker: addr(&maker()),
                    maker_signature: maker().sign(&maker_message(&addr(&maker()), &id)),
                }
            } else {
                Call::RegisterDevice {
                    device: id,
                    network: GPU.into(),
                    location,
                    device_signature: device.sign(&msg),
                }
            };
            self.ok(&owner, call).await;
            let attrs = if i == 0 { h100() } else { cpu_only() };
            let attestation = (i == 0).then(|| {
                maker().sign(&compute::attrs_attestation_message(
                    &self.chain,
                    &id,
                    &attrs,
                ))
            });
            self.ok(
                &owner,
                Call::OfferCompute {
                    device: id,
                    endpoint: ENDPOINT.into(),
                    attrs,
                    attestation,
                    price_per_block: 5,
                    price_per_task: 1,
                    collateral_per_lease: PER_LEASE,
                    collateral_per_task: PER_TASK,
                    deposit: POOL,
                },
            )
            .await;
        }
    }

    /// The oracle posts $1 a token; the consumer burns 0.1 token: 10,000 credits.
    async fn buy_credits(&self) {
        let point = PricePoint {
            chain: self.chain,
            micro_usd_per_token: 1_000_000,
            timestamp_ms: plinth_api::now_ms(),
        };
        self.ok(
            &relayer(),
            Call::PostPrice {
                signatures: vec![point.sign(&oracle_key())],
                price: point,
            },
        )
        .await;
        self.ok(
            &consumer(),
            Call::BurnForCredits {
                amount: 100_000,
                to: addr(&consumer()),
            },
        )
        .await;
    }

    /// An order of `deposit` credits (at most 10 per block, `duration` blocks).
    async fn order(&self, deposit: u64, duration: u64) -> Hash {
        let n = nonce(&self.node, &addr(&consumer()));
        self.ok(
            &consumer(),
            Call::PostOrder {
                network: GPU.into(),
                requirements: ComputeRequirements::default(),
                max_price_per_block: 10,
                duration_blocks: duration,
                deposit,
                bid_blocks: 200,
            },
        )
        .await;
        compute::order_id(&addr(&consumer()), n)
    }

    async fn bid(&self, order: Hash, device: u8, price: u64) {
        self.ok(
            &provider_owner(device),
            Call::PlaceBid {
                order,
                device: dev_id(&device_key(device)),
                price_per_block: price,
                deposit: 100,
                expires_in: 200,
            },
        )
        .await;
    }

    async fn accept(&self, order: Hash, device: u8) -> SealedHeader {
        self.ok(
            &consumer(),
            Call::AcceptBid {
                order,
                device: dev_id(&device_key(device)),
            },
        )
        .await
    }

    async fn upload(&self, bytes: &[u8]) -> Hash {
        let module = compute::module_hash(bytes);
        for (i, chunk) in bytes.chunks(compute::MODULE_CHUNK_BYTES).enumerate() {
            self.ok(
                &relayer(),
                Call::UploadModule {
                    module,
                    size: bytes.len() as u32,
                    index: i as u32,
                    bytes: chunk.to_vec(),
                },
            )
            .await;
        }
        module
    }

    async fn job(&self, module: Hash, tasks: u32) -> Hash {
        self.job_k(module, tasks, 1).await
    }

    /// A job of `tasks` tasks, each run by `k` providers.
    async fn job_k(&self, module: Hash, tasks: u32, k: u8) -> Hash {
        let n = nonce(&self.node, &addr(&consumer()));
        self.ok(
            &consumer(),
            Call::CreateJob {
                network: GPU.into(),
                module,
                input: b"scene".to_vec(),
                tasks,
                fuel_per_task: 1_000_000,
                price_per_task: TASK_PRICE,
                spot_check_bps: None,
                redundancy: k,
                lease: None,
                deadline_blocks: 1_000,
            },
        )
        .await;
        compute::job_id(&addr(&consumer()), n)
    }

    /// Device `device` claims `count` tasks of `job` (its claim number `n`).
    async fn claim(&self, job: Hash, n: u32, device: u8, count: u32) -> Hash {
        self.ok(
            &provider_owner(device),
            Call::ClaimTasks {
                job,
                device: dev_id(&device_key(device)),
                count,
            },
        )
        .await;
        compute::claim_id(&job, n)
    }

    fn stored_claim(&self, id: &Hash) -> compute::TaskClaim {
        let snap = self.node.store.snapshot().unwrap();
        compute::claim(&Overlay::new(&snap), id).unwrap().unwrap()
    }

    /// Commits `results` for the claim's tasks.
    async fn commit(&self, claim: Hash, device: u8, results: &[Hash]) {
        let c = self.stored_claim(&claim);
        let d = dev_id(&device_key(device));
        let commitments = c
            .tasks
            .iter()
            .zip(results)
            .map(|(&t, r)| compute::task_commitment(&c.job, t, &d, r))
            .collect();
        self.ok(
            &provider_owner(device),
            Call::CommitTasks { claim, commitments },
        )
        .await;
    }

    /// Commits then reveals `results`; returns the reveal's height.
    async fn reveal(&self, claim: Hash, device: u8, results: Vec<Hash>) -> u64 {
        self.commit(claim, device, &results).await;
        self.ok(
            &provider_owner(device),
            Call::RevealTasks { claim, results },
        )
        .await
        .height
    }

    /// The oracle set's verdict on `claim`: it re-executes the tasks the API says
    /// the seed block draws (the block after the reveal); `honest` says whether
    /// the provider's results are right. Returns the checked tasks.
    async fn verdict(&self, claim: Hash, honest: bool) -> Vec<u32> {
        let c = self.stored_claim(&claim);
        if self.head().height <= c.revealed_height + 1 {
            self.blocks(1).await;
        }
        let view = self
            .read(move |n| n.compute_claim(&claim).unwrap().unwrap())
            .await;
        let seed = self
            .node
            .store
            .block(c.revealed_height + 1)
            .unwrap()
            .unwrap()
            .hash();
        assert_eq!(view.seed, Some(seed), "the block after the reveal");
        let drawn = compute::spot_check_tasks(&seed, &claim, &c.tasks, view.spot_check_bps);
        assert_eq!(view.checked_tasks.as_ref(), Some(&drawn));
        assert_eq!(drawn.len(), view.check_count as usize);
        let checks: Vec<(u32, bool)> = drawn.iter().map(|&t| (t, honest)).collect();
        let v = JobVerdict {
            chain: self.chain,
            claim,
            epoch: self.epoch(),
            seed_height: c.revealed_height + 1,
            checks: checks
                .iter()
                .map(|&(task, ok)| TaskCheck { task, ok })
                .collect(),
        };
        self.ok(
            &relayer(),
            Call::VerifyClaim {
                signatures: vec![v.sign(&oracle_key())],
                verdict: v,
            },
        )
        .await;
        drawn
    }
}

/// Pages through a list with `page(after)` until a page is short; returns all.
async fn all_pages<T: Send + 'static>(
    chain: &Chain,
    limit: usize,
    next: impl Fn(&T) -> String + Send + Sync + Clone + 'static,
    page: impl Fn(&NodeClient, Option<String>) -> Result<Vec<T>, ClientError>
        + Send
        + Sync
        + Clone
        + 'static,
) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    loop {
        let after = out.last().map(&next);
        let p = page.clone();
        let items = chain.read(move |c| p(&c, after).unwrap()).await;
        let n = items.len();
        assert!(n <= limit);
        out.extend(items);
        if n < limit {
            return out;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_market_reads_back_offers_orders_bids_and_leases() {
    let chain = Chain::open(compute_genesis()).await;
    let c = &chain;
    c.register_providers().await;
    c.buy_credits().await;
    let (d0, d1, d2) = (
        dev_id(&device_key(0)),
        dev_id(&device_key(1)),
        dev_id(&device_key(2)),
    );

    // Params: the genesis's section and its one compute network.
    let p = c.read(|c| c.compute_params().unwrap()).await;
    assert!(p.configured);
    assert_eq!(p.networks, vec![GPU.to_string()]);
    assert_eq!(p.params.commit_blocks, WINDOW);

    // Offers: the attested one names its maker; each has its owner and reputation.
    let o = c
        .read(move |c| c.compute_offer(&d0).unwrap().unwrap())
        .await;
    assert!(o.attested && o.device_active);
    assert_eq!(o.offer.attested_by, Some(addr(&maker())));
    assert_eq!(o.maker_name.as_deref(), Some("Acme Compute"));
    assert_eq!((o.owner, o.offer.attrs.clone()), (addr(&user(0)), h100()));
    assert_eq!((o.offer.free, o.offer.locked), (POOL, 0));
    assert_eq!(o.region_cell, format!("{:x}", berlin()));
    assert_eq!(o.reputation, compute::Reputation::default());
    let o2 = c
        .read(move |c| c.compute_offer(&d2).unwrap().unwrap())
        .await;
    assert!(!o2.attested && o2.maker_name.is_none());
    assert_eq!(o2.owner, addr(&user(3)));
    let all = c.read(|c| c.compute_all_offers(Some(GPU)).unwrap()).await;
    assert_eq!(all.len(), 3);
    let paged = all_pages(
        c,
        1,
        |o: &ComputeOfferView| o.offer.device.to_string(),
        |c, after| {
            c.compute_offers(&ComputeOffersQuery {
                network: None,
                after,
                limit: Some(1),
            })
        },
    )
    .await;
    assert_eq!(paged, all, "pages of one give the same offers, in order");
    let none = c
        .read(|c| {
            c.compute_offers(&ComputeOffersQuery {
                network: Some(NETWORK.into()),
                ..Default::default()
            })
            .unwrap()
        })
        .await;
    assert!(none.is_empty(), "no offer in another network");

    // Orders: one leased (device 0 at 7 per block), one open with a bid, one closed.
    let leased = c.order(5_000, 1_000).await;
    c.bid(leased, 0, 7).await;
    c.bid(leased, 1, 10).await;
    let before = c
        .read(move |c| c.compute_order(&leased).unwrap().unwrap())
        .await;
    assert!(before.order.taking_bids);
    assert_eq!(
        before
            .bids
            .iter()
            .map(|b| (
                b.bid.provider,
                b.bid.price_per_block,
                b.live,
                b.bid.attested
            ))
            .collect::<Vec<_>>(),
        vec![(d0, 7, true, true), (d1, 10, true, false)],
        "the bids in bidding order, each with the offer's attributes"
    );
    assert_eq!(before.bids[0].bid.attrs, h100());
    let start = c.accept(leased, 0).await.height;
    let open = c.order(500, 100).await;
    c.bid(open, 1, 9).await;
    let closed = c.order(500, 100).await;
    c.ok(&consumer(), Call::CloseOrder { order: closed }).await;

    let o = c
        .read(move |c| c.compute_order(&leased).unwrap().unwrap())
        .await;
    assert_eq!(o.order.order.status, OrderStatus::Leased);
    assert_eq!(o.order.lease, Some(leased));
    assert!(!o.order.taking_bids && o.bids.is_empty(), "every bid ended");
    let o = c
        .read(move |c| c.compute_order(&open).unwrap().unwrap())
        .await;
    assert!(o.order.taking_bids && o.order.lease.is_none());
    assert_eq!(o.bids.len(), 1);
    let statuses = |status: &'static str| async move {
        let mut ids: Vec<Hash> = c
            .read(move |c| {
                c.compute_orders(&ComputeOrdersQuery {
                    status: Some(status.into()),
                    consumer: Some(addr(&consumer()).to_string()),
                    ..Default::default()
                })
                .unwrap()
            })
            .await
            .into_iter()
            .map(|o| o.order.id)
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(statuses("open").await, vec![open]);
    assert_eq!(statuses("leased").await, vec![leased]);
    assert_eq!(statuses("closed").await, vec![closed]);
    let orders = all_pages(
        c,
        2,
        |o: &OrderView| o.order.id.to_string(),
        |c, after| {
            c.compute_orders(&ComputeOrdersQuery {
                network: Some(GPU.into()),
                after,
                limit: Some(2),
                ..Default::default()
            })
        },
    )
    .await;
    let mut ids: Vec<Hash> = orders.iter().map(|o| o.order.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in id order");
    ids.sort();
    let mut want = vec![leased, open, closed];
    want.sort();
    assert_eq!(ids, want);

    // The lease is settled at the head, exactly, without a transaction: block
    // `start` (the accepting one) through the head, 7 credits each.
    let l = c
        .read(move |c| c.compute_lease(&leased).unwrap().unwrap())
        .await;
    let h = c.head().height;
    assert_eq!(l.height, h);
    assert_eq!(l.lease.start_height, start);
    assert_eq!(l.lease.paid, 7 * (h + 1 - start));
    assert_eq!(l.lease.escrow, 5_000 - l.lease.paid);
    assert_eq!(
        (l.lease.status, l.awaiting_close),
        (LeaseStatus::Active, false)
    );
    assert_eq!(l.lease.settled_height, h + 1);
    assert_eq!(l.pays_until, start + 5_000 / 7, "what the escrow covers");
    assert_eq!(l.lease.attrs, h100());
    for _ in 0..3 {
        let was = c
            .read(move |c| c.compute_lease(&leased).unwrap().unwrap())
            .await;
        c.blocks(1).await;
        let now = c
            .read(move |c| c.compute_lease(&leased).unwrap().unwrap())
            .await;
        assert_eq!(now.height, was.height + 1);
        assert_eq!(now.lease.paid, was.lease.paid + 7, "one more block paid");
        assert_eq!(now.lease.escrow, was.lease.escrow - 7);
    }
    let stored = c.stored_lease(&leased);
    assert_eq!(
        (stored.paid, stored.escrow, stored.settled_height),
        (0, 5_000, start),
        "nothing was written: the view settles lazily"
    );

    // A lease whose escrow covers 3 blocks: it ends by itself, and says so
    // before any transaction closes it.
    let dry = c.order(7 * 3 + 4, 100).await;
    c.bid(dry, 2, 7).await;
    let dry_start = c.accept(dry, 2).await.height;
    let l = c
        .read(move |c| c.compute_lease(&dry).unwrap().unwrap())
        .await;
    assert_eq!(
        (l.lease.status, l.pays_until),
        (LeaseStatus::Active, dry_start + 3)
    );
    c.blocks(3).await;
    let l = c
        .read(move |c| c.compute_lease(&dry).unwrap().unwrap())
        .await;
    assert_eq!(
        l.lease.status,
        LeaseStatus::Closed(LeaseCloseReason::EscrowExhausted)
    );
    assert_eq!(
        (l.lease.paid, l.lease.escrow, l.lease.settled_height),
        (21, 4, dry_start + 3),
        "paid exactly what the escrow covered"
    );
    assert!(l.awaiting_close);
    assert_eq!((l.lease.closed_height, l.pays_until), (0, dry_start + 3));
    let close = c
        .ok(&relayer(), Call::CloseLease { lease: dry })
        .await
        .height;
    let l = c
        .read(move |c| c.compute_lease(&dry).unwrap().unwrap())
        .await;
    assert!(!l.awaiting_close);
    assert_eq!(
        (
            l.lease.status,
            l.lease.closed_height,
            l.lease.paid,
            l.lease.escrow
        ),
        (
            LeaseStatus::Closed(LeaseCloseReason::EscrowExhausted),
            close,
            21,
            0
        )
    );

    // The oracle set's capacity checks of the running lease, once its epoch is
    // over: the provider's reputation counts them.
    let e = c.stored_lease(&leased).next_check_epoch;
    let end = GENESIS_TIME_MS + (e + 1) * EPOCH;
    while plinth_api::now_ms() < end + 10 {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let checks = ComputeChecks {
        chain: c.chain,
        network: GPU.into(),
        epoch: e,
        leases: vec![LeaseChecks {
            lease: leased,
            results: vec![true, true, false],
        }],
    };
    c.ok(
        &relayer(),
        Call::SettleChecks {
            signatures: vec![checks.sign(&oracle_key())],
            checks,
        },
    )
    .await;
    let l = c
        .read(move |c| c.compute_lease(&leased).unwrap().unwrap())
        .await;
    assert_eq!(
        (l.lease.checks_passed, l.lease.checks_failed, l.lease.status),
        (2, 1, LeaseStatus::Active)
    );
    assert_eq!(
        l.lease.paid,
        7 * (c.head().height + 1 - start),
        "the checks settled the lease; the view goes on from there"
    );
    let o = c
        .read(move |c| c.compute_offer(&d0).unwrap().unwrap())
        .await;
    assert_eq!(
        (o.reputation.checks_passed, o.reputation.checks_failed),
        (2, 1)
    );
    assert_eq!((o.offer.locked, o.offer.open_leases), (PER_LEASE, 1));
    let o = c
        .read(move |c| c.compute_offer(&d2).unwrap().unwrap())
        .await;
    assert_eq!(
        (o.reputation.leases_completed, o.reputation.credits_earned),
        (1, 21)
    );

    // Lease lists: by provider, consumer, network (active ones from the index),
    // and ended ones; pages of one.
    let ids = |q: LeasesQuery| async move {
        c.read(move |c| c.compute_leases(&q).unwrap())
            .await
            .into_iter()
            .map(|l| l.lease.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(LeasesQuery {
            provider: Some(d0.to_string()),
            ..Default::default()
        })
        .await,
        vec![leased]
    );
    assert_eq!(
        ids(LeasesQuery {
            network: Some(GPU.into()),
            active: Some(true),
            ..Default::default()
        })
        .await,
        vec![leased]
    );
    assert_eq!(
        ids(LeasesQuery {
            active: Some(false),
            ..Default::default()
        })
        .await,
        vec![dry]
    );
    assert!(ids(LeasesQuery {
        provider: Some(d1.to_string()),
        ..Default::default()
    })
    .await
    .is_empty());
    let mut both = vec![leased, dry];
    both.sort();
    assert_eq!(
        ids(LeasesQuery {
            consumer: Some(addr(&consumer()).to_string()),
            ..Default::default()
        })
        .await,
        both
    );
    let paged = all_pages(
        c,
        1,
        |l: &LeaseView| l.lease.id.to_string(),
        |c, after| {
            c.compute_leases(&LeasesQuery {
                consumer: Some(addr(&consumer()).to_string()),
                after,
                limit: Some(1),
                ..Default::default()
            })
        },
    )
    .await;
    assert_eq!(paged.iter().map(|l| l.lease.id).collect::<Vec<_>>(), both);

    // Usage and earnings: what the providers earned, epoch by epoch, adds up to
    // their reputation's total and to the network's usage.
    let (first, last) = (c.epoch().saturating_sub(200), c.epoch());
    let (earned, used) = c
        .read(move |c| {
            let mut earned = std::collections::BTreeMap::<DeviceId, u64>::new();
            let mut used = 0;
            for e in first..=last {
                for x in c.compute_all_earned(GPU, e).unwrap() {
                    *earned.entry(x.device).or_default() += x.credits;
                }
                used += c.compute_usage(GPU, e).unwrap().credits_used;
            }
            (earned, used)
        })
        .await;
    let rep = |d: DeviceId| async move {
        c.read(move |c| c.compute_offer(&d).unwrap().unwrap().reputation)
            .await
    };
    assert_eq!(earned.get(&d0).copied(), Some(rep(d0).await.credits_earned));
    assert_eq!(earned.get(&d2).copied(), Some(21));
    assert_eq!(used, earned.values().sum::<u64>());
    assert!(used > 21);
}

#[tokio::test(flavor = "multi_thread")]
async fn jobs_tasks_claims_and_what_the_oracle_set_has_to_check() {
    let chain = Chain::open(compute_genesis()).await;
    let c = &chain;
    c.register_providers().await;
    c.buy_credits().await;
    let (d0, d1) = (dev_id(&device_key(0)), dev_id(&device_key(1)));
    let bytes = module_bytes();
    let module = c.upload(&bytes).await;

    // The module, its bytes as the ledger holds them.
    let m = c
        .read(move |c| c.compute_module(&module).unwrap().unwrap())
        .await;
    assert_eq!(
        (m.hash, m.size as usize, m.uploader),
        (module, bytes.len(), addr(&relayer()))
    );
    let got = c
        .read(move |c| c.compute_module_bytes(&module).unwrap().unwrap())
        .await;
    assert_eq!(got, bytes);
    assert_eq!(compute::module_hash(&got), module);
    let (s, ct, body) = c.raw(&format!("/v1/compute/modules/{module}/bytes")).await;
    assert_eq!((s, ct.as_str()), (StatusCode::OK, "application/wasm"));
    assert_eq!(body, bytes);

    // Job 1: 8 tasks. Device 0's claim is verified; device 1's wrong result is
    // caught and slashed, its tasks taken again by device 2 (claimed, not yet
    // committed).
    let job = c.job(module, 8).await;
    let first = c.claim(job, 0, 0, 4).await;
    let second = c.claim(job, 1, 1, 4).await;
    c.reveal(first, 0, (0..4).map(result).collect()).await;
    // Device 1 makes its results up: whichever task the check draws is wrong.
    let faked: Vec<Hash> = (4..8).map(|t| result(1_000 + t)).collect();
    c.reveal(second, 1, faked).await;

    // Both wait for the oracle set: the pending index lists them with what
    // re-executing them needs.
    let pending = c.read(|c| c.compute_all_pending_claims(GPU).unwrap()).await;
    let mut ids: Vec<Hash> = pending.iter().map(|p| p.claim.claim.id).collect();
    let mut want = vec![first, second];
    want.sort();
    ids.sort();
    assert_eq!(ids, want);
    let p = pending.iter().find(|p| p.claim.claim.id == first).unwrap();
    assert_eq!(
        (p.module, p.input_hash, p.fuel_per_task),
        (module, compute::job_input_hash(b"scene"), 1_000_000)
    );
    let revealed = p.claim.claim.revealed_height;
    assert_eq!(p.claim.claim.status, ClaimStatus::Revealed);
    assert_eq!(
        (
            p.claim.number,
            p.claim.spot_check_bps,
            p.claim.check_count,
            p.claim.seed_height,
            p.claim.verify_due,
            p.claim.finalizable_from,
        ),
        (
            0,
            ComputeParams::default().default_spot_check_bps,
            1,
            Some(revealed + 1),
            Some(revealed + WINDOW),
            Some(revealed + WINDOW + 1)
        )
    );
    assert_eq!(
        (p.claim.network.as_str(), p.claim.consumer),
        (GPU, addr(&consumer()))
    );
    let after = want[0];
    let page = c
        .read(move |c| {
            c.compute_pending_claims(&PendingClaimsQuery {
                network: GPU.into(),
                after: Some(after.to_string()),
                limit: Some(1),
            })
            .unwrap()
        })
        .await;
    assert_eq!(
        page.iter().map(|p| p.claim.claim.id).collect::<Vec<_>>(),
        vec![want[1]]
    );

    c.verdict(first, true).await;
    let caught = c.verdict(second, false).await;
    let third = c.claim(job, 2, 2, 4).await;
    assert!(c
        .read(|c| c.compute_all_pending_claims(GPU).unwrap())
        .await
        .is_empty());

    let j = c.read(move |c| c.compute_job(&job).unwrap().unwrap()).await;
    assert_eq!(
        (j.job.status, j.job.done, j.job.claims),
        (JobStatus::Open, 4, 3)
    );
    assert_eq!(
        j.progress,
        JobProgress {
            tasks_done: 4,
            tasks_in_flight: 4,
            tasks_open: 0,
            tasks_counted: 8,
            claims: ClaimCounts {
                claimed: 1,
                verified: 1,
                slashed: 1,
                ..ClaimCounts::default()
            },
            claims_counted: 3,
        }
    );
    let claims = c
        .read(move |c| {
            c.compute_job_claims(&job, &NumberPageQuery::default())
                .unwrap()
        })
        .await;
    assert_eq!(
        claims
            .iter()
            .map(|x| (
                x.number,
                x.claim.id,
                x.claim.provider,
                x.claim.status,
                x.slash_reason
            ))
            .collect::<Vec<_>>(),
        vec![
            (0, first, d0, ClaimStatus::Verified, None),
            (
                1,
                second,
                d1,
                ClaimStatus::Slashed,
                Some(SlashReason::WrongResult)
            ),
            (2, third, dev_id(&device_key(2)), ClaimStatus::Claimed, None),
        ]
    );
    assert_eq!(
        claims[2].claim.tasks,
        vec![4, 5, 6, 7],
        "the slashed claim's tasks, again"
    );
    assert_eq!(
        claims[2].finalizable_from,
        Some(claims[2].claim.commit_deadline)
    );
    assert_eq!(claims[0].finalizable_from, None);
    assert_eq!(
        claims[1].checked_tasks.as_ref(),
        Some(&caught),
        "the slashed claim shows the tasks its check drew"
    );
    let page = c
        .read(move |c| {
            c.compute_job_claims(
                &job,
                &NumberPageQuery {
                    after: Some(0),
                    limit: Some(1),
                },
            )
            .unwrap()
        })
        .await;
    assert_eq!(page, claims[1..2].to_vec());
    let one = c
        .read(move |c| c.compute_claim(&second).unwrap().unwrap())
        .await;
    assert_eq!(one, claims[1].clone());

    // Tasks: the verified ones done with their result, the retaken ones held by
    // the third claim.
    let tasks = c
        .read(move |c| c.compute_all_job_tasks(&job).unwrap())
        .await;
    assert_eq!(tasks.len(), 8);
    assert_eq!(
        (tasks[2].task, tasks[2].slot.done, tasks[2].slot.result),
        (2, true, Some(result(2)))
    );
    assert_eq!(tasks[2].slot.results, vec![(d0, result(2))]);
    assert_eq!(
        (tasks[5].slot.done, tasks[5].slot.claims.clone()),
        (false, vec![third])
    );
    let page = c
        .read(move |c| {
            c.compute_job_tasks(
                &job,
                &NumberPageQuery {
                    after: Some(5),
                    limit: Some(10),
                },
            )
            .unwrap()
        })
        .await;
    assert_eq!(page, tasks[6..].to_vec(), "after task 5: 6 and 7");
    let input = c
        .read(move |c| c.compute_job_input(&job).unwrap().unwrap())
        .await;
    assert_eq!(input, b"scene");
    let (s, ct, _) = c.raw(&format!("/v1/compute/jobs/{job}/input")).await;
    assert_eq!(
        (s, ct.as_str()),
        (StatusCode::OK, "application/octet-stream")
    );

    // Job 2: one task committed and never revealed: slashed once the reveal
    // window passed. Job 3: revealed and left for the oracle set.
    let job2 = c.job(module, 1).await;
    let silent = c.claim(job2, 0, 1, 1).await;
    c.commit(silent, 1, &[result(0)]).await;
    let job3 = c.job(module, 2).await;
    let waiting = c.claim(job3, 0, 0, 2).await;
    let revealed = c.reveal(waiting, 0, vec![result(0), result(1)]).await;
    let x = c
        .read(move |c| c.compute_claim(&silent).unwrap().unwrap())
        .await;
    assert_eq!(x.reveal_due, Some(x.claim.committed_height + WINDOW));
    assert_eq!(
        x.finalizable_from,
        Some(x.claim.committed_height + WINDOW + 1)
    );
    let at = x.finalizable_from.unwrap();
    let h = c.head().height;
    if h + 1 < at {
        c.blocks(at - h - 1).await;
    }
    c.ok(&relayer(), Call::FinalizeClaim { claim: silent })
        .await;
    let x = c
        .read(move |c| c.compute_claim(&silent).unwrap().unwrap())
        .await;
    assert_eq!(
        (x.claim.status, x.slash_reason),
        (ClaimStatus::Slashed, Some(SlashReason::NotRevealed))
    );
    let pending = c.read(|c| c.compute_all_pending_claims(GPU).unwrap()).await;
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (pending[0].claim.claim.id, pending[0].claim.seed_height),
        (waiting, Some(revealed + 1))
    );

    // Job lists: by consumer (its index) and status, by network; paged.
    let jobs = |q: JobsQuery| async move {
        let mut ids: Vec<Hash> = c
            .read(move |c| c.compute_jobs(&q).unwrap())
            .await
            .into_iter()
            .map(|j| j.id)
            .collect();
        ids.sort();
        ids
    };
    let mut all = vec![job, job2, job3];
    all.sort();
    assert_eq!(
        jobs(JobsQuery {
            consumer: Some(addr(&consumer()).to_string()),
            ..Default::default()
        })
        .await,
        all
    );
    assert_eq!(
        jobs(JobsQuery {
            network: Some(GPU.into()),
            status: Some("open".into()),
            ..Default::default()
        })
        .await,
        all,
        "none is done"
    );
    assert!(jobs(JobsQuery {
        status: Some("completed".into()),
        ..Default::default()
    })
    .await
    .is_empty());
    let paged = all_pages(
        c,
        2,
        |j: &compute::Job| j.id.to_string(),
        |c, after| {
            c.compute_jobs(&JobsQuery {
                after,
                limit: Some(2),
                ..Default::default()
            })
        },
    )
    .await;
    assert_eq!(paged.iter().map(|j| j.id).collect::<Vec<_>>(), all);

    // The reputations the verdicts left.
    let r0 = c
        .read(move |c| c.compute_offer(&d0).unwrap().unwrap().reputation)
        .await;
    assert_eq!((r0.tasks_verified, r0.credits_earned), (4, 4 * TASK_PRICE));
    let r1 = c
        .read(move |c| c.compute_offer(&d1).unwrap().unwrap().reputation)
        .await;
    assert_eq!(r1.claims_slashed, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redundant_job_shows_its_copies_and_waits_for_every_commit() {
    let chain = Chain::open(compute_genesis()).await;
    let c = &chain;
    c.register_providers().await;
    c.buy_credits().await;
    let module = c.upload(&module_bytes()).await;
    let job = c.job_k(module, 2, 2).await;
    let progress = || async move {
        c.read(move |n| n.compute_job(&job).unwrap().unwrap().progress)
            .await
    };
    let p = progress().await;
    assert_eq!(
        (p.tasks_in_flight, p.tasks_open, p.tasks_counted),
        (0, 2, 2)
    );
    let a = c.claim(job, 0, 0, 2).await;
    let p = progress().await;
    assert_eq!(
        (p.tasks_in_flight, p.tasks_open),
        (2, 2),
        "one copy of each task claimed, one free"
    );
    let b = c.claim(job, 1, 1, 2).await;
    let p = progress().await;
    assert_eq!((p.tasks_in_flight, p.tasks_open), (2, 0));

    // Device 0 commits; it may reveal only once device 1's copies are committed.
    let results: Vec<Hash> = (0..2).map(result).collect();
    c.commit(a, 0, &results).await;
    let other = c.stored_claim(&b);
    let x = c.read(move |n| n.compute_claim(&a).unwrap().unwrap()).await;
    assert_eq!(x.claim.status, ClaimStatus::Committed);
    assert_eq!(
        (x.reveal_due, x.finalizable_from),
        (None, Some(other.commit_deadline)),
        "waiting for the other copy's commit"
    );
    c.commit(b, 1, &results).await;
    let last = c.stored_claim(&b).committed_height;
    let x = c.read(move |n| n.compute_claim(&a).unwrap().unwrap()).await;
    assert_eq!(
        (x.reveal_due, x.finalizable_from),
        (Some(last + WINDOW), Some(last + WINDOW + 1)),
        "the reveal window counts from the last copy's commit"
    );
    c.ok(
        &user(0),
        Call::RevealTasks {
            claim: a,
            results: results.clone(),
        },
    )
    .await;
    c.ok(&user(0), Call::RevealTasks { claim: b, results })
        .await;
    assert_eq!(
        c.read(|n| n.compute_all_pending_claims(GPU).unwrap())
            .await
            .len(),
        2
    );
    c.verdict(a, true).await;
    c.verdict(b, true).await;
    let j = c.read(move |n| n.compute_job(&job).unwrap().unwrap()).await;
    assert_eq!(
        (j.job.status, j.progress.tasks_done),
        (JobStatus::Completed, 2)
    );
    let tasks = c
        .read(move |n| n.compute_all_job_tasks(&job).unwrap())
        .await;
    assert_eq!(tasks[0].slot.results.len(), 2, "both copies' results");
    assert_eq!(tasks[0].slot.result, Some(result(0)), "the majority's");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_ids_are_404s_and_malformed_ones_400s() {
    let chain = Chain::open(compute_genesis()).await;
    let c = &chain;
    let h = Hash::tagged("nothing", b"here");
    let d = dev_id(&device_key(7));
    for (uri, code) in [
        (format!("/v1/compute/offers/{d}"), "no_compute_offer"),
        (format!("/v1/compute/orders/{h}"), "unknown_order"),
        (format!("/v1/compute/leases/{h}"), "unknown_lease"),
        (format!("/v1/compute/modules/{h}"), "unknown_module"),
        (format!("/v1/compute/modules/{h}/bytes"), "unknown_module"),
        (format!("/v1/compute/jobs/{h}"), "unknown_job"),
        (format!("/v1/compute/jobs/{h}/input"), "unknown_job"),
        (format!("/v1/compute/jobs/{h}/tasks"), "unknown_job"),
        (format!("/v1/compute/jobs/{h}/claims"), "unknown_job"),
        (format!("/v1/compute/claims/{h}"), "unknown_claim"),
    ] {
        assert_eq!(c.error(&uri, StatusCode::NOT_FOUND).await, code, "{uri}");
    }
    // The client reads those 404s as `None`.
    let none = c
        .read(move |c| {
            (
                c.compute_offer(&d).unwrap(),
                c.compute_order(&h).unwrap(),
                c.compute_lease(&h).unwrap(),
                c.compute_module(&h).unwrap(),
                c.compute_module_bytes(&h).unwrap(),
                c.compute_job(&h).unwrap(),
                c.compute_job_input(&h).unwrap(),
                c.compute_claim(&h).unwrap(),
            )
        })
        .await;
    assert!(
        none.0.is_none()
            && none.1.is_none()
            && none.2.is_none()
            && none.3.is_none()
            && none.4.is_none()
            && none.5.is_none()
            && none.6.is_none()
            && none.7.is_none()
    );
    let e = c
        .read(move |c| c.compute_job_tasks(&h, &NumberPageQuery::default()))
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.code()), (Some(404), Some("unknown_job")));

    let a = addr(&user(0));
    for (uri, code) in [
        (
            "/v1/compute/offers/pdev1nope".to_string(),
            "invalid_device_id",
        ),
        ("/v1/compute/orders/12ab".into(), "invalid_order_id"),
        ("/v1/compute/leases/zz".into(), "invalid_lease_id"),
        ("/v1/compute/modules/abc".into(), "invalid_module_hash"),
        (
            "/v1/compute/modules/abc/bytes".into(),
            "invalid_module_hash",
        ),
        ("/v1/compute/jobs/x".into(), "invalid_job_id"),
        ("/v1/compute/jobs/x/input".into(), "invalid_job_id"),
        ("/v1/compute/jobs/x/tasks".into(), "invalid_job_id"),
        ("/v1/compute/jobs/x/claims".into(), "invalid_job_id"),
        ("/v1/compute/claims/x".into(), "invalid_claim_id"),
        ("/v1/compute/offers?after=x".into(), "invalid_device_id"),
        ("/v1/compute/orders?after=x".into(), "invalid_order_id"),
        ("/v1/compute/orders?consumer=x".into(), "invalid_address"),
        ("/v1/compute/orders?status=done".into(), "invalid_status"),
        ("/v1/compute/leases?provider=x".into(), "invalid_device_id"),
        ("/v1/compute/leases?consumer=x".into(), "invalid_address"),
        (
            format!("/v1/compute/leases?consumer={a}&after=x"),
            "invalid_lease_id",
        ),
        ("/v1/compute/leases?active=maybe".into(), "invalid_query"),
        ("/v1/compute/jobs?consumer=x".into(), "invalid_address"),
        ("/v1/compute/jobs?status=running".into(), "invalid_status"),
        ("/v1/compute/jobs?after=x".into(), "invalid_job_id"),
        (
            format!("/v1/compute/jobs/{h}/tasks?after=-1"),
            "invalid_query",
        ),
        ("/v1/compute/claims/pending".into(), "invalid_query"),
        (
            "/v1/compute/claims/pending?network=gpu&after=x".into(),
            "invalid_claim_id",
        ),
        (
            "/v1/compute/claims/pending?network=GPU".into(),
            "invalid_network",
        ),
        ("/v1/compute/offers?network=a%2Fb".into(), "invalid_network"),
        ("/v1/compute/orders?network=X".into(), "invalid_network"),
        ("/v1/compute/leases?network=X".into(), "invalid_network"),
        ("/v1/compute/jobs?network=X".into(), "invalid_network"),
        ("/v1/compute/usage/W/1".into(), "invalid_network"),
        ("/v1/compute/usage/gpu/soon".into(), "invalid_path"),
        ("/v1/compute/earned/W/1".into(), "invalid_network"),
        (
            "/v1/compute/earned/gpu/1?after=x".into(),
            "invalid_device_id",
        ),
    ] {
        assert_eq!(c.error(&uri, StatusCode::BAD_REQUEST).await, code, "{uri}");
    }
    for (page, max) in [
        ("/v1/compute/offers?", MAX_COMPUTE_PAGE),
        ("/v1/compute/orders?", MAX_COMPUTE_PAGE),
        ("/v1/compute/leases?", MAX_COMPUTE_PAGE),
        ("/v1/compute/jobs?", MAX_COMPUTE_PAGE),
        ("/v1/compute/claims/pending?network=gpu&", MAX_COMPUTE_PAGE),
        ("/v1/compute/earned/gpu/1?", MAX_COMPUTE_PAGE),
    ] {
        for bad in [0, max + 1] {
            let uri = format!("{page}limit={bad}");
            assert_eq!(
                c.error(&uri, StatusCode::BAD_REQUEST).await,
                "invalid_limit",
                "{uri}"
            );
        }
        let (s, _, _) = c.raw(&format!("{page}limit={max}")).await;
        assert_eq!(s, StatusCode::OK, "{page}");
    }
    // Nothing happened yet: empty lists and zero usage, not errors.
    let (s, _, body) = c.raw("/v1/compute/usage/gpu/3").await;
    assert_eq!(s, StatusCode::OK);
    let u: compute::ComputeUsage = serde_json::from_slice(&body).unwrap();
    assert_eq!(u, compute::ComputeUsage::default());
    for uri in [
        "/v1/compute/offers",
        "/v1/compute/orders",
        "/v1/compute/leases",
        "/v1/compute/jobs",
        "/v1/compute/claims/pending?network=gpu",
        "/v1/compute/earned/gpu/3",
    ] {
        let (s, _, body) = c.raw(uri).await;
        assert_eq!((s, body.as_slice()), (StatusCode::OK, &b"[]"[..]), "{uri}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chain_without_a_compute_section_shows_the_defaults() {
    let chain = Chain::open(genesis()).await;
    let c = &chain;
    let p = c.read(|c| c.compute_params().unwrap()).await;
    assert!(!p.configured);
    assert!(p.networks.is_empty());
    assert_eq!(p.params, ComputeParams::default());
    assert_eq!(p.height, c.head().height);
}
