//! Checking a lane's log against what the service witnessed.
//!
//! Each decision the lane delivers carries its audit chain head (the last record's number
//! and hash); the service keeps every head it is shown. A chain alone proves only that it
//! is consistent with itself: records cut off its end, or a chain recomputed after an edit,
//! still verify. Held against the witnessed heads, the log must still contain every one of
//! them, unchanged, and may only extend them.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::log::{Broken, Origin, walk};
use crate::api::WitnessedHead;
use crate::domain::text::sanitize;

/// A genesis record is short; a first line longer than this is not one.
const GENESIS_MAX: u64 = 4096;

/// Who keeps the log, as its genesis record (the first line of the first file) names it.
pub fn origin_of(files: &[PathBuf]) -> Result<Origin, String> {
    let first = files
        .first()
        .ok_or("there is no audit file, so no genesis record names the lane")?;
    let file =
        std::fs::File::open(first).map_err(|e| format!("cannot read {} ({e})", first.display()))?;
    let mut line = String::new();
    BufReader::new(file.take(GENESIS_MAX))
        .read_line(&mut line)
        .map_err(|e| format!("cannot read {} ({e})", first.display()))?;
    let value: serde_json::Value = serde_json::from_str(line.trim_end()).unwrap_or_default();
    let event = &value["event"];
    match (
        event["kind"].as_str(),
        event["checkpoint"].as_str(),
        event["lane"].as_str(),
    ) {
        (Some("genesis"), Some(checkpoint), Some(lane)) => Ok(Origin {
            checkpoint: checkpoint.to_owned(),
            lane: lane.to_owned(),
        }),
        _ => Err(format!(
            "the first record of {} is not a genesis record naming the lane",
            first.display()
        )),
    }
}

/// What the log says about the witnessed heads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The log ends before a record the service witnessed.
    Removed {
        witnessed: WitnessedHead,
        ends_at: u64,
    },
    /// A witnessed record is not in the log as the service saw it.
    Altered {
        witnessed: WitnessedHead,
        found: String,
        file: PathBuf,
        line: usize,
        /// The last witnessed record that still matches, if any.
        matched: Option<WitnessedHead>,
    },
}

fn short(hash: &str) -> String {
    format!("{}…", hash.get(..8).unwrap_or(hash))
}

fn when(head: &WitnessedHead) -> String {
    head.seen_at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Removed { witnessed, ends_at } => {
                let n = witnessed.sequence;
                write!(
                    f,
                    "the service witnessed record {n} (hash {}) on {}; the log ends at record {ends_at}: ",
                    short(&witnessed.hash),
                    when(witnessed),
                )?;
                if ends_at + 1 == n {
                    write!(f, "record {n} was removed")
                } else {
                    write!(f, "records {}..{n} were removed", ends_at + 1)
                }
            }
            Finding::Altered {
                witnessed,
                found,
                file,
                line,
                matched,
            } => {
                let n = witnessed.sequence;
                write!(
                    f,
                    "{}:{line}: record {n} is not the record the service witnessed (on {} it had hash {}; the log's hashes to {}): the log was altered at or before record {n}, ",
                    file.display(),
                    when(witnessed),
                    short(&witnessed.hash),
                    short(found),
                )?;
                match matched {
                    Some(k) => write!(
                        f,
                        "after record {} (the last witnessed record that still matches)",
                        k.sequence
                    ),
                    None => f.write_str(
                        "and no earlier witnessed record matches: the chain may have been rewritten from its start",
                    ),
                }
            }
        }
    }
}

/// The log held against the witnessed heads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Records read (all of them, unless the chain breaks).
    pub records: u64,
    /// The number of the log's last record.
    pub last: u64,
    /// Witnessed heads the log holds unchanged.
    pub matched: usize,
    /// The latest of them.
    pub latest: Option<WitnessedHead>,
    /// The first witnessed record the log no longer holds as witnessed.
    pub finding: Option<Finding>,
    /// Where the chain itself breaks.
    pub broken: Option<Broken>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.finding.is_none() && self.broken.is_none()
    }
}

/// Walks the chain in `files`, comparing each record the service witnessed (`heads`, in any
/// order) with the log's; only the heads and one record are in memory at a time.
pub fn check(files: &[PathBuf], heads: &[WitnessedHead]) -> Report {
    let mut heads: Vec<&WitnessedHead> = heads.iter().collect();
    heads.sort_by_key(|h| h.sequence);
    let mut next = 0;
    let (mut matched, mut latest, mut finding) = (0, None::<WitnessedHead>, None);
    let mut records = 0;
    let mut last = 0;
    let walked = walk(files, |seq, hash, file: &Path, line| {
        records += 1;
        last = seq;
        while finding.is_none() && next < heads.len() && heads[next].sequence <= seq {
            let witnessed = heads[next];
            next += 1;
            if witnessed.sequence < seq {
                continue; // unreachable in a chain numbered without gaps
            }
            if witnessed.hash == hash {
                matched += 1;
                latest = Some(witnessed.clone());
            } else {
                finding = Some(Finding::Altered {
                    witnessed: witnessed.clone(),
                    found: hash.to_owned(),
                    file: file.to_owned(),
                    line,
                    matched: latest.clone(),
                });
            }
        }
        Ok(())
    });
    let broken = walked.err();
    if broken.is_none()
        && finding.is_none()
        && let Some(beyond) = heads.last().filter(|h| h.sequence > last)
    {
        finding = Some(Finding::Removed {
            witnessed: (*beyond).clone(),
            ends_at: last,
        });
    }
    Report {
        records,
        last,
        matched,
        latest,
        finding,
        broken,
    }
}

/// The lane as printed: what the genesis record says, made safe for a terminal.
pub fn lane_label(origin: &Origin) -> String {
    format!(
        "{}/{}",
        sanitize(&origin.checkpoint),
        sanitize(&origin.lane)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edges::audit::log::{AuditLog, files_in};
    use chrono::{DateTime, TimeZone, Utc};
    use serde_json::json;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 15, h, 0, 0).unwrap()
    }

    /// A log of `n` records (genesis included) and each record's head, as witnessed.
    fn log(dir: &Path, n: u64) -> (Vec<PathBuf>, Vec<WitnessedHead>) {
        let origin = Origin {
            checkpoint: "lo-wu".into(),
            lane: "L07".into(),
        };
        let mut log = AuditLog::open(dir, at(1), &origin).unwrap();
        let mut heads = vec![head(&log)];
        for i in 1..n {
            log.append(at(1), &json!({"kind": "decision", "id": i}))
                .unwrap();
            heads.push(head(&log));
        }
        (files_in(dir).unwrap(), heads)
    }

    fn head(log: &AuditLog) -> WitnessedHead {
        let (sequence, hash) = log.head();
        WitnessedHead {
            sequence,
            hash,
            seen_at: at(2),
        }
    }

    #[test]
    fn the_genesis_names_the_lane() {
        let dir = tempfile::tempdir().unwrap();
        let (files, _) = log(dir.path(), 2);
        let origin = origin_of(&files).unwrap();
        assert_eq!(
            (origin.checkpoint.as_str(), origin.lane.as_str()),
            ("lo-wu", "L07")
        );
        std::fs::write(&files[0], "{\"seq\":2}\n").unwrap();
        assert!(
            origin_of(&files)
                .unwrap_err()
                .contains("not a genesis record")
        );
        assert!(origin_of(&[]).is_err());
    }

    #[test]
    fn a_log_that_holds_and_extends_every_head_matches() {
        let dir = tempfile::tempdir().unwrap();
        let (files, heads) = log(dir.path(), 6);
        let report = check(&files, &[heads[3].clone(), heads[1].clone()]);
        assert!(report.ok(), "{report:?}");
        assert_eq!((report.records, report.last, report.matched), (6, 6, 2));
        assert_eq!(report.latest.unwrap().sequence, 4);
        assert!(check(&files, &[]).ok());
    }

    #[test]
    fn a_witnessed_record_beyond_the_end_is_named_with_the_removed_range() {
        let dir = tempfile::tempdir().unwrap();
        let (files, heads) = log(dir.path(), 6);
        let text = std::fs::read_to_string(&files[0]).unwrap();
        let kept: Vec<&str> = text.lines().take(3).collect();
        std::fs::write(&files[0], kept.join("\n") + "\n").unwrap();
        let report = check(&files, &heads[..5]);
        let finding = report.finding.clone().unwrap();
        assert!(
            matches!(&finding, Finding::Removed { witnessed, ends_at: 3 } if witnessed.sequence == 5),
            "{finding:?}"
        );
        assert!(
            finding.to_string().contains("records 4..5 were removed"),
            "{finding}"
        );
        assert_eq!(report.matched, 3);
    }

    #[test]
    fn a_witnessed_record_with_another_hash_is_named_after_the_last_match() {
        let dir = tempfile::tempdir().unwrap();
        let (files, mut heads) = log(dir.path(), 6);
        heads[4].hash = "ab".repeat(32);
        let report = check(&files, &heads);
        let Some(Finding::Altered {
            witnessed,
            matched: Some(k),
            line,
            ..
        }) = &report.finding
        else {
            panic!("{report:?}");
        };
        assert_eq!((witnessed.sequence, k.sequence, *line), (5, 4, 5));
        let text = report.finding.unwrap().to_string();
        assert!(
            text.contains("record 5 is not the record the service witnessed")
                && text.contains("after record 4"),
            "{text}"
        );
    }

    #[test]
    fn a_broken_chain_is_reported_as_broken_not_as_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let (files, heads) = log(dir.path(), 4);
        let text = std::fs::read_to_string(&files[0]).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        std::fs::write(&files[0], [lines[0], lines[2]].join("\n") + "\n").unwrap();
        let report = check(&files, &heads);
        assert!(
            report.broken.is_some() && report.finding.is_none(),
            "{report:?}"
        );
        assert_eq!(report.matched, 1);
    }
}
