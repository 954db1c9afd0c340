//! The writer thread: it takes what is queued and commits it in batches.

use std::sync::atomic::{AtomicUsize, Ordering};

use rusqlite::Connection;
use tokio::sync::mpsc;

use crate::issuer::store::StoreError;

use super::MAX_BATCH;

/// A job runs on the writer thread inside the batch's transaction; it answers its caller
/// only after the commit, through the reply it returns.
pub(super) type Reply = Box<dyn FnOnce(Option<&StoreError>) + Send>;
pub(super) type Job = Box<dyn FnOnce(&Connection) -> (bool, Reply) + Send>;

pub(super) struct Queued {
    pub(super) job: Job,
    pub(super) durable: bool,
}

pub(super) fn write_loop(conn: Connection, mut rx: mpsc::Receiver<Queued>, queued: &AtomicUsize) {
    let mut full = false;
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        queued.fetch_sub(batch.len(), Ordering::Relaxed);
        // Jobs that were queued together were in flight together, so any order between them
        // is one their callers could have seen: the verifications commit first, without an
        // fsync, and are answered before the decisions' fsync instead of after it.
        let (durable, fast): (Vec<Queued>, Vec<Queued>) =
            batch.into_iter().partition(|j| j.durable);
        for (jobs, want_full) in [(fast, false), (durable, true)] {
            if jobs.is_empty() {
                continue;
            }
            if want_full != full {
                let level = if want_full { "FULL" } else { "NORMAL" };
                if conn.pragma_update(None, "synchronous", level).is_ok() {
                    full = want_full;
                }
            }
            commit_batch(&conn, jobs);
        }
    }
}

/// Runs `jobs` in one `BEGIN IMMEDIATE` transaction, each in a savepoint (a failing job
/// leaves nothing behind and fails alone), and answers them after the commit.
fn commit_batch(conn: &Connection, jobs: Vec<Queued>) {
    if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
        let e = StoreError::from(e);
        for q in jobs {
            // Each job still runs so its caller hears why; nothing it does is kept.
            let (_, reply) = (q.job)(conn);
            reply(Some(&e));
        }
        let _ = conn.execute_batch("ROLLBACK");
        return;
    }
    let run = |sql: &str| conn.prepare_cached(sql).and_then(|mut s| s.execute([]));
    let mut replies = Vec::with_capacity(jobs.len());
    for q in jobs {
        let savepoint = run("SAVEPOINT job");
        let (ok, reply) = (q.job)(conn);
        if savepoint.is_ok() {
            if !ok {
                let _ = run("ROLLBACK TO job");
            }
            let _ = run("RELEASE job");
        }
        replies.push(reply);
    }
    let commit = conn.execute_batch("COMMIT").map_err(StoreError::from);
    if commit.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    let commit = commit.err();
    for reply in replies {
        reply(commit.as_ref());
    }
}
