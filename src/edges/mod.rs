//! The edges: everything that touches the world outside the process.

pub mod api;
pub mod audit;
pub mod camera;
pub mod client;
pub mod contain;
pub mod fixtures;
pub mod issuer;
pub mod scanner;
pub mod sessions;
pub mod trust_cache;
