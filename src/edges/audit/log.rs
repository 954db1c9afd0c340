//! A JSON-lines log in which each record carries the SHA-256 of the record before it.
//!
//! A line is `{"seq":N,"at":"…","prev":"<hex>","event":{…},"hash":"<hex>"}` where `hash` is
//! the SHA-256 of the line's bytes without `,"hash":"…"`. Files rotate each day (UTC+8) as
//! `audit-YYYY-MM-DD.jsonl`; the chain runs on across files. A last line cut short by a
//! crash (no newline: its fsync never returned, so nothing was confirmed) is removed when
//! the log is opened; anything else that does not verify is left for `audit verify` to name.

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
        "the audit log {file} does not continue its chain at line {line}: {why}. Run `lanedesk audit verify` on it and keep it for inspection; start with a fresh state folder."
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

/// Verifies files in order, the chain running on from one to the next. The first record of
/// the first file is taken as the start.
pub fn verify_files(files: &[PathBuf]) -> Result<u64, Broken> {
    let (mut prev, mut last_seq): (Option<String>, Option<u64>) = (None, None);
    let mut count = 0;
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
            prev = Some(hash);
            last_seq = Some(seq);
            count += 1;
        }
    }
    Ok(count)
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

pub struct AuditLog {
    dir: PathBuf,
    day: NaiveDate,
    file: File,
    prev: String,
    seq: u64,
}

impl AuditLog {
    /// Opens the log in `dir` (created if missing), continuing the chain of its newest file.
    pub fn open(dir: &Path, now: DateTime<Utc>) -> Result<AuditLog, AuditError> {
        let io = |source| AuditError::Io {
            dir: dir.to_owned(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let (mut prev, mut seq) = (GENESIS.to_owned(), 0);
        if let Some(newest) = files_in(dir).map_err(io)?.pop() {
            (prev, seq) = recover_tail(&newest).map_err(|e| match e {
                TailError::Io(source) => AuditError::Io {
                    dir: dir.to_owned(),
                    source,
                },
                TailError::Broken(line, why) => AuditError::Broken {
                    file: newest.clone(),
                    line,
                    why,
                },
            })?;
        }
        let day = local_date(now);
        let file = open_day(dir, day).map_err(io)?;
        Ok(AuditLog {
            dir: dir.to_owned(),
            day,
            file,
            prev,
            seq,
        })
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
    let file = OpenOptions::new().create(true).append(true).open(&path)?;
    if created {
        // The new name must survive a power cut too.
        File::open(dir)?.sync_all()?;
    }
    Ok(file)
}

enum TailError {
    Io(std::io::Error),
    Broken(usize, String),
}

/// The hash and number of the newest file's last record, after removing a last line the
/// crash cut short.
fn recover_tail(path: &Path) -> Result<(String, u64), TailError> {
    let mut text = std::fs::read(path).map_err(TailError::Io)?;
    if !text.is_empty() && !text.ends_with(b"\n") {
        let keep = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let file = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(TailError::Io)?;
        file.set_len(keep as u64).map_err(TailError::Io)?;
        file.sync_all().map_err(TailError::Io)?;
        tracing::warn!(file = %path.display(), bytes = text.len() - keep, "removed a record cut short by a crash");
        text.truncate(keep);
    }
    let text = String::from_utf8(text).map_err(|_| TailError::Broken(0, "not UTF-8".into()))?;
    let lines: Vec<&str> = text.lines().collect();
    match lines.last() {
        None => Ok((GENESIS.to_owned(), 0)),
        Some(last) => {
            let (hash, seq) = check_line(last, None, None)
                .map_err(|(_, why)| TailError::Broken(lines.len(), why))?;
            Ok((hash, seq))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(day: u32, h: u32) -> DateTime<Utc> {
        chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 6, day, h, 0, 0).unwrap()
    }

    #[test]
    fn records_chain_across_days_and_verify() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = AuditLog::open(dir.path(), at(15, 1)).unwrap();
        assert_eq!(
            log.append(at(15, 1), &json!({"kind": "decision", "id": "a"}))
                .unwrap(),
            1
        );
        assert_eq!(
            log.append(at(15, 2), &json!({"kind": "delivered", "id": "a"}))
                .unwrap(),
            2
        );
        // 17:00 UTC is the next day at the control point.
        assert_eq!(
            log.append(at(15, 17), &json!({"kind": "decision", "id": "b"}))
                .unwrap(),
            3
        );
        drop(log);
        let files = files_in(dir.path()).unwrap();
        assert_eq!(files.len(), 2);
        assert!(files[1].ends_with("audit-2026-06-16.jsonl"));
        assert_eq!(verify_files(&files), Ok(3));
        // Reopened, the chain goes on.
        let mut log = AuditLog::open(dir.path(), at(16, 3)).unwrap();
        assert_eq!(
            log.append(at(16, 3), &json!({"kind": "decision", "id": "c"}))
                .unwrap(),
            4
        );
        assert_eq!(verify_files(&files_in(dir.path()).unwrap()), Ok(4));
    }

    #[test]
    fn an_altered_removed_or_reordered_record_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = AuditLog::open(dir.path(), at(15, 1)).unwrap();
        for id in ["a", "b", "c", "d"] {
            log.append(
                at(15, 1),
                &json!({"kind": "decision", "id": id, "decision": "approve"}),
            )
            .unwrap();
        }
        drop(log);
        let path = files_in(dir.path()).unwrap().remove(0);
        let original = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = original.lines().collect();
        let cases: Vec<(String, usize, &str)> = vec![
            (
                original.replacen(
                    "\"decision\":\"approve\",\"id\":\"b\"",
                    "\"decision\":\"flag\",\"id\":\"b\"",
                    1,
                ),
                2,
                "altered",
            ),
            (
                [lines[0], lines[2], lines[3]].join("\n") + "\n",
                2,
                "previous",
            ),
            (
                [lines[0], lines[2], lines[1], lines[3]].join("\n") + "\n",
                2,
                "previous",
            ),
            (
                original.replacen("{\"seq\":3", "{\"seq\":3 ", 1),
                3,
                "altered",
            ),
        ];
        for (text, line, why) in cases {
            assert_ne!(text, original, "the case must change the file");
            std::fs::write(&path, &text).unwrap();
            let broken = verify_files(std::slice::from_ref(&path)).unwrap_err();
            assert_eq!(broken.line, line, "{broken}");
            assert!(broken.why.contains(why), "{broken}");
        }
    }

    #[test]
    fn a_record_cut_short_by_a_crash_is_removed_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = AuditLog::open(dir.path(), at(15, 1)).unwrap();
        log.append(at(15, 1), &json!({"kind": "decision", "id": "a"}))
            .unwrap();
        drop(log);
        let path = files_in(dir.path()).unwrap().remove(0);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"seq\":2,\"at\":\"2026-06-15T01:00:00Z\",\"prev\":\"ab")
            .unwrap();
        drop(f);
        let mut log = AuditLog::open(dir.path(), at(15, 1)).unwrap();
        assert_eq!(
            log.append(at(15, 1), &json!({"kind": "decision", "id": "b"}))
                .unwrap(),
            2
        );
        assert_eq!(verify_files(&[path]), Ok(2));
    }

    #[test]
    fn a_tampered_tail_is_refused_at_open_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = AuditLog::open(dir.path(), at(15, 1)).unwrap();
        log.append(at(15, 1), &json!({"kind": "decision", "id": "a"}))
            .unwrap();
        drop(log);
        let path = files_in(dir.path()).unwrap().remove(0);
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("\"a\"", "\"z\"");
        std::fs::write(&path, &text).unwrap();
        let err = AuditLog::open(dir.path(), at(15, 1))
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("does not continue its chain at line 1"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}
