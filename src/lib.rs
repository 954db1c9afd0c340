//! lanedesk: the console an officer uses at a manual lane between mainland China and
//! Hong Kong / Macau.
//!
//! The crate is laid out as the architecture in `docs/ARCHITECTURE.md`:
//!
//! - [`domain`]: credential (EC1 codes), trust list, documents, holders. Pure logic, no I/O,
//!   no terminal code.
//! - [`edges`]: everything that talks to the outside world: the issuance service client, the
//!   reference issuance service, fixture files.
//! - [`console`]: the officer's terminal console: messages, update, effects, panes, theme,
//!   keymap.
//! - [`cli`]: the `lanedesk` command line.

pub mod cli;
pub mod console;
pub mod domain;
pub mod edges;
