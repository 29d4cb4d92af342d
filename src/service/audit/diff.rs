//! An entry's changes from two versions of a stored row: every column of the entity, less
//! secrets, hashes and bookkeeping, with personal values withheld (`domain::audit`).

use sea_orm::sea_query::Value as SqlValue;
use sea_orm::{EntityName, EntityTrait, Iterable, ModelTrait};
use serde_json::Value;

use crate::domain::audit::{Changes, is_bookkeeping, is_secret, is_withheld};

/// The changes from `before` (none: created) to `after` (none: deleted).
pub fn diff<M: ModelTrait>(before: Option<&M>, after: Option<&M>) -> Changes {
    let table = <M::Entity as Default>::default().table_name();
    let mut changes = Changes::new();
    for column in <M::Entity as EntityTrait>::Column::iter() {
        let name = sea_orm::IdenStatic::as_str(&column);
        if is_secret(name) || is_bookkeeping(name) {
            continue;
        }
        let old = before.map_or(Value::Null, |model| json(&model.get(column)));
        let new = after.map_or(Value::Null, |model| json(&model.get(column)));
        if old == new {
            continue;
        }
        changes = if is_withheld(table, name) {
            changes.withheld(name)
        } else {
            changes.set(name, old, new)
        };
    }
    changes
}

/// A stored value as JSON: numbers, text and booleans as themselves, times as RFC 3339.
fn json(value: &SqlValue) -> Value {
    match value {
        SqlValue::Bytes(Some(_)) => Value::String("(binary)".to_owned()),
        SqlValue::ChronoDateTimeUtc(Some(at)) => Value::String(at.to_rfc3339()),
        other => sea_orm::sea_query::value::sea_value_to_json_value(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::entity::{api_key, creator};
    use chrono::{TimeZone, Utc};

    fn key(name: &str, revoked: bool) -> api_key::Model {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        api_key::Model {
            id: 7,
            brand_id: 1,
            name: name.to_owned(),
            prefix: "pgk_abc".to_owned(),
            secret_hash: "argon2-hash".to_owned(),
            scopes: "[\"INGEST\"]".to_owned(),
            created_by_user_id: Some(3),
            last_used_at: None,
            revoked_at: revoked.then_some(at),
            expires_at: None,
            created_at: at,
        }
    }

    #[test]
    fn a_change_lists_only_the_fields_that_differ_and_never_a_hash() {
        let changes = diff(Some(&key("ci", false)), Some(&key("ci", true)));
        let text = changes.to_json();
        assert_eq!(
            text,
            r#"{"revokedAt":{"old":null,"new":"2026-12-01T00:00:00+00:00"}}"#
        );
    }

    #[test]
    fn a_creation_lists_every_field_but_secrets_and_bookkeeping() {
        let text = diff(None, Some(&key("ci", false))).to_json();
        assert!(text.contains(r#""name":{"old":null,"new":"ci"}"#), "{text}");
        assert!(
            text.contains(r#""createdByUserId":{"old":null,"new":3}"#),
            "{text}"
        );
        assert!(
            !text.contains("secret") && !text.contains("argon2"),
            "{text}"
        );
        assert!(
            !text.contains("createdAt") && !text.contains(r#""id""#),
            "{text}"
        );
    }

    #[test]
    fn personal_values_are_withheld() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap();
        let before = creator::Model {
            id: 1,
            brand_id: 1,
            user_id: None,
            display_name: "Ada".to_owned(),
            email: Some("ada@example.com".to_owned()),
            email_hash: Some("hash".to_owned()),
            country: None,
            niches: "[]".to_owned(),
            stage: "PROSPECT".to_owned(),
            vetting_status: "PENDING".to_owned(),
            brand_safety_score: None,
            vetting_notes: None,
            followers: 0,
            primary_platform: None,
            erased_at: None,
            created_at: at,
            updated_at: at,
        };
        let after = creator::Model {
            email: Some("ada@example.org".to_owned()),
            stage: "ACTIVE".to_owned(),
            ..before.clone()
        };
        let text = diff(Some(&before), Some(&after)).to_json();
        assert_eq!(
            text,
            r#"{"email":{"withheld":true},"stage":{"old":"PROSPECT","new":"ACTIVE"}}"#
        );
    }
}
