//! Failed-login limiting: a fixed window of failures per key (an account, an IP). In memory and
//! per process; bounded in size. Time is passed in so that the rule is testable.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct FailureLimiter {
    max_failures: u32,
    window: Duration,
    capacity: usize,
    entries: Mutex<HashMap<String, Entry>>,
}

#[derive(Clone, Copy)]
struct Entry {
    failures: u32,
    started: Instant,
}

impl FailureLimiter {
    pub fn new(max_failures: u32, window: Duration, capacity: usize) -> Self {
        Self {
            max_failures,
            window,
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` when `key` has used up its failures in the current window.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), u64> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some(entry) if entry.failures >= self.max_failures => {
                let elapsed = now.saturating_duration_since(entry.started);
                if elapsed >= self.window {
                    Ok(())
                } else {
                    Err((self.window - elapsed).as_secs().max(1))
                }
            }
            _ => Ok(()),
        }
    }

    pub fn record_failure(&self, key: &str, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= self.capacity && !entries.contains_key(key) {
            let window = self.window;
            entries.retain(|_, e| now.saturating_duration_since(e.started) < window);
            if entries.len() >= self.capacity {
                // Still full of live entries: forget the oldest rather than grow without bound.
                if let Some(oldest) = entries
                    .iter()
                    .min_by_key(|(_, e)| e.started)
                    .map(|(k, _)| k.clone())
                {
                    entries.remove(&oldest);
                }
            }
        }
        let entry = entries.entry(key.to_owned()).or_insert(Entry {
            failures: 0,
            started: now,
        });
        if now.saturating_duration_since(entry.started) >= self.window {
            *entry = Entry {
                failures: 0,
                started: now,
            };
        }
        entry.failures += 1;
    }

    pub fn reset(&self, key: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_until_the_window_ends() {
        let limiter = FailureLimiter::new(3, Duration::from_secs(60), 100);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check("a", t0).is_ok());
            limiter.record_failure("a", t0);
        }
        assert_eq!(limiter.check("a", t0 + Duration::from_secs(10)), Err(50));
        assert!(limiter.check("b", t0).is_ok(), "other keys are unaffected");
        assert!(limiter.check("a", t0 + Duration::from_secs(60)).is_ok());
    }

    #[test]
    fn success_resets_the_count() {
        let limiter = FailureLimiter::new(2, Duration::from_secs(60), 100);
        let t0 = Instant::now();
        limiter.record_failure("a", t0);
        limiter.reset("a");
        limiter.record_failure("a", t0);
        assert!(limiter.check("a", t0).is_ok());
    }

    #[test]
    fn stays_bounded() {
        let limiter = FailureLimiter::new(1, Duration::from_secs(60), 10);
        let t0 = Instant::now();
        for i in 0..100 {
            limiter.record_failure(&format!("k{i}"), t0 + Duration::from_millis(i));
        }
        assert!(limiter.entries.lock().unwrap().len() <= 10);
        assert!(
            limiter
                .check("k99", t0 + Duration::from_millis(100))
                .is_err()
        );
    }
}
