//! Cases of the walk: accounts, API keys, brand settings, creators, data rights, connectors,
//! webhooks, fraud, exports and imports.

use super::cases::Case;

pub fn cases() -> Vec<Case> {
    vec![]
}
