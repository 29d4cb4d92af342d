//! The audit log's pure rules (DOMAIN rule 9): which stored fields never appear in an entry
//! (secrets and hashes), which appear without their values (personal data, which an erasure
//! must be able to remove while the entry itself is kept), and the shape of an entry's changes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A column that holds a secret or a hash of one: never in an entry, not even by name.
pub fn is_secret(column: &str) -> bool {
    column == "secret"
        || column.ends_with("_secret")
        || column.ends_with("_hash")
        || column.contains("password")
        || column.contains("token")
}

/// Columns whose values an entry never holds, as `(table, column)`: an entry says that they
/// changed, never to what. They are what erasing a creator clears (`eraseCreator`: the creator's
/// profile, its channels, its posts' URLs and whitelisting codes, its costs' notes) and other
/// personal data (emails, customer keys), so an erasure leaves no copy of them in the log. A
/// whitelisting code is also close to a credential (an ads authorization the creator grants).
const WITHHELD: &[(&str, &str)] = &[
    ("creators", "display_name"),
    ("creators", "email"),
    ("creators", "country"),
    ("creators", "niches"),
    ("creators", "brand_safety_score"),
    ("creators", "vetting_notes"),
    ("creators", "followers"),
    ("channels", "handle"),
    ("channels", "url"),
    ("channels", "followers"),
    ("channels", "avg_views"),
    ("channels", "engagement_rate"),
    ("channels", "audience_countries"),
    ("deliverables", "post_url"),
    ("deliverables", "whitelisting_code"),
    ("costs", "note"),
    ("invites", "email"),
    ("users", "email"),
    ("conversions", "customer_key"),
];

pub fn is_withheld(table: &str, column: &str) -> bool {
    WITHHELD.contains(&(table, column))
}

/// Bookkeeping columns an entry leaves out: the target's own identity and timestamps that
/// change with every write.
pub fn is_bookkeeping(column: &str) -> bool {
    matches!(column, "id" | "brand_id" | "created_at" | "updated_at")
}

/// What happened to one field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Change {
    Values {
        old: Value,
        new: Value,
    },
    /// A personal value changed; what it was and became is not kept.
    Withheld {
        withheld: bool,
    },
}

/// An entry's changes by field name (camelCase, as the API names them), in name order.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Changes(BTreeMap<String, Change>);

impl Changes {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `field` going from `old` to `new`; nothing when they are equal.
    pub fn set(mut self, field: &str, old: impl Into<Value>, new: impl Into<Value>) -> Self {
        let (old, new) = (old.into(), new.into());
        if old != new {
            self.0
                .insert(camel_case(field), Change::Values { old, new });
        }
        self
    }

    /// Records that the personal `field` changed, without its values.
    pub fn withheld(mut self, field: &str) -> Self {
        self.0
            .insert(camel_case(field), Change::Withheld { withheld: true });
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Change)> {
        self.0
            .iter()
            .map(|(field, change)| (field.as_str(), change))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Reads stored changes; an unreadable value reads as none.
    pub fn from_json(text: &str) -> Self {
        serde_json::from_str(text).unwrap_or_default()
    }
}

/// `lock_period_days` -> `lockPeriodDays`; a name without underscores is unchanged.
pub fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for ch in name.chars() {
        if ch == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(ch.to_uppercase());
            upper = false;
        } else {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_and_hashes_are_recognized_by_name() {
        for column in [
            "secret",
            "secret_hash",
            "password_hash",
            "token_hash",
            "email_hash",
            "customer_email_hash",
            "signing_secret",
        ] {
            assert!(is_secret(column), "{column}");
        }
        for column in ["secret_prefix", "prefix", "name", "email", "status"] {
            assert!(!is_secret(column), "{column}");
        }
    }

    #[test]
    fn withheld_columns_are_per_table() {
        assert!(is_withheld("creators", "email"));
        assert!(!is_withheld("campaigns", "email"));
        assert!(!is_withheld("creators", "stage"));
        assert!(is_withheld("deliverables", "whitelisting_code"));
    }

    #[test]
    fn names_become_camel_case() {
        assert_eq!(camel_case("lock_period_days"), "lockPeriodDays");
        assert_eq!(camel_case("status"), "status");
        assert_eq!(camel_case("_x"), "x");
    }

    #[test]
    fn equal_values_are_not_a_change_and_changes_round_trip() {
        let changes = Changes::new()
            .set("status", "DRAFT", "ACTIVE")
            .set("name", "A", "A")
            .withheld("email");
        let fields: Vec<&str> = changes.iter().map(|(field, _)| field).collect();
        assert_eq!(fields, ["email", "status"]);
        let text = changes.to_json();
        assert_eq!(
            text,
            r#"{"email":{"withheld":true},"status":{"old":"DRAFT","new":"ACTIVE"}}"#
        );
        assert_eq!(Changes::from_json(&text), changes);
    }
}
