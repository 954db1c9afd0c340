//! `Dedup`: each payload reported once while it stays in view.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Reports each payload once while it stays in view.
#[derive(Debug)]
pub struct Dedup {
    window: Duration,
    seen: HashMap<Vec<u8>, Instant>,
}

impl Dedup {
    pub fn new(window: Duration) -> Self {
        Self {
            window,
            seen: HashMap::new(),
        }
    }

    /// True when `payload` was not seen within the window. Each sighting restarts the window,
    /// so a phone held up for a minute is one read.
    pub fn is_new(&mut self, payload: &[u8], now: Instant) -> bool {
        let window = self.window;
        self.seen.retain(|_, t| now.duration_since(*t) < window);
        self.seen.insert(payload.to_vec(), now).is_none()
    }
}
