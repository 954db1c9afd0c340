//! Assembly: everything the product's commands build before they run, in one place. One
//! async runtime, one way to start the reference service in-process (the demo, training
//! and the tests all use it), one source of random bytes (forgeries are `domain::forgery`).
//!
//! - `service.rs`: the reference issuance service in-process on 127.0.0.1
//! - `demo.rs`, `lane.rs`, `train.rs`: each console set-up, from options to a running console
//! - `config.rs`: the lane configuration file and the user's folders
//! - `readers.rs`: its `[reader]` and `[clock]` tables
//! - `install.rs`: where the installed data (fixtures, themes) is
//! - `issuer_places.rs`: where `issuer serve` finds its fixtures and keeps its database

pub mod config;
pub mod config_check;
pub mod config_connect;
pub mod demo;
pub mod install;
pub mod issuer_places;
pub mod lane;
pub mod readers;
pub mod service;
pub mod train;

/// The one multi-threaded tokio runtime a command runs on.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// Bytes from the operating system's random source.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // Every use (session ids, a forger's key) only needs bytes nobody else has; a failing
    // source would leave zeros, which the callers tolerate.
    let _ = getrandom::fill(&mut bytes);
    bytes
}

/// A random id for this run; decision ids are `<session>-<n>` so they never repeat.
pub fn session_id() -> String {
    hex::encode(random_bytes::<6>())
}
