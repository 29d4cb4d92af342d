//! CSV imports (DOMAIN "bulk data"): `importCreators` and `importConversions` take a file sent
//! with the GraphQL multipart request spec (`Upload`, read by `crate::http`), answer the import
//! at once and run it in the background; `import(id:)` (or `node`) reports its progress and its
//! rejected rows.

pub mod mutation;
pub mod query;
pub mod types;
