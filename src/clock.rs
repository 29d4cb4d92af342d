//! Time as a dependency: the server reads the system clock; tests move a manual clock to make
//! holds pass without waiting.
//!
//! The one way code gets "now":
//! - **Services and the domain take `now: DateTime<Utc>` from their caller** (a parameter, the
//!   last one), and never read a clock themselves. One operation uses one reading, so every row
//!   it writes carries the same time and a rule is checked against the time the rows record.
//!   The domain stays pure: a rule that depends on time is a function of `now`.
//! - **GraphQL resolvers** supply it with [`crate::graphql::context::now`], which reads the
//!   schema's `Arc<dyn Clock>` ([`crate::app::build_with_clock`]).
//! - **Background tasks** that read the time again and again (the webhook worker, the click
//!   writer) take the same `Arc<dyn Clock>` when they start and read it per unit of work (a
//!   poll, a batch); the redirect handler reads the click writer's clock
//!   ([`crate::tracking::Tracking::clock`]).
//! - **Credentials** (access tokens, refresh-token sessions, API keys) are issued and checked
//!   against the clock of [`crate::auth::Auth`] ([`crate::auth::Auth::now`]), which is the
//!   system clock in every app: a test that moves its manual clock by weeks to let holds pass
//!   keeps its signed-in callers, and a moved clock never mints tokens that are not valid yet.
//!   The session and actor services still take that time as `now`; their callers pass
//!   `auth.now()`. Webhook signatures are dated with the system clock too: receivers check
//!   them against theirs.
//! - Start-up work (the demo data, migrations, timing of a load) may read [`SystemClock`] or
//!   `Utc::now()` directly.

use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until moved.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self(Mutex::new(start))
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let start = Utc::now();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::days(31));
        assert_eq!(clock.now(), start + Duration::days(31));
        clock.set(start);
        assert_eq!(clock.now(), start);
    }
}
