//! Global IDs as GraphQL `ID`s: [`crate::global_id`] is the codec; this wraps it in the scalar.

use async_graphql::ID;

use crate::error::AppError;
use crate::global_id;
pub use crate::global_id::NodeKind;

pub fn encode(kind: NodeKind, id: i64) -> ID {
    ID(global_id::encode(kind, id))
}

/// See [`global_id::decode`].
pub fn decode(id: &ID) -> Result<(NodeKind, i64), AppError> {
    global_id::decode(id.as_str())
}

/// See [`global_id::decode_as`].
pub fn decode_as(id: &ID, kind: NodeKind, field: &str) -> Result<i64, AppError> {
    global_id::decode_as(id.as_str(), kind, field)
}
