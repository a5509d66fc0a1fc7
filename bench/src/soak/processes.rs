//! The server processes of the soak: one `serve --role all`, or API and worker processes apart
//! on one PostgreSQL (`Topology::Split`). The kills go to one process at a time, each in turn,
//! and the killed one is started again at once; the others keep serving meanwhile.
use super::SoakConfig;
use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the server is deployed for the soak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topology {
    /// One process with every role (SQLite or PostgreSQL, the embedded test network).
    Single,
    /// `api` processes with `--role api` and `workers` with `--role worker` on one PostgreSQL;
    /// the test network must be on a node (`SoakConfig::chain_rpc`): the embedded one is
    /// single-process.
    Split { api: usize, workers: usize },
}

/// Cache time of verified tokens in the split processes, seconds: short, so that the soak can
/// check that a revocation through one API process is refused by the others within it.
pub const TOKEN_CACHE_SECS: u64 = 2;

struct Proc {
    role: &'static str,
    /// The API processes' listen port.
    port: Option<u16>,
    child: Option<Child>,
}

pub(super) struct Servers {
    cfg: Arc<SoakConfig>,
    procs: Vec<Proc>,
    /// The embedded test network's journal, kept across the processes (removed at the end).
    pub chain_dir: PathBuf,
    /// The split processes' configuration file (the token cache time).
    config_file: Option<PathBuf>,
    /// The next process to kill.
    turn: usize,
    pub restart_ms: Vec<f64>,
    pub cpu_secs: f64,
    pub kills_api: u64,
    pub kills_worker: u64,
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

impl Servers {
    pub fn new(cfg: Arc<SoakConfig>) -> Result<Servers> {
        let unique = format!("{}-{}", std::process::id(), payplane_core::ids::new_id());
        let mut procs = vec![];
        let mut config_file = None;
        match cfg.topology {
            Topology::Single => procs.push(Proc {
                role: "all",
                port: Some(free_port()?),
                child: None,
            }),
            Topology::Split { api, workers } => {
                if api == 0 || workers == 0 {
                    bail!("a split deployment needs at least one API and one worker process");
                }
                if cfg.chain_rpc.is_none() {
                    bail!(
                        "several processes need the test network on a node (chain_rpc): the embedded one is single-process"
                    );
                }
                // Interleaved, so that the kills, in turn, alternate between the roles.
                for i in 0..api.max(workers) {
                    if i < api {
                        procs.push(Proc {
                            role: "api",
                            port: Some(free_port()?),
                            child: None,
                        });
                    }
                    if i < workers {
                        procs.push(Proc {
                            role: "worker",
                            port: None,
                            child: None,
                        });
                    }
                }
                let path = std::env::temp_dir().join(format!("payplane-soak-{unique}.toml"));
                std::fs::write(
                    &path,
                    format!("[tokens]\ncache_secs = {TOKEN_CACHE_SECS}\n"),
                )?;
                config_file = Some(path);
            }
        }
        Ok(Servers {
            cfg,
            procs,
            chain_dir: std::env::temp_dir().join(format!("payplane-soak-chain-{unique}")),
            config_file,
            turn: 0,
            restart_ms: vec![],
            cpu_secs: 0.0,
            kills_api: 0,
            kills_worker: 0,
        })
    }

    /// The API processes' base URLs.
    pub fn bases(&self) -> Vec<String> {
        self.procs
            .iter()
            .filter_map(|p| p.port.map(|port| format!("http://127.0.0.1:{port}")))
            .collect()
    }

    pub fn len(&self) -> usize {
        self.procs.len()
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.cfg.bin);
        c.env("PAYPLANE_DATABASE_URL", &self.cfg.database_url)
            .env("PAYPLANE_WEBHOOKS_ALLOW_PRIVATE", "true")
            // A killed process's leases expire quickly, so its work is taken over soon.
            .env("PAYPLANE_WEBHOOKS_LEASE_SECS", "2")
            .env("PAYPLANE_WORKER_LEASE_SECS", "2")
            .env("PAYPLANE_IDEMPOTENCY_ABANDON_SECS", "3")
            .env("PAYPLANE_RATE_LIMIT_PER_SECOND", "0")
            .env("PAYPLANE_CHAIN_DATA_DIR", &self.chain_dir)
            .env("PAYPLANE_PUMAPAY_AUTO_APPROVE_TEST_NETWORK", "true")
            .env("PAYPLANE_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(url) = &self.cfg.chain_rpc {
            c.env("PAYPLANE_CHAIN_RPC_URL_3", url);
        }
        if let Some(path) = &self.config_file {
            c.env("PAYPLANE_CONFIG", path);
        }
        c
    }

    /// Starts process `i` and, for an API process, waits for its first answer.
    async fn start(&mut self, i: usize) -> Result<()> {
        let began = Instant::now();
        let mut command = self.command();
        command.args(["serve", "--role", self.procs[i].role]);
        if let Some(port) = self.procs[i].port {
            command.env("PAYPLANE_LISTEN", format!("127.0.0.1:{port}"));
        }
        // `SOAK_LOG_DIR`: each process's warnings and errors, to read after a failed run.
        if let Some(dir) = std::env::var_os("SOAK_LOG_DIR") {
            let log = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(PathBuf::from(dir).join(format!("{}-{i}.log", self.procs[i].role)))?;
            command.env("PAYPLANE_LOG", "warn").stderr(log);
        }
        self.procs[i].child = Some(command.spawn().context("starting the server")?);
        let Some(port) = self.procs[i].port else {
            return Ok(());
        };
        let url = format!("http://127.0.0.1:{port}/ping");
        for _ in 0..2000 {
            if reqwest::get(&url).await.is_ok() {
                self.restart_ms.push(began.elapsed().as_secs_f64() * 1e3);
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        bail!("the server did not answer within 10 s of starting")
    }

    pub async fn start_all(&mut self) -> Result<()> {
        for i in 0..self.procs.len() {
            self.start(i).await?;
        }
        Ok(())
    }

    fn kill(&mut self, i: usize) -> Result<()> {
        if let Some(mut c) = self.procs[i].child.take() {
            Command::new("kill")
                .args(["-KILL", &c.id().to_string()])
                .status()?;
            self.cpu_secs += child_cpu_secs(&mut c)?;
        }
        Ok(())
    }

    /// SIGKILLs the next process in turn and starts it again at once.
    pub async fn kill_next(&mut self) -> Result<()> {
        let i = self.turn % self.procs.len();
        self.turn += 1;
        self.kill(i)?;
        match self.procs[i].role {
            "worker" => self.kills_worker += 1,
            _ => self.kills_api += 1,
        }
        self.start(i).await
    }

    pub fn kill_all(&mut self) -> Result<()> {
        for i in 0..self.procs.len() {
            self.kill(i)?;
        }
        Ok(())
    }

    /// A CLI command against the soak's database (JSON out).
    pub fn cli(&self, args: &[&str]) -> Result<Value> {
        let out = self
            .command()
            .args(args)
            .stderr(Stdio::piped())
            .stdout(Stdio::piped())
            .output()?;
        if !out.status.success() {
            bail!(
                "payplane {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(serde_json::from_slice(&out.stdout).unwrap_or(Value::Null))
    }
}

impl Drop for Servers {
    /// A failed soak leaves no server and no file behind.
    fn drop(&mut self) {
        for p in &mut self.procs {
            if let Some(c) = &mut p.child {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
        let _ = std::fs::remove_dir_all(&self.chain_dir);
        if let Some(path) = &self.config_file {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Waits for a killed child and reads its CPU time (user + sys) from `/proc` of the child before
/// it is reaped.
fn child_cpu_secs(c: &mut Child) -> Result<f64> {
    let ticks = std::fs::read_to_string(format!("/proc/{}/stat", c.id()))
        .ok()
        .and_then(|s| {
            // Fields after the command name (which may hold spaces) start after the last ')'.
            let rest = s.rsplit_once(')')?.1.split_whitespace().collect::<Vec<_>>();
            // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
            Some(rest.get(11)?.parse::<f64>().ok()? + rest.get(12)?.parse::<f64>().ok()?)
        })
        .unwrap_or(0.0);
    c.wait()?;
    Ok(ticks / 100.0)
}
