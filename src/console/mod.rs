//! The officer's console: messages in, a pure `update`, effects out, and a view drawn only
//! when something changed.
//!
//! ```text
//! crossterm events ─Key─▶ ┐
//! scanner threads ─CodeRead / FrameShown─▶ ├─▶ update(&mut State, Msg) ─▶ Vec<Effect> ─▶ EffectRunner
//! effect tasks ─ServiceReplied…─▶ ┘                  │
//!                                     view::draw(&State, &Theme) (only when dirty)
//! ```

pub mod demo;
pub mod effects;
pub mod i18n;
pub mod keymap;
pub mod lane;
pub mod msg;
pub mod panes;
pub mod record;
pub mod runtime;
pub mod script;
pub mod state;
pub mod testkit;
pub mod theme;
pub mod train;
pub mod training;
pub mod update;
pub mod view;
