//! The officer's console: messages in, a pure `update`, effects out, and a view drawn only
//! when something changed.
//!
//! ```text
//! crossterm events ─(wedge.rs)─Key / Reader─▶ ┐
//! scanner threads ─CodeRead / FrameShown─▶ ├─▶ Desk::update ─▶ update(&mut State, Msg) ─▶ Vec<Effect> ─▶ EffectRunner
//! serial reader thread ─Reader─▶ │
//! effect tasks ─ServiceReplied…─▶ ┘            └─▶ modes react to facts (demo, training, recording)
//!                                     view::draw(&Desk, &Theme) (only when dirty)
//! ```
//!
//! The lane's core: `msg.rs` (what happened), `keymap.rs` (keys to commands), `state.rs`
//! and `presentation.rs` (what the screen shows), `update/` (the only place state changes),
//! `effect.rs` and `runner.rs` (I/O asked for, and done). Beside it: `desk.rs` (the core and
//! the modes together), `modes/` (demo, training, recording), and the screen: `view.rs`,
//! `panes/`, `theme.rs`, `i18n.rs`. `runtime.rs` owns the terminal and runs the loop.

pub mod contrast;
pub mod desk;
pub mod effect;
pub mod graphics;
pub mod i18n;
pub mod key;
pub mod keymap;
pub mod modes;
pub mod msg;
pub mod panes;
pub mod presentation;
pub mod runner;
pub mod runtime;
pub mod state;
pub mod testkit;
pub mod theme;
pub mod update;
pub mod view;
pub mod wedge;
