//! The edges: everything that touches the world outside the process.

pub mod api;
pub mod client;
pub mod fixtures;
pub mod issuer;
