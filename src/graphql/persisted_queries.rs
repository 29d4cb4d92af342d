//! Automatic persisted queries (Apollo's APQ protocol, version 1): a client sends
//! `extensions.persistedQuery {version: 1, sha256Hash}` without the query text; a known hash
//! runs the text stored under it, an unknown one answers `PersistedQueryNotFound` (code
//! PERSISTED_QUERY_NOT_FOUND), and the client sends the text with the hash, which registers it.
//!
//! The store is in memory, per process, and bounded twice: [`MAX_DOCUMENTS`] texts and
//! [`MAX_BYTES`] of text, least recently used forgotten first. It holds texts, not parsed
//! documents: a stored text runs through the same limits (size, depth, cost) as one sent in
//! full, and is registered only once it has passed them (see [`Registration`]). A text is
//! stored under its own SHA-256, checked here, so no hash can point at another text.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::ErrorCode;

/// Texts remembered per process.
pub const MAX_DOCUMENTS: usize = 10_000;
/// Bytes of text remembered per process (10,000 texts of the 32 KiB default size limit would be
/// 320 MiB).
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

/// What `extensions.persistedQuery` names: the SHA-256 of the text, lower-case hex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PersistedQuery {
    sha256_hash: String,
}

impl PersistedQuery {
    /// Reads `extensions.persistedQuery`: `{"version": 1, "sha256Hash": "<hex>"}`.
    pub fn from_extension(value: &Value) -> Result<Self, PersistedQueryError> {
        let malformed = || {
            PersistedQueryError::Malformed(
                "extensions.persistedQuery must be {\"version\": 1, \"sha256Hash\": \"<SHA-256 \
                 of the query, hex>\"}",
            )
        };
        let object = value.as_object().ok_or_else(malformed)?;
        match object.get("version") {
            Some(version) if version.as_i64() == Some(1) => {}
            Some(Value::Number(version)) => {
                return Err(PersistedQueryError::UnsupportedVersion(version.to_string()));
            }
            _ => return Err(malformed()),
        }
        let hash = object
            .get("sha256Hash")
            .and_then(Value::as_str)
            .ok_or_else(malformed)?;
        Ok(Self {
            sha256_hash: hash.to_ascii_lowercase(),
        })
    }
}

/// Why a persisted query was not run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PersistedQueryError {
    /// The extension is not `{version, sha256Hash}`: a malformed request (BAD_REQUEST).
    Malformed(&'static str),
    /// A version other than 1 (BAD_REQUEST).
    UnsupportedVersion(String),
    /// The hash is not known here (any more): send the text with it.
    NotFound,
    /// The text sent is not the one the hash names; nothing is stored.
    HashMismatch,
}

impl PersistedQueryError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Malformed(_) | Self::UnsupportedVersion(_) => ErrorCode::BadRequest,
            Self::NotFound => ErrorCode::PersistedQueryNotFound,
            Self::HashMismatch => ErrorCode::PersistedQueryHashMismatch,
        }
    }

    /// The message clients see; `PersistedQueryNotFound` exactly, which Apollo clients match.
    pub fn message(&self) -> String {
        match self {
            Self::Malformed(message) => (*message).to_owned(),
            Self::UnsupportedVersion(version) => format!(
                "persisted query version {version} is not supported; version 1 is (Apollo's \
                 automatic persisted queries)"
            ),
            Self::NotFound => "PersistedQueryNotFound".to_owned(),
            Self::HashMismatch => "extensions.persistedQuery.sha256Hash is not the SHA-256 of \
                                   the query sent with it; nothing was stored"
                .to_owned(),
        }
    }
}

/// A text to store under its hash once it has run without a parse or validation error.
#[derive(Clone, Debug)]
pub struct Registration {
    sha256_hash: String,
    text: Arc<str>,
}

/// What a request with a persisted query runs.
#[derive(Debug)]
pub enum Resolution {
    /// The text stored under the hash (the request sent none).
    Stored(Arc<str>),
    /// The text the request sent, whose hash matches: register it after it has run.
    Register(Registration),
}

pub struct PersistedQueries {
    store: Mutex<Store>,
    max_bytes: usize,
}

struct Store {
    texts: LruCache<String, Arc<str>>,
    bytes: usize,
}

impl Default for PersistedQueries {
    fn default() -> Self {
        Self::new(MAX_DOCUMENTS, MAX_BYTES)
    }
}

impl PersistedQueries {
    pub fn new(max_documents: usize, max_bytes: usize) -> Self {
        Self {
            store: Mutex::new(Store {
                texts: LruCache::new(NonZeroUsize::new(max_documents).unwrap_or(NonZeroUsize::MIN)),
                bytes: 0,
            }),
            max_bytes,
        }
    }

    /// The text to run for `query` (the request's text, empty when it sent none) and
    /// `persisted`.
    pub fn resolve(
        &self,
        query: &str,
        persisted: &PersistedQuery,
    ) -> Result<Resolution, PersistedQueryError> {
        if query.is_empty() {
            return self
                .get(&persisted.sha256_hash)
                .map(Resolution::Stored)
                .ok_or(PersistedQueryError::NotFound);
        }
        if sha256_hex(query) != persisted.sha256_hash {
            return Err(PersistedQueryError::HashMismatch);
        }
        Ok(Resolution::Register(Registration {
            sha256_hash: persisted.sha256_hash.clone(),
            text: Arc::from(query),
        }))
    }

    /// Stores a registered text, forgetting the least recently used ones past the bounds. A
    /// text larger than the whole byte budget is not stored.
    pub fn register(&self, registration: Registration) {
        let Registration { sha256_hash, text } = registration;
        if text.len() > self.max_bytes {
            return;
        }
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        let added = text.len();
        // `push` hands back the entry it replaced (same hash) or evicted (past the count).
        if let Some((_, dropped)) = store.texts.push(sha256_hash, text) {
            store.bytes -= dropped.len();
        }
        store.bytes += added;
        while store.bytes > self.max_bytes {
            match store.texts.pop_lru() {
                Some((_, evicted)) => store.bytes -= evicted.len(),
                None => break,
            }
        }
    }

    fn get(&self, sha256_hash: &str) -> Option<Arc<str>> {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        store.texts.get(sha256_hash).cloned()
    }

    /// Texts and bytes stored.
    pub fn usage(&self) -> (usize, usize) {
        let store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        (store.texts.len(), store.bytes)
    }
}

/// The SHA-256 of `text`, lower-case hex (what Apollo clients send).
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn persisted(text: &str) -> PersistedQuery {
        PersistedQuery::from_extension(&json!({ "version": 1, "sha256Hash": sha256_hex(text) }))
            .expect("well-formed")
    }

    fn registration(store: &PersistedQueries, text: &str) -> Registration {
        match store.resolve(text, &persisted(text)) {
            Ok(Resolution::Register(registration)) => registration,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn hashes_are_lower_case_hex_sha256() {
        // echo -n '{ __typename }' | sha256sum
        assert_eq!(
            sha256_hex("{ __typename }"),
            "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
        );
    }

    #[test]
    fn the_extension_must_be_version_1_with_a_hash() {
        let read = |value: Value| PersistedQuery::from_extension(&value);
        assert!(read(json!({ "version": 1, "sha256Hash": "AB" })).is_ok());
        assert_eq!(
            read(json!({ "version": 2, "sha256Hash": "ab" })),
            Err(PersistedQueryError::UnsupportedVersion("2".into()))
        );
        for bad in [
            json!("ab"),
            json!({ "sha256Hash": "ab" }),
            json!({ "version": "1", "sha256Hash": "ab" }),
            json!({ "version": 1 }),
            json!({ "version": 1, "sha256Hash": 5 }),
        ] {
            assert!(
                matches!(read(bad.clone()), Err(PersistedQueryError::Malformed(_))),
                "{bad}"
            );
        }
        let error = PersistedQueryError::UnsupportedVersion("2".into());
        assert_eq!(error.code(), ErrorCode::BadRequest);
        assert_eq!(
            PersistedQueryError::NotFound.message(),
            "PersistedQueryNotFound"
        );
    }

    #[test]
    fn an_unknown_hash_is_not_found_then_registered_then_served() {
        let store = PersistedQueries::default();
        let text = "{ viewer { id } }";
        assert_eq!(
            store.resolve("", &persisted(text)).unwrap_err(),
            PersistedQueryError::NotFound
        );
        store.register(registration(&store, text));
        match store.resolve("", &persisted(text)) {
            Ok(Resolution::Stored(stored)) => assert_eq!(&*stored, text),
            other => panic!("{other:?}"),
        }
        // Upper-case hex names the same text.
        let upper = PersistedQuery::from_extension(
            &json!({ "version": 1, "sha256Hash": sha256_hex(text).to_uppercase() }),
        )
        .unwrap();
        assert!(matches!(
            store.resolve("", &upper),
            Ok(Resolution::Stored(_))
        ));
    }

    #[test]
    fn a_mismatching_hash_is_refused_and_stores_nothing() {
        let store = PersistedQueries::default();
        let result = store.resolve("{ __typename }", &persisted("{ viewer { id } }"));
        assert_eq!(result.unwrap_err(), PersistedQueryError::HashMismatch);
        assert_eq!(store.usage(), (0, 0));
    }

    #[test]
    fn the_store_is_bounded_by_count_and_by_bytes() {
        let store = PersistedQueries::new(3, 1_000);
        let texts: Vec<String> = (0..5).map(|i| format!("{{ a{i}: __typename }}")).collect();
        for text in &texts {
            store.register(registration(&store, text));
        }
        assert_eq!(store.usage().0, 3);
        assert!(store.resolve("", &persisted(&texts[0])).is_err());
        assert!(store.resolve("", &persisted(&texts[4])).is_ok());

        let store = PersistedQueries::new(100, 100);
        let big = |c: char| format!("{{ {} }}", c.to_string().repeat(40));
        for c in ['a', 'b', 'c'] {
            store.register(registration(&store, &big(c)));
        }
        let (count, bytes) = store.usage();
        assert_eq!(count, 2, "two 44-byte texts fit in 100 bytes, not three");
        assert!(bytes <= 100);
        assert!(store.resolve("", &persisted(&big('a'))).is_err());
        // A text over the whole budget is never stored; registering one twice counts once.
        store.register(registration(&store, &"x".repeat(101)));
        store.register(registration(&store, &big('c')));
        assert_eq!(store.usage(), (count, bytes));
    }
}
