//! Remembers the nonces of codes presented at this lane, so the same code shown twice
//! is caught even when the service cannot be asked.

use std::collections::HashMap;

use super::ids::Nonce;

#[derive(Debug, Clone, Copy)]
struct Seen {
    first_seen: i64,
    forget_after: i64,
}

#[derive(Debug, Clone)]
pub struct ReplayCache {
    seen: HashMap<Nonce, Seen>,
    capacity: usize,
}

impl Default for ReplayCache {
    fn default() -> Self {
        // A busy lane sees a few thousand codes a shift; this is days of them.
        Self::with_capacity(100_000)
    }
}

impl ReplayCache {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            seen: HashMap::new(),
            capacity: capacity.max(1),
        }
    }

    pub fn len(&self) -> usize {
        self.seen.len()
    }

    pub fn is_empty(&self) -> bool {
        self.seen.is_empty()
    }

    /// Records `nonce` as seen at `now`, to be remembered until `forget_after` (by then the
    /// code has expired and would be refused anyway). Returns when it was first seen if it
    /// had been seen before.
    pub fn check_and_record(
        &mut self,
        nonce: Nonce,
        now: i64,
        forget_after: i64,
    ) -> Result<(), i64> {
        if let Some(seen) = self.seen.get(&nonce) {
            if seen.forget_after >= now {
                return Err(seen.first_seen);
            }
        }
        if self.seen.len() >= self.capacity {
            self.seen.retain(|_, s| s.forget_after >= now);
        }
        if self.seen.len() >= self.capacity {
            // Still full of live codes: forget the one that expires first.
            if let Some(oldest) = self
                .seen
                .iter()
                .min_by_key(|(_, s)| s.forget_after)
                .map(|(n, _)| *n)
            {
                self.seen.remove(&oldest);
            }
        }
        self.seen.insert(
            nonce,
            Seen {
                first_seen: now,
                forget_after,
            },
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_accepted_once_then_reported_with_its_first_time() {
        let mut cache = ReplayCache::default();
        let n = Nonce([7; 12]);
        assert_eq!(cache.check_and_record(n, 100, 190), Ok(()));
        assert_eq!(cache.check_and_record(n, 150, 210), Err(100));
    }

    #[test]
    fn forgotten_after_its_window_and_bounded_in_size() {
        let mut cache = ReplayCache::with_capacity(2);
        assert!(cache.check_and_record(Nonce([1; 12]), 0, 10).is_ok());
        assert!(cache.check_and_record(Nonce([1; 12]), 11, 20).is_ok());
        assert!(cache.check_and_record(Nonce([2; 12]), 11, 30).is_ok());
        assert!(cache.check_and_record(Nonce([3; 12]), 12, 40).is_ok());
        assert_eq!(cache.len(), 2);
        // The one expiring first was evicted; the newest are still caught.
        assert_eq!(cache.check_and_record(Nonce([3; 12]), 13, 40), Err(12));
    }
}
