//! Bulk exports (issue #22): `startExport` queues one, `export(id:)` and `exports` follow it,
//! and `Export.url` is its signed download link once COMPLETED. The file is written by the
//! export worker (`crate::exports`) and served by `GET /exports/{id}/download`
//! (`crate::http`).

pub mod mutation;
pub mod query;
pub mod types;
