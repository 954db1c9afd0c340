//! Frame sources: where greyscale frames come from. The webcam (cargo feature `camera`),
//! image files, and a synthetic camera that films a simulated phone. The scanner does not
//! know which one it reads from.

pub mod files;
pub mod synthetic;
#[cfg(feature = "camera")]
pub mod webcam;

use std::time::Duration;

pub use crate::edges::scanner::binarize::Gray;

/// Why a source gave no frame this time. Each says what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error(
        "no camera at index {index}: {why}. Check that the webcam is plugged in (`lanedesk cameras` lists them), or use --images DIR."
    )]
    NoCamera { index: u32, why: String },
    #[error(
        "this build of lanedesk has no webcam support: rebuild with `cargo build --release --features camera` (needs libclang-dev), or use --images DIR"
    )]
    CameraSupportMissing,
    #[error(
        "the camera stopped sending frames ({why}). Reconnecting; check its cable if this persists."
    )]
    Disconnected { why: String },
    #[error("a camera frame was corrupt and was skipped ({why})")]
    CorruptFrame { why: String },
    #[error("{0}")]
    Unreadable(String),
    /// A watched folder with no image to read yet (empty, or not made yet).
    #[error("waiting for images in {path}")]
    WaitingForImages { path: String },
}

impl SourceError {
    /// A corrupt frame or an unreadable file is skipped, and a folder waited on; the source
    /// goes on.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SourceError::CorruptFrame { .. }
                | SourceError::Unreadable(_)
                | SourceError::Disconnected { .. }
                | SourceError::WaitingForImages { .. }
        )
    }
}

/// Not `Send`: a webcam handle must stay on the thread that opened it, so the scanner
/// builds its source on its capture thread from a factory.
pub trait FrameSource {
    /// The next frame. `Ok(None)` when the source has no more frames (a finished file list).
    /// May block until the frame arrives, as a webcam does.
    fn next_frame(&mut self) -> Result<Option<Gray>, SourceError>;

    /// What this source is, for the screen and the log.
    fn describe(&self) -> String;

    /// How long to wait between frames for sources that are not paced by hardware.
    fn pacing(&self) -> Option<Duration> {
        None
    }
}
