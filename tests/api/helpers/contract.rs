//! The contract operations (`../shared/contract`, vendored in `tests/contract/` so that a clone
//! runs on its own; a test checks the copy is current where `../shared` exists).

use std::path::PathBuf;

pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/contract")
}

/// The whole document of a contract file (e.g. `"auth"`); operations are picked by name.
pub fn document(file: &str) -> String {
    let path = dir().join(format!("{file}.graphql"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
