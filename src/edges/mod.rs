//! The edges the console uses: everything that touches the world outside the process.

pub mod audit;
pub mod camera;
pub mod client;
pub mod contain;
pub mod reader;
pub mod scanner;
pub mod trust_cache;
