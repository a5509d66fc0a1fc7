//! The devnet's durable record: an append-only file with one line (a record) per block — its
//! timestamp and its raw transactions, in order — after a header naming the configuration.
//!
//! The journal is the truth: state is rebuilt at start by re-executing the deterministic genesis
//! and then every block in order (from a snapshot, `snapshot.rs`, only the blocks after it). A
//! block's line is appended and fsync'd before any of its transactions' hashes is returned to
//! anyone, so an acknowledged transaction survives SIGKILL and power loss; a torn last line (a
//! write cut short) was never acknowledged and is dropped at the next open. Several blocks' lines
//! may share one write and one fsync (group commit).
//!
//! Each line is chained into a running hash, `link(0) = keccak(header line)` and
//! `link(n) = keccak(link(n-1) ‖ line n)`, computed while reading (no format change): a snapshot
//! records the link of the position it covers, which names that exact prefix of the journal.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use alloy::primitives::{B256, Bytes, Keccak256, keccak256};
use serde::{Deserialize, Serialize};

use crate::error::{ChainError, Result};

pub(crate) const FILE_NAME: &str = "devnet-journal.jsonl";
const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Header {
    pub payplane_devnet: u32,
    pub chain_id: u64,
    pub genesis_timestamp: u64,
    /// Hash of everything that shapes the genesis (keys, balances, contract code): replaying a
    /// journal on another genesis would silently diverge, so it is refused instead.
    pub fingerprint: B256,
}

/// One block: its timestamp and its transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Record {
    pub t: u64,
    pub txs: Vec<Bytes>,
}

/// A line as read: a block (`txs`), or a one-transaction block as journals written before
/// blocks held several transactions have them (`tx`).
#[derive(Deserialize)]
#[serde(untagged)]
enum Line {
    Block { t: u64, txs: Vec<Bytes> },
    Single { t: u64, tx: Bytes },
}

impl From<Line> for Record {
    fn from(line: Line) -> Record {
        match line {
            Line::Block { t, txs } => Record { t, txs },
            Line::Single { t, tx } => Record { t, txs: vec![tx] },
        }
    }
}

pub(crate) struct Journal {
    file: File,
    path: PathBuf,
    /// Block lines in the file (the header not counted).
    records: u64,
    /// The hash chain's link after the last line.
    link: B256,
}

/// A position in the journal: `records` block lines, and the chain's link after them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    pub records: u64,
    pub link: B256,
}

fn chain(link: Option<B256>, line: &str) -> B256 {
    match link {
        None => keccak256(line.as_bytes()),
        Some(prev) => {
            let mut hasher = Keccak256::new();
            hasher.update(prev);
            hasher.update(line.as_bytes());
            hasher.finalize()
        }
    }
}

pub(crate) enum Opened {
    Fresh(Journal),
    Existing {
        journal: Journal,
        header: Header,
        records: Vec<Record>,
        /// `links[n]` is the chain's link after `n` records (`links[0]`: the header's).
        links: Vec<B256>,
    },
}

impl Journal {
    /// Opens (or creates) the journal in `dir`, holding an exclusive lock so two processes never
    /// append to one devnet.
    pub fn open(dir: &Path) -> Result<Opened> {
        std::fs::create_dir_all(dir).map_err(|e| ChainError::io(dir, e))?;
        let path = dir.join(FILE_NAME);
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| ChainError::io(&path, e))?;
        file.try_lock().map_err(|e| {
            ChainError::io(
                &path,
                std::io::Error::other(format!("devnet data is in use by another process: {e}")),
            )
        })?;
        let mut text = String::new();
        file.read_to_string(&mut text)
            .map_err(|e| ChainError::io(&path, e))?;

        // Drop a torn tail (no newline): it was never fsync'd completely, so never acknowledged.
        let complete_len = text.rfind('\n').map(|i| i + 1).unwrap_or(0);
        if complete_len < text.len() {
            tracing::warn!(path = %path.display(), bytes = text.len() - complete_len, "dropping torn journal tail");
            file.set_len(complete_len as u64)
                .map_err(|e| ChainError::io(&path, e))?;
            file.seek(SeekFrom::End(0))
                .map_err(|e| ChainError::io(&path, e))?;
            file.sync_all().map_err(|e| ChainError::io(&path, e))?;
        }
        let mut lines = text[..complete_len].lines().enumerate();
        let mut journal = Journal {
            file,
            path: path.clone(),
            records: 0,
            link: B256::ZERO,
        };
        let Some((_, first)) = lines.next() else {
            return Ok(Opened::Fresh(journal));
        };
        let corrupt = |line: usize, reason: String| ChainError::CorruptLog {
            path: path.clone(),
            line,
            reason,
        };
        let header: Header = serde_json::from_str(first).map_err(|e| corrupt(1, e.to_string()))?;
        if header.payplane_devnet != FORMAT_VERSION {
            return Err(corrupt(
                1,
                format!("unknown format version {}", header.payplane_devnet),
            ));
        }
        let mut links = vec![chain(None, first)];
        let mut records = Vec::new();
        for (i, line) in lines {
            // Every line is parsed, even those a snapshot covers: a corrupt line anywhere still
            // stops the start, as it always did.
            records.push(
                serde_json::from_str::<Line>(line)
                    .map(Record::from)
                    .map_err(|e| corrupt(i + 1, e.to_string()))?,
            );
            links.push(chain(links.last().copied(), line));
        }
        journal.records = records.len() as u64;
        journal.link = links[links.len() - 1];
        Ok(Opened::Existing {
            journal,
            header,
            records,
            links,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the journal ends now.
    pub fn position(&self) -> Position {
        Position {
            records: self.records,
            link: self.link,
        }
    }

    pub fn write_header(&mut self, header: &Header) -> Result<()> {
        let line = serde_json::to_string(header).map_err(|e| ChainError::Evm(e.to_string()))?;
        self.append_line(&line)?;
        self.link = chain(None, &line);
        // The file is new: make its directory entry durable too.
        if let Some(dir) = self.path.parent()
            && let Ok(d) = File::open(dir)
        {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Appends the blocks' lines with one write and one fsync; the position moves only once
    /// they are all durable.
    pub fn append_blocks(&mut self, records: &[Record]) -> Result<()> {
        let mut lines = Vec::with_capacity(records.len());
        let mut buf = Vec::new();
        for r in records {
            let line = serde_json::to_string(r).map_err(|e| ChainError::Evm(e.to_string()))?;
            buf.extend_from_slice(line.as_bytes());
            buf.push(b'\n');
            lines.push(line);
        }
        self.append(&buf)?;
        for line in &lines {
            self.records += 1;
            self.link = chain(Some(self.link), line);
        }
        Ok(())
    }

    fn append_line(&mut self, line: &str) -> Result<()> {
        let mut buf = Vec::with_capacity(line.len() + 1);
        buf.extend_from_slice(line.as_bytes());
        buf.push(b'\n');
        self.append(&buf)
    }

    fn append(&mut self, buf: &[u8]) -> Result<()> {
        let before = self
            .file
            .metadata()
            .map_err(|e| ChainError::io(&self.path, e))?
            .len();
        let written = self
            .file
            .write_all(buf)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            // Never leave half a line behind a later, complete one.
            let _ = self.file.set_len(before);
            return Err(ChainError::io(&self.path, e));
        }
        Ok(())
    }
}
