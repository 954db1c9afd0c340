//! The audit trail: what was decided at this lane, as JSON lines, each record chained to the
//! one before by SHA-256, written and fsynced before the console says "recorded".
//!
//! - `log.rs`: the chained, daily-rotated log and its verification
//! - `outbox.rs`: decisions waiting for the service, one durable file each
//! - `recorder.rs`: the two together, in the order that survives a crash at any instant
//! - `delivery.rs`: the outbox sent until acknowledged, each send carrying the chain's head
//! - `witness.rs`: the log held against the heads the service witnessed
//!
//! The log holds ids, outcomes, reasons, times, the officer and the lane: no names and no
//! document numbers. A note is kept as its SHA-256 (the note itself goes to the service),
//! so an auditor can check a note without the log carrying what a note might say.

pub mod delivery;
pub mod log;
pub mod outbox;
pub mod recorder;
pub mod witness;

pub use log::{AuditError, AuditLog, Broken, verify_files};
pub use outbox::{Outbox, private_dir, private_file};
pub use recorder::{RecordedDecision, Recorder};
