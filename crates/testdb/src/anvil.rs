//! A development Ethereum node (anvil, from Foundry) for the tests that run the chain code
//! against a real node. Found at `$ANVIL_BIN`, on `PATH`, or where `contracts/install-tools.sh`
//! puts it; when none is found, [`spawn`] prints a `SKIP:` line and the test returns early.
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running node on a free port, killed when dropped.
pub struct Anvil {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("ANVIL_BIN") {
        return Some(PathBuf::from(bin)).filter(|p| p.is_file());
    }
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("anvil"))
        .find(|p| p.is_file());
    // The platform binary itself, not npm's node wrapper: killing the wrapper would orphan it.
    let installed = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil");
    on_path.or_else(|| Some(installed).filter(|p| p.is_file()))
}

/// Starts anvil on a free port with `args` (`--chain-id`, `--mnemonic`, …), or `None` when no
/// binary is found.
pub fn spawn(args: &[&str]) -> Option<Anvil> {
    let Some(bin) = binary() else {
        println!(
            "SKIP: anvil not found (set ANVIL_BIN, put anvil on PATH, or run contracts/install-tools.sh)"
        );
        return None;
    };
    let mut child = Command::new(&bin)
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let stdout = child.stdout.take().expect("piped");
    let mut anvil = Anvil {
        child,
        url: String::new(),
    };
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("anvil's output");
        if let Some(addr) = line.strip_prefix("Listening on ") {
            anvil.url = format!("http://{}", addr.trim());
            break;
        }
    }
    assert!(!anvil.url.is_empty(), "anvil did not report its address");
    Some(anvil)
}
