//! The PostgreSQL server the tests use, so `cargo test --workspace` passes on a fresh machine.
//!
//! [`postgres_url`] is `PAYPLANE_TEST_DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`) when a server answers there. When none does, it
//! starts a throwaway cluster, once per test process, from the installed server binaries
//! (`/usr/lib/postgresql/<version>/bin`, or `initdb` on `PATH`): `initdb` and `pg_ctl` in a
//! temp dir, listening on 127.0.0.1 on a free port, with durability off (it is thrown away). A
//! watchdog process stops it and removes the dir when the test process ends, however it ends
//! (a test process has no exit hook, and may be killed). PostgreSQL refuses to run as root, so as
//! root the cluster runs as the `postgres` user (or `nobody`) through `runuser`. With no server
//! binaries installed, the first test that needs PostgreSQL fails with one line naming the
//! Debian package to install.
pub mod anvil;

use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The base URL of the PostgreSQL server for tests (see the module documentation). Panics with
/// one line saying what is missing when there is none and none can be started.
pub fn postgres_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let configured =
            std::env::var("PAYPLANE_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.into());
        if answers(&configured) {
            return configured;
        }
        match start_cluster() {
            Ok(url) => {
                eprintln!(
                    "payplane-testdb: no PostgreSQL at {configured}; started a throwaway cluster at {url}"
                );
                url
            }
            Err(why) => panic!("No PostgreSQL answers at {configured} and {why}"),
        }
    })
    .clone()
}

/// Whether something accepts connections at the URL's host and port (a Unix socket directory
/// in `?host=/dir` counts if its socket file exists).
fn answers(url: &str) -> bool {
    let Ok(u) = url::Url::parse(url) else {
        return false;
    };
    let port = u.port().unwrap_or(5432);
    if let Some((_, dir)) = u.query_pairs().find(|(k, _)| k == "host")
        && dir.starts_with('/')
    {
        return Path::new(&*dir).join(format!(".s.PGSQL.{port}")).exists();
    }
    let host = u
        .host_str()
        .filter(|h| !h.is_empty())
        .unwrap_or("localhost");
    let Ok(addrs) = (host, port).to_socket_addrs() else {
        return false;
    };
    addrs
        .into_iter()
        .any(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok())
}

/// The directory of `initdb` and `pg_ctl`: the newest `/usr/lib/postgresql/<version>/bin`
/// (Debian's layout), else wherever `initdb` is on `PATH`.
fn server_bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return Some(bin);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .find(|p| p.join("initdb").exists() && p.join("pg_ctl").exists())
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `(uid, gid)` of a local user, from `/etc/passwd`.
fn user_ids(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.first() == Some(&name) && f.len() > 3)
            .then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
            .flatten()
    })
}

/// A command that runs `program` as `user` (`None`: as ourselves).
fn as_user(user: Option<&str>, program: &Path) -> Command {
    match user {
        Some(u) => {
            let mut c = Command::new("runuser");
            c.args(["-u", u, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    }
}

fn run(mut c: Command, what: &str) -> Result<(), String> {
    let out = c
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what} could not run: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
    .replace('\n', " "))
}

const NO_BINARIES: &str = "no PostgreSQL server binaries are installed to start one: install \
Debian's `postgresql` package (apt-get install postgresql), or point PAYPLANE_TEST_DATABASE_URL at \
a running server";

fn start_cluster() -> Result<String, String> {
    start_cluster_from(server_bin_dir())
}

fn start_cluster_from(bin: Option<PathBuf>) -> Result<String, String> {
    let bin = bin.ok_or(NO_BINARIES)?;
    let user = if is_root() {
        Some(
            ["postgres", "nobody"]
                .into_iter()
                .find(|u| user_ids(u).is_some())
                .ok_or(
                    "running as root with neither a `postgres` nor a `nobody` user to run it as",
                )?,
        )
    } else {
        None
    };
    // Kept (not deleted on drop): the watchdog removes it once the cluster has stopped.
    let dir = tempfile::Builder::new()
        .prefix("payplane-testpg-")
        .tempdir()
        .map_err(|e| format!("cannot make a temp dir: {e}"))?
        .keep();
    if let Some(u) = user {
        let (uid, gid) = user_ids(u).unwrap_or((65534, 65534));
        std::os::unix::fs::chown(&dir, Some(uid), Some(gid))
            .map_err(|e| format!("cannot give {} to {u}: {e}", dir.display()))?;
    }
    let data = dir.join("data");
    let mut initdb = as_user(user, &bin.join("initdb"));
    initdb
        .arg("-D")
        .arg(&data)
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
    run(initdb, "initdb")?;
    let port = free_port().map_err(|e| format!("no free port: {e}"))?;
    let options = format!(
        "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c synchronous_commit=off \
         -c full_page_writes=off -c max_connections=200",
        dir.display()
    );
    let mut start = as_user(user, &bin.join("pg_ctl"));
    start
        .arg("-D")
        .arg(&data)
        .arg("-l")
        .arg(dir.join("server.log"))
        .args(["-w", "-t", "60", "-o", &options, "start"])
        .stdout(Stdio::null());
    run(start, "pg_ctl start")?;
    watch(user, &bin, &dir);
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts the watchdog: a shell that waits for this process to end, then stops the cluster and
/// removes its dir. It outlives us, and holds none of our output streams.
fn watch(user: Option<&str>, bin: &Path, dir: &Path) {
    let pg_ctl = bin.join("pg_ctl");
    let stop = match user {
        Some(u) => format!("runuser -u {u} -- '{}'", pg_ctl.display()),
        None => format!("'{}'", pg_ctl.display()),
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
         {stop} -D '{dir}/data' -m immediate stop >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        dir = dir.display(),
    );
    let _ = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_port_does_not_answer() {
        let port = free_port().unwrap();
        assert!(!answers(&format!(
            "postgres://postgres@127.0.0.1:{port}/test"
        )));
        assert!(!answers(
            "postgres://postgres@127.0.0.1:1/test?host=/nonexistent"
        ));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(answers(&format!(
            "postgres://postgres@127.0.0.1:{port}/test"
        )));
    }

    #[test]
    fn without_server_binaries_the_error_is_one_line_naming_the_package() {
        let why = start_cluster_from(None).unwrap_err();
        assert!(!why.contains('\n'), "{why}");
        assert!(why.contains("apt-get install postgresql"), "{why}");
    }
}
