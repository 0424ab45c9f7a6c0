//! The storage client: put a file to a provider's agent, get it back checked chunk by
//! chunk against its root, fetch single chunks, and challenge the agent.
//!
//! Blocking (ureq), with bounded memory: one chunk buffer per transfer plus the
//! chunk hash list (at most 8 MiB).

use crate::agent::{ChunksStored, DealStatus, OpenDeal, PATH_HEADER};
use crate::challenge::StorageChallenge;
use crate::manifest::{read_full, ChunkError, CommitError, Commitment, HashListError, Manifest};
use crate::proof::{StorageProof, MAX_PROOF_BYTES};
use plinth_core::{CodecError, Hash};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Bytes uploaded per request at most: each request ends with the agent's fsync, so
/// this bounds what a failed request loses.
const UPLOAD_REQUEST_BYTES: u64 = 64 * 1024 * 1024;
/// Parallel upload requests.
const UPLOAD_STREAMS: u64 = 2;
/// The longest JSON answer read from an agent.
const MAX_JSON_BYTES: u64 = 1 << 20;

/// Why a client call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// The file cannot be committed to (see [`CommitError`]).
    #[error(transparent)]
    Commit(#[from] CommitError),
    /// The agent answered with an error.
    #[error("the agent refused ({status} {code}): {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The agent's error code.
        code: String,
        /// The agent's explanation.
        message: String,
    },
    /// The agent could not be reached.
    #[error("reaching the agent: {0}")]
    Transport(#[source] Box<ureq::Transport>),
    /// The agent's answer could not be read.
    #[error("reading the agent's answer: {0}")]
    Read(#[source] std::io::Error),
    /// The agent's answer is not what the API says.
    #[error("the agent's answer is malformed: {0}")]
    Malformed(String),
    /// The agent holds the deal with another root or size.
    #[error("the agent holds deal {deal} as root {got_root} of {got_size} bytes, not root {root} of {size} bytes")]
    WrongDeal {
        /// The deal.
        deal: Hash,
        /// The deal's root.
        root: Hash,
        /// The deal's size, bytes.
        size: u64,
        /// The root the agent holds.
        got_root: Hash,
        /// The size the agent holds.
        got_size: u64,
    },
    /// The agent's chunk hashes do not belong to the deal.
    #[error("the agent's chunk hashes do not belong to the deal: {0}")]
    HashList(#[from] HashListError),
    /// A chunk the agent sent fails its check.
    #[error("the agent sent a bad chunk: {0}")]
    BadChunk(#[from] ChunkError),
    /// The agent's proof does not decode.
    #[error("the agent's proof does not decode: {0}")]
    Proof(#[from] CodecError),
}

impl ClientError {
    /// Whether the agent answered with an HTTP error (rather than not answering, or
    /// answering wrongly).
    pub fn is_refused(&self) -> bool {
        matches!(self, ClientError::Refused { .. })
    }

    /// The index of the chunk that failed its check, if that is the failure.
    pub fn bad_chunk(&self) -> Option<u64> {
        match self {
            ClientError::BadChunk(
                ChunkError::Mismatch { index }
                | ChunkError::WrongLength { index, .. }
                | ChunkError::OutOfRange { index, .. },
            ) => Some(*index),
            _ => None,
        }
    }
}

impl From<ureq::Error> for ClientError {
    fn from(e: ureq::Error) -> ClientError {
        match e {
            ureq::Error::Status(status, resp) => {
                let body = read_limited(resp.into_reader(), MAX_JSON_BYTES).unwrap_or_default();
                let parsed: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
                let field = |name: &str| {
                    parsed
                        .as_ref()
                        .and_then(|v| v["error"][name].as_str())
                        .map(str::to_string)
                };
                ClientError::Refused {
                    status,
                    code: field("code").unwrap_or_default(),
                    message: field("message")
                        .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned()),
                }
            }
            ureq::Error::Transport(t) => ClientError::Transport(Box::new(t)),
        }
    }
}

fn read_limited(reader: impl Read, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    reader.take(limit + 1).read_to_end(&mut out)?;
    if out.len() as u64 > limit {
        return Err(std::io::Error::other(format!(
            "the answer is over {limit} bytes"
        )));
    }
    Ok(out)
}

fn file_err(path: &Path) -> impl FnOnce(std::io::Error) -> ClientError + '_ {
    move |source| ClientError::File {
        path: path.to_path_buf(),
        source,
    }
}

/// A client of one agent, reusing its connections.
#[derive(Clone)]
pub struct StorageClient {
    base: String,
    http: ureq::Agent,
}

/// An agent builder whose `https://` agents trust the web roots and the CAs
/// added with [`plinth_tls::add_ca_file`].
fn agent_builder() -> ureq::AgentBuilder {
    ureq::AgentBuilder::new().tls_config(plinth_tls::client_config())
}

impl StorageClient {
    /// A client of the agent at `agent_url` (`http://host:port`), with a 10 s
    /// connect and 60 s read and write timeout.
    pub fn new(agent_url: &str) -> StorageClient {
        StorageClient::with_timeout(agent_url, Duration::from_secs(60))
    }

    /// A client whose every read and write must progress within `timeout` (the
    /// deadline of a challenge, say).
    pub fn with_timeout(agent_url: &str, timeout: Duration) -> StorageClient {
        StorageClient {
            base: agent_url.trim_end_matches('/').to_string(),
            http: agent_builder()
                .timeout_connect(timeout.min(Duration::from_secs(10)))
                .timeout_read(timeout)
                .timeout_write(timeout)
                .build(),
        }
    }

    /// [`StorageClient::with_deadline`] connecting only to the addresses
    /// `resolver` gives for the agent's host (so a name checked there cannot
    /// resolve to something else when connecting).
    pub fn with_resolver(
        agent_url: &str,
        total: Duration,
        resolver: impl ureq::Resolver + 'static,
    ) -> StorageClient {
        StorageClient {
            base: agent_url.trim_end_matches('/').to_string(),
            http: agent_builder()
                .timeout(total)
                .resolver(resolver)
                .redirects(0)
                .build(),
        }
    }

    /// A client whose every request must complete within `total` (connecting,
    /// sending and reading the whole answer): for a challenge's deadline, which an
    /// agent sending its answer a byte at a time must not stretch.
    pub fn with_deadline(agent_url: &str, total: Duration) -> StorageClient {
        StorageClient {
            base: agent_url.trim_end_matches('/').to_string(),
            http: agent_builder().timeout(total).build(),
        }
    }

    fn url(&self, deal: &Hash, rest: &str) -> String {
        format!("{}/v1/deals/{}{}", self.base, deal.to_hex(), rest)
    }

    fn json<T: serde::de::DeserializeOwned>(resp: ureq::Response) -> Result<T, ClientError> {
        let body = read_limited(resp.into_reader(), MAX_JSON_BYTES).map_err(ClientError::Read)?;
        serde_json::from_slice(&body).map_err(|e| ClientError::Malformed(e.to_string()))
    }

    /// Chunks `file`, opens `deal` on the agent with its manifest and hashes, and
    /// uploads it. Returns the manifest (what the ledger's deal commits to).
    pub fn put(&self, deal: &Hash, file: &Path, chunk_size: u32) -> Result<Manifest, ClientError> {
        let commitment = commit_file(file, chunk_size)?;
        self.open_deal(deal, &commitment)?;
        self.upload(deal, &commitment, file)?;
        Ok(commitment.manifest)
    }

    /// Opens `deal` on the agent (idempotent for the same commitment).
    pub fn open_deal(
        &self,
        deal: &Hash,
        commitment: &Commitment,
    ) -> Result<DealStatus, ClientError> {
        let body = plinth_core::encode(&OpenDeal {
            manifest: commitment.manifest,
            chunk_hashes: commitment.chunks.leaves().to_vec(),
        });
        let resp = self
            .http
            .put(&self.url(deal, ""))
            .set("content-type", "application/octet-stream")
            .send_bytes(&body)?;
        Self::json(resp)
    }

    /// Uploads every chunk of `file` (which must still be the committed file), in
    /// `UPLOAD_STREAMS` (2) parallel runs of requests.
    pub fn upload(
        &self,
        deal: &Hash,
        commitment: &Commitment,
        file: &Path,
    ) -> Result<DealStatus, ClientError> {
        let m = commitment.manifest;
        let count = m.chunk_count();
        let per_request = (UPLOAD_REQUEST_BYTES / m.chunk_size as u64).max(1);
        let streams = UPLOAD_STREAMS.min(count);
        let per_stream = count.div_ceil(streams);
        std::thread::scope(|s| {
            let runs: Vec<_> = (0..streams)
                .map(|k| {
                    let (start, end) = (k * per_stream, ((k + 1) * per_stream).min(count));
                    s.spawn(move || -> Result<(), ClientError> {
                        let mut f = File::open(file).map_err(file_err(file))?;
                        let mut from = start;
                        while from < end {
                            let to = (from + per_request).min(end);
                            self.upload_run(deal, &m, &mut f, file, from, to)?;
                            from = to;
                        }
                        Ok(())
                    })
                })
                .collect();
            runs.into_iter()
                .try_for_each(|r| r.join().expect("upload thread panicked"))
        })?;
        self.status(deal)
    }

    fn upload_run(
        &self,
        deal: &Hash,
        m: &Manifest,
        f: &mut File,
        path: &Path,
        from: u64,
        to: u64,
    ) -> Result<(), ClientError> {
        let start = m.chunk_offset(from);
        let len = m.chunk_offset(to).min(m.size) - start;
        f.seek(SeekFrom::Start(start)).map_err(file_err(path))?;
        let resp = self
            .http
            .put(&self.url(deal, &format!("/chunks/{from}")))
            .set("content-type", "application/octet-stream")
            .set("content-length", &len.to_string())
            .send((&mut *f).take(len))?;
        let stored: ChunksStored = Self::json(resp)?;
        if (stored.from, stored.to) != (from, to) {
            return Err(ClientError::Malformed(format!(
                "sent chunks {from}..{to}, the agent stored {}..{}",
                stored.from, stored.to
            )));
        }
        Ok(())
    }

    /// Sends many deals' challenges in one request (at most
    /// [`crate::agent::MAX_BATCH_CHALLENGES`]) and returns the agent's answers in
    /// order: a proof, or `None` for a deal it does not hold. Checking the proofs is
    /// [`crate::verify_proofs`]' job.
    pub fn prove_batch(
        &self,
        challenges: &[StorageChallenge],
    ) -> Result<Vec<Option<StorageProof>>, ClientError> {
        use crate::agent::{MAX_BATCH_ANSWER_BYTES, MAX_BATCH_CHALLENGES};
        if challenges.len() > MAX_BATCH_CHALLENGES {
            return Err(ClientError::Malformed(format!(
                "{} challenges in one request, at most {MAX_BATCH_CHALLENGES}",
                challenges.len()
            )));
        }
        let resp = self
            .http
            .post(&format!("{}/v1/prove", self.base))
            .set("content-type", "application/octet-stream")
            .send_bytes(&plinth_core::encode(&challenges.to_vec()))?;
        let body = read_limited(resp.into_reader(), MAX_BATCH_ANSWER_BYTES as u64)
            .map_err(ClientError::Read)?;
        let answers: Vec<Option<StorageProof>> =
            plinth_core::decode(&body, MAX_BATCH_ANSWER_BYTES)?;
        if answers.len() != challenges.len() {
            return Err(ClientError::Malformed(format!(
                "{} answers to {} challenges",
                answers.len(),
                challenges.len()
            )));
        }
        Ok(answers)
    }

    /// The agent's receipt for `deal` (it holds every chunk), checked to be the
    /// signature of `provider` over `chain` (the chain's identity), the deal and
    /// `manifest`.
    pub fn receipt(
        &self,
        chain: &Hash,
        deal: &Hash,
        manifest: &Manifest,
        provider: &plinth_core::DeviceId,
    ) -> Result<plinth_core::Signature, ClientError> {
        let r: crate::agent::Receipt =
            Self::json(self.http.get(&self.url(deal, "/receipt")).call()?)?;
        if r.chain != *chain {
            return Err(ClientError::Malformed(format!(
                "the agent signs receipts for chain {}, not this chain {chain}: it serves another chain",
                r.chain
            )));
        }
        if r.deal != *deal
            || r.device != *provider
            || provider
                .key()
                .verify(&crate::receipt_message(chain, deal, manifest), &r.signature)
                .is_err()
        {
            return Err(ClientError::Malformed(format!(
                "the agent's receipt for deal {deal} is not the provider's signature over it"
            )));
        }
        Ok(r.signature)
    }

    /// What the agent holds of `deal`.
    pub fn status(&self, deal: &Hash) -> Result<DealStatus, ClientError> {
        Self::json(self.http.get(&self.url(deal, "")).call()?)
    }

    /// Downloads `deal` into `out`, checking every chunk against `root` as it
    /// arrives; the file appears at `out` only once all of it checked out. The chunk
    /// size comes from the agent: the root does not depend on it, so a lying agent
    /// gains nothing by it.
    pub fn get(
        &self,
        deal: &Hash,
        root: &Hash,
        size: u64,
        out: &Path,
    ) -> Result<Manifest, ClientError> {
        let status = self.status(deal)?;
        let m = status.manifest;
        if m.root != *root || m.size != size || status.deal != *deal {
            return Err(ClientError::WrongDeal {
                deal: *deal,
                root: *root,
                size,
                got_root: m.root,
                got_size: m.size,
            });
        }
        m.check()
            .map_err(|e| ClientError::Malformed(e.to_string()))?;
        let commitment = self.chunk_hashes(deal, &m)?;
        let part = part_path(out);
        let result = self.download(deal, &commitment, &part);
        match result {
            Ok(()) => {
                std::fs::rename(&part, out).map_err(file_err(out))?;
                Ok(m)
            }
            Err(e) => {
                let _ = std::fs::remove_file(&part);
                Err(e)
            }
        }
    }

    /// The deal's chunk hash list, checked against `m`.
    pub fn chunk_hashes(&self, deal: &Hash, m: &Manifest) -> Result<Commitment, ClientError> {
        let resp = self.http.get(&self.url(deal, "/hashes")).call()?;
        let raw =
            read_limited(resp.into_reader(), m.chunk_count() * 32).map_err(ClientError::Read)?;
        if raw.len() % 32 != 0 {
            return Err(ClientError::Malformed(format!(
                "a hash list of {} bytes",
                raw.len()
            )));
        }
        let hashes = raw
            .chunks_exact(32)
            .map(|h| Hash(h.try_into().expect("32 bytes")))
            .collect();
        Ok(Commitment::from_hashes(*m, hashes)?)
    }

    fn download(&self, deal: &Hash, c: &Commitment, part: &Path) -> Result<(), ClientError> {
        let m = c.manifest;
        let resp = self.http.get(&self.url(deal, "/data")).call()?;
        let mut body = resp.into_reader();
        let mut out = File::create(part).map_err(file_err(part))?;
        let mut buf = vec![0u8; m.chunk_size as usize];
        for (index, expected) in c.chunks.leaves().iter().enumerate() {
            let index = index as u64;
            let len = m.chunk_len(index);
            let got = read_full(&mut body, &mut buf[..len]).map_err(ClientError::Read)?;
            m.check_chunk(index, &buf[..got], expected)?;
            out.write_all(&buf[..len]).map_err(file_err(part))?;
        }
        if read_full(&mut body, &mut [0u8; 1]).map_err(ClientError::Read)? != 0 {
            return Err(ClientError::Malformed(format!(
                "the agent sent more than the file's {} bytes",
                m.size
            )));
        }
        Ok(())
    }

    /// Fetches chunk `index` of `deal` with its merkle path and checks it against
    /// the manifest's root.
    pub fn get_chunk(&self, deal: &Hash, m: &Manifest, index: u64) -> Result<Vec<u8>, ClientError> {
        let resp = self
            .http
            .get(&self.url(deal, &format!("/chunks/{index}")))
            .call()?;
        let path = parse_path(resp.header(PATH_HEADER).unwrap_or(""))?;
        let bytes = read_limited(resp.into_reader(), m.chunk_len(index) as u64)
            .map_err(ClientError::Read)?;
        m.verify_chunk(index, &bytes, &path)?;
        Ok(bytes)
    }

    /// Sends `challenge` to the agent and returns its answer, decoded within
    /// [`MAX_PROOF_BYTES`]; checking it is [`crate::verify_proof`]'s job.
    pub fn prove(&self, challenge: &StorageChallenge) -> Result<StorageProof, ClientError> {
        let resp = self
            .http
            .post(&self.url(&challenge.deal, "/prove"))
            .set("content-type", "application/octet-stream")
            .send_bytes(&challenge.encode())?;
        let body =
            read_limited(resp.into_reader(), MAX_PROOF_BYTES as u64).map_err(ClientError::Read)?;
        Ok(StorageProof::decode(&body)?)
    }
}

fn parse_path(hex_path: &str) -> Result<Vec<Hash>, ClientError> {
    if !hex_path.len().is_multiple_of(64) || hex_path.len() > 64 * crate::tree::MAX_PATH_LEN {
        return Err(ClientError::Malformed(format!(
            "a path header of {} characters",
            hex_path.len()
        )));
    }
    (0..hex_path.len() / 64)
        .map(|i| {
            hex_path[i * 64..(i + 1) * 64]
                .parse()
                .map_err(|_| ClientError::Malformed("a path header that is not hex".into()))
        })
        .collect()
}

fn part_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    out.with_file_name(name)
}

/// Commits to the file at `path`, a chunk at a time.
pub fn commit_file(path: &Path, chunk_size: u32) -> Result<Commitment, ClientError> {
    let f = File::open(path).map_err(file_err(path))?;
    let size = f.metadata().map_err(file_err(path))?.len();
    Ok(Commitment::of_reader(f, size, chunk_size)?)
}

/// Puts `file` to the agent at `agent_url` as `deal`, in chunks of
/// [`crate::CHUNK_SIZE`]; returns its manifest.
pub fn put(agent_url: &str, deal: &Hash, file: &Path) -> Result<Manifest, ClientError> {
    StorageClient::new(agent_url).put(deal, file, crate::CHUNK_SIZE)
}

/// Gets `deal` (root `root`, `size` bytes) from the agent at `agent_url` into `out`,
/// every chunk checked against the root.
pub fn get(
    agent_url: &str,
    deal: &Hash,
    root: &Hash,
    size: u64,
    out: &Path,
) -> Result<Manifest, ClientError> {
    StorageClient::new(agent_url).get(deal, root, size, out)
}
