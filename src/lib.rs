//! lanedesk: the console an officer uses at a manual lane between mainland China and
//! Hong Kong / Macau, and the reference issuance service it talks to.
//!
//! The crate is laid out as the architecture in `docs/ARCHITECTURE.md`:
//!
//! - [`domain`]: credential (EC1 codes), trust list, documents, holders, checks, the
//!   assessment of a presentation, decisions and their reasons. Pure logic, no I/O, no
//!   terminal code.
//! - [`api`]: the wire types of the issuance service's API v1, shared by both sides.
//! - [`fixtures`]: the synthetic travellers the product ships (service seeding, demo,
//!   training).
//! - [`edges`]: what the console uses to touch the world: camera, scanner, service client,
//!   audit log.
//! - [`console`]: the officer's terminal console: messages, update, effects, panes, theme,
//!   keymap, and beside its core the modes (demo, training, recording).
//! - [`issuer`]: the reference issuance service, a server product of its own.
//! - [`app`]: assembly: the runtime, the in-process service, the demo, lane and training
//!   set-ups.
//! - [`cli`]: the `lanedesk` command line.

pub mod api;
pub mod app;
pub mod cli;
pub mod console;
pub mod domain;
pub mod edges;
pub mod fixtures;
pub mod issuer;
