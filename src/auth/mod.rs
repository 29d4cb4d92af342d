//! Who is calling and what they may do: the [`Actor`] built once per request and passed to every
//! service, access tokens, passwords, secrets, the permissions table and login limits.

mod actor;
pub mod cache;
pub mod jwt;
pub mod limiter;
pub mod password;
pub mod policy;
pub mod seal;
pub mod secrets;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use actor::{Actor, Principal, Role};
pub use policy::{Permission, Scope};

use crate::clock::{Clock, SystemClock};
use crate::config::Secret;

/// Failed logins allowed per account, and per IP, within [`LOGIN_WINDOW`].
pub const LOGIN_FAILURES_PER_ACCOUNT: u32 = 5;
pub const LOGIN_FAILURES_PER_IP: u32 = 20;
pub const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);
const LIMITER_CAPACITY: usize = 100_000;
/// Password reset requests allowed per email address, and per IP, within [`RESET_WINDOW`].
pub const RESETS_PER_EMAIL: u32 = 3;
pub const RESETS_PER_IP: u32 = 10;
pub const RESET_WINDOW: Duration = Duration::from_secs(60 * 60);

/// Process-wide authentication state.
pub struct Auth {
    pub jwt: jwt::JwtKeys,
    pub login_by_account: limiter::FailureLimiter,
    pub login_by_ip: limiter::FailureLimiter,
    /// Password reset requests (every request counts, whatever its outcome).
    pub reset_by_email: limiter::FailureLimiter,
    pub reset_by_ip: limiter::FailureLimiter,
    /// Verified sessions and API keys, so that a request is authenticated without a database
    /// round trip ([`cache`]); off until the event bus knows revocations reach it.
    pub credentials: Arc<cache::CredentialCache>,
    /// What credentials are issued and checked against (see [`crate::clock`]).
    clock: Arc<dyn Clock>,
}

impl Auth {
    /// Credentials on the system clock, whatever clock the rest of the app reads.
    pub fn new(jwt_secret: &Secret) -> Self {
        Self::with_clock(jwt_secret, Arc::new(SystemClock))
    }

    /// Credentials on `clock` (tests of token and session expiry).
    pub fn with_clock(jwt_secret: &Secret, clock: Arc<dyn Clock>) -> Self {
        Self {
            jwt: jwt::JwtKeys::new(jwt_secret),
            login_by_account: limiter::FailureLimiter::new(
                LOGIN_FAILURES_PER_ACCOUNT,
                LOGIN_WINDOW,
                LIMITER_CAPACITY,
            ),
            login_by_ip: limiter::FailureLimiter::new(
                LOGIN_FAILURES_PER_IP,
                LOGIN_WINDOW,
                LIMITER_CAPACITY,
            ),
            reset_by_email: limiter::FailureLimiter::new(
                RESETS_PER_EMAIL,
                RESET_WINDOW,
                LIMITER_CAPACITY,
            ),
            reset_by_ip: limiter::FailureLimiter::new(
                RESETS_PER_IP,
                RESET_WINDOW,
                LIMITER_CAPACITY,
            ),
            credentials: Arc::new(cache::CredentialCache::new(cache::CAPACITY, false)),
            clock,
        }
    }

    /// The time credentials are issued and checked at.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
