//! `LatestSlot`: the one-frame hand-over between the capture and decoder threads.

use std::sync::{Condvar, Mutex};

/// A slot holding at most one item; putting replaces what was not taken.
pub struct LatestSlot<T> {
    state: Mutex<(Option<T>, bool)>,
    ready: Condvar,
}

impl<T> Default for LatestSlot<T> {
    fn default() -> Self {
        Self {
            state: Mutex::new((None, false)),
            ready: Condvar::new(),
        }
    }
}

impl<T> LatestSlot<T> {
    /// Puts `item`, returning true when it replaced one that was never taken.
    pub fn put(&self, item: T) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let replaced = state.0.replace(item).is_some();
        self.ready.notify_one();
        replaced
    }

    /// Waits for an item; `None` once closed and empty.
    pub fn take(&self) -> Option<T> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(item) = state.0.take() {
                return Some(item);
            }
            if state.1 {
                return None;
            }
            state = self.ready.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }

    pub fn close(&self) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).1 = true;
        self.ready.notify_all();
    }
}
