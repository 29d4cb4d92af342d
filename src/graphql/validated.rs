//! Requests that passed validation, so that the same request again skips it.
//!
//! async-graphql validates every request against the schema's rules (known fields and
//! arguments, argument types, fragments, variables): 4-6% of the server's time for
//! `{ __typename }` and `{ viewer { email } }` (BENCHMARKS.md, session 21), spent again on every
//! request although front ends send the same few operations. The outcome of validation is a
//! function of the document, the operation name and the variables' values alone (the rules read
//! nothing else), so a request equal in all three to one that passed would pass again:
//! [`super::executor::Api`] runs it on a copy of the schema that validates only what execution
//! needs (`ValidationMode::Fast`), and every other request on the schema that checks all the
//! rules.
//!
//! The entry keeps what the request cost ([`super::limits`]), which is a function of the same
//! three: the same request again is not costed again either.
//!
//! Only a request that answered with data is kept: a request refused by validation has none.
//! Nor is one that introspects: the copy's registry differs (see [`super::executor`]).
//! Bounded: [`CAPACITY`] requests, least recently used first out, each kept only with variables
//! of at most [`MAX_VARIABLES_BYTES`] as JSON (the text is bounded by the query size limit).

use std::num::NonZeroUsize;
use std::sync::Mutex;

use async_graphql::Request;
use lru::LruCache;

/// Requests kept.
pub const CAPACITY: usize = 1_000;
/// Variables larger than this, as JSON, are not kept (imports, bulk inputs): they seldom repeat.
pub const MAX_VARIABLES_BYTES: usize = 1_024;

/// What validation reads of a request: its operation name, variables and text.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key(String);

impl Key {
    /// The key of `request`; `None` when its variables are too large to keep.
    pub fn of(request: &Request) -> Option<Self> {
        let variables = if request.variables.is_empty() {
            String::new()
        } else {
            serde_json::to_string(&request.variables).ok()?
        };
        if variables.len() > MAX_VARIABLES_BYTES {
            return None;
        }
        // The operation name quoted (or `None`) and the variables after their length, so that
        // no two requests share a key (a client's operation name may hold any text).
        Some(Self(format!(
            "{:?}{}:{variables}{}",
            request.operation_name,
            variables.len(),
            request.query
        )))
    }
}

/// The requests seen to pass validation, with their cost in points.
pub struct ValidatedRequests {
    entries: Mutex<LruCache<Key, u64>>,
}

impl ValidatedRequests {
    pub fn new(capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            entries: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// The cost of the request with this key, if it passed validation before.
    pub fn passed(&self, key: &Key) -> Option<u64> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(key).copied()
    }

    /// Keeps the key of a request that passed validation, and its cost.
    pub fn keep(&self, key: Key, points: u64) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.put(key, points);
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::Variables;

    use super::*;

    fn request(query: &str, operation: Option<&str>, variables: serde_json::Value) -> Request {
        let mut request = Request::new(query).variables(Variables::from_json(variables));
        request.operation_name = operation.map(str::to_owned);
        request
    }

    fn key(request: &Request) -> Key {
        Key::of(request).expect("small variables are kept")
    }

    #[test]
    fn the_key_tells_apart_text_operation_and_variables() {
        let query = "query A($f: Int) { a(first: $f) } query B { b }";
        let base = key(&request(query, Some("A"), serde_json::json!({"f": 20})));
        assert_eq!(
            base,
            key(&request(query, Some("A"), serde_json::json!({"f": 20})))
        );
        for other in [
            request(query, Some("A"), serde_json::json!({"f": "abc"})),
            request(query, Some("A"), serde_json::json!({})),
            request(query, Some("B"), serde_json::json!({"f": 20})),
            request(query, None, serde_json::json!({"f": 20})),
            request(query, Some(""), serde_json::json!({"f": 20})),
            request(
                "query A($f: Int) { a(first: $f) }",
                Some("A"),
                serde_json::json!({"f": 20}),
            ),
        ] {
            assert_ne!(base, key(&other), "{other:?}");
        }
    }

    #[test]
    fn large_variables_are_not_kept() {
        let large = "x".repeat(MAX_VARIABLES_BYTES);
        let request = request(
            "query($s: String) { a(s: $s) }",
            None,
            serde_json::json!({"s": large}),
        );
        assert!(Key::of(&request).is_none());
    }

    #[test]
    fn only_kept_requests_passed_and_the_least_recently_used_goes_first() {
        let validated = ValidatedRequests::new(2);
        let [a, b, c] =
            ["{ a }", "{ b }", "{ c }"].map(|q| key(&request(q, None, serde_json::json!({}))));
        assert_eq!(validated.passed(&a), None);
        validated.keep(a.clone(), 1);
        validated.keep(b.clone(), 2);
        assert_eq!(validated.passed(&a), Some(1));
        validated.keep(c.clone(), 3);
        assert_eq!(validated.passed(&b), None, "b was the least recently used");
        assert_eq!(
            (validated.passed(&a), validated.passed(&c)),
            (Some(1), Some(3))
        );
    }
}
