//! Every committed family module is what `build.sh` makes of its source.

use std::path::Path;
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The families in this crate: every directory `NAME` holding `NAME/NAME.c`.
fn families(crate_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(crate_dir)
        .unwrap()
        .filter_map(|e| {
            let e = e.ok()?;
            let name = e.file_name().into_string().ok()?;
            e.path().join(format!("{name}.c")).is_file().then_some(name)
        })
        .collect();
    names.sort();
    names
}

#[test]
fn committed_modules_rebuild_to_the_same_bytes() {
    // scripts/test installs both; a machine without them cannot check the modules.
    assert!(
        have("clang") && have("wasm-ld"),
        "clang or wasm-ld missing (apt-get install clang lld; scripts/test installs them): the family modules cannot be rebuilt"
    );
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let names = families(crate_dir);
    assert!(names.iter().any(|n| n == "template"), "{names:?}");
    let mut stale = Vec::new();
    for name in &names {
        let out = std::env::temp_dir().join(format!(
            "plinth-family-rebuild-{name}-{}.wasm",
            std::process::id()
        ));
        let status = Command::new("bash")
            .arg(crate_dir.join("build.sh"))
            .arg(name)
            .arg(&out)
            .status()
            .unwrap();
        assert!(status.success(), "build.sh {name} failed");
        let rebuilt = std::fs::read(&out).unwrap();
        std::fs::remove_file(&out).ok();
        let committed = std::fs::read(crate_dir.join(format!("{name}.wasm")))
            .unwrap_or_else(|e| panic!("{name}.wasm: {e} (run crates/families/build.sh {name})"));
        if rebuilt != committed {
            stale.push(name.clone());
        }
    }
    assert!(
        stale.is_empty(),
        "not what build.sh makes of their source: {stale:?}; run crates/families/build.sh NAME and commit NAME.wasm (built with Debian 12's clang and lld 14.0.6)"
    );
}
