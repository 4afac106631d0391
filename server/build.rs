//! Builds the web app's browser half so that a plain `cargo build -p server` does everything:
//!
//! 1. `cargo build -p web --lib --target wasm32-unknown-unknown --features hydrate --release`,
//!    run from the workspace root into its own target folder (`<target dir>/wasm-build`), so the
//!    outer cargo's lock is not in the way;
//! 2. wasm-bindgen (`--target web --out-name web --no-typescript`, through the
//!    `wasm-bindgen-cli-support` crate, same version as the `wasm-bindgen` in Cargo.lock),
//!    writing `$OUT_DIR/pkg/web.js` and `$OUT_DIR/pkg/web_bg.wasm`, which the server embeds.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{exit, Command};

const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// Variables the outer cargo (or clippy) sets for this build script, which must not leak into
/// the nested build: flags, wrappers, target selection and this package's own build context.
const CLEARED_VARS: &[&str] = &[
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_BUILD_RUSTC_WRAPPER",
    "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
    "CLIPPY_ARGS",
    "CLIPPY_CONF_DIR",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_NAME",
    "CARGO_RUSTC_CURRENT_DIR",
    "CARGO_TARGET_TMPDIR",
    "RUSTC_LINKER",
    "TARGET",
    "HOST",
    "OUT_DIR",
    "NUM_JOBS",
    "OPT_LEVEL",
    "DEBUG",
    "PROFILE",
];
const CLEARED_PREFIXES: &[&str] = &[
    "CARGO_CFG_",
    "CARGO_FEATURE_",
    "CARGO_PKG_",
    "CARGO_MANIFEST_",
    "DEP_",
];

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let workspace = manifest_dir
        .parent()
        .expect("server/ sits in the workspace")
        .to_path_buf();
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));

    for path in [
        "web/src",
        "web/Cargo.toml",
        "shared/src",
        "shared/Cargo.toml",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        // Relative to this package (cargo resolves it so): an absolute path would tie the
        // fingerprint to one checkout, and a shared target folder used from another checkout
        // (CI's clone, a second worktree) would keep serving the first one's web app.
        println!("cargo:rerun-if-changed=../{path}");
    }

    // The fuzz targets (server/fuzz, built with `--cfg fuzzing`) never serve the web app: empty
    // files stand in for it, which saves them a second, instrumented-flag-free wasm build.
    if env::var_os("CARGO_CFG_FUZZING").is_some() {
        let pkg = out_dir.join("pkg");
        let made = std::fs::create_dir_all(&pkg)
            .and_then(|()| std::fs::write(pkg.join("web.js"), b""))
            .and_then(|()| std::fs::write(pkg.join("web_bg.wasm"), b""));
        if let Err(err) = made {
            fail(&format!("could not write {}: {err}", pkg.display()));
        }
        return;
    }

    let wasm_target_dir = outer_target_dir(&out_dir, &workspace).join("wasm-build");
    let wasm = build_wasm(&workspace, &wasm_target_dir);
    bindgen(&wasm, &out_dir.join("pkg"));
}

/// The outer build's target folder: the ancestor of OUT_DIR that cargo tagged with
/// CACHEDIR.TAG (works for CARGO_TARGET_DIR, `--target-dir` and config alike).
fn outer_target_dir(out_dir: &Path, workspace: &Path) -> PathBuf {
    out_dir
        .ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| workspace.join("target"))
}

fn build_wasm(workspace: &Path, target_dir: &Path) -> PathBuf {
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    ensure_wasm_target();

    let mut command = Command::new(&cargo);
    command
        .current_dir(workspace)
        .args([
            "build",
            "-p",
            "web",
            "--lib",
            "--target",
            WASM_TARGET,
            "--features",
            "hydrate",
            "--release",
        ])
        .arg("--target-dir")
        .arg(target_dir)
        // Line tables are of no use in the browser; they only slow the build down.
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_TERM_COLOR", "never");
    for (key, _) in env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if CLEARED_VARS.contains(&key) || CLEARED_PREFIXES.iter().any(|p| key.starts_with(p)) {
            command.env_remove(key);
        }
    }

    let shown = format!(
        "cargo build -p web --lib --target {WASM_TARGET} --features hydrate --release --target-dir {}",
        target_dir.display()
    );
    let output = match command.output() {
        Ok(output) => output,
        Err(err) => fail(&format!(
            "could not run `{}`: {err}",
            Path::new(&cargo).display()
        )),
    };
    if !output.status.success() {
        eprintln!(
            "===== nested wasm build failed: `{shown}` (in {}) =====",
            workspace.display()
        );
        eprintln!("{}", String::from_utf8_lossy(&output.stderr));
        eprintln!("===== end of nested wasm build output =====");
        fail(&format!(
            "building the web app for {WASM_TARGET} failed ({}); its output is above.\n\
             If the target is missing: `rustup target add {WASM_TARGET}`.",
            output.status
        ));
    }

    let wasm = target_dir
        .join(WASM_TARGET)
        .join("release")
        .join("web.wasm");
    if !wasm.is_file() {
        fail(&format!(
            "the wasm build succeeded but {} is missing",
            wasm.display()
        ));
    }
    wasm
}

/// `rustup target add` when the toolchain has no wasm32 standard library; failure is ignored
/// (no rustup, offline): the build then says what is missing.
fn ensure_wasm_target() {
    let rustc = env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let sysroot = Command::new(rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let installed = sysroot.is_some_and(|root| root.join("lib/rustlib").join(WASM_TARGET).is_dir());
    if !installed {
        let status = Command::new("rustup")
            .args(["target", "add", WASM_TARGET])
            .status();
        if !matches!(status, Ok(s) if s.success()) {
            println!(
                "cargo:warning=`rustup target add {WASM_TARGET}` failed; trying the build anyway"
            );
        }
    }
}

fn bindgen(wasm: &Path, pkg_dir: &Path) {
    if pkg_dir.exists() {
        if let Err(err) = std::fs::remove_dir_all(pkg_dir) {
            fail(&format!("could not clear {}: {err}", pkg_dir.display()));
        }
    }
    let result = wasm_bindgen_cli_support::Bindgen::new()
        .input_path(wasm)
        .out_name("web")
        .typescript(false)
        // Function names are 30 % of the module; the browser needs none of them.
        .remove_name_section(true)
        .remove_producers_section(true)
        .web(true)
        .and_then(|b| b.generate(pkg_dir));
    if let Err(err) = result {
        fail(&format!(
            "wasm-bindgen on {} failed: {err:#}",
            wasm.display()
        ));
    }
    for file in ["web.js", "web_bg.wasm"] {
        if !pkg_dir.join(file).is_file() {
            fail(&format!(
                "wasm-bindgen did not write {}",
                pkg_dir.join(file).display()
            ));
        }
    }
    // The server embeds web.js and web_bg.wasm only; JS snippets would need serving too.
    if pkg_dir.join("snippets").exists() {
        println!("cargo:warning=wasm-bindgen wrote snippets/ that the server does not serve");
    }
}

fn fail(message: &str) -> ! {
    eprintln!("error: {message}");
    exit(1);
}
