use crate::engine::sql::Script;
use crate::{Dialect, Result, StoreError};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{AnyPool, ConnectOptions, Executor};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

pub type Tx = sqlx::Transaction<'static, sqlx::Any>;
pub type Conn = sqlx::AnyConnection;

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The database: a read pool and a write pool. On SQLite the write pool has exactly one
/// connection — the single writer path (a pool of SQLite writers collapses into lock contention);
/// on PostgreSQL both are the same pool.
#[derive(Clone, Debug)]
pub struct Db {
    pub read: AnyPool,
    write: AnyPool,
    pub dialect: Dialect,
    /// Times a connection of the write pool was handed to someone, counted as it is handed over
    /// (`Db::handouts`). SQLite's checkpointer runs only after it moved, and stops once every
    /// `Db` is dropped.
    handouts: Arc<AtomicU64>,
}

/// How often SQLite's WAL is checkpointed (when there were writes): also how much a power loss
/// (not a crash of the process) can take back on SQLite, whose commits are synced at
/// checkpoints (`synchronous = NORMAL`).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

impl Db {
    /// Whether `url` names an engine this store speaks (`sqlite:…` or `postgres://…`).
    pub fn supports_url(url: &str) -> bool {
        Dialect::from_url(url).is_some()
    }

    pub async fn connect(url: &str, max_connections: u32) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let dialect = Dialect::from_url(url).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "unsupported database URL scheme in {}",
                redact_url(url)
            ))
        })?;
        let opts = AnyConnectOptions::from_str(url)?.disable_statement_logging();
        match dialect {
            Dialect::Sqlite => {
                if let Some(path) = sqlite_path(url)
                    && let Some(parent) = std::path::Path::new(&path).parent()
                    && !parent.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        StoreError::Corrupt(format!("cannot create {}: {e}", parent.display()))
                    })?;
                }
                // `handouts` counts each time a connection is handed to someone: a new one
                // (after_connect) or an idle one (before_acquire).
                let pool = |n: u32, pragmas: &'static str, handouts: Option<Arc<AtomicU64>>| {
                    let on_connect = handouts.clone();
                    let options = AnyPoolOptions::new()
                        .max_connections(n)
                        .test_before_acquire(false)
                        .acquire_timeout(Duration::from_secs(30))
                        .after_connect(move |conn, _| {
                            if let Some(h) = &on_connect {
                                h.fetch_add(1, Ordering::Relaxed);
                            }
                            Box::pin(async move {
                                // 2 KiB pages for a new database (an existing one keeps its
                                // own: WAL mode cannot change it). A commit writes each page it
                                // dirtied whole into the WAL, and a withdrawal batch dirties
                                // ~40, scattered over the by-account indexes: with 2 KiB pages
                                // creations over 8 accounts went from 4 451–4 674/s to
                                // 5 334–5 562/s, reads and one-account writes unchanged.
                                conn.execute("PRAGMA page_size = 2048; PRAGMA journal_mode = WAL; \
                                              PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; \
                                              PRAGMA foreign_keys = ON;")
                                    .await?;
                                conn.execute(pragmas).await?;
                                Ok(())
                            })
                        });
                    match handouts {
                        Some(h) => options.before_acquire(move |_, _| {
                            h.fetch_add(1, Ordering::Relaxed);
                            Box::pin(async { Ok(true) })
                        }),
                        None => options,
                    }
                };
                // The writer checkpoints only when the WAL passes 16 000 pages (32 MB): with
                // SQLite's default of 1 000, every twentieth withdrawal batch's commit copied the
                // WAL into the database file and synced it while every other write waited. The
                // checkpointer below does that from a reader connection, in parallel, so the
                // writer's own checkpoint finds little left to copy and restarts the WAL (a
                // checkpoint from another connection cannot while writes keep coming).
                let handouts = Arc::new(AtomicU64::new(0));
                let write = pool(
                    1,
                    "PRAGMA wal_autocheckpoint = 16000",
                    Some(handouts.clone()),
                )
                .connect_with(opts.clone())
                .await?;
                // Each SQLite connection is a worker thread; reads are CPU work, so readers beyond
                // a few per core only add context switches (measured on 2 vCPUs: 8 readers
                // 15.6k GET/s, 16 readers 13.8k, 32 readers 11.2k).
                let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
                let read = pool(max_connections.clamp(2, 4 * cores), "", None)
                    .connect_with(opts)
                    .await?;
                tokio::spawn(checkpoint_wal(read.clone(), Arc::downgrade(&handouts)));
                Ok(Db {
                    read,
                    write,
                    dialect,
                    handouts,
                })
            }
            Dialect::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(max_connections)
                    // No ping before each use: it costs a round trip per query; a connection
                    // that died (a database restart) fails its next query once and is dropped.
                    .test_before_acquire(false)
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(opts)
                    .await?;
                Ok(Db {
                    read: pool.clone(),
                    write: pool,
                    dialect,
                    handouts: Default::default(),
                })
            }
        }
    }

    pub async fn migrate(&self) -> Result<()> {
        match self.dialect {
            Dialect::Sqlite => SQLITE_MIGRATOR.run(&self.write).await?,
            Dialect::Postgres => POSTGRES_MIGRATOR.run(&self.write).await?,
        }
        Ok(())
    }

    /// Begins a write transaction on the writer path. Within a request that holds an
    /// `Idempotency-Key`, the transaction's first write marks the key's effect, so the mark
    /// commits exactly when the transaction does (`idempotency::mark_effect`).
    pub async fn begin(&self) -> Result<Tx> {
        let mut tx = self.write.begin().await?;
        if let Some(claim) = crate::idempotency::current() {
            crate::idempotency::mark_effect(&mut tx, &claim).await?;
        }
        Ok(tx)
    }

    /// How many times a connection of the write pool has been handed out, counted as it is
    /// handed over (not when it is asked for). On SQLite, whose write pool has one connection, a
    /// caller holding it knows that nobody else wrote in this process since it last held it if
    /// this moved only by its own acquisitions.
    pub fn handouts(&self) -> u64 {
        self.handouts.load(Ordering::Relaxed)
    }

    /// A connection of the write pool, for a caller that keeps it across transactions
    /// (`KeptConn`).
    pub async fn acquire_writer(&self) -> Result<WriterConn> {
        Ok(self.write.acquire().await?)
    }

    /// The pool for writes outside a transaction (a single statement).
    pub fn writer(&self) -> &AnyPool {
        &self.write
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

pub type PooledConn = PoolConnection<sqlx::Any>;
/// A connection of the write pool (`Db::acquire_writer`).
pub type WriterConn = PooledConn;

/// A pool connection kept by one dispatcher across consecutive batches (`group_commit` on the
/// write pool, `accounts::BalanceReads` on the read pool). sqlx tests each connection when it
/// goes back to its pool — a round trip on PostgreSQL, a hand-off to the worker thread on SQLite —
/// so a connection taken and given back per batch cost a second exchange with the database for
/// every batch; and SQLite's write pool has one connection, so a batch that acquired it right
/// after the previous one released it waited ~150 µs for that test. It is kept at most
/// `KEEP_AT_MOST` at a time, then given back so other users of the pool (on SQLite's write pool:
/// confirmations, jobs) have their turn; and given back whenever the dispatcher runs out of work.
pub struct KeptConn {
    write: bool,
    kept: Mutex<Option<(PooledConn, Instant)>>,
}

const KEEP_AT_MOST: Duration = Duration::from_millis(5);

impl KeptConn {
    /// Keeps a connection of the write pool.
    pub fn writer() -> Self {
        KeptConn {
            write: true,
            kept: Mutex::new(None),
        }
    }

    /// Keeps a connection of the read pool.
    pub fn reader() -> Self {
        KeptConn {
            write: false,
            kept: Mutex::new(None),
        }
    }

    /// The kept connection, or a newly acquired one.
    pub async fn take(&self, db: &Db) -> Result<(PooledConn, Instant)> {
        let kept = self.kept.lock().ok().and_then(|mut k| k.take());
        if let Some((conn, since)) = kept {
            if since.elapsed() < KEEP_AT_MOST {
                return Ok((conn, since));
            }
            // Back to the pool first: SQLite's write pool has only this one.
            drop(conn);
        }
        let conn = match self.write {
            true => db.acquire_writer().await?,
            false => db.read.acquire().await?,
        };
        Ok((conn, Instant::now()))
    }

    /// Keeps `conn` for the next batch (`since`: when it was acquired).
    pub fn keep(&self, conn: PooledConn, since: Instant) {
        if let Ok(mut k) = self.kept.lock() {
            *k = Some((conn, since));
        }
    }

    /// Gives the kept connection back to the pool.
    pub fn release(&self) {
        let kept = self.kept.lock().ok().and_then(|mut k| k.take());
        drop(kept);
    }
}

/// A write transaction whose `BEGIN` and `COMMIT` travel with its first statement and its final
/// script on SQLite, where each statement sent is a hand-off to the connection's worker thread
/// (130–300 µs on a busy machine): a withdrawal batch costs two hand-offs instead of four. On
/// PostgreSQL, whose extended protocol takes one statement per message, it is an ordinary
/// transaction. If it is dropped before it commits, its connection is closed instead of going
/// back to the pool, which rolls the transaction back.
pub struct WriteTx {
    conn: Option<WriterConn>,
    dialect: Dialect,
    open: bool,
}

impl WriteTx {
    /// A transaction on `conn`, a connection of the write pool (`Db::acquire_writer`).
    pub async fn on(mut conn: WriterConn) -> Result<Self> {
        let dialect = Dialect::of(&conn);
        if dialect == Dialect::Postgres {
            conn.execute("BEGIN").await?;
        }
        Ok(WriteTx {
            conn: Some(conn),
            dialect,
            open: dialect == Dialect::Postgres,
        })
    }

    /// What to put before the transaction's first statement: `BEGIN IMMEDIATE;` on SQLite the
    /// first time (taking the write lock at once, so what is read stays true until the commit),
    /// then nothing.
    pub fn begin(&mut self) -> &'static str {
        if self.open {
            return "";
        }
        self.open = true;
        "BEGIN IMMEDIATE; "
    }

    pub fn conn(&mut self) -> &mut Conn {
        self.conn
            .as_mut()
            .expect("a WriteTx has its connection until it commits")
    }

    /// Runs `script`, commits, and hands the connection back, with whether the script's guard
    /// held (`Script::check_guard`; `true` without one).
    pub async fn commit(mut self, mut script: Script<'_>) -> Result<(WriterConn, bool)> {
        let held = match self.dialect {
            Dialect::Sqlite => {
                if !self.open {
                    // Opened in the same message as the script.
                    script.prefix("BEGIN IMMEDIATE; ");
                    self.open = true;
                }
                script.statement().sql = "COMMIT".into();
                script.run(self.conn()).await?
            }
            Dialect::Postgres => {
                let held = script.run(self.conn()).await?;
                self.conn().execute("COMMIT").await?;
                held
            }
        };
        self.open = false;
        let conn = self
            .conn
            .take()
            .expect("a WriteTx has its connection until it commits");
        Ok((conn, held))
    }
}

impl Drop for WriteTx {
    fn drop(&mut self) {
        if self.open
            && let Some(conn) = self.conn.as_mut()
        {
            conn.close_on_drop();
        }
    }
}

/// SQLite: copies the WAL into the database file (`PASSIVE`: never blocks the writer or the
/// readers) every `CHECKPOINT_EVERY` while there were writes, on a reader connection. This is
/// also when SQLite syncs its commits (`synchronous = NORMAL`).
async fn checkpoint_wal(read: AnyPool, handouts: Weak<AtomicU64>) {
    let (mut seen, mut once_more) = (0, false);
    loop {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        let Some(now) = handouts.upgrade().map(|w| w.load(Ordering::Relaxed)) else {
            return;
        };
        if read.is_closed() {
            return;
        }
        let wrote = now != seen;
        seen = now;
        // The count moves when a writer is handed the connection (at least every
        // `KEEP_AT_MOST` under load); one more round after it stops catches a last write that
        // committed after the previous checkpoint.
        if !(wrote || once_more) {
            continue;
        }
        once_more = wrote;
        if let Err(e) = read.execute("PRAGMA wal_checkpoint(PASSIVE)").await {
            tracing::warn!(error = %e, "SQLite WAL checkpoint failed; retrying");
        }
    }
}

fn sqlite_path(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}

/// The URL with any password replaced by `***`, for logs and `config show`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(
            sqlite_path("sqlite://./data/x.db?mode=rwc").as_deref(),
            Some("./data/x.db")
        );
    }
}
