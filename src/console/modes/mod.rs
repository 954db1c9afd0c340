//! The modes beside the lane's core. Each owns its state and reacts to the facts the core
//! emits (`state::Fact`); the core knows nothing of them.
//!
//! - `demo.rs`: scenario travellers and their simulated phone
//! - `training/`: sessions on a clock, fault drills, judged steps and a score card
//! - `recording.rs`: `--record`, decisions saved as a training session
//! - `script.rs`: `--script`, keys played with delays for unattended demos
//! - `world.rs`: what the demo and training act on (the phone, the phone app's service)

pub mod demo;
pub mod recording;
pub mod script;
pub mod training;
pub mod world;
