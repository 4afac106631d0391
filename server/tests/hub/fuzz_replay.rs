//! Every fuzz target's checks over every seed and every input that once crashed it
//! (`server/fuzz/seeds/<target>/`, `server/fuzz/regressions/<target>/`), in the ordinary test
//! build: the regressions stay tests without the instrumented fuzz build, which is a separate
//! command (`e2e/scripts/fuzz.sh`, or `FUZZ=1` on the test command).

#[path = "../../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod server_fuzz;

use std::path::{Path, PathBuf};

fn inputs(folder: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_none_or(|x| x != "md"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_seed_and_regression_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for (name, target) in server_fuzz::targets::ALL {
        let seeds = inputs(&root.join("seeds").join(name));
        assert!(!seeds.is_empty(), "{name} has seeds");
        for input in seeds
            .iter()
            .chain(inputs(&root.join("regressions").join(name)).iter())
        {
            let bytes = std::fs::read(input).expect("a readable input");
            let outcome = std::panic::catch_unwind(|| target(&bytes));
            assert!(outcome.is_ok(), "{name} failed on {}", input.display());
            replayed += 1;
        }
    }
    assert!(replayed >= 23, "{replayed} inputs replayed");
}

/// The replay can fail: a target's check that does not hold panics, and the replay reports it.
#[test]
fn a_failing_check_is_reported() {
    let masked = std::panic::catch_unwind(|| {
        // A masked frame from the server side is what a strict client refuses.
        server_fuzz::frames::parse_server_frames(&[0x81, 0x80, 0, 0, 0, 0]);
    });
    assert!(
        masked.is_err(),
        "the frame checker rejects a masked server frame"
    );
}
