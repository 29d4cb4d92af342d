//! Who is calling: the [`Actor`] built once per request and passed to every service.

mod actor;

pub use actor::{Actor, Principal, Role};
