//! The storage provider's agent: an HTTP server that keeps deals on disk, serves
//! them, and answers storage challenges.
//!
//! ```text
//! PUT  /v1/deals/{deal}               borsh OpenDeal {manifest, chunk hashes} → DealStatus (JSON)
//! PUT  /v1/deals/{deal}/chunks/{i}    chunks i, i+1, … back to back → ChunksStored (JSON)
//! GET  /v1/deals                      [DealStatus]
//! GET  /v1/deals/{deal}               DealStatus
//! GET  /v1/deals/{deal}/hashes        the chunk hashes, 32 bytes each
//! GET  /v1/deals/{deal}/chunks/{i}    chunk i; its merkle path in `x-plinth-path`
//! GET  /v1/deals/{deal}/data          the whole file, streamed
//! POST /v1/deals/{deal}/prove         borsh StorageChallenge → borsh StorageProof
//! ```
//!
//! A deal is opened with its manifest and chunk hash list; the agent checks the list
//! against the root (and, when it has a [`DealSource`], the manifest against the
//! ledger's deal), so that from then on it checks every chunk on arrival by its hash
//! alone and refuses one that does not match. An upload request may carry any run of
//! consecutive chunks; the agent writes each as it is checked and fsyncs before it
//! answers, so an acknowledged chunk survives a crash. Errors are JSON
//! `{"error": {"code", "message"}}`.
//!
//! [`Behaviour`] turns an agent into one of the fleet simulator's cheaters.

mod store;

pub use store::StoreError;

use crate::challenge::{StorageChallenge, MAX_CHALLENGE_BYTES};
use crate::manifest::{ChunkError, Commitment, Manifest, MAX_CHUNKS};
use crate::proof::{prove_segment, ProofItem, StorageProof, MAX_PROOF_BYTES};
use crate::tree::MerkleTree;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use futures_util::StreamExt;
use plinth_core::Hash;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use store::StoredDeal;

/// The longest `OpenDeal` body: a manifest and [`MAX_CHUNKS`] hashes.
pub const MAX_OPEN_DEAL_BYTES: usize = 48 + 32 * MAX_CHUNKS as usize;
/// Bytes per piece of a streamed file.
const STREAM_BLOCK: usize = 256 * 1024;
/// How much of a refused body the agent still reads, so that the client gets to
/// read the refusal instead of a broken connection.
const DRAIN_CAP: u64 = 16 * 1024 * 1024;

/// The terms of a deal as the ledger records them, as far as the agent needs them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DealInfo {
    /// The file the deal is for.
    pub manifest: Manifest,
}

/// Why a [`DealSource`] could not answer (the ledger unreachable, say).
#[derive(Debug, thiserror::Error)]
#[error("looking up the deal: {0}")]
pub struct DealSourceError(pub Box<dyn std::error::Error + Send + Sync>);

/// Where the agent learns which deals exist: the ledger. Without one the agent takes
/// the manifest a client opens a deal with at its word.
///
/// Called from a blocking thread, so an implementation may do blocking I/O.
pub trait DealSource: Send + Sync + 'static {
    /// The deal `id`, or `None` if the ledger has no such deal (for this provider).
    fn deal(&self, id: &Hash) -> Result<Option<DealInfo>, DealSourceError>;
}

/// How the agent behaves: honestly, or as one of the fleet simulator's cheaters.
/// Cheating modes apply to uploads made while they are set and are not persisted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Behaviour {
    /// Keeps everything and answers every challenge.
    #[default]
    Honest,
    /// Acknowledges every chunk but does not write `per_million` of them (drawn per
    /// deal and chunk), then answers what it can.
    DropChunks {
        /// Chunks dropped per million.
        per_million: u32,
    },
    /// Writes no data; keeps every segment's leaf hash instead, and answers
    /// challenges with the right leaves and paths around zeroed bytes.
    HashesOnly,
    /// Answers every request with 503.
    Offline,
}

/// How an agent is set up.
#[derive(Clone)]
pub struct AgentConfig {
    /// Where deals live; created if missing.
    pub data_dir: PathBuf,
    /// The most bytes of deals the agent takes on, all deals together.
    pub capacity: u64,
    /// How it behaves at first (see [`Agent::set_behaviour`]).
    pub behaviour: Behaviour,
    /// The ledger's deals; `None` accepts any well-formed deal.
    pub deals: Option<Arc<dyn DealSource>>,
    /// The provider device's key and the chain it serves: with them the agent
    /// signs a receipt for each deal it holds whole (`GET /v1/deals/{deal}/receipt`),
    /// which activates the deal on that chain's ledger.
    pub receipt_key: Option<ReceiptKey>,
}

/// What an agent signs receipts with: the provider device's key, and the identity
/// of the chain its deals are on ([`plinth_core::chain_identity`], from the node's
/// genesis hash), which every receipt names.
#[derive(Clone)]
pub struct ReceiptKey {
    /// The provider device's key.
    pub key: plinth_core::Keypair,
    /// The chain's identity.
    pub chain: Hash,
}

impl AgentConfig {
    /// An honest agent with no ledger and a capacity of 1 TiB.
    pub fn new(data_dir: impl Into<PathBuf>) -> AgentConfig {
        AgentConfig {
            data_dir: data_dir.into(),
            capacity: 1 << 40,
            behaviour: Behaviour::Honest,
            deals: None,
            receipt_key: None,
        }
    }
}

/// Why the agent could not start.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// Its data directory could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The body of `PUT /v1/deals/{deal}`: the deal's manifest and its chunk hashes.
#[derive(Clone, Debug, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct OpenDeal {
    /// The deal's manifest.
    pub manifest: Manifest,
    /// The hash of each chunk, in order (their tree's root is the manifest's).
    pub chunk_hashes: Vec<Hash>,
}

/// What the agent holds of a deal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealStatus {
    /// The deal.
    pub deal: Hash,
    /// Its manifest.
    pub manifest: Manifest,
    /// Chunks in the file.
    pub chunks: u64,
    /// Chunks stored durably.
    pub stored: u64,
    /// Whether every chunk is stored.
    pub complete: bool,
}

/// The answer to an upload: the chunks `[from, to)` were checked and are durable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunksStored {
    /// The first chunk of the range.
    pub from: u64,
    /// The chunk after the range's last.
    pub to: u64,
    /// The deal as it stands now.
    pub status: DealStatus,
}

/// A storage provider's agent; cheap to clone.
#[derive(Clone)]
pub struct Agent {
    inner: Arc<Inner>,
}

struct Inner {
    deals_dir: PathBuf,
    capacity: u64,
    source: Option<Arc<dyn DealSource>>,
    receipt_key: Option<ReceiptKey>,
    behaviour: RwLock<Behaviour>,
    deals: RwLock<HashMap<Hash, Arc<Deal>>>,
    /// Serializes deal creation (capacity and existence checks, then the disk).
    opening: tokio::sync::Mutex<()>,
}

struct Deal {
    stored: StoredDeal,
    /// [`Behaviour::HashesOnly`]: each withheld chunk's segment leaves.
    only_hashes: Mutex<HashMap<u64, Vec<Hash>>>,
}

impl Deal {
    fn status(&self) -> DealStatus {
        let m = *self.stored.manifest();
        let stored = self.stored.stored();
        DealStatus {
            deal: self.stored.id,
            manifest: m,
            chunks: m.chunk_count(),
            stored,
            complete: stored == m.chunk_count(),
        }
    }
}

impl Agent {
    /// Opens the agent's data directory, with every deal stored there.
    pub fn open(config: AgentConfig) -> Result<Agent, AgentError> {
        let deals_dir = config.data_dir.join("deals");
        let deals = store::open_all(&deals_dir)?
            .into_iter()
            .map(|d| {
                let deal = Deal {
                    stored: d,
                    only_hashes: Mutex::new(HashMap::new()),
                };
                (deal.stored.id, Arc::new(deal))
            })
            .collect();
        Ok(Agent {
            inner: Arc::new(Inner {
                deals_dir,
                capacity: config.capacity,
                source: config.deals,
                receipt_key: config.receipt_key,
                behaviour: RwLock::new(config.behaviour),
                deals: RwLock::new(deals),
                opening: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// Changes the agent's behaviour from now on.
    pub fn set_behaviour(&self, behaviour: Behaviour) {
        *self.inner.behaviour.write().expect("behaviour lock") = behaviour;
    }

    /// How the agent behaves now.
    pub fn behaviour(&self) -> Behaviour {
        *self.inner.behaviour.read().expect("behaviour lock")
    }

    /// What the agent holds of `deal`.
    pub fn status(&self, deal: &Hash) -> Option<DealStatus> {
        self.inner.deal(deal).map(|d| d.status())
    }

    /// The HTTP API.
    pub fn router(&self) -> Router {
        Router::new()
            .route("/v1/deals", get(list_deals))
            .route(
                "/v1/deals/{deal}",
                put(open_deal)
                    .get(deal_status)
                    .layer(DefaultBodyLimit::max(MAX_OPEN_DEAL_BYTES))
                    .layer(middleware::from_fn_with_state(
                        MAX_OPEN_DEAL_BYTES,
                        too_large,
                    )),
            )
            .route("/v1/deals/{deal}/hashes", get(hashes))
            .route("/v1/deals/{deal}/receipt", get(receipt))
            .route("/v1/deals/{deal}/data", get(data))
            .route(
                "/v1/deals/{deal}/chunks/{index}",
                put(put_chunks).get(get_chunk),
            )
            .route(
                "/v1/deals/{deal}/prove",
                post(prove)
                    .layer(DefaultBodyLimit::max(MAX_CHALLENGE_BYTES))
                    .layer(middleware::from_fn_with_state(
                        MAX_CHALLENGE_BYTES,
                        too_large,
                    )),
            )
            .route(
                "/v1/prove",
                post(prove_batch)
                    .layer(DefaultBodyLimit::max(MAX_BATCH_BYTES))
                    .layer(middleware::from_fn_with_state(MAX_BATCH_BYTES, too_large)),
            )
            .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
            .layer(middleware::from_fn_with_state(self.clone(), offline))
            .with_state(self.clone())
    }

    /// Answers `challenge` from disk, as `POST /v1/deals/{deal}/prove` does; `None`
    /// for a deal the agent does not hold.
    pub fn prove(&self, challenge: &StorageChallenge) -> Option<StorageProof> {
        let deal = self.inner.deal(&challenge.deal)?;
        Some(answer(&deal, self.behaviour(), challenge))
    }
}

impl Inner {
    fn deal(&self, id: &Hash) -> Option<Arc<Deal>> {
        self.deals.read().expect("deals lock").get(id).cloned()
    }
}

/// Serves `agent` on `listener` until `shutdown` resolves.
pub async fn serve(
    agent: Agent,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, agent.router())
        .with_graceful_shutdown(shutdown)
        .await
}

/// An agent served on its own threads (tests, benchmarks, simulators): stops and
/// joins when dropped.
pub struct RunningAgent {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    /// The agent (to change its behaviour, or look at its deals).
    pub agent: Agent,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl RunningAgent {
    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for RunningAgent {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Serves `agent` on `addr` (port 0 for any) on a runtime of `threads` worker
/// threads of its own.
pub fn spawn(agent: Agent, addr: &str, threads: usize) -> std::io::Result<RunningAgent> {
    let std_listener = std::net::TcpListener::bind(addr)?;
    std_listener.set_nonblocking(true)?;
    let local = std_listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .enable_all()
        .build()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = agent.clone();
    let thread = std::thread::Builder::new()
        .name("storage-agent".into())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener)?;
                serve(served, listener, async {
                    let _ = stopped.await;
                })
                .await
            })
        })?;
    Ok(RunningAgent {
        addr: local,
        agent,
        stop: Some(stop),
        thread: Some(thread),
    })
}

/// An error answer, `{"error": {"code", "message"}}` under its status.
struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"error": {"code": self.code, "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError {
        status,
        code,
        message: message.into(),
    }
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!("storage agent: {e}");
    error(StatusCode::INTERNAL_SERVER_ERROR, "internal", e.to_string())
}

async fn offline(State(agent): State<Agent>, req: Request, next: Next) -> Response {
    if agent.behaviour() == Behaviour::Offline {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "offline",
            "the provider is offline",
        )
        .into_response();
    }
    next.run(req).await
}

/// Refuses a body declared over `max` bytes with a 413 the client can read.
async fn too_large(State(max): State<usize>, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    match declared {
        Some(len) if len > max as u64 => {
            if len <= DRAIN_CAP {
                let mut body = req.into_body().into_data_stream();
                while let Some(Ok(_)) = body.next().await {}
            }
            error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body is {len} bytes, the limit {max}"),
            )
            .into_response()
        }
        _ => next.run(req).await,
    }
}

fn parse_deal(s: &str) -> Result<Hash, ApiError> {
    s.parse().map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            "bad_deal",
            "a deal id is 64 hex characters",
        )
    })
}

fn find(agent: &Agent, deal: &str) -> Result<Arc<Deal>, ApiError> {
    let id = parse_deal(deal)?;
    agent.inner.deal(&id).ok_or_else(|| {
        error(
            StatusCode::NOT_FOUND,
            "unknown_deal",
            format!("this agent holds no deal {id}"),
        )
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(internal)
}

async fn list_deals(State(agent): State<Agent>) -> Response {
    let mut all: Vec<DealStatus> = agent
        .inner
        .deals
        .read()
        .expect("deals lock")
        .values()
        .map(|d| d.status())
        .collect();
    all.sort_by_key(|s| s.deal);
    Json(all).into_response()
}

/// The provider's receipt for a deal it holds whole.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Receipt {
    /// The deal held.
    pub deal: Hash,
    /// The provider device.
    pub device: plinth_core::DeviceId,
    /// The chain the receipt is for.
    pub chain: Hash,
    /// Its signature over [`crate::receipt_message`].
    pub signature: plinth_core::Signature,
}

async fn receipt(State(agent): State<Agent>, Path(deal): Path<String>) -> ApiResult {
    let deal = find(&agent, &deal)?;
    let Some(ReceiptKey { key, chain }) = agent.inner.receipt_key.as_ref() else {
        return Err(error(
            StatusCode::NOT_FOUND,
            "no_receipt_key",
            "this agent has no device key to sign receipts with",
        ));
    };
    let status = deal.status();
    if !status.complete {
        return Err(error(
            StatusCode::CONFLICT,
            "incomplete",
            format!(
                "the agent holds {} of the deal's {} chunks",
                status.stored, status.chunks
            ),
        ));
    }
    let msg = crate::receipt_message(chain, &status.deal, &status.manifest);
    Ok(Json(Receipt {
        deal: status.deal,
        device: plinth_core::DeviceId(key.public()),
        chain: *chain,
        signature: key.sign(&msg),
    })
    .into_response())
}

async fn deal_status(State(agent): State<Agent>, Path(deal): Path<String>) -> ApiResult {
    Ok(Json(find(&agent, &deal)?.status()).into_response())
}

async fn open_deal(
    State(agent): State<Agent>,
    Path(deal): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let id = parse_deal(&deal)?;
    let body = body.map_err(|r| error(r.status(), "bad_body", r.body_text()))?;
    let req: OpenDeal = plinth_core::decode(&body, MAX_OPEN_DEAL_BYTES).map_err(|e| {
        error(
            StatusCode::BAD_REQUEST,
            "bad_body",
            format!("OpenDeal: {e}"),
        )
    })?;
    let m = req.manifest;
    m.check()
        .map_err(|e| error(StatusCode::BAD_REQUEST, "bad_manifest", e.to_string()))?;
    if let Some(source) = agent.inner.source.clone() {
        match blocking(move || source.deal(&id)).await? {
            Err(e) => {
                return Err(error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "deal_source",
                    e.to_string(),
                ))
            }
            Ok(None) => {
                return Err(error(
                    StatusCode::NOT_FOUND,
                    "unknown_deal",
                    format!("the ledger has no deal {id} with this provider"),
                ))
            }
            Ok(Some(info)) if info.manifest != m => {
                return Err(error(
                    StatusCode::CONFLICT,
                    "manifest_mismatch",
                    format!(
                        "the ledger's deal {id} commits to root {} of {} bytes in chunks of {}",
                        info.manifest.root, info.manifest.size, info.manifest.chunk_size
                    ),
                ))
            }
            Ok(Some(_)) => {}
        }
    }
    let _one_at_a_time = agent.inner.opening.lock().await;
    if let Some(existing) = agent.inner.deal(&id) {
        if *existing.stored.manifest() == m {
            return Ok(Json(existing.status()).into_response());
        }
        return Err(error(
            StatusCode::CONFLICT,
            "deal_exists",
            format!("deal {id} is already open with another manifest"),
        ));
    }
    let used: u64 = agent
        .inner
        .deals
        .read()
        .expect("deals lock")
        .values()
        .map(|d| d.stored.manifest().size)
        .sum();
    if used.saturating_add(m.size) > agent.inner.capacity {
        return Err(error(
            StatusCode::INSUFFICIENT_STORAGE,
            "full",
            format!(
                "{} bytes would exceed this agent's capacity: {} of {} used",
                m.size, used, agent.inner.capacity
            ),
        ));
    }
    let commitment = Commitment::from_hashes(m, req.chunk_hashes)
        .map_err(|e| error(StatusCode::BAD_REQUEST, "bad_hashes", e.to_string()))?;
    let dir = agent.inner.deals_dir.clone();
    let stored = blocking(move || StoredDeal::create(&dir, id, commitment))
        .await?
        .map_err(internal)?;
    let deal = Arc::new(Deal {
        stored,
        only_hashes: Mutex::new(HashMap::new()),
    });
    let status = deal.status();
    agent
        .inner
        .deals
        .write()
        .expect("deals lock")
        .insert(id, deal);
    Ok((StatusCode::CREATED, Json(status)).into_response())
}

/// Why an upload stopped before the end of its body.
enum UploadStop {
    Chunk(ChunkError),
    TooLong { limit: u64 },
    Body(String),
    Io(std::io::Error),
}

async fn put_chunks(
    State(agent): State<Agent>,
    Path((deal, from)): Path<(String, u64)>,
    body: Body,
) -> ApiResult {
    let deal = find(&agent, &deal)?;
    let m = *deal.stored.manifest();
    if from >= m.chunk_count() {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "bad_index",
            format!(
                "chunk {from} is out of range: the file has {} chunks",
                m.chunk_count()
            ),
        ));
    }
    // The body may hold at most the rest of the file.
    let limit = m.size - m.chunk_offset(from);
    let mut stream = body.into_data_stream();
    let mut buf = Vec::with_capacity(m.chunk_len(from));
    let (mut index, mut received, mut stop) = (from, 0u64, None);
    while let Some(frame) = stream.next().await {
        let mut bytes = match frame {
            Ok(b) => b,
            Err(e) => {
                stop.get_or_insert(UploadStop::Body(e.to_string()));
                break;
            }
        };
        let room = limit.saturating_sub(received);
        received += bytes.len() as u64;
        if stop.is_some() {
            // Drain what the client still sends so that it reads our answer.
            if received > limit.saturating_add(DRAIN_CAP) {
                break;
            }
            continue;
        }
        if bytes.len() as u64 > room {
            bytes.truncate(room as usize);
            stop = Some(UploadStop::TooLong { limit });
        }
        while !bytes.is_empty() {
            let take = (m.chunk_len(index) - buf.len()).min(bytes.len());
            buf.extend_from_slice(&bytes.split_to(take));
            if buf.len() < m.chunk_len(index) {
                continue;
            }
            let (d, b) = (deal.clone(), std::mem::take(&mut buf));
            let behaviour = agent.behaviour();
            let (b, stored) = blocking(move || {
                let r = store_chunk(&d, behaviour, index, &b);
                (b, r)
            })
            .await?;
            if let Err(e) = stored {
                stop = Some(e);
                break;
            }
            buf = b;
            buf.clear();
            index += 1;
        }
    }
    if stop.is_none() && !buf.is_empty() {
        stop = Some(UploadStop::Body(format!(
            "the body ended inside chunk {index}: {} of its {} bytes",
            buf.len(),
            m.chunk_len(index)
        )));
    }
    // Whatever was checked and written is made durable and counted, even when the
    // request failed later, so that a client can resume.
    if index > from {
        let d = deal.clone();
        blocking(move || d.stored.commit(from..index))
            .await?
            .map_err(internal)?;
    }
    match stop {
        None => Ok(Json(ChunksStored {
            from,
            to: index,
            status: deal.status(),
        })
        .into_response()),
        Some(UploadStop::Chunk(e)) => Err(error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad_chunk",
            e.to_string(),
        )),
        Some(UploadStop::TooLong { limit }) => Err(error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the file has {limit} bytes from chunk {from} on"),
        )),
        Some(UploadStop::Body(msg)) => Err(error(StatusCode::BAD_REQUEST, "bad_body", msg)),
        Some(UploadStop::Io(e)) => Err(internal(e)),
    }
}

/// Checks chunk `index` against the deal's hash list and stores it (or, for a
/// cheater, pretends to).
fn store_chunk(
    deal: &Deal,
    behaviour: Behaviour,
    index: u64,
    bytes: &[u8],
) -> Result<(), UploadStop> {
    let c = &deal.stored.commitment;
    c.manifest
        .check_chunk(index, bytes, &c.chunks.leaves()[index as usize])
        .map_err(UploadStop::Chunk)?;
    match behaviour {
        Behaviour::Honest | Behaviour::Offline => {}
        Behaviour::DropChunks { per_million } => {
            if drops(&deal.stored.id, index, per_million) {
                return Ok(());
            }
        }
        Behaviour::HashesOnly => {
            let m = &c.manifest;
            let first = index * m.segments_per_chunk();
            let leaves = bytes
                .chunks(crate::SEGMENT_SIZE)
                .zip(first..)
                .map(|(seg, s)| m.segment_leaf(s, seg))
                .collect();
            deal.only_hashes
                .lock()
                .expect("only_hashes lock")
                .insert(index, leaves);
            return Ok(());
        }
    }
    deal.stored
        .write_chunk(index, bytes)
        .map_err(UploadStop::Io)
}

/// Whether a [`Behaviour::DropChunks`] agent drops chunk `index` of `deal`.
pub fn drops(deal: &Hash, index: u64, per_million: u32) -> bool {
    let mut h = blake3::Hasher::new();
    h.update(&deal.0);
    h.update(&index.to_le_bytes());
    let x = u64::from_le_bytes(h.finalize().as_bytes()[..8].try_into().expect("8 bytes"));
    x % 1_000_000 < per_million as u64
}

async fn hashes(State(agent): State<Agent>, Path(deal): Path<String>) -> ApiResult {
    let deal = find(&agent, &deal)?;
    let leaves = deal.stored.commitment.chunks.leaves();
    let bytes: Vec<u8> = leaves.iter().flat_map(|h| h.0).collect();
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

/// The `x-plinth-path` header: the merkle path of a chunk, hex, hashes back to back.
pub const PATH_HEADER: &str = "x-plinth-path";

async fn get_chunk(
    State(agent): State<Agent>,
    Path((deal, index)): Path<(String, u64)>,
) -> ApiResult {
    let deal = find(&agent, &deal)?;
    let Some(path) = deal.stored.commitment.chunks.prove(index) else {
        return Err(error(
            StatusCode::NOT_FOUND,
            "bad_index",
            format!("chunk {index} is out of range"),
        ));
    };
    if !deal.stored.has(index) {
        return Err(error(
            StatusCode::NOT_FOUND,
            "chunk_missing",
            format!("chunk {index} has not been uploaded"),
        ));
    }
    let d = deal.clone();
    let bytes = blocking(move || d.stored.read_chunk(index))
        .await?
        .map_err(internal)?;
    let hex_path: String = path.iter().map(|h| h.to_hex()).collect();
    let mut resp = ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response();
    resp.headers_mut().insert(
        PATH_HEADER,
        HeaderValue::from_str(&hex_path).expect("hex is a valid header value"),
    );
    Ok(resp)
}

async fn data(State(agent): State<Agent>, Path(deal): Path<String>) -> ApiResult {
    let deal = find(&agent, &deal)?;
    let status = deal.status();
    if !status.complete {
        return Err(error(
            StatusCode::CONFLICT,
            "incomplete",
            format!("{} of {} chunks uploaded", status.stored, status.chunks),
        ));
    }
    let size = status.manifest.size;
    // A blocking reader feeds the body a few blocks ahead of the socket.
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        let mut offset = 0;
        while offset < size {
            let len = (size - offset).min(STREAM_BLOCK as u64) as usize;
            let mut buf = vec![0u8; len];
            let piece = deal
                .stored
                .read_at(offset, &mut buf)
                .map(|()| Bytes::from(buf));
            let failed = piece.is_err();
            if tx.blocking_send(piece).is_err() || failed {
                return;
            }
            offset += len as u64;
        }
    });
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async {
        rx.recv().await.map(|piece| (piece, rx))
    }));
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        ),
        (header::CONTENT_LENGTH, HeaderValue::from(size)),
    ];
    Ok((headers, body).into_response())
}

async fn prove(
    State(agent): State<Agent>,
    Path(deal): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let deal = find(&agent, &deal)?;
    let body = body.map_err(|r| error(r.status(), "bad_body", r.body_text()))?;
    let challenge = StorageChallenge::decode(&body)
        .map_err(|e| error(StatusCode::BAD_REQUEST, "bad_challenge", e.to_string()))?;
    if challenge.deal != deal.stored.id {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "bad_challenge",
            format!("the challenge is for deal {}", challenge.deal),
        ));
    }
    let behaviour = agent.behaviour();
    let proof = blocking(move || answer(&deal, behaviour, &challenge)).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream")],
        proof.encode(),
    )
        .into_response())
}

/// Most challenges one `POST /v1/prove` may carry.
pub const MAX_BATCH_CHALLENGES: usize = 64;
/// The longest batch of challenges.
pub const MAX_BATCH_BYTES: usize = 4 + MAX_BATCH_CHALLENGES * MAX_CHALLENGE_BYTES;
/// The longest answer to a batch: a proof or nothing for each challenge.
pub const MAX_BATCH_ANSWER_BYTES: usize = 4 + MAX_BATCH_CHALLENGES * (1 + MAX_PROOF_BYTES);

/// `POST /v1/prove`: many deals' challenges in one request (borsh
/// `Vec<StorageChallenge>`, at most [`MAX_BATCH_CHALLENGES`]), answered in order
/// with a proof, or nothing for a deal the agent does not hold (borsh
/// `Vec<Option<StorageProof>>`). The oracle challenges a provider's deals this way:
/// one request per batch, not one per deal.
async fn prove_batch(State(agent): State<Agent>, body: Result<Bytes, BytesRejection>) -> ApiResult {
    let body = body.map_err(|r| error(r.status(), "bad_body", r.body_text()))?;
    let challenges: Vec<StorageChallenge> = plinth_core::decode(&body, MAX_BATCH_BYTES)
        .map_err(|e| error(StatusCode::BAD_REQUEST, "bad_challenge", e.to_string()))?;
    if challenges.len() > MAX_BATCH_CHALLENGES {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "too_many_challenges",
            format!(
                "{} challenges, at most {MAX_BATCH_CHALLENGES} per request",
                challenges.len()
            ),
        ));
    }
    if let Some(c) = challenges
        .iter()
        .find(|c| c.indices.len() > crate::MAX_CHALLENGE_ITEMS)
    {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "bad_challenge",
            format!(
                "the challenge to deal {} names {} segments, at most {}",
                c.deal,
                c.indices.len(),
                crate::MAX_CHALLENGE_ITEMS
            ),
        ));
    }
    let behaviour = agent.behaviour();
    let answers: Vec<Option<StorageProof>> = blocking(move || {
        challenges
            .iter()
            .map(|c| agent.inner.deal(&c.deal).map(|d| answer(&d, behaviour, c)))
            .collect()
    })
    .await?;
    Ok((
        [(header::CONTENT_TYPE, "application/octet-stream")],
        plinth_core::encode(&answers),
    )
        .into_response())
}

/// Answers a challenge from what the agent has: each stored chunk is read, checked
/// against its hash, and proven; a segment whose chunk is missing or damaged gets no
/// item. A [`Behaviour::HashesOnly`] agent answers from its leaves instead.
fn answer(deal: &Deal, behaviour: Behaviour, challenge: &StorageChallenge) -> StorageProof {
    let c = &deal.stored.commitment;
    let m = &c.manifest;
    let mut items = Vec::with_capacity(challenge.indices.len());
    let mut cached: Option<(u64, Vec<u8>)> = None;
    for &index in &challenge.indices {
        if index >= m.segment_count() {
            continue;
        }
        let chunk = index / m.segments_per_chunk();
        if !deal.stored.has(chunk) {
            continue;
        }
        if behaviour == Behaviour::HashesOnly {
            if let Some(item) = bluff(deal, chunk, index) {
                items.push(item);
                continue;
            }
        }
        if cached.as_ref().is_none_or(|(i, _)| *i != chunk) {
            let bytes = match deal.stored.read_chunk(chunk) {
                Ok(b) => b,
                Err(e) => {
                    tracing::error!("deal {}: reading chunk {chunk}: {e}", deal.stored.id);
                    continue;
                }
            };
            if m.chunk_hash(chunk, &bytes) != c.chunks.leaves()[chunk as usize] {
                tracing::warn!(
                    "deal {}: chunk {chunk} on disk does not match its hash",
                    deal.stored.id
                );
                continue;
            }
            cached = Some((chunk, bytes));
        }
        let (_, bytes) = cached.as_ref().expect("just read");
        items.extend(prove_segment(m, &c.chunks, bytes, index));
    }
    StorageProof {
        deal: challenge.deal,
        epoch: challenge.epoch,
        items,
    }
}

/// A [`Behaviour::HashesOnly`] answer: right leaf, right path, zeroed bytes.
fn bluff(deal: &Deal, chunk: u64, index: u64) -> Option<ProofItem> {
    let c = &deal.stored.commitment;
    let m = &c.manifest;
    let leaves = deal
        .only_hashes
        .lock()
        .expect("only_hashes lock")
        .get(&chunk)?
        .clone();
    let within = index % m.segments_per_chunk();
    let leaf = leaves[within as usize];
    let mut path = MerkleTree::new(leaves)?.prove(within)?;
    path.extend(c.chunks.prove(chunk)?);
    Some(ProofItem {
        index,
        leaf,
        segment: vec![0; m.segment_len(index)],
        path,
    })
}
