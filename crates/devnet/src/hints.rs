//! What the devnet prints for a newcomer to try next. A leaf: the devnet and the
//! node commands both print it.

/// The chain id of every devnet.
pub const CHAIN_ID: &str = "plinth-devnet";

/// [`print_try`] for a node of a devnet chain serving on loopback.
pub(crate) fn print_try_on_local_devnet(url: &str, chain_id: &str) {
    if url.contains("127.0.0.1") && chain_id == CHAIN_ID {
        print_try(false, false);
    }
}

/// The commands a newcomer can try next; `storage`, `compute`: whether the devnet
/// runs storage or compute providers to try.
pub(crate) fn print_try(storage: bool, compute: bool) {
    println!("Try: plinth wallet balance alice   |   plinth wallet transfer --from alice bob 10");
    println!("     plinth wallet rewards alice   |   plinth device list --owner alice");
    if storage {
        println!("     plinth storage offers         |   plinth storage put FILE --provider DEVICE --epochs 10 --from alice");
    }
    if compute {
        println!("     plinth compute offers         |   plinth compute render crates/render/scene/demo.toml --from alice --out frame.png");
    }
    println!("Ctrl-C stops; running the same command again resumes this chain.");
}
