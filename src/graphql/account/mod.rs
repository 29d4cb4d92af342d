//! Sign-up, sign-in, sessions, invites, users and API keys.

pub mod mutation;
pub mod query;
pub mod refresh_cookie;
pub mod types;
