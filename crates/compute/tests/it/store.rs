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
