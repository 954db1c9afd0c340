//! A JSON-lines log in which each record carries the SHA-256 of the record before it.
//!
//! A line is `{"seq":N,"at":"…","prev":"<hex>","event":{…},"hash":"<hex>"}` where `hash` is
//! the SHA-256 of the line's bytes without `,"hash":"…"`. Files rotate each day (UTC+8) as
//! `audit-YYYY-MM-DD.jsonl`; the chain runs on across files and starts with a genesis record
//! naming the lane and its start, so removing the first records or the first file shows.
//! A last line cut short by a crash (no newline: its fsync never returned, so nothing was
//! confirmed) is removed when the log is opened; a complete last line that does not verify
//! (garbage, a torn write the disk kept) is moved to `audit-quarantine/` beside the log and
//! the move recorded, so a damaged tail never stops the lane. Anything earlier that does not
//! verify is left for `audit verify` to name.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::domain::clock::local_date;

/// The `prev` of the very first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(
        "cannot write the audit log in {dir}: {source}. Check that the state folder exists and is writable; no decision can be recorded until it is."
    )]
    Io {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the audit log {file} does not continue its chain at line {line}: {why}. Run `lanedesk audit verify` on it and keep it for inspection; to start a new chain, move the audit folder aside (the outbox and its pending decisions stay where they are)."
    )]
    Broken {
        file: PathBuf,
        line: usize,
        why: String,
    },
}

/// Where a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub file: PathBuf,
    pub line: usize,
    pub seq: Option<u64>,
    pub why: String,
}

impl std::fmt::Display for Broken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: ", self.file.display(), self.line)?;
        if let Some(seq) = self.seq {
            write!(f, "record {seq}: ")?;
        }
        f.write_str(&self.why)
    }
}

#[derive(Serialize)]
struct Unsigned<'a, E: Serialize> {
    seq: u64,
    at: DateTime<Utc>,
    prev: &'a str,
    event: &'a E,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The unsigned bytes of a line and its claimed hash, or why the line is not a record.
fn split_line(line: &str) -> Result<(&str, &str), String> {
    const TAIL: usize = r#","hash":""}"#.len() + 64;
    if line.len() < TAIL || !line.ends_with("\"}") {
        return Err("not a complete record".into());
    }
    let (body, tail) = line.split_at(line.len() - TAIL);
    let hash = tail
        .strip_prefix(r#","hash":""#)
        .and_then(|t| t.strip_suffix("\"}"))
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or("its hash field is missing or malformed")?;
    Ok((body, hash))
}

#[derive(serde::Deserialize)]
struct Head {
    seq: u64,
    prev: String,
}

/// Checks one line against the previous hash and sequence number; returns its hash and seq.
fn check_line(
    line: &str,
    prev: Option<&str>,
    last_seq: Option<u64>,
) -> Result<(String, u64), (Option<u64>, String)> {
    let (body, claimed) = split_line(line).map_err(|w| (None, w))?;
    let head: Head = serde_json::from_str(&format!("{body}}}"))
        .map_err(|e| (None, format!("not a record ({e})")))?;
    let seq = Some(head.seq);
    let actual = sha256_hex(format!("{body}}}").as_bytes());
    if actual != claimed {
        return Err((
            seq,
            format!(
                "its hash is {claimed} but its content hashes to {actual}: the record was altered"
            ),
        ));
    }
    if let Some(prev) = prev
        && head.prev != prev
    {
        return Err((
            seq,
            format!(
                "it follows a record hashed {prev} but names {} as its previous: a record before it was removed, added or altered",
                head.prev
            ),
        ));
    }
    if let Some(last) = last_seq
        && head.seq != last + 1
    {
        return Err((
            seq,
            format!("its number is {} where {} was expected", head.seq, last + 1),
        ));
    }
    Ok((claimed.to_owned(), head.seq))
}

/// Verifies files in order, the chain running on from one to the next, from its genesis
/// record (number 1, after the zero hash): removing the first records or the first file
/// shows. Returns how many records there are.
pub fn verify_files(files: &[PathBuf]) -> Result<u64, Broken> {
    walk(files, |_, _, _, _| Ok(())).map(|(count, _)| count)
}

/// Walks the chain from its genesis, calling `each(seq, hash, file, line)` for every record;
/// returns the count and the head (number, hash).
pub fn walk(
    files: &[PathBuf],
    mut each: impl FnMut(u64, &str, &Path, usize) -> Result<(), String>,
) -> Result<(u64, (u64, String)), Broken> {
    let (mut prev, mut last_seq) = (Some(GENESIS.to_owned()), Some(0u64));
    let mut count = 0;
    if files.is_empty() {
        return Err(Broken {
            file: PathBuf::from("."),
            line: 0,
            seq: None,
            why: "there is no audit file: the chain and its genesis record are missing".into(),
        });
    }
    for file in files {
        let reader = File::open(file).map(BufReader::new).map_err(|e| Broken {
            file: file.clone(),
            line: 0,
            seq: None,
            why: format!("cannot read it ({e})"),
        })?;
        for (i, line) in reader.lines().enumerate() {
            let broken = |seq, why| Broken {
                file: file.clone(),
                line: i + 1,
                seq,
                why,
            };
            let line = line.map_err(|e| broken(None, format!("cannot read it ({e})")))?;
            let (hash, seq) = check_line(&line, prev.as_deref(), last_seq)
                .map_err(|(seq, why)| broken(seq, why))?;
            let genesis = || {
                serde_json::from_str::<serde_json::Value>(&line)
                    .is_ok_and(|v| v["event"]["kind"] == "genesis")
            };
            if seq == 1 && !genesis() {
                return Err(broken(
                    Some(1),
                    "the first record is not the chain's genesis record".into(),
                ));
            }
            each(seq, &hash, file, i + 1).map_err(|why| broken(Some(seq), why))?;
            prev = Some(hash);
            last_seq = Some(seq);
            count += 1;
        }
    }
    let head = (last_seq.unwrap_or(0), prev.unwrap_or_default());
    Ok((count, head))
}

/// The log files in `dir`, oldest first.
pub fn files_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("audit-") && n.ends_with(".jsonl"))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Who keeps the log: named in its genesis record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub checkpoint: String,
    pub lane: String,
}

pub struct AuditLog {
    dir: PathBuf,
    day: NaiveDate,
    file: File,
    prev: String,
    seq: u64,
}

impl AuditLog {
    /// Opens the log in `dir` (created if missing), continuing the chain of its newest file;
    /// a new chain starts with a genesis record naming `origin`.
    pub fn open(dir: &Path, now: DateTime<Utc>, origin: &Origin) -> Result<AuditLog, AuditError> {
        let io = |source| AuditError::Io {
            dir: dir.to_owned(),
            source,
        };
        super::outbox::private_dir(dir).map_err(io)?;
        let (mut prev, mut seq) = (GENESIS.to_owned(), 0);
        let mut quarantined = Vec::new();
        if let Some(newest) = files_in(dir).map_err(io)?.pop() {
            (prev, seq) = recover_tail(&newest, &mut quarantined).map_err(io)?;
        }
        let day = local_date(now);
        let file = open_day(dir, day).map_err(io)?;
        let mut log = AuditLog {
            dir: dir.to_owned(),
            day,
            file,
            prev,
            seq,
        };
        if log.seq == 0 {
            let genesis = serde_json::json!({
                "kind": "genesis",
                "checkpoint": origin.checkpoint,
                "lane": origin.lane,
                "started_at": now,
            });
            log.append(now, &genesis)?;
        }
        for q in quarantined {
            tracing::warn!(file = %q.file.display(), "moved a damaged last audit record to quarantine");
            log.append(now, &serde_json::json!({"kind": "quarantined", "file": q.file, "sha256": q.sha256, "bytes": q.bytes}))?;
        }
        Ok(log)
    }

    /// The chain's head: the last record's number and hash.
    pub fn head(&self) -> (u64, String) {
        (self.seq, self.prev.clone())
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends one event and fsyncs it. When this returns `Ok`, the record survives a crash.
    pub fn append<E: Serialize>(
        &mut self,
        at: DateTime<Utc>,
        event: &E,
    ) -> Result<u64, AuditError> {
        let io = |source| AuditError::Io {
            dir: self.dir.clone(),
            source,
        };
        let day = local_date(at);
        if day != self.day {
            self.file = open_day(&self.dir, day).map_err(io)?;
            self.day = day;
        }
        let seq = self.seq + 1;
        let body = serde_json::to_string(&Unsigned {
            seq,
            at,
            prev: &self.prev,
            event,
        })
        .expect("audit events serialise");
        let hash = sha256_hex(body.as_bytes());
        let line = format!("{},\"hash\":\"{hash}\"}}\n", &body[..body.len() - 1]);
        self.file.write_all(line.as_bytes()).map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.prev = hash;
        self.seq = seq;
        Ok(seq)
    }
}

fn open_day(dir: &Path, day: NaiveDate) -> std::io::Result<File> {
    let path = dir.join(format!("audit-{day}.jsonl"));
    let created = !path.exists();
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(&path)?;
    if created {
        // The new name must survive a power cut too.
        File::open(dir)?.sync_all()?;
    }
    Ok(file)
}

/// A damaged last record moved out of the log.
struct Quarantined {
    file: PathBuf,
    sha256: String,
    bytes: usize,
}

/// The hash and number of the newest file's last record, after removing a last line a
/// crash cut short and moving a complete last line that does not verify to quarantine.
fn recover_tail(path: &Path, quarantined: &mut Vec<Quarantined>) -> std::io::Result<(String, u64)> {
    let mut text = std::fs::read(path)?;
    if !text.is_empty() && !text.ends_with(b"\n") {
        let keep = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        truncate(path, keep)?;
        tracing::warn!(file = %path.display(), bytes = text.len() - keep, "removed a record cut short by a crash");
        text.truncate(keep);
    }
    loop {
        let body = &text[..text.len().saturating_sub(1)];
        let start = body.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        if text.is_empty() {
            return Ok((GENESIS.to_owned(), 0));
        }
        let last = &text[start..];
        let line = std::str::from_utf8(last)
            .unwrap_or("")
            .trim_end_matches('\n');
        if let Ok((hash, seq)) = check_line(line, None, None) {
            return Ok((hash, seq));
        }
        quarantined.push(quarantine(path, last)?);
        truncate(path, start)?;
        text.truncate(start);
    }
}

fn truncate(path: &Path, len: usize) -> std::io::Result<()> {
    let file = OpenOptions::new().write(true).open(path)?;
    file.set_len(len as u64)?;
    file.sync_all()
}

/// Writes a damaged record to a file of its own in `audit-quarantine/` beside the log.
fn quarantine(log_file: &Path, record: &[u8]) -> std::io::Result<Quarantined> {
    let dir = log_file
        .parent()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."))
        .join("audit-quarantine");
    super::outbox::private_dir(&dir)?;
    let sha256 = sha256_hex(record);
    let name = log_file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("audit");
    let file = dir.join(format!("{name}-{}.bin", &sha256[..16]));
    let mut out = super::outbox::private_file(&file)?;
    out.write_all(record)?;
    out.sync_all()?;
    File::open(&dir)?.sync_all()?;
    Ok(Quarantined {
        file,
        sha256,
        bytes: record.len(),
    })
}

#[cfg(test)]
mod tests;
