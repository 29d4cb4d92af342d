//! Click tracking for `GET /r/{code}`, the hot path. [`bots`] flags automated traffic,
//! [`visitor`] turns IP and user agent into a keyed hash (the raw IP is never stored) and
//! [`destination`] builds where a redirect sends the visitor.

pub mod bots;
pub mod destination;
pub mod visitor;

pub use visitor::VisitorKeys;
