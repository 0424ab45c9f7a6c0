//! `plinth gov`: on a devnet with governance, accounts lock tokens (in blocks and
//! in days), propose actions from flags and from a JSON file, vote and change a
//! vote; `proposals`, `show` and `positions` print what the node's API says, and
//! the passed proposal's actions apply at the end of its vote.

use crate::common::*;
use plinth_ledger::governance::{Bounds, GovParams, ParamBounds};
use plinth_ledger::Genesis;
use std::path::Path;

/// The governance this test gives a devnet that has none: a short vote (40
/// blocks of 200 ms), locks of 10 to 1000 blocks (4× at the longest), a 100 PLN
/// deposit. The devnet's networks share all emission, so the treasury gets none.
fn governance() -> GovParams {
    let b = |min, max| Bounds { min, max };
    GovParams {
        min_lock_blocks: 10,
        max_lock_blocks: 1000,
        max_multiplier_bps: 40_000,
        min_deposit: 100_000_000,
        deposit_period_blocks: 100,
        voting_period_blocks: 40,
        quorum_bps: 3340,
        threshold_bps: 5000,
        veto_bps: 3340,
        max_description_bytes: 1000,
        max_actions: 8,
        max_active_proposals: 8,
        treasury_bps: 0,
        bounds: ParamBounds {
            credit_micro_usd: b(1, 1000),
            price_max_age_ms: b(1000, 3_600_000),
            storage_max_failures: b(1, 10),
            storage_max_deal_epochs: b(1, 1_000_000),
            storage_accept_epochs: b(1, 100),
            tail_per_epoch: b(0, 1_000_000_000),
        },
    }
}

/// Blocks a vote lasts at least here: 10 s of 200 ms blocks, time for the CLI
/// to vote, change a vote and read the proposal while it is open.
const MIN_VOTING_BLOCKS: u64 = 50;

/// A devnet whose genesis has governance: the devnet's own `[governance]`
/// section (its vote lengthened to [`MIN_VOTING_BLOCKS`]) when it writes one,
/// else [`governance`].
fn governed_devnet(dir: &Path) -> Devnet {
    let epoch = std::time::Duration::from_secs(30);
    assert!(plinth_devnet::devnet::init(dir, 5, 1, None, epoch).unwrap());
    let path = dir.join("genesis.toml");
    let mut genesis = Genesis::from_toml(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let gov = genesis.governance.get_or_insert_with(governance);
    gov.voting_period_blocks = gov.voting_period_blocks.max(MIN_VOTING_BLOCKS);
    std::fs::write(&path, genesis.to_toml()).unwrap();
    Devnet::start(dir, free_port())
}

/// The number after `what #` in `out`.
fn id_after(out: &str, what: &str) -> u64 {
    let tag = format!("{what} #");
    let at = out
        .find(&tag)
        .unwrap_or_else(|| panic!("no `{tag}` in: {out}"));
    out[at + tag.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

#[test]
fn lock_propose_vote_and_show_through_the_cli() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dn");
    let net = governed_devnet(&dir);
    let gov = net.get("/v1/gov");
    let params = &gov["params"];
    let (min_lock, max_lock) = (
        params["min_lock_blocks"].as_u64().unwrap(),
        params["max_lock_blocks"].as_u64().unwrap(),
    );
    let voting_blocks = params["voting_period_blocks"].as_u64().unwrap();
    let min_deposit = params["min_deposit"].as_u64().unwrap();
    let block_ms = net.get("/v1/status")["block_time_ms"].as_u64().unwrap();

    // Alice locks for the longest lock, in blocks; bob for 0.001 day, which the
    // CLI turns into blocks at the chain's block time (when that fits the
    // chain's bounds).
    let out = net.ok(&[
        "gov",
        "lock",
        "1000",
        "--blocks",
        &max_lock.to_string(),
        "--from",
        "alice",
    ]);
    let alice_position = id_after(&out, "position");
    let days_blocks = 86_400 / block_ms; // 0.001 day
    let bob_lock = if (min_lock..=max_lock).contains(&days_blocks) {
        net.ok(&["gov", "lock", "500", "--days", "0.001", "--from", "bob"]);
        days_blocks
    } else {
        net.ok(&[
            "gov",
            "lock",
            "500",
            "--blocks",
            &min_lock.to_string(),
            "--from",
            "bob",
        ]);
        min_lock
    };
    let positions = net.ok(&["gov", "positions", "alice"]);
    assert!(
        positions.contains(&format!("#{alice_position}")),
        "{positions}"
    );
    assert!(
        positions.contains(&format!("locked {max_lock} blocks")),
        "{positions}"
    );
    let bob = net.ok(&["wallet", "address", "bob"]).trim().to_string();
    let bob_positions = net.get(&format!("/v1/gov/positions?owner={bob}"));
    assert_eq!(
        bob_positions["positions"][0]["position"]["lock_blocks"],
        bob_lock
    );

    // A proposal: one action from a JSON file, two from flags.
    let carol = net.ok(&["wallet", "address", "carol"]).trim().to_string();
    let file = tmp.path().join("actions.json");
    std::fs::write(
        &file,
        format!(r#"[{{"type": "approve_maker", "maker": "{carol}", "name": "Acme", "onboard_fee_credits": 3}}]"#),
    )
    .unwrap();
    let deposit = min_deposit.div_ceil(1_000_000).to_string(); // whole PLN
    let out = net.ok(&[
        "gov",
        "propose",
        "--from",
        "alice",
        "--description",
        "Acme makes devices; weather gives up some share; plan v2",
        "--deposit",
        &deposit,
        "--actions",
        file.to_str().unwrap(),
        "--set-share",
        "weather:2500:0",
        "--plan-upgrade",
        "v2:1000000",
    ]);
    let id = id_after(&out, "proposal");
    let id_text = id.to_string();

    // Votes: bob against, then bob changes his mind.
    net.ok(&["gov", "vote", &id_text, "yes", "--from", "alice"]);
    net.ok(&["gov", "vote", &id_text, "no", "--from", "bob"]);
    let view: serde_json::Value =
        serde_json::from_str(&net.ok(&["gov", "show", &id_text, "--json"])).unwrap();
    let tally = &view["proposal"]["tally"];
    assert_ne!(tally["no"]["raw"], "0", "{view}");
    assert_eq!(view["proposal"]["proposal"]["status"]["status"], "voting");
    net.ok(&["gov", "vote", &id_text, "yes", "--from", "bob"]);

    let shown = net.ok(&["gov", "show", &id_text, "--votes"]);
    for expected in [
        format!("proposal #{id} — voting"),
        format!("approve maker Acme ({carol}), 3 credits per device"),
        "set network weather's share to 25.00% of emission".to_string(),
        "plan upgrade `v2` at height 1000000".to_string(),
        "if it ended now: passed".to_string(),
        "votes (2):".to_string(),
    ] {
        assert!(shown.contains(&expected), "`{expected}` in:\n{shown}");
    }
    let yes_line = shown
        .lines()
        .find(|l| l.trim_start().starts_with("yes "))
        .unwrap();
    assert!(yes_line.contains("100.00%"), "{shown}");
    let list = net.ok(&["gov", "proposals"]);
    let row = list
        .lines()
        .find(|l| l.split_whitespace().next() == Some(id_text.as_str()))
        .unwrap_or_else(|| panic!("proposal {id} in:\n{list}"));
    assert!(row.contains("voting") && row.contains("passed"), "{row}");

    // At the end of the vote (when the chain's vote is short enough to wait
    // for), the actions apply.
    let end = view["proposal"]["proposal"]["voting_end"].as_u64().unwrap();
    if voting_blocks * block_ms > 120_000 {
        return;
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while net.height() <= end {
        assert!(
            std::time::Instant::now() < deadline,
            "chain stuck below {end}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let shown = net.ok(&["gov", "show", &id_text]);
    assert!(
        shown.contains(&format!("proposal #{id} — executed at {end}")),
        "{shown}"
    );
    assert_eq!(net.get("/v1/gov")["upgrade"]["name"], "v2");
    assert_eq!(net.get(&format!("/v1/makers/{carol}"))["name"], "Acme");
}

#[test]
fn proposals_over_the_chains_limits_are_refused_before_signing() {
    let tmp = tempfile::tempdir().unwrap();
    let net = governed_devnet(&tmp.path().join("dn"));
    let max = net.get("/v1/gov")["params"]["max_description_bytes"]
        .as_u64()
        .unwrap();
    let long = "x".repeat(max as usize + 1);
    let out = net.cli(&[
        "gov",
        "propose",
        "--from",
        "alice",
        "--description",
        &long,
        "--deposit",
        "1",
        "--cancel-upgrade",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("at most {max} on this chain")),
        "{err}"
    );
    let out = net.cli(&[
        "gov",
        "propose",
        "--from",
        "alice",
        "--description",
        "d",
        "--deposit",
        "1",
        "--set-share",
        "weather:oops",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("expected NETWORK:SHARE_BPS:USAGE_BPS"),
        "{err}"
    );
    let out = net.cli(&["gov", "lock", "1", "--from", "alice"]);
    assert!(!out.status.success(), "a lock needs --blocks or --days");
}
