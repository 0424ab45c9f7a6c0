//! Asking storage providers for proofs: challenges grouped by provider, batches
//! of providers at once, each with a deadline no provider can stretch, and only
//! public addresses unless the genesis allows private ones.

use plinth_core::Hash;
use plinth_proofs::storage::RoundAnswer;
use plinth_storage::agent::MAX_BATCH_CHALLENGES;
use plinth_storage::client::StorageClient;
use plinth_storage::StorageChallenge;
use std::time::{Duration, Instant};

/// Providers challenged at once, by default
/// ([`crate::OracleConfig::storage_providers_at_once`]).
pub const PROVIDERS_AT_ONCE: usize = 64;
/// Requests in flight to one provider.
pub const REQUESTS_PER_PROVIDER: usize = 4;

/// A deal's id and its challenge.
pub type Job = (Hash, StorageChallenge);

/// Challenges providers — `(endpoint, its deals' challenges)`, one group per
/// provider — `at_once` providers at a time; every provider of such a batch has
/// `timeout` from the batch's start for all its challenges. Returns an answer for
/// every challenge (in no particular order).
pub fn ask_providers(
    groups: &[(Option<String>, Vec<Job>)],
    timeout: Duration,
    at_once: usize,
) -> Vec<RoundAnswer> {
    ask_providers_checked(groups, timeout, at_once, true)
}

/// [`ask_providers`], connecting only to public addresses unless
/// `allow_private` (the genesis's `storage.allow_private_endpoints`): each
/// endpoint's host is resolved when connecting and only its public addresses
/// are used (an endpoint with none is answered `private_address`), so a name
/// cannot be made to point into a private network after it was checked.
pub fn ask_providers_checked(
    groups: &[(Option<String>, Vec<Job>)],
    timeout: Duration,
    at_once: usize,
    allow_private: bool,
) -> Vec<RoundAnswer> {
    let mut answers = Vec::with_capacity(groups.iter().map(|(_, j)| j.len()).sum());
    for batch in groups.chunks(at_once.max(1)) {
        // Every provider of the batch has `timeout` from the batch's start for all
        // its challenges: one thread per provider, a few requests at a time,
        // nothing sent after the deadline. So a round takes at most the timeout
        // per batch, whatever the number of deals or how agents misbehave.
        let deadline = Instant::now() + timeout;
        let got: Vec<Vec<RoundAnswer>> = std::thread::scope(|s| {
            let handles: Vec<_> = batch
                .iter()
                .map(|(endpoint, jobs)| {
                    s.spawn(move || {
                        ask_provider(endpoint.as_deref(), jobs, deadline, allow_private)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("challenge thread"))
                .collect()
        });
        answers.extend(got.into_iter().flatten());
    }
    answers
}

/// Challenges one provider's agent with its deals' challenges, in batches of
/// [`MAX_BATCH_CHALLENGES`] per request (`POST /v1/prove`), [`REQUESTS_PER_PROVIDER`]
/// requests at a time, until `deadline`: a missing endpoint, a refusal, a timeout
/// or the deadline is recorded as the reason there is no proof.
fn ask_provider(
    endpoint: Option<&str>,
    jobs: &[Job],
    deadline: Instant,
    allow_private: bool,
) -> Vec<RoundAnswer> {
    let unanswered = |deal: Hash, why: &str| RoundAnswer {
        deal,
        proof: None,
        error: Some(why.to_string()),
    };
    let Some(endpoint) = endpoint else {
        return jobs
            .iter()
            .map(|(d, _)| unanswered(*d, "the provider has no storage offer"))
            .collect();
    };
    let batches: Vec<&[Job]> = jobs.chunks(MAX_BATCH_CHALLENGES).collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let out = std::sync::Mutex::new(Vec::with_capacity(jobs.len()));
    std::thread::scope(|s| {
        for _ in 0..REQUESTS_PER_PROVIDER.min(batches.len()) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(batch) = batches.get(i) else {
                    return;
                };
                let left = deadline.saturating_duration_since(Instant::now());
                let answers: Vec<RoundAnswer> = if left.is_zero() {
                    batch
                        .iter()
                        .map(|(d, _)| unanswered(*d, "no answer before the round's deadline"))
                        .collect()
                } else {
                    let challenges: Vec<StorageChallenge> =
                        batch.iter().map(|(_, c)| c.clone()).collect();
                    let client = StorageClient::with_resolver(
                        endpoint,
                        left,
                        PublicResolver { allow_private },
                    );
                    match client.prove_batch(&challenges) {
                        Ok(proofs) => batch
                            .iter()
                            .zip(proofs)
                            .map(|((deal, _), proof)| match proof {
                                Some(p) => RoundAnswer {
                                    deal: *deal,
                                    proof: Some(p.encode()),
                                    error: None,
                                },
                                None => unanswered(*deal, "the agent does not hold this deal"),
                            })
                            .collect(),
                        Err(e) => {
                            // A short code only: nothing the provider wrote is
                            // copied into the spool.
                            let why = failure_code(&e);
                            batch.iter().map(|(d, _)| unanswered(*d, &why)).collect()
                        }
                    }
                };
                out.lock().expect("answers lock").extend(answers);
            });
        }
    });
    out.into_inner().expect("answers lock")
}

/// What a resolver says when an endpoint resolves to no public address.
const PRIVATE_ADDRESS: &str = "private_address";

/// Resolves an agent's host, keeping only public addresses unless
/// `allow_private`.
struct PublicResolver {
    allow_private: bool,
}

impl ureq::Resolver for PublicResolver {
    fn resolve(&self, netloc: &str) -> std::io::Result<Vec<std::net::SocketAddr>> {
        use std::net::ToSocketAddrs;
        let all: Vec<std::net::SocketAddr> = netloc.to_socket_addrs()?.collect();
        if self.allow_private {
            return Ok(all);
        }
        let public: Vec<_> = all
            .into_iter()
            .filter(|a| plinth_ledger::storage::is_public_ip(a.ip()))
            .collect();
        if public.is_empty() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                PRIVATE_ADDRESS,
            ));
        }
        Ok(public)
    }
}

/// The short code recorded for a failed challenge request (never the provider's
/// own words).
pub fn failure_code(e: &plinth_storage::client::ClientError) -> String {
    use plinth_storage::client::ClientError as E;
    match e {
        E::Refused { status, .. } => format!("refused_{status}"),
        E::Transport(t) => {
            let text = t.to_string();
            if text.contains(PRIVATE_ADDRESS) {
                PRIVATE_ADDRESS.into()
            } else if text.to_ascii_lowercase().contains("timed out") {
                "timeout".into()
            } else {
                "unreachable".into()
            }
        }
        E::Read(_) => "read_failed".into(),
        _ => "bad_answer".into(),
    }
}
