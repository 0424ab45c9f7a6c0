//! The agent's store survives a crash in the middle of a write: claims and
//! outputs are written to a temporary file, fsynced and renamed, so what a
//! restarted agent reads is the last whole write, never a torn one.

use plinth_compute::agent::{AgentStore, HeldClaim};
use plinth_core::Hash;

fn held(n: u8, results: usize) -> HeldClaim {
    HeldClaim {
        id: Hash::tagged("test-claim", &[n]),
        job: Hash::tagged("test-job", &[n]),
        tasks: vec![u32::from(n), u32::from(n) + 1],
        results: (0..results)
            .map(|i| Hash::tagged("test-result", &[n, i as u8]))
            .collect(),
        reveal_refused: false,
    }
}

/// What a crash leaves when it strikes while `claims.json` is being replaced:
/// the new file half written under its temporary name.
fn torn_write(dir: &std::path::Path, claims: &[HeldClaim]) {
    let whole = serde_json::to_vec_pretty(claims).unwrap();
    std::fs::write(dir.join("claims.tmp"), &whole[..whole.len() / 2]).unwrap();
}

#[test]
fn a_torn_claims_write_leaves_the_last_whole_one() {
    let dir = tempfile::tempdir().unwrap();
    let before = vec![held(1, 0), held(2, 2)];
    {
        let store = AgentStore::open(dir.path()).unwrap();
        assert_eq!(store.claims().unwrap(), Vec::<HeldClaim>::new());
        store.save_claims(&before).unwrap();
    }
    assert!(
        !dir.path().join("claims.tmp").exists(),
        "a finished write leaves no temporary file"
    );

    // The agent crashes while recording the results of claim 1.
    let after = vec![held(1, 2), held(2, 2)];
    torn_write(dir.path(), &after);

    // Restarted: it reads the last whole write, not the torn one.
    let store = AgentStore::open(dir.path()).unwrap();
    assert_eq!(store.claims().unwrap(), before);
    // Its next write replaces the leftover and is read back whole.
    store.save_claims(&after).unwrap();
    assert_eq!(store.claims().unwrap(), after);
    assert!(!dir.path().join("claims.tmp").exists());
    assert_eq!(
        AgentStore::open(dir.path()).unwrap().claims().unwrap(),
        after
    );
}

#[test]
fn a_torn_output_write_is_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let store = AgentStore::open(dir.path()).unwrap();
    let job = Hash::tagged("test-job", b"x");
    store.put_output(&job, 0, b"tile 0").unwrap();
    // A crash while task 1's output was written (task 0's is whole) …
    let task_dir = dir.path().join("results").join(job.to_string());
    std::fs::write(task_dir.join("1.tmp"), b"til").unwrap();
    // … and while task 0's was rewritten.
    std::fs::write(task_dir.join("0.tmp"), b"ti").unwrap();
    let store = AgentStore::open(dir.path()).unwrap();
    assert_eq!(
        store.output(&job, 0).unwrap().as_deref(),
        Some(&b"tile 0"[..])
    );
    assert_eq!(store.output(&job, 1).unwrap(), None, "task 1 is run again");
    store.put_output(&job, 1, b"tile 1").unwrap();
    assert_eq!(
        store.output(&job, 1).unwrap().as_deref(),
        Some(&b"tile 1"[..])
    );
    assert!(!task_dir.join("1.tmp").exists());
}

/// An agent started over a store a crash left behind shows the claims of the last
/// whole write (what its loop goes on with).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_agent_goes_on_with_the_last_whole_claims() {
    use plinth_compute::{Agent, AgentConfig, Behaviour};
    let dir = tempfile::tempdir().unwrap();
    let before = vec![held(7, 2)];
    AgentStore::open(dir.path())
        .unwrap()
        .save_claims(&before)
        .unwrap();
    torn_write(dir.path(), &[held(7, 2), held(8, 0)]);
    let config = AgentConfig {
        network: "gpu".into(),
        device: plinth_core::DeviceId(plinth_core::Keypair::from_seed([9; 32]).public()),
        data_dir: dir.path().to_path_buf(),
        behaviour: Behaviour::Honest,
        tasks_per_claim: 1,
        poll: std::time::Duration::from_secs(3600),
    };
    let agent = Agent::new(config, std::sync::Arc::new(crate::api::NoJobs)).unwrap();
    assert_eq!(agent.status().claims, before);
}

/// A ledger holding one job's claims: the second is this agent's, taken just
/// before it crashed (`claims.json` never heard of it). Everything else fails.
struct TwoClaims {
    job: Hash,
    mine: plinth_core::DeviceId,
}

impl TwoClaims {
    fn claim_n(&self, n: u32) -> plinth_ledger::compute::TaskClaim {
        let other = plinth_core::DeviceId(plinth_core::Keypair::from_seed([3; 32]).public());
        plinth_ledger::compute::TaskClaim {
            id: plinth_ledger::compute::claim_id(&self.job, n),
            job: self.job,
            provider: if n == 1 { self.mine } else { other },
            tasks: vec![2 * n, 2 * n + 1],
            collateral: 10,
            claimed_height: 5,
            commit_deadline: 35,
            commitments: Vec::new(),
            committed_height: 0,
            results: Vec::new(),
            revealed_height: 0,
            status: plinth_ledger::compute::ClaimStatus::Claimed,
        }
    }
}

impl plinth_compute::ComputeLedger for TwoClaims {
    fn height(&self) -> anyhow::Result<u64> {
        Ok(6)
    }
    fn params(&self) -> anyhow::Result<plinth_ledger::compute::ComputeParams> {
        Ok(Default::default())
    }
    fn open_jobs(&self, _: &str) -> anyhow::Result<Vec<plinth_ledger::compute::Job>> {
        Ok(Vec::new())
    }
    fn job(&self, _: &Hash) -> anyhow::Result<Option<plinth_ledger::compute::Job>> {
        anyhow::bail!("not in this test")
    }
    fn claim(&self, id: &Hash) -> anyhow::Result<Option<plinth_ledger::compute::TaskClaim>> {
        Ok((0..2).map(|n| self.claim_n(n)).find(|c| c.id == *id))
    }
    fn task_slot(&self, _: &Hash, _: u32) -> anyhow::Result<plinth_ledger::compute::TaskSlot> {
        anyhow::bail!("not in this test")
    }
    fn offer(
        &self,
        _: &plinth_core::DeviceId,
    ) -> anyhow::Result<Option<plinth_ledger::compute::ComputeOffer>> {
        Ok(None)
    }
    fn module_bytes(&self, _: &Hash) -> anyhow::Result<Option<Vec<u8>>> {
        anyhow::bail!("not in this test")
    }
    fn job_input(&self, _: &Hash) -> anyhow::Result<Vec<u8>> {
        anyhow::bail!("not in this test")
    }
    fn send(&self, call: plinth_ledger::Call) -> anyhow::Result<plinth_compute::ledger::Sent> {
        anyhow::bail!("not in this test ({call:?})")
    }
    fn account(&self) -> plinth_core::Address {
        plinth_core::Address(plinth_core::Keypair::from_seed([1; 32]).public())
    }
}

/// Killed after its `ClaimTasks` landed but before it recorded the claim, the
/// agent finds the claim from what it wrote down before sending (`claiming.json`:
/// the job and its claim count), records it and goes on with it; the intent is
/// then cleared. Without the intent, the claim would sit unclaimed by anyone
/// until someone else finalized it.
#[test]
fn a_claim_taken_but_not_recorded_before_a_crash_is_recovered() {
    use plinth_compute::agent::Claiming;
    use plinth_compute::{Agent, AgentConfig, Behaviour};
    let dir = tempfile::tempdir().unwrap();
    let mine = plinth_core::DeviceId(plinth_core::Keypair::from_seed([9; 32]).public());
    let job = Hash::of(b"job");
    let store = AgentStore::open(dir.path()).unwrap();
    store
        .set_claiming(Some(&Claiming { job, from: 0 }))
        .unwrap();
    let config = AgentConfig {
        network: "gpu".into(),
        device: mine,
        data_dir: dir.path().to_path_buf(),
        behaviour: Behaviour::Honest,
        tasks_per_claim: 2,
        poll: std::time::Duration::from_secs(3600),
    };
    let ledger = std::sync::Arc::new(TwoClaims { job, mine });
    let agent = Agent::new(config, ledger.clone()).unwrap();
    // Going on with it (running its tasks) fails here: the ledger has no module.
    assert!(agent.step().is_err());
    let claims = store.claims().unwrap();
    assert_eq!(claims.len(), 1, "{claims:?}");
    assert_eq!(claims[0].id, ledger.claim_n(1).id);
    assert_eq!(claims[0].tasks, vec![2, 3]);
    assert_eq!(store.claiming().unwrap(), None);
    // A second step does not take it twice.
    let _ = agent.step();
    assert_eq!(store.claims().unwrap().len(), 1);
}
